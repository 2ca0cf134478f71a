"""Page-number pagination with the contract's envelope: a nested `pagination` and a flat `total`, exact at any size."""

import math
import re

from django.conf import settings
from django.core.paginator import InvalidPage, Page, Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from communication.counts import count_logs
from communication.envelope import success_envelope

WHOLE_NUMBER = re.compile(r"[0-9]+")


class PageTooDeep(InvalidPage):
    """A page too far from both ends of the results to read without walking the rows before it."""


class LogPaginator(Paginator):
    """Django's Paginator, exact and flat at any size: the count comes from communication.counts, a page nearer
    the end than the start is read from the end, and a page past the last one is empty, not an error."""

    @cached_property
    def count(self):
        return count_logs(self.object_list)

    @property
    def total_pages(self):
        return math.ceil(self.count / self.per_page)

    def page(self, number):
        """The rows of page `number` (from 1), read from whichever end of the ordering is nearer.

        A page more than DJANGO_DEEP_PAGE_MAX_ROWS rows from both ends is refused: its OFFSET would hold a
        connection for longer than we allow, and narrowing the filters (such as `created_before`) reaches it.
        """
        offset = (number - 1) * self.per_page
        size = max(0, min(self.per_page, self.count - offset))
        from_end = self.count - offset - size
        if min(offset, from_end) > settings.DEEP_PAGE_MAX_ROWS:
            raise PageTooDeep(
                f"is too deep: only pages within {settings.DEEP_PAGE_MAX_ROWS} rows of the first or the last row "
                "are served; narrow the filters (for example created_before) to reach the rows between"
            )
        if size and from_end < offset:
            rows = list(self.object_list.reverse()[from_end : from_end + size])[::-1]
        else:
            rows = list(self.object_list[offset : offset + size])
        return Page(rows, number, self)


def whole_number(request, name, default, at_most=None):
    """The parameter as an int of at least 1, cut to `at_most` if given; empty or absent gives the default."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    if not WHOLE_NUMBER.fullmatch(raw) or not raw.strip("0"):
        raise ValidationError({name: ["must be a whole number of at least 1"]})
    if at_most is not None and len(raw.lstrip("0")) > len(str(at_most)):
        # Cut without converting: a number of any length above the cap is the cap.
        return at_most
    try:
        number = int(raw)
    except ValueError:
        raise ValidationError({name: ["is too large"]}) from None
    return number if at_most is None else min(number, at_most)


class LogPagination(PageNumberPagination):
    """`?page=` and `?page_size=`; a bad value is a 400 naming it, a page past the last one is empty."""

    # Rows per page when `page_size` is not given.
    page_size = 20
    page_size_query_param = "page_size"
    # A larger `page_size` is cut to this, and the response says so.
    max_page_size = 100
    django_paginator_class = LogPaginator

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(whole_number(request, self.page_query_param, 1))
        except PageTooDeep as refusal:
            raise ValidationError({self.page_query_param: [str(refusal)]}) from None
        return list(self.page)

    def get_page_size(self, request):
        return whole_number(request, self.page_size_query_param, self.page_size, at_most=self.max_page_size)

    def get_paginated_response(self, data):
        return Response(success_envelope(items=data, total=self.page.paginator.count, pagination=self.page_info()))

    def page_info(self):
        paginator, number = self.page.paginator, self.page.number
        return {
            "page": number,
            "page_size": paginator.per_page,
            "total": paginator.count,
            "total_pages": paginator.total_pages,
            "has_next": number < paginator.total_pages,
            "has_prev": number > 1,
        }

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
        """The `PageInfo` component: the keys of `page_info()`."""
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
