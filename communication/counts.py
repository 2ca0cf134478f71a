"""The one place that counts logs exactly: a queryset's total, from the counters wherever its conditions allow.

On PostgreSQL, a queryset narrowed only by `channel`, `status`, `tenant_id`, `provider`, `template_id` and a
`created_at` range is counted from the trigger-kept counters (communication.counters): the counter rows and the
delta rows not yet rolled up, for the source or the (channel, status) named. A range adds up its whole UTC days,
the whole hours of the part days at its ends, and counts the rows of the part hours directly. Everything else
(a user, a recipient, a range with a source named), and every other database, is a COUNT of the rows. All the
parts of a total are summed in one statement, so they all see the same snapshot of the table.
"""

import operator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import reduce

from django.db import connections
from django.db.models import BigIntegerField, Count, F, Func, Q, Subquery, Sum
from django.db.models.expressions import Col
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual, In, LessThan
from django.db.models.sql.where import AND

from communication.counters import (
    LogCount,
    LogCountByDay,
    LogCountByHour,
    LogCountBySource,
    LogCountDelta,
    roll_up_if_due,
)
from communication.models import CommunicationLog

COUNTER_MODELS = (LogCount, LogCountBySource, LogCountByDay, LogCountByHour)
KIND_FIELDS = ("channel", "status")
SOURCE_FIELDS = ("tenant_id", "provider", "template_id")
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@dataclass
class Conditions:
    """What a queryset's rows are narrowed by: values per counted field, and a `created_at` range."""

    values: dict = field(default_factory=dict)
    after: datetime | None = None
    before: datetime | None = None

    def of(self, names):
        return {f"{name}__in": self.values[name] for name in names if name in self.values}

    @property
    def names_a_source(self):
        return any(name in self.values for name in SOURCE_FIELDS)

    @property
    def has_range(self):
        return self.after is not None or self.before is not None


def count_logs(queryset):
    """The exact number of logs `queryset` matches."""
    conditions = conditions_of(queryset)
    if conditions is None or connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    counted = counted_parts(conditions, queryset.model)
    if counted is None:
        return queryset.count()
    pending, parts = counted
    # Over the delta rows, which also says how many wait for the roll-up.
    totals = LogCountDelta.objects.using(queryset.db).aggregate(
        total=sum((added_up(part) for part in parts), Coalesce(Sum("delta", filter=pending), 0)),
        waiting=Count("pk"),
    )
    roll_up_if_due(queryset.db, totals["waiting"])
    return totals["total"]


def conditions_of(queryset):
    """The Conditions of `queryset`'s WHERE clause, or None when anything else narrows, joins or cuts it."""
    query = queryset.query
    if query.is_empty() or query.combinator or query.distinct or query.is_sliced or len(query.alias_map) > 1:
        return None
    if query.where.connector != AND or query.where.negated:
        return None
    conditions = Conditions()
    for lookup in query.where.children:
        name = lookup.lhs.target.name if isinstance(getattr(lookup, "lhs", None), Col) else None
        value = getattr(lookup, "rhs", None)
        keyed = name in (*KIND_FIELDS, *SOURCE_FIELDS) and name not in conditions.values
        if hasattr(value, "resolve_expression"):
            return None
        if keyed and isinstance(lookup, (In, Exact)):
            conditions.values[name] = list(value) if isinstance(lookup, In) else [value]
        elif name == "created_at" and isinstance(lookup, GreaterThanOrEqual) and conditions.after is None:
            conditions.after = value.astimezone(UTC)
        elif name == "created_at" and isinstance(lookup, LessThan) and conditions.before is None:
            conditions.before = value.astimezone(UTC)
        else:
            return None
    return conditions


def counted_parts(conditions, log_model):
    """(the delta rows, the counters and the logs) that add up to the total, or None when the counters cannot."""
    if not conditions.has_range:
        counters = LogCountBySource if conditions.names_a_source else LogCount
        keys = conditions.of((*KIND_FIELDS, *SOURCE_FIELDS))
        return Q(**keys), [counters.objects.filter(**keys)]
    split = split_range(conditions.after, conditions.before)
    # Days and hours are counted per (channel, status) only.
    if split is None or conditions.names_a_source:
        return None
    days, hours, stretches = split
    kinds = conditions.of(KIND_FIELDS)
    counted = [(LogCountByDay, days)] if days else []
    counted += [(LogCountByHour, day_hours) for day_hours in hours]
    if not counted:
        return None
    pending = reduce(operator.or_, (Q(**kinds, **keys) for _, keys in counted))
    parts = [counters.objects.filter(**kinds, **keys) for counters, keys in counted]
    parts += [log_model.objects.filter(**kinds, created_at__gte=a, created_at__lt=b) for a, b in stretches]
    return pending, parts


def added_up(queryset):
    """What `queryset` adds to a total, as a subquery of the one statement: the sum of its counters, or the count of
    its logs; 0 when nothing matches."""
    function, column = ("SUM", "n") if queryset.model in COUNTER_MODELS else ("COUNT", "pk")
    value = Func(F(column), function=function, output_field=BigIntegerField())
    return Coalesce(Subquery(queryset.order_by().annotate(value=value).values("value")), 0)


def split_range(after, before):
    """[after, before) as (whole UTC days, whole hours of the part days, stretches inside an hour), or None past
    the calendar's end.

    Whole days are `day__gte`/`day__lt` lookups (an open end has none), or None when no day is whole; whole hours
    are one set of lookups per part day; stretches are (start, stop) pairs.
    """
    try:
        first_day = after and ceiling(after, DAY)
        end_day = before and floor(before, DAY)
        if after and before and first_day >= end_day:
            # No day is whole: the range crosses at most the midnight that starts the day of `before`.
            midnight = floor(before, DAY)
            days, part_days = None, [(after, midnight), (midnight, before)] if after < midnight else [(after, before)]
        else:
            days = {key: moment.date() for key, moment in (("day__gte", first_day), ("day__lt", end_day)) if moment}
            part_days = [(after, first_day), (end_day, before)]
        hours, stretches = [], []
        for start, stop in part_days:
            if not (start and stop and start < stop):
                continue
            first_hour, end_hour = ceiling(start, HOUR), floor(stop, HOUR)
            if first_hour >= end_hour:
                stretches.append((start, stop))
                continue
            day_start = floor(start, DAY)
            hours.append(
                {
                    "day": day_start.date(),
                    "hour__gte": (first_hour - day_start) // HOUR,
                    "hour__lt": (end_hour - day_start) // HOUR,
                }
            )
            stretches += [(a, b) for a, b in ((start, first_hour), (end_hour, stop)) if a < b]
        return days, hours, stretches
    except OverflowError:
        return None


def floor(moment, step):
    """The start of the UTC day or hour that holds `moment`."""
    return (
        datetime.combine(moment.date(), time(), UTC)
        + (moment - datetime.combine(moment.date(), time(), UTC)) // step * step
    )


def ceiling(moment, step):
    """The first start of a UTC day or hour at or after `moment`; OverflowError past the calendar's end."""
    start = floor(moment, step)
    return start if start == moment else start + step


def known_providers(using="default"):
    """The providers the logs name, from the source counters and delta rows on PostgreSQL (not a scan of the logs)."""
    if connections[using].vendor != "postgresql":
        sources = [CommunicationLog.objects.using(using)]
    else:
        sources = [LogCountBySource.objects.using(using).filter(n__gt=0), LogCountDelta.objects.using(using)]
    found = {name for rows in sources for name in rows.order_by().values_list("provider", flat=True).distinct()}
    return sorted(found - {""})
