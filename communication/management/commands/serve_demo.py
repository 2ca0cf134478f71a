"""`manage.py serve_demo` (what `make run` serves): runserver, but the errors the server answers itself are JSON.

Django's development server refuses a request line over 64 KiB, or one it cannot parse, with an HTML
page before the request reaches the API. Here those come as the API's `{code, message, timestamp}`.
"""

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from commlogs_site.server_errors import refusal_body


class JSONErrorRequestHandler(WSGIRequestHandler):
    def send_error(self, code, message=None, explain=None):
        # As the stock handler does; Django's log_message reads the message's first character.
        message = message or self.responses.get(code, ("error",))[0]
        self.log_error("code %d, message %s", code, message)
        body = refusal_body(code)
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(body)


class JSONErrorServer(WSGIServer):
    """runserver's server with JSONErrorRequestHandler, whichever handler it is given."""

    def __init__(self, server_address, request_handler_class, *args, **kwargs):
        super().__init__(server_address, JSONErrorRequestHandler, *args, **kwargs)


class Command(RunserverCommand):
    help = "Serve the demo as runserver does, with JSON for the errors the server answers itself."
    server_cls = JSONErrorServer
