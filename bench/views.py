"""The straightforward implementation the issue compares against, and the framework's floor."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from commlogs_site.envelope import success_envelope
from communication.views import CommunicationLogListView


class PlainPagination(PageNumberPagination):
    """DRF's PageNumberPagination: `queryset.count()` for the total and OFFSET for the page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        page = self.page
        paginator = page.paginator
        return Response(
            success_envelope(
                items=data,
                total=paginator.count,
                pagination={
                    "page": page.number,
                    "page_size": paginator.per_page,
                    "total": paginator.count,
                    "total_pages": paginator.num_pages,
                    "has_next": page.has_next(),
                    "has_prev": page.has_previous(),
                },
            )
        )


class PlainLogListView(CommunicationLogListView):
    """The product's view, same queryset, filters, serializer and indexes, with the plain paginator."""

    pagination_class = PlainPagination


class FloorView(APIView):
    """An authenticated, permission-checked DRF response that runs no query of its own: the floor."""

    permission_classes = CommunicationLogListView.permission_classes

    def get(self, request):
        return Response(success_envelope(items=[], total=0))
