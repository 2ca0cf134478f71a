"""The app's routes, ahead of Django's admin under `/admin/`: the API, the front door and the icon."""

from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView


class FaviconView(RedirectView):
    """`/favicon.ico`, asked for by browsers on pages that name no icon: the service's icon."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("communication/favicon.svg")


urlpatterns = [
    path("", include("communication.api.urls")),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("", TemplateView.as_view(template_name="front_door.html"), name="front-door"),
]
