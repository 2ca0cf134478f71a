"""DRF's browsable API taught the contract's envelope: its page links, and a page that never shows a recipient."""

import copy

from django.http import QueryDict
from django.template import loader
from rest_framework.pagination import _get_displayed_page_numbers, _get_page_links
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from communication.masking import mask_personal_data, mask_recipient
from communication.models import RECIPIENT_REFERENCE


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
    """The browsable page shows a list's filter form (also beside a 400), its page links and no full recipient."""

    def get_filter_form(self, data, view, request):
        if not isinstance(data, dict) or getattr(view, "filterset_class", None) is None:
            return None
        if "items" in data:
            return super().get_filter_form(data["items"], view, request)
        if data.get("code") == 400:
            return super().get_filter_form([], view, request)
        return None

    def get_context(self, data, accepted_media_type, renderer_context):
        """DRF's context, with every link, button, form and line of the page built from the request as it may be
        shown."""
        shown = request_as_shown(renderer_context["request"], renderer_context.get("view"), data)
        context = super().get_context(data, accepted_media_type, {**renderer_context, "request": shown})
        if isinstance(data, dict) and isinstance(data.get("pagination"), dict) and data["pagination"]["total_pages"]:
            context["paginator"] = EnvelopePageControls(shown, data["pagination"])
        return context


def request_as_shown(request, view, data):
    """A copy of the request whose query string holds only what the view reads, with no recipient in it: a
    `recipient` becomes `recipient-of:<id of a log on the page>`, or masked when the page lists none, and a
    phone number or an address in any other value is masked."""
    known = set(getattr(getattr(view, "filterset_class", None), "base_filters", ()))
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        known |= {paginator.page_query_param, paginator.page_size_query_param}
    known.add(api_settings.URL_FORMAT_OVERRIDE)
    items = data.get("items") if isinstance(data, dict) else None
    query = QueryDict(mutable=True)
    for name, values in request.query_params.lists():
        if name in known:
            query.setlist(name, [shown_value(name, value, items) for value in values])
    http_request = copy.copy(request._request)
    http_request.GET = query
    http_request.META = {**http_request.META, "QUERY_STRING": query.urlencode(safe="*,:@")}
    shown = copy.copy(request)
    shown._request = http_request
    return shown


def shown_value(name, value, items):
    if name != "recipient" or value.startswith(RECIPIENT_REFERENCE):
        return mask_personal_data(value)
    return f"{RECIPIENT_REFERENCE}{items[0]['id']}" if items else mask_recipient(value)
