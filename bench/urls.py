"""Routes of the bench servers: the straightforward logs endpoint at the product's path, and the floor."""

from django.urls import path

from bench.views import FloorView, PlainLogListView

urlpatterns = [
    path("admin/communication/logs", PlainLogListView.as_view()),
    path("bench/floor", FloorView.as_view()),
]
