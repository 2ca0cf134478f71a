"""DRF's browsable API, taught the contract's envelope: its filter form and its page links."""

from django.template import loader
from rest_framework.pagination import _get_displayed_page_numbers, _get_page_links
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.utils.urls import remove_query_param, replace_query_param


class EnvelopePageControls:
    """Page links built from an envelope's `pagination`, in DRF's page-number look."""

    template = "rest_framework/pagination/numbers.html"

    def __init__(self, request, pagination):
        self.url = request.build_absolute_uri()
        self.page = pagination["page"]
        self.total_pages = pagination["total_pages"]

    def page_url(self, number):
        if number == 1:
            return remove_query_param(self.url, "page")
        return replace_query_param(self.url, "page", number)

    def to_html(self):
        current = min(self.page, self.total_pages)
        page_links = _get_page_links(_get_displayed_page_numbers(current, self.total_pages), current, self.page_url)
        context = {
            "previous_url": self.page_url(self.page - 1) if self.page > 1 else None,
            "next_url": self.page_url(self.page + 1) if self.page < self.total_pages else None,
            "page_links": page_links,
        }
        return loader.get_template(self.template).render(context)


class EnvelopeBrowsableAPIRenderer(BrowsableAPIRenderer):
    """The browsable page of a list shows its filter form (also beside a 400) and pages through the envelope."""

    def get_filter_form(self, data, view, request):
        if not isinstance(data, dict):
            return None
        if "items" in data:
            return super().get_filter_form(data["items"], view, request)
        if data.get("code") == 400:
            return super().get_filter_form([], view, request)
        return None

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        if isinstance(data, dict) and isinstance(data.get("pagination"), dict) and data["pagination"]["total_pages"]:
            context["paginator"] = EnvelopePageControls(renderer_context["request"], data["pagination"])
        return context
