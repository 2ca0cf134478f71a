"""How a log looks on the wire (every field a string, the recipient masked), and what frontends log in with."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from communication.envelope import rfc3339
from communication.masking import has_control_characters, hide_recipient_in, mask_recipient
from communication.models import CONTRACT_FIELDS, CommunicationLog


class RFC3339Field(serializers.ReadOnlyField):
    """A time as `2026-04-15T10:00:00Z`, or `""` when it has not happened yet."""

    def get_attribute(self, instance):
        # DRF writes a None attribute as null without asking the field; the contract wants "".
        return super().get_attribute(instance) or ""

    def to_representation(self, value):
        return rfc3339(value) if value else ""


class MaskedRecipientField(serializers.ReadOnlyField):
    """The recipient as CONTRACT.md's masking table shows it."""

    def to_representation(self, value):
        return mask_recipient(value)


class CommunicationLogSerializer(serializers.ModelSerializer):
    """The fourteen keys of one log item, every one always present; the recipient masked, in its text too."""

    # The keys whose text may name the log's recipient, masked there as in `recipient`; none for the user's own copy.
    texts_naming_the_recipient = ("content", "error", "response")
    recipient = MaskedRecipientField()
    sent_at = RFC3339Field()
    created_at = RFC3339Field()
    updated_at = RFC3339Field()

    class Meta:
        model = CommunicationLog
        fields = list(CONTRACT_FIELDS)
        read_only_fields = fields

    def to_representation(self, log):
        item = super().to_representation(log)
        for name in self.texts_naming_the_recipient:
            item[name] = hide_recipient_in(item[name], log.recipient)
        return item


class UserExportSerializer(CommunicationLogSerializer):
    """A log as the API shows it but with the full recipient: what a user gets of their own data."""

    texts_naming_the_recipient = ()
    recipient = serializers.ReadOnlyField()


class CredentialField(serializers.CharField):
    """A username or password: a string of valid text, never another JSON type."""

    default_error_messages = {
        "null": "must be a string",
        "not_text": "must be a string",
        "not_valid_text": "must be valid text",
        "control_characters": "must not contain control characters",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        if any("\ud800" <= character <= "\udfff" for character in data):
            self.fail("not_valid_text")
        if has_control_characters(data):
            self.fail("control_characters")
        return super().to_internal_value(data)


class CredentialsSerializer(serializers.Serializer):
    """What frontends log in with."""

    username = CredentialField(max_length=get_user_model()._meta.get_field("username").max_length)
    password = CredentialField(trim_whitespace=False, style={"input_type": "password"})
