"""Reads that record themselves in the audit trail, in the API and in the admin, and fail closed."""

from django.core.exceptions import PermissionDenied
from rest_framework import status
from rest_framework.status import is_success

from communication.audit.models import AuditEvent
from communication.audit.recording import found_database_unreachable, masked_filters, recorded_or_refused
from communication.errors import ServiceUnavailable, error_response

AUDIT_UNAVAILABLE_MESSAGE = "the read could not be recorded in the audit trail; retry later"


class AuditedReadMixin:
    """Record an audit event for every request to a DRF view, allowed or denied; refuse a read it cannot record.

    The event is written after the response is decided, so it knows the status and the total. If that write
    fails for a successful read, the reader gets a 503 instead of unaudited personal data.
    """

    # What the audit trail calls a request to this view.
    audit_action = AuditEvent.Action.LIST

    def get_audit_filter_names(self):
        """The query parameters worth recording: the filters and the paging."""
        names = list(self.filterset_class.base_filters) if getattr(self, "filterset_class", None) else []
        if getattr(self, "paginator", None) is not None:
            names += [self.paginator.page_query_param, self.paginator.page_size_query_param]
        return names

    def get_audit_total(self, response):
        """The rows this response handed over: the list's `total`; None when it handed over none."""
        data = getattr(response, "data", None)
        return data.get("total") if is_success(response.status_code) and isinstance(data, dict) else None

    def finalize_response(self, request, response, *args, **kwargs):
        if not found_database_unreachable(response):
            recorded = recorded_or_refused(
                request,
                action=self.audit_action,
                status_code=response.status_code,
                filters=masked_filters(request.query_params, self.get_audit_filter_names()),
                total=self.get_audit_total(response),
            )
            if not recorded:
                response = self.handle_exception(ServiceUnavailable(AUDIT_UNAVAILABLE_MESSAGE))
        return super().finalize_response(request, response, *args, **kwargs)


def audited_admin_read(request, action, read, describe):
    """Run `read()`, an admin page that shows objects, and record it: `describe(response)` gives (filters, total).

    Fail-closed as the API is: a page that cannot be recorded is answered with a 503 instead. The admin's
    pages are TemplateResponses, rendered after the view returns, so none of its rows leave. A staff member
    without the view permission is recorded with the 403 they get.
    """
    try:
        response = read()
    except PermissionDenied:
        recorded_or_refused(request, action=action, status_code=403, filters=describe(None)[0], total=None)
        raise
    filters, total = describe(response)
    if recorded_or_refused(request, action=action, status_code=response.status_code, filters=filters, total=total):
        return response
    return error_response(request, status.HTTP_503_SERVICE_UNAVAILABLE, AUDIT_UNAVAILABLE_MESSAGE)
