"""The straightforward implementation the product is measured against, and the framework's floor."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from communication.api.views import CommunicationLogListView
from communication.audit.models import AuditEvent
from communication.audit.recording import record_event
from communication.envelope import success_envelope


class PlainPagination(PageNumberPagination):
    """DRF's PageNumberPagination: `queryset.count()` for the total and OFFSET for the page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        page, paginator = self.page, self.page.paginator
        pagination = {
            "page": page.number,
            "page_size": paginator.per_page,
            "total": paginator.count,
            "total_pages": paginator.num_pages,
            "has_next": page.has_next(),
            "has_prev": page.has_previous(),
        }
        return Response(success_envelope(items=data, total=paginator.count, pagination=pagination))


class PlainLogListView(CommunicationLogListView):
    """The product's view, same queryset, filters, serializer, audit and indexes, with DRF's paginator."""

    pagination_class = PlainPagination


class FloorView(APIView):
    """An authenticated, permission-checked DRF response that writes one audit event and reads nothing: the floor."""

    permission_classes = CommunicationLogListView.permission_classes

    def get(self, request):
        record_event(actor=request.user, action=AuditEvent.Action.LIST, status_code=200)
        return Response(success_envelope(items=[], total=0))
