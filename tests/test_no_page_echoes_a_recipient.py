"""No page, whoever asks and whatever the query string holds, writes a recipient back in the clear: not in its
text, its links, its forms or its headers."""

from urllib.parse import quote

import pytest

from tests.conftest import ADMIN_LOGS_URL, AUDIT_ADMIN_URL, BROWSER_ACCEPT, EXPORT_URL, LOGS_URL, TOKEN_URL

PHONE = "+447911123456"
EMAIL = "alice@example.com"
PUSH_TOKEN = "fcm:v9DjwytQzGGdem0DuXAQyC:APA91bxmuG4uVH5WIrQRTrK1m9EBHY2jrMvTV"
PAGES = [
    "/",
    "/api/docs/",
    "/api/docs/?script=",
    "/api/redoc/",
    "/api/schema/",
    "/api/schema/?format=json",
    "/api/unknown/",
    TOKEN_URL,
    LOGS_URL,
    f"{LOGS_URL}/",
    EXPORT_URL,
    f"{LOGS_URL}/nothing-here",
    "/admin/",
    "/admin/login/",
    ADMIN_LOGS_URL,
    AUDIT_ADMIN_URL,
    "/admin/communication/apitoken/",
    "/admin/communication/",
    "/admin/auth/user/",
    "/admin/auth/group/",
]


def queries(value):
    names = ["recipient", "q", "next", "lang", "version", "format", "user_id", "provider", "unknown", "e", "o", "p"]
    return [{name: value} for name in names] + [{"recipient": value, "q": value, "next": f"/admin/?q={value}"}]


def written(value):
    return [value, quote(value), quote(value, safe=""), value.replace("@", "%40"), value.replace("+", "%2B")]


@pytest.fixture(params=["anonymous", "reader", "superuser"])
def visitor(request, client, make_user, make_log):
    make_log(recipient=PHONE)
    make_log(recipient=EMAIL, channel="email")
    make_log(recipient=PUSH_TOKEN, channel="push", provider="fcm")
    if request.param != "anonymous":
        client.force_login(
            make_user(request.param, staff=True, can_view_logs=True, superuser=request.param == "superuser")
        )
    return client


@pytest.mark.parametrize("value", [PHONE, EMAIL, PUSH_TOKEN, f"x{PHONE}"])
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "application/json"])
def test_no_page_writes_a_recipient_from_its_query_string_back(visitor, page, value, accept):
    for query in queries(value):
        response = visitor.get(page, query, HTTP_ACCEPT=accept, follow=True)
        assert response.status_code < 500, (page, query)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        shown = body.decode(errors="replace") + " ".join(
            value for name, value in response.items() if name != "Location"
        )
        leaks = [form for form in written(value) if form in shown]
        assert not leaks, (page, query, response.status_code)
