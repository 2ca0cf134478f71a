"""Content negotiation that answers JSON rather than 406, and names a bad `format`."""

from django.http import Http404
from rest_framework.exceptions import NotAcceptable, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class JsonFallbackNegotiation(DefaultContentNegotiation):
    """Serve the first renderer (JSON) for an `Accept` header we cannot satisfy."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
        except Http404:
            formats = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise ValidationError({"format": [f"must be one of {formats}"]}) from None
