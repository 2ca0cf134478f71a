"""Site-level views: the front door, the JSON answer for unknown API routes, and the pages of refusals."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from commlogs_site.envelope import error_response
from commlogs_site.errors import message_for_status


def api_not_found(request, *args, **kwargs):
    """An unknown route under the API answers the JSON envelope, never Django's HTML 404."""
    return error_response(404, message_for_status(404))


def front_door(request):
    """What someone who opens the service in a browser sees first."""
    return render(request, "front_door.html")


def status_page(title, message, *, status, retry_after_seconds):
    """A short HTML page saying why a page outside the API cannot be served, and when to retry."""
    page = render_to_string("status_page.html", {"title": title, "message": message})
    return HttpResponse(page, status=status, headers={"Retry-After": str(retry_after_seconds)})
