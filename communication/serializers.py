"""How a communication log looks on the wire: every field a string, the recipient masked."""

import functools

from django.contrib.auth import get_user_model
from rest_framework import serializers

from commlogs_site.envelope import rfc3339
from communication.filters import has_control_characters
from communication.masking import mask_recipient
from communication.models import CONTRACT_FIELDS, CommunicationLog


class RFC3339Field(serializers.ReadOnlyField):
    """A time as `2026-04-15T10:00:00Z`, or `""` when it has not happened yet.

    A string is a time the database already wrote so (a page read by totals.page_sql on PostgreSQL).
    """

    def to_representation(self, value):
        return value if isinstance(value, str) else rfc3339(value)


class MaskedRecipientField(serializers.ReadOnlyField):
    """The recipient as CONTRACT.md's masking table shows it."""

    def to_representation(self, value):
        return mask_recipient(value)


class CommunicationLogSerializer(serializers.ModelSerializer):
    """The fourteen keys of one log item, every one always present."""

    recipient = MaskedRecipientField()
    sent_at = RFC3339Field()
    created_at = RFC3339Field()
    updated_at = RFC3339Field()

    class Meta:
        model = CommunicationLog
        fields = list(CONTRACT_FIELDS)
        read_only_fields = fields

    @classmethod
    @functools.cache
    def field_names(cls):
        return tuple(cls.Meta.fields)

    @classmethod
    @functools.cache
    def value_renderers(cls):
        """(name, rendering) of each field in `Meta.fields` order, rendering None where the value shows as it is."""
        declared = cls._declared_fields
        return tuple((name, declared[name].to_representation if name in declared else None) for name in cls.Meta.fields)

    def item_from_values(self, values):
        """One item from its column values in `Meta.fields` order; a missing value is `""`."""
        return {
            name: "" if value is None else render(value) if render else value
            for (name, render), value in zip(self.value_renderers(), values, strict=True)
        }

    def to_representation(self, instance):
        # Built in one pass rather than by DRF's generic walk over bound fields, which costs about ten
        # times as much per row (docs/benchmarks.md); the fields declared above still describe the schema.
        # A page's rows are named tuples of exactly these fields (pagination.row_fields), already in order.
        if getattr(instance, "_fields", None) == self.field_names():
            return self.item_from_values(instance)
        return self.item_from_values(getattr(instance, name) for name in self.Meta.fields)


class CredentialField(serializers.CharField):
    """A username or password: a string of valid text, never another JSON type."""

    default_error_messages = {
        "null": "must be a string",
        "not_text": "must be a string",
        "not_valid_text": "must be valid text",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        if any("\ud800" <= character <= "\udfff" for character in data):
            self.fail("not_valid_text")
        return super().to_internal_value(data)


class CredentialsSerializer(serializers.Serializer):
    """What frontends log in with."""

    username = CredentialField(max_length=get_user_model()._meta.get_field("username").max_length)
    password = CredentialField(trim_whitespace=False, style={"input_type": "password"})

    def validate_username(self, value):
        if has_control_characters(value):
            raise serializers.ValidationError("must not contain control characters")
        return value
