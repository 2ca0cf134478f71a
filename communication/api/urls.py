"""Routes of the logs API, its export, the token endpoint and the OpenAPI schema with its two viewers."""

from django.urls import path, re_path

from communication.api.docs import RedocView, SchemaView, SwaggerView
from communication.api.exports import CommunicationLogExportView
from communication.api.views import CommunicationLogListView, TokenView
from communication.errors import api_not_found

urlpatterns = [
    path("admin/communication/logs", CommunicationLogListView.as_view(), name="communication-logs"),
    path("admin/communication/logs/", CommunicationLogListView.as_view(), name="communication-logs-slash"),
    path("admin/communication/logs/export.csv", CommunicationLogExportView.as_view(), name="communication-logs-export"),
    re_path(r"^admin/communication/logs/.+$", api_not_found),
    path("api/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/auth/token", TokenView.as_view(), name="api-token-no-slash"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(), name="redoc"),
    re_path(r"^api/", api_not_found),
]
