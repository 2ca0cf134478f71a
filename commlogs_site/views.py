"""Site-level views: the front door and the JSON answer for unknown API routes."""

from django.shortcuts import render

from commlogs_site.envelope import error_response
from commlogs_site.errors import message_for_status


def api_not_found(request, *args, **kwargs):
    """An unknown route under the API answers the JSON envelope, never Django's HTML 404."""
    return error_response(404, message_for_status(404))


def front_door(request):
    """What someone who opens the service in a browser sees first."""
    return render(request, "front_door.html")
