"""gunicorn for `make serve`: address and worker count come from its command line; logs are JSON lines."""

import gc

# commlogs.access writes one line per request without the query string, which can carry a recipient.
accesslog = None
# No cap on the request line (gunicorn's default is 4094 bytes), so a 10,000-character filter value reaches the
# API and gets its 400 naming the parameter instead of gunicorn's HTML 414; headers keep gunicorn's limits.
limit_request_line = 0
# Workers are recycled now and then, so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_lines": {"()": "commlogs_site.request_log.JsonLinesFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json_lines"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}


def post_worker_init(worker):
    """Answer what gunicorn refuses itself with the API's JSON envelope (commlogs_site/server_errors.py).

    Then put what the worker loaded in the collector's permanent generation: collections then walk only
    the objects of requests in flight, which saves about a tenth of a request's time (docs/performance.md).
    """
    from gunicorn import util

    from commlogs_site.server_errors import write_gunicorn_error

    util.write_error = write_gunicorn_error
    gc.freeze()
