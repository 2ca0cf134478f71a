"""Root URLs: the logs API first, so it wins over Django's admin under `/admin/`."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from commlogs_site.views import api_not_found, front_door

urlpatterns = [
    path("", include("communication.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("", front_door, name="front-door"),
]
