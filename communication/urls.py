"""Routes of the logs API; the root URLconf mounts them ahead of Django's admin."""

from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from commlogs_site.views import api_not_found
from communication.docs import RedocView, SchemaView, SwaggerView
from communication.exports import CommunicationLogExportView
from communication.views import CommunicationLogListView, TokenView


class FaviconView(RedirectView):
    """`/favicon.ico`, asked for by browsers on pages that name no icon: the service's icon."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("communication/favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/communication/logs", CommunicationLogListView.as_view(), name="communication-logs"),
    path("admin/communication/logs/", CommunicationLogListView.as_view(), name="communication-logs-slash"),
    path("admin/communication/logs/export.csv", CommunicationLogExportView.as_view(), name="communication-logs-export"),
    re_path(r"^admin/communication/logs/.+$", api_not_found),
    path("api/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/auth/token", TokenView.as_view(), name="api-token-no-slash"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(), name="redoc"),
]
