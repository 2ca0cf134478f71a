"""Root URLs: the logs API first, so it wins over Django's admin under `/admin/`."""

from django.contrib import admin
from django.urls import include, path, re_path

from commlogs_site.views import api_not_found, front_door

urlpatterns = [
    path("", include("communication.urls")),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("", front_door, name="front-door"),
]
