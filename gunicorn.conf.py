"""gunicorn for `make serve`, behind nginx (deploy/nginx.conf): address and worker count come from its command line."""

# Django logs one line per request (commlogs.access), without the query string, which can carry a recipient.
accesslog = None
# nginx refuses a request line over 4 KiB before it gets here; gunicorn's own cap is a second line of defence.
limit_request_line = 8190
# A request nginx has read whole takes this long at most; a worker stuck longer is replaced.
timeout = 30
# Workers are recycled now and then, so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_lines": {"()": "communication.log_lines.JsonLinesFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json_lines"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
