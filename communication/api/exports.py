"""Exports of logs: the staff CSV at `GET /admin/communication/logs/export.csv`, and one user's own data."""

import csv
import io
import json

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.status import is_success

from communication.api.schema import LOG_FILTER_PARAMETERS, access_errors, common_errors, documented_error
from communication.api.views import LogReadView, cap_statement_time
from communication.audit.models import AuditEvent
from communication.counts import count_logs

# Rows fetched per database round trip, and rows per chunk of the streamed response.
CHUNK_ROWS = 2000
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Without a byte-order mark, Excel opens UTF-8 as the local code page and garbles non-ASCII text.
UTF8_BOM = "\ufeff"
# OWASP's list of what starts a formula, with the other forms of `=`, `+`, `-` and `@` (full-width, small, minus).
FORMULA_TRIGGERS = set("=+-@\t\r\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\u2212")
# What a spreadsheet may skip before a formula, besides any Unicode space or line break: the invisible characters.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def spreadsheet_safe(value):
    """Prefix `'` to every cell a spreadsheet could run as a formula (OWASP CSV injection), even after spaces."""
    first = value.lstrip().lstrip(INVISIBLE).lstrip()[:1]
    return f"'{value}" if {value[:1], first} & FORMULA_TRIGGERS else value


def log_rows(queryset, serializer):
    """Each log as the serializer renders it in the API, read from the database a chunk at a time."""
    for log in queryset.iterator(chunk_size=CHUNK_ROWS):
        yield serializer.to_representation(log)


def without_statement_timeout(chunks, using):
    """Yield from `chunks` with no statement timeout: a streamed download must not stop halfway."""
    cap_statement_time(0, using)
    yield from chunks


def csv_chunks(rows, fields):
    """CSV text a chunk of rows at a time: a byte-order mark and the header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(fields)
    for number, row in enumerate(rows, start=1):
        writer.writerow([spreadsheet_safe(row[field]) for field in fields])
        if number % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_chunks(rows):
    """One JSON object a line, a chunk of rows at a time."""
    lines = []
    for row in rows:
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        if len(lines) == CHUNK_ROWS:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


class CommunicationLogExportView(LogReadView):
    """Staff download every log matching the list's filters as a masked CSV file."""

    audit_action = AuditEvent.Action.EXPORT
    # Rows matching the filters, counted for the cap and recorded in the audit event.
    export_total = None
    pagination_class = None
    # Errors are JSON envelopes; the CSV itself bypasses renderers as a streaming response.
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="communication_logs_export_csv",
        summary="Export the matching logs as CSV",
        description=(
            "Every log matching the filters of `GET /admin/communication/logs`, newest first, as a UTF-8 CSV "
            "(with a byte-order mark) and a header row of the fourteen item keys. Recipients are masked as in "
            "the API. Cells a spreadsheet would run as formulas start with `'`. Needs the same permission as the "
            "list; each export is recorded in the audit trail. More rows than the server's cap (setting "
            "`DJANGO_EXPORT_MAX_ROWS`) give a 400 asking to narrow the filters."
        ),
        tags=["Communication logs"],
        filters=True,
        parameters=LOG_FILTER_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(str, description="The CSV file, streamed."),
            400: documented_error(
                400,
                "A filter has a bad value, or more rows match than the cap; the message says which.",
                "123456 logs match, more than the export cap of 100000; narrow the filters",
            ),
            **access_errors(),
            **common_errors("GET, HEAD or OPTIONS"),
        },
    )
    def get(self, request, *args, **kwargs):
        logs = self.filter_queryset(self.get_queryset())
        self.export_total = count_logs(logs)
        if self.export_total > settings.EXPORT_MAX_ROWS:
            raise ValidationError(
                f"{self.export_total} logs match, more than the export cap of {settings.EXPORT_MAX_ROWS}; "
                "narrow the filters"
            )
        serializer = self.get_serializer()
        # Servers drain a HEAD response's body before dropping it: give them none to read from the database.
        content = (
            []
            if request.method == "HEAD"
            else without_statement_timeout(csv_chunks(log_rows(logs, serializer), serializer.Meta.fields), logs.db)
        )
        response = StreamingHttpResponse(content, content_type=CSV_CONTENT_TYPE)
        filename = f"communication-logs-{timezone.now():%Y%m%dT%H%M%SZ}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def get_audit_total(self, response):
        """The rows this export hands over: the count the cap was checked against."""
        return self.export_total if is_success(response.status_code) else None
