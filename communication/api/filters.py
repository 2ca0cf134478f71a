"""The query parameters of the logs API (CONTRACT.md's table), as one django-filter FilterSet."""

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from communication.masking import has_control_characters
from communication.models import IDENTIFIER_MAX_LENGTH, Channel, CommunicationLog, Status

RECIPIENT_MAX_LENGTH = 320
DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339's date-time (section 5.6), `T` or a space between date and time, and an offset required. A `+08:00`
# offset sent unencoded in a query string arrives as ` 08:00`, so a space there stands for `+`.
RFC3339_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+\- ])(?P<hours>[0-9]{2}):(?P<minutes>[0-9]{2}))"
)


def without_control_characters(value, message):
    """`value`, refused with `message` if it holds a control character, even one that trimming would drop."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(message)
    return value


class ExactTextField(forms.CharField):
    """A bounded string without control characters, for exact-match identifiers."""

    def __init__(self, *, max_length, **kwargs):
        self.max_text_length = max_length
        super().__init__(**kwargs)
        self.validators = []

    def clean(self, value):
        value = self.to_python(without_control_characters(value, "must not contain control characters"))
        if value in self.empty_values:
            return ""
        if len(value) > self.max_text_length:
            raise ValidationError(f"must be at most {self.max_text_length} characters")
        return value


class RepeatedValuesWidget(forms.CheckboxSelectMultiple):
    """Read `?channel=sms&channel=email` as `sms,email`, the same as the comma list; checkboxes in a form."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = [value for value in data.getlist(name) if value]
            return ",".join(values) if values else None
        return data.get(name)

    def format_value(self, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        return super().format_value(value)


class NotEchoedTextInput(forms.TextInput):
    """A text box that never renders its value back, so a browser form never shows a full recipient."""

    def format_value(self, value):
        return None


class ChoiceListField(forms.CharField):
    """A comma-separated list of allowed values, such as `sms,email`."""

    widget = RepeatedValuesWidget

    def __init__(self, *, allowed, **kwargs):
        self.allowed = list(allowed)
        self.not_allowed_message = f"must be one of {', '.join(self.allowed)}"
        super().__init__(**kwargs)
        self.widget.choices = [(value, value) for value in self.allowed]
        self.validators = []

    def clean(self, value):
        value = self.to_python(without_control_characters(value, self.not_allowed_message))
        if value in self.empty_values:
            return []
        # Empty items are skipped, so `sms,` and `sms,,email` read as the user meant them.
        chosen = [part.strip() for part in value.split(",") if part.strip()]
        if any(part not in self.allowed for part in chosen):
            raise ValidationError(self.not_allowed_message)
        return list(dict.fromkeys(chosen))


class CreatedTimeField(forms.CharField):
    """An RFC 3339 time, or a `YYYY-MM-DD` date meaning midnight UTC; nothing else of ISO 8601."""

    message = "must be an RFC 3339 time (2026-04-15T10:00:00Z) or a date (2026-04-15)"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = []

    def clean(self, value):
        value = self.to_python(without_control_characters(value, self.message))
        if value in self.empty_values:
            return None
        try:
            return parse_created_time(value)
        except (ValueError, OverflowError):
            raise ValidationError(self.message) from None


def parse_created_time(value):
    """The UTC moment `value` names; ValueError when it is not a date or an RFC 3339 time."""
    if DATE_ONLY.fullmatch(value):
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    parts = RFC3339_TIME.fullmatch(value)
    if parts is None:
        raise ValueError(value)
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    local = datetime.fromisoformat(f"{parts['date']}T{parts['time']}.{fraction}")
    if parts["utc"]:
        offset = timedelta()
    else:
        hours, minutes = int(parts["hours"]), int(parts["minutes"])
        if hours > 23 or minutes > 59:
            raise ValueError(value)
        offset = timedelta(hours=hours, minutes=minutes)
        offset = -offset if parts["sign"] == "-" else offset
    return local.replace(tzinfo=timezone(offset)).astimezone(UTC)


class ExactTextFilter(django_filters.CharFilter):
    field_class = ExactTextField

    def __init__(self, *, max_length=IDENTIFIER_MAX_LENGTH, **kwargs):
        super().__init__(max_length=max_length, lookup_expr="exact", **kwargs)


class ChoiceListFilter(django_filters.Filter):
    field_class = ChoiceListField

    def __init__(self, *, allowed, **kwargs):
        super().__init__(allowed=allowed, lookup_expr="in", **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if len(value) == 1:
            return qs.filter(**{self.field_name: value[0]})
        return super().filter(qs, value)


class CreatedTimeFilter(django_filters.Filter):
    field_class = CreatedTimeField


class LogFilterSet(django_filters.rest_framework.FilterSet):
    """Every filter of `GET /admin/communication/logs`; an empty value means not given."""

    user_id = ExactTextFilter(help_text="Exact id of the target user (omit: all users).")
    channel = ChoiceListFilter(
        allowed=Channel.values,
        label="Channel",
        help_text="sms, email or push; a comma-separated list matches any of them.",
    )
    status = ChoiceListFilter(
        allowed=Status.values,
        label="Status",
        help_text="pending, sent, failed or delivered; a comma-separated list matches any of them.",
    )
    tenant_id = ExactTextFilter(help_text="Exact tenant id.")
    template_id = ExactTextFilter(help_text="Exact template id.")
    provider = ExactTextFilter(help_text="Exact provider name, such as aliyun or sendgrid.")
    recipient = ExactTextFilter(
        max_length=RECIPIENT_MAX_LENGTH,
        method="filter_recipient",
        help_text="Exact full (unmasked) phone number, email address or token; or recipient-of:<log id>, the "
        "recipient of that log, which is what the browsable API's links carry instead of a full recipient.",
        widget=NotEchoedTextInput,
    )
    created_after = CreatedTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created after",
        help_text="Created at or after: RFC 3339 time or YYYY-MM-DD.",
    )
    created_before = CreatedTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        label="Created before",
        help_text="Created before: RFC 3339 time or YYYY-MM-DD.",
    )

    class Meta:
        model = CommunicationLog
        fields = []

    def filter_recipient(self, queryset, name, value):
        return queryset.sent_to(value) if value else queryset
