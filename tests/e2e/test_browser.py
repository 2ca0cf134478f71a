"""What staff do in a real browser: the admin, the browsable API and Swagger UI, end to end."""

import json
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from communication.models import CommunicationLog
from tests.conftest import FULL_PHONE, MASKED_PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff_reader():
    user = User.objects.create_user("reader", password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_communicationlog"))
    return user


@pytest.fixture
def logs():
    """An SMS and an email for usr_alice, and an SMS for usr_bob, newest first in that order."""
    now = timezone.now().replace(microsecond=0)
    rows = [
        ("usr_alice", "sms", FULL_PHONE, "aliyun"),
        ("usr_alice", "email", "alice@example.com", "sendgrid"),
        ("usr_bob", "sms", "13900139000", "twilio"),
    ]
    return [
        CommunicationLog.objects.create(
            user_id=user_id,
            channel=channel,
            recipient=recipient,
            provider=provider,
            tenant_id="tnt_xyz789",
            template_id="tpl_login_code",
            content="Your verification code is 123456",
            status="delivered",
            response='{"BizId":"900619746936498440^0"}',
            sent_at=now - timedelta(minutes=number),
            created_at=now - timedelta(minutes=number),
        )
        for number, (user_id, channel, recipient, provider) in enumerate(rows, start=1)
    ]


def requests_sent_to_other_sites(page, live_server):
    """The URLs the tab tries to load from any site but the live server from now on.

    Each is listed and aborted, so nothing leaves the machine; blob: and data: URLs stay in the page.
    A load that the Content-Security-Policy blocks never gets this far.
    """
    live_host = urlparse(live_server.url).netloc
    sent = []

    def is_outside(url):
        parsed = urlparse(url)
        return parsed.scheme in ("http", "https") and parsed.netloc != live_host

    page.route(is_outside, lambda route: sent.append(route.request.url) or route.abort())
    return sent


def log_in_to_admin(page, next_path):
    page.goto(f"/admin/login/?next={next_path}")
    page.fill("#id_username", "reader")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_path)))


def listed_user_ids(page):
    return page.locator("#result_list tbody td.field-user_id").all_inner_texts()


def test_staff_finds_a_log_in_the_admin_and_sees_the_recipient_masked(page, staff_reader, logs):
    log_in_to_admin(page, "/admin/communication/communicationlog/")
    assert listed_user_ids(page) == ["usr_alice", "usr_alice", "usr_bob"]

    page.locator("#changelist-filter").get_by_role("link", name="SMS").click()
    page.wait_for_url(re.compile(r"channel__exact=sms"))
    assert page.locator("#result_list tbody td.field-channel").all_inner_texts() == ["SMS", "SMS"]

    page.fill("#searchbar", "usr_alice")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"q=usr_alice"))
    assert listed_user_ids(page) == ["usr_alice"]
    assert page.locator("#result_list tbody td.field-masked_recipient").inner_text() == MASKED_PHONE

    page.locator("#result_list tbody th a").first.click()
    page.wait_for_url(re.compile(rf"/{re.escape(quote(logs[0].pk))}/change/"))
    assert page.locator(".field-masked_recipient .readonly").inner_text() == MASKED_PHONE
    assert FULL_PHONE not in page.content()


def test_admin_search_by_full_recipient_never_shows_it(page, staff_reader, logs):
    log_in_to_admin(page, "/admin/communication/communicationlog/")
    page.fill("#searchbar", FULL_PHONE)
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"q=recipient-of"))
    assert FULL_PHONE not in page.url
    assert listed_user_ids(page) == ["usr_alice"]
    assert page.locator("#search-summary").inner_text().startswith(f"1 result for “{MASKED_PHONE}”")
    assert FULL_PHONE not in page.content()


def test_browsable_api_filters_through_its_form(page, staff_reader, logs):
    log_in_to_admin(page, "/admin/communication/logs")
    assert "138****8000" in page.locator(".response-info").inner_text()

    page.get_by_role("button", name="Filters").click()
    page.locator("#log-filters input[name=channel][value=email]").check()
    page.locator("#log-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"channel=email"))

    body = json.loads(page.locator(".response-info pre").inner_text().split("\n\n", 1)[1])
    assert [(item["user_id"], item["channel"], item["recipient"]) for item in body["items"]] == [
        ("usr_alice", "email", "a***@example.com")
    ]
    assert body["pagination"] == {
        "page": 1,
        "page_size": 20,
        "total": 1,
        "total_pages": 1,
        "has_next": False,
        "has_prev": False,
    }


def test_swagger_ui_authorizes_with_a_token_and_tries_the_endpoint(page, staff_reader, logs, live_server):
    token = Token.objects.create(user=staff_reader)
    outside_requests = requests_sent_to_other_sites(page, live_server)

    page.goto("/api/docs/")
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    bearer = page.locator(".auth-container").filter(has_text="bearerAuth")
    bearer.locator("input").fill(token.key)
    bearer.locator("button.authorize").click()
    bearer.locator("button.btn-done").click()

    operation = page.locator("#operations-Communication_logs-admin_communication_logs_list")
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("tr[data-param-name=channel] select").select_option(["sms"])
    operation.get_by_role("button", name="Execute").click()

    live_response = operation.locator(".live-responses-table .response")
    assert live_response.locator(".response-col_status").inner_text().strip() == "200"
    body = json.loads(live_response.locator(".response-col_description pre").first.inner_text())
    assert (body["code"], body["message"], body["total"]) == (0, "success", 2)
    assert [(item["channel"], item["recipient"]) for item in body["items"]] == [
        ("sms", MASKED_PHONE),
        ("sms", "139****9000"),
    ]
    assert outside_requests == []


def test_front_door_links_to_the_admin_the_api_and_the_docs(page):
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "commlogs"
    for name, path in [
        ("Django admin", "/admin/"),
        ("Logs API", "/admin/communication/logs"),
        ("API documentation", "/api/docs/"),
        ("Redoc", "/api/redoc/"),
        ("OpenAPI schema", "/api/schema/"),
    ]:
        assert page.get_by_role("link", name=name).get_attribute("href") == path


def test_redoc_shows_the_logs_operation_and_sends_nothing_to_other_sites(page, live_server):
    sent_outside = requests_sent_to_other_sites(page, live_server)

    page.goto("/api/redoc/")

    page.get_by_role("heading", name=re.compile("communication logs", re.IGNORECASE)).first.wait_for()
    assert page.get_by_text("page_size", exact=True).first.is_visible()
    assert sent_outside == []


def test_compliance_finds_who_read_a_users_logs_in_the_audit_trail(page, staff_reader, logs, make_user):
    make_user("compliance", staff=True, superuser=True)
    log_in_to_admin(page, "/admin/communication/communicationlog/")
    page.fill("#searchbar", "usr_alice")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"q=usr_alice"))
    page.locator("#result_list tbody th a").first.click()
    page.wait_for_url(re.compile(r"/change/"))
    page.context.clear_cookies()

    page.goto("/admin/login/?next=/admin/communication/auditevent/")
    page.fill("#id_username", "compliance")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/communication/auditevent/"))
    page.fill("#searchbar", "user:usr_alice")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"q=user"))

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert rows.locator("td.field-action").all_inner_texts() == ["View a log in the admin", "List logs in the admin"]
    assert rows.locator("td.field-actor_username").all_inner_texts() == ["reader", "reader"]
    assert FULL_PHONE not in page.content()


def test_compliance_sees_the_logins_and_its_own_looks_at_the_trail(page, make_user):
    make_user("compliance", staff=True, superuser=True)
    page.goto("/admin/login/?next=/admin/communication/auditevent/")
    page.fill("#id_username", "compliance")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    page.locator(".errornote").wait_for()
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/communication/auditevent/"))

    page.locator('#changelist-filter a[href="?action__exact=login"]').click()
    page.wait_for_url(re.compile(r"action__exact=login"))
    logins = page.locator("#result_list tbody tr")
    assert logins.locator("td.field-actor_username").all_inner_texts() == ["compliance", "compliance"]
    assert logins.locator("td.field-status_code").all_inner_texts() == ["200", "400"]

    page.locator('#changelist-filter a[href="?action__exact=audit_list"]').click()
    page.wait_for_url(re.compile(r"action__exact=audit_list"))
    looks = page.locator("#result_list tbody tr td.field-filters").all_inner_texts()
    assert looks == ['{"action__exact": "login"}', "-"]


@pytest.fixture
def fifty_long_logs():
    now = timezone.now().replace(microsecond=0)
    CommunicationLog.objects.bulk_create(
        CommunicationLog(
            id=f"log_{number:020x}",
            user_id=f"usr_{number:012d}",
            tenant_id="tnt_enterprise_customer_01",
            template_id="tpl_password_reset_reminder",
            channel="email",
            provider="sendgrid",
            recipient=f"someone.with.a.long.name{number}@example-company.com",
            content="Hello, here is the long message body of a password reset email. " * 8,
            status="delivered",
            created_at=now - timedelta(minutes=number),
        )
        for number in range(50)
    )


def test_a_page_of_fifty_logs_fits_a_1400_pixel_screen_one_line_a_log(page, staff_reader, fifty_long_logs):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_to_admin(page, "/admin/communication/communicationlog/")

    width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    row_heights = page.locator("#result_list tbody tr").evaluate_all("rows => rows.map(row => row.offsetHeight)")

    assert width <= 1400
    assert len(row_heights) == 50
    assert max(row_heights) < 40
    assert height < 2600
    assert page.locator("#site-name").inner_text() == "commlogs"
    assert "(UTC)" in page.locator("#result_list thead").inner_text()


def test_every_page_names_an_icon_the_server_serves(page, staff_reader, live_server):
    log_in_to_admin(page, "/admin/")
    for path in ["/admin/", "/admin/communication/logs", "/api/redoc/", "/"]:
        page.goto(path)
        icon = page.locator("link[rel=icon]").first.get_attribute("href")
        assert page.request.get(icon).status == 200, path
    assert page.request.get("/favicon.ico").status == 200
