"""Django's admin site, with its login form rate limited as the token endpoint is."""

import logging
import math

from django.contrib import admin

from commlogs_site.views import status_page
from communication.throttling import login_wait_seconds

logger = logging.getLogger("commlogs.security")


class CommlogsAdminSite(admin.AdminSite):
    """The admin, whose login counts each attempt per IP and per username on the token endpoint's counters.

    Without it the admin's form was a second door for a guessing script, with no limit at all, and
    alternating between the two doors would have doubled the rate the token endpoint allows.
    """

    def login(self, request, extra_context=None):
        if request.method == "POST":
            wait = login_wait_seconds(request)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                logger.warning("admin login attempt throttled")
                return status_page(
                    "Too many login attempts",
                    f"Too many login attempts from here or for this user. Retry in {seconds} seconds.",
                    status=429,
                    retry_after_seconds=seconds,
                )
        return super().login(request, extra_context)
