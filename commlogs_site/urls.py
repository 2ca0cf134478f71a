"""Root URLs: the app's first, so the logs API wins over Django's admin under `/admin/`."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("communication.urls")),
    path("admin/", admin.site.urls),
]
