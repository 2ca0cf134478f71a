"""Page-number pagination with the contract's envelope: nested `pagination` plus a flat `total`."""

import math
import re

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from commlogs_site.envelope import success_envelope
from communication.totals import count_logs, read_rows, read_rows_with_total

WHOLE_NUMBER = re.compile(r"[0-9]+")
# A page starting this near the first row is read forwards, its total counted in the same query.
FORWARD_READ_MAX_ROWS = 1_000


def parse_whole_number(request, name, default, at_most=None):
    """The parameter as an int of at least 1, cut to `at_most` if given; empty or absent gives the default."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    if not WHOLE_NUMBER.fullmatch(raw):
        raise ValidationError({name: ["must be a whole number of at least 1"]})
    if at_most is not None and len(raw.lstrip("0")) > len(str(at_most)):
        # Cut without converting: a number of any length above the cap is the cap.
        return at_most
    try:
        number = int(raw)
    except ValueError:
        raise ValidationError({name: ["is too large"]}) from None
    if number < 1:
        raise ValidationError({name: ["must be a whole number of at least 1"]})
    return number if at_most is None else min(number, at_most)


def cleaned_filters(request, view):
    """The view's filter values as its FilterSet cleaned them, or None when it has no FilterSet."""
    filterset = getattr(request, "log_filterset", None)
    if filterset is None:
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None:
            return None
        filterset = filterset_class(request.query_params, request=request)
    # The filter backend already turned invalid values into a 400, so this is always valid here.
    filterset.is_valid()
    return filterset.form.cleaned_data


def row_fields(view):
    """The columns a page's rows are read as: the fields the view's serializer lists; () for model instances."""
    if view is None:
        return ()
    fields = getattr(getattr(view.get_serializer_class(), "Meta", None), "fields", ())
    return tuple(fields) if isinstance(fields, list | tuple) else ()


def page_window(page_number, page_size, total):
    """(start, limit, reverse) of a page within `total` rows, read from the nearer end of the ordering.

    `start` is the OFFSET: rows before the page, or after it when `reverse`; so it is also how far
    the page lies from the nearer end.
    """
    offset = (page_number - 1) * page_size
    limit = min(page_size, total - offset)
    offset_from_end = total - offset - limit
    reverse = offset > offset_from_end
    return (offset_from_end if reverse else offset), limit, reverse


def read_page(queryset, fields, page_number, page_size, total):
    """The rows of one page as named tuples of `fields`, read from whichever end of the ordering is nearer.

    A page past the middle is read in reverse order with a small offset. A page more than
    DEEP_PAGE_MAX_ROWS rows from both ends is refused: its OFFSET would hold a connection for
    longer than we allow, and narrowing the filters (such as `created_before`) reaches those rows.
    Model instances when there are no `fields`. On PostgreSQL the database writes the rows' times as
    the contract shows them (totals.page_sql).
    """
    start, limit, reverse = page_window(page_number, page_size, total)
    if start > settings.DEEP_PAGE_MAX_ROWS:
        raise ValidationError(
            {
                "page": [
                    f"is too deep: only pages within {settings.DEEP_PAGE_MAX_ROWS} rows of the first or the last "
                    "row are served; narrow the filters (for example created_before) to reach the rows between"
                ]
            }
        )
    rows = read_rows(queryset, fields, start, limit, reverse=reverse, rfc3339_times=True)
    if rows is None:
        ordered = queryset.reverse() if reverse else queryset
        rows = list((ordered.values_list(*fields, named=True) if fields else ordered)[start : start + limit])
    if reverse:
        rows.reverse()
    return rows


class LogPagination(BasePagination):
    """`?page=` and `?page_size=`; a page past the last one is empty, not a 404."""

    page_query_param = "page"
    page_size_query_param = "page_size"
    # Rows per page when `page_size` is not given.
    page_size = 20
    # A larger `page_size` is cut to this, and the response says so.
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.page_number = parse_whole_number(request, self.page_query_param, 1)
        self.page_size_value = parse_whole_number(
            request, self.page_size_query_param, self.page_size, at_most=self.max_page_size
        )
        self.filters = cleaned_filters(request, view)
        self.fields = row_fields(view)
        rows = self.read_first_pages_with_total(queryset)
        if rows:
            return rows
        self.total = self.count_matching(queryset)
        self.total_pages = math.ceil(self.total / self.page_size_value)
        if self.page_number > self.total_pages:
            return []
        return read_page(queryset, self.fields, self.page_number, self.page_size_value, self.total)

    def read_first_pages_with_total(self, queryset):
        """Rows and total in one query for a page near the start; [] when that does not apply."""
        offset = (self.page_number - 1) * self.page_size_value
        if offset > min(FORWARD_READ_MAX_ROWS, settings.DEEP_PAGE_MAX_ROWS):
            return []
        read = read_rows_with_total(
            queryset, self.filters, self.fields, offset, self.page_size_value, rfc3339_times=True
        )
        if read is None or not read[0]:
            return []
        rows, self.total = read
        self.total_pages = math.ceil(self.total / self.page_size_value)
        return rows

    def count_matching(self, queryset):
        return count_logs(queryset, getattr(self, "filters", None))

    def pagination_info(self):
        return {
            "page": self.page_number,
            "page_size": self.page_size_value,
            "total": self.total,
            "total_pages": self.total_pages,
            "has_next": self.page_number < self.total_pages,
            "has_prev": self.page_number > 1,
        }

    def get_paginated_response(self, data):
        return Response(success_envelope(items=data, total=self.total, pagination=self.pagination_info()))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["code", "message", "timestamp", "items", "total", "pagination"],
            "properties": {
                "code": {"type": "integer", "example": 0, "description": "0 on success."},
                "message": {"type": "string", "example": "success", "description": "Always `success` on a 200."},
                "timestamp": {
                    "type": "string",
                    "format": "date-time",
                    "example": "2026-04-15T10:00:05Z",
                    "description": "The server's time of the response, RFC 3339 UTC.",
                },
                "items": schema,
                "total": {"type": "integer", "example": 1, "description": "Rows matching the filters."},
                "pagination": {
                    "description": "Where this page is in the whole result.",
                    "allOf": [{"$ref": "#/components/schemas/PageInfo"}],
                    "example": {
                        "page": 1,
                        "page_size": self.page_size,
                        "total": 1,
                        "total_pages": 1,
                        "has_next": False,
                        "has_prev": False,
                    },
                },
            },
        }

    def get_page_info_schema(self):
        """The `PageInfo` component: the keys of `pagination_info()`."""
        return {
            "type": "object",
            "required": ["page", "page_size", "total", "total_pages", "has_next", "has_prev"],
            "properties": {
                "page": {"type": "integer", "example": 1, "description": "The current page number, from 1."},
                "page_size": {
                    "type": "integer",
                    "example": self.page_size,
                    "description": f"Rows per page, at most {self.max_page_size}.",
                },
                "total": {"type": "integer", "example": 1, "description": "Rows matching the filters."},
                "total_pages": {
                    "type": "integer",
                    "example": 1,
                    "description": "ceil(total / page_size); 0 when nothing matches.",
                },
                "has_next": {"type": "boolean", "example": False, "description": "page < total_pages."},
                "has_prev": {"type": "boolean", "example": False, "description": "page > 1."},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "Page number, from 1 (default 1). A page past the last one is empty.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page (default {self.page_size}); above {self.max_page_size} it is cut "
                f"to {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1, "default": self.page_size},
            },
        ]
