"""No page, whoever asks and whatever the query string holds, writes a recipient back in the clear: not in its
text, its links, its forms or its headers."""

import json
from urllib.parse import quote

import pytest

from communication.audit.models import AuditEvent
from communication.masking import mask_recipient
from communication.tokens import token_to_hand_out
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
    forms = [value, quote(value), quote(value, safe=""), value.replace("@", "%40"), value.replace("+", "%2B")]
    return [*forms, json.dumps(value)[1:-1]]


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


@pytest.mark.parametrize("value", [PHONE, EMAIL, PUSH_TOKEN])
def test_no_object_page_writes_back_the_list_filters_it_came_from(client, make_user, make_log, value):
    log = make_log(recipient=PHONE)
    root = make_user("root", staff=True, superuser=True)
    client.force_login(root)
    client.get(ADMIN_LOGS_URL)
    event = AuditEvent.objects.first()
    token_to_hand_out(root)
    pages = [
        f"{ADMIN_LOGS_URL}{log.pk}/change/",
        f"{ADMIN_LOGS_URL}{log.pk}/history/",
        f"{AUDIT_ADMIN_URL}{event.pk}/change/",
        f"/admin/communication/apitoken/{root.pk}/change/",
        f"/admin/communication/apitoken/{root.pk}/delete/",
        f"/admin/auth/user/{root.pk}/change/",
        "/admin/auth/user/add/",
        "/admin/auth/group/add/",
    ]
    for page in pages:
        for filters in (f"q={value}", f"q={quote(value, safe='')}", f"provider={quote(value, safe='')}"):
            response = client.get(page, {"_changelist_filters": filters})
            shown = response.content.decode(errors="replace")
            assert response.status_code == 200, page
            assert not [form for form in written(value) if form in shown], (page, filters)


def test_a_login_form_posted_with_a_recipient_in_next_writes_it_back_nowhere(client, make_user):
    make_user("reader", staff=True, can_view_logs=True)
    next_page = f"{ADMIN_LOGS_URL}?q={PHONE}"
    for password in ("wrong", "correct-horse-battery"):
        response = client.post("/admin/login/", {"username": "reader", "password": password, "next": next_page})
        shown = response.content.decode() + response.get("Location", "")
        assert not [form for form in written(PHONE) if form in shown], password


# An opaque device token whose backslashes a regular expression's replacement would read as group references.
BACKSLASHED_TOKEN = r"node\c7\1f9a2b3c4d5e"


@pytest.mark.parametrize("recipient", [PHONE, EMAIL, PUSH_TOKEN, BACKSLASHED_TOKEN])
def test_a_logs_own_recipient_in_its_text_is_masked_wherever_the_log_is_shown(
    make_log, reader_client, admin_reader, recipient
):
    log = make_log(
        recipient=recipient,
        content=f"Sent to {recipient}",
        error=f"{recipient.upper()} unreachable",
        response=json.dumps({"to": recipient}),
    )
    pages = [
        reader_client.get(LOGS_URL),
        reader_client.get(LOGS_URL, HTTP_ACCEPT=BROWSER_ACCEPT),
        reader_client.get(EXPORT_URL),
        admin_reader.get(ADMIN_LOGS_URL),
        admin_reader.get(f"{ADMIN_LOGS_URL}{log.pk}/change/"),
    ]

    for response in pages:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        shown = body.decode().lower()
        assert response.status_code == 200
        assert not [form for form in written(recipient.lower()) if form in shown]
    assert reader_client.get(LOGS_URL).json()["items"][0]["content"] == f"Sent to {mask_recipient(recipient)}"
