"""The OpenAPI schema at `/api/schema/` and its two viewers, Swagger UI and Redoc, served from local assets."""

from django.http import QueryDict
from django.urls import reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView


class DocsReadOnlyTheirOwnParameters:
    """The schema and its viewers read only `read_parameters` of their query string (no `lang`, no `version`:
    there is one of each), so nothing else typed into their URL is ever written into a page; GET and HEAD only."""

    http_method_names = ["get", "head"]
    read_parameters = ()

    def initial(self, request, *args, **kwargs):
        kept = QueryDict(mutable=True)
        for name in self.read_parameters:
            if name in request._request.GET:
                kept.setlist(name, request._request.GET.getlist(name))
        request._request.GET = kept
        request._request.META["QUERY_STRING"] = kept.urlencode()
        super().initial(request, *args, **kwargs)


class SchemaView(DocsReadOnlyTheirOwnParameters, SpectacularAPIView):
    """The OpenAPI schema, YAML or `?format=json`."""

    read_parameters = ("format",)


class SwaggerView(DocsReadOnlyTheirOwnParameters, SpectacularSwaggerSplitView):
    """Swagger UI; its script comes from the same URL with `?script`."""

    read_parameters = ("script",)
    url_name = "schema"
    url_self = reverse_lazy("swagger-ui")


class RedocView(DocsReadOnlyTheirOwnParameters, SpectacularRedocView):
    """Redoc."""

    url_name = "schema"
