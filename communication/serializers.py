"""How a communication log looks on the wire: every field a string, the recipient masked."""

import functools

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
    def value_renderers(cls):
        """Each declared field's rendering by name, looked up once per class rather than once per row."""
        return {name: field.to_representation for name, field in cls._declared_fields.items()}

    def item_from_values(self, values):
        """One item from its column values in `Meta.fields` order; a missing value is `""`."""
        renderers = self.value_renderers()
        item = {}
        for name, value in zip(self.Meta.fields, values, strict=True):
            render = renderers.get(name)
            item[name] = "" if value is None else render(value) if render else value
        return item

    def to_representation(self, instance):
        # Built in one pass rather than by DRF's generic walk over bound fields, which costs about ten
        # times as much per row (docs/benchmarks.md); the fields declared above still describe the schema.
        return self.item_from_values(getattr(instance, name) for name in self.Meta.fields)
