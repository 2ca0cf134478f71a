"""How a communication log looks on the wire: every field a string, the recipient masked."""

from rest_framework import serializers

from commlogs_site.envelope import rfc3339
from communication.masking import mask_recipient
from communication.models import CONTRACT_FIELDS, CommunicationLog


class RFC3339Field(serializers.ReadOnlyField):
    """A time as `2026-04-15T10:00:00Z`, or `""` when it has not happened yet."""

    def to_representation(self, value):
        return rfc3339(value)


class MaskedRecipientField(serializers.ReadOnlyField):
    """The recipient as CONTRACT.md's masking table shows it."""

    def to_representation(self, value):
        return mask_recipient(value)


FORMATTERS = {"recipient": mask_recipient, "sent_at": rfc3339, "created_at": rfc3339, "updated_at": rfc3339}


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

    def to_representation(self, instance):
        # Built in one pass rather than by DRF's generic walk over bound fields, which costs about ten
        # times as much per row (docs/benchmarks.md); the fields declared above still describe the schema.
        item = {}
        for name in self.Meta.fields:
            value = getattr(instance, name)
            item[name] = FORMATTERS[name](value) if name in FORMATTERS else ("" if value is None else value)
        return item
