"""What a server answers itself, before a request reaches Django, as the API's JSON envelope.

gunicorn and the development server refuse a request line or header they cannot read (a NUL byte in a
header, raw non-UTF-8 bytes in the line, a line over the demo's 64 KiB) with an HTML page of their own.
Clients of a JSON API get the envelope instead. The server's own explanation is not sent: it quotes the
request line, which can carry a recipient.
"""

from gunicorn import util

from commlogs_site.envelope import error_body
from commlogs_site.errors import message_for_status

REFUSAL_MESSAGES = {
    400: "bad request: the request line or a header could not be read",
    431: "request headers too large",
}


def refusal_message(status_code):
    return REFUSAL_MESSAGES.get(status_code) or message_for_status(status_code)


def refusal_body(status_code):
    """The JSON body of a refusal with `status_code`, as bytes."""
    return error_body(status_code, refusal_message(status_code))


def write_gunicorn_error(sock, status_int, reason, mesg):
    """gunicorn's `util.write_error`, writing the envelope instead of its HTML page."""
    body = refusal_body(status_int)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
