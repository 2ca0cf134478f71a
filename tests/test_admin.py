"""The Django admin of communication logs: read-only, permission-bound, masked everywhere, no full-table count."""

import re

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from bench.admin_pages import Refused, measure_admin_pages
from communication.audit.admin import CappedCountPaginator
from tests.conftest import ADMIN_LOGS_URL, FULL_PHONE, MASKED_PHONE


def detail_url(log):
    return f"{ADMIN_LOGS_URL}{log.pk}/change/"


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user("root", staff=True, superuser=True))
    return client


def listed_ids(response):
    return [log.pk for log in response.context["cl"].result_list]


def visible_text(response):
    return " ".join(strip_tags(response.content.decode()).split())


def test_staff_with_view_permission_sees_the_log_list_newest_first(admin_reader, make_log):
    older, newer = make_log(minutes_ago=10), make_log(minutes_ago=1)
    response = admin_reader.get(ADMIN_LOGS_URL)
    assert response.status_code == 200
    assert listed_ids(response) == [newer.pk, older.pk]


def test_list_shows_the_issue_columns_and_only_created_time_sorts(admin_reader, make_log):
    make_log(content="x" * 200)
    response = admin_reader.get(ADMIN_LOGS_URL)
    headers = list(result_headers(response.context["cl"]))
    assert [str(header["text"]) for header in headers] == [
        "created (UTC)",
        "user id",
        "channel",
        "status",
        "recipient",
        "provider",
        "template id",
        "tenant id",
        "content",
    ]
    assert [str(header["text"]) for header in headers if header["sortable"]] == ["created (UTC)"]
    assert "x" * 39 + "…" in visible_text(response)
    assert "x" * 40 not in visible_text(response)


def test_the_detail_shows_the_whole_content(admin_reader, make_log):
    log = make_log(content="x" * 200)
    assert "x" * 200 in visible_text(admin_reader.get(detail_url(log)))


def test_times_are_written_to_the_second_and_said_to_be_utc(admin_reader, make_log):
    log = make_log()
    assert "2026-04-15 09:59:00" in visible_text(admin_reader.get(ADMIN_LOGS_URL))
    assert "Created (UTC): 2026-04-15 09:59:00" in visible_text(admin_reader.get(detail_url(log)))


def test_list_has_fifty_rows_a_page(admin_reader, make_log):
    for _ in range(51):
        make_log()
    assert len(admin_reader.get(ADMIN_LOGS_URL).context["cl"].result_list) == 50
    assert len(admin_reader.get(ADMIN_LOGS_URL, {"p": 2}).context["cl"].result_list) == 1


def test_staff_without_view_permission_gets_403(client, make_user, make_log):
    client.force_login(make_user("clerk", staff=True))
    log = make_log()
    assert client.get(ADMIN_LOGS_URL).status_code == 403
    assert client.get(detail_url(log)).status_code == 403


def test_non_staff_is_sent_to_the_admin_login(client, make_user):
    client.force_login(make_user("customer", can_view_logs=True))
    response = client.get(ADMIN_LOGS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_nobody_can_add_change_or_delete_a_log_not_even_a_superuser(superuser_client, make_log):
    log = make_log()
    assert superuser_client.get(f"{ADMIN_LOGS_URL}add/").status_code == 403
    assert superuser_client.get(f"{detail_url(log)}".replace("change", "delete")).status_code == 403
    superuser_client.post(detail_url(log), {"status": "failed", "recipient": "evil@example.com"})
    log.refresh_from_db()
    assert (log.status, log.recipient) == ("delivered", FULL_PHONE)
    list_page = superuser_client.get(ADMIN_LOGS_URL).content.decode()
    assert f'href="{ADMIN_LOGS_URL}add/"' not in list_page
    assert 'name="action"' not in list_page


def test_list_shows_the_recipient_masked(admin_reader, make_log):
    make_log(recipient=FULL_PHONE)
    make_log(recipient="alice@example.com", channel="email")
    page = admin_reader.get(ADMIN_LOGS_URL).content.decode()
    assert MASKED_PHONE in page
    assert "a***@example.com" in page
    assert FULL_PHONE not in page
    assert "alice@example.com" not in page


def test_detail_shows_every_field_with_the_recipient_masked(admin_reader, make_log):
    log = make_log(recipient=FULL_PHONE)
    response = admin_reader.get(detail_url(log))
    page = response.content.decode()
    text = visible_text(response)
    for label in (
        "Id",
        "Created (UTC)",
        "Updated (UTC)",
        "Sent (UTC)",
        "Tenant id",
        "User id",
        "Channel",
        "Provider",
        "Template id",
        "Recipient",
        "Status",
        "Error",
        "Content",
        "Response",
    ):
        assert f"{label}:" in text, label
    assert MASKED_PHONE in page
    assert FULL_PHONE not in page
    assert not re.search(r"<(textarea|select)|<input(?![^>]*(hidden|submit))", page.split('id="content-main"')[1])


def test_detail_pretty_prints_a_json_response(admin_reader, make_log):
    log = make_log(response='{"BizId":"900619746936498440^0","Code":"OK"}')
    page = admin_reader.get(detail_url(log)).content.decode()
    assert (
        "<pre>{\n  &quot;BizId&quot;: &quot;900619746936498440^0&quot;,\n  &quot;Code&quot;: &quot;OK&quot;\n}</pre>"
        in page
    )


def test_detail_shows_a_non_json_response_as_it_is(admin_reader, make_log):
    log = make_log(response="250 OK queued as 4F2A1")
    assert "250 OK queued as 4F2A1" in visible_text(admin_reader.get(detail_url(log)))


def test_detail_shows_the_error_of_a_failed_row(admin_reader, make_log):
    log = make_log(status="failed", error="isv.MOBILE_NUMBER_ILLEGAL", sent_at=None, response="")
    assert "isv.MOBILE_NUMBER_ILLEGAL" in visible_text(admin_reader.get(detail_url(log)))


def test_history_shows_the_recipient_masked(admin_reader, make_log):
    log = make_log(recipient=FULL_PHONE)
    response = admin_reader.get(f"{ADMIN_LOGS_URL}{log.pk}/history/")
    assert response.status_code == 200
    assert MASKED_PHONE in response.content.decode()
    assert FULL_PHONE not in response.content.decode()


def test_search_by_full_recipient_finds_the_row_and_never_shows_it(admin_reader, make_log):
    match = make_log(recipient=FULL_PHONE, user_id="usr_match")
    make_log(recipient="13900139000", user_id="usr_other")
    response = admin_reader.get(ADMIN_LOGS_URL, {"q": FULL_PHONE, "channel__exact": "sms"}, follow=True)
    assert FULL_PHONE not in response.redirect_chain[0][0]
    assert listed_ids(response) == [match.pk]
    page = response.content.decode()
    assert FULL_PHONE not in page
    assert f"1 result for “{MASKED_PHONE}”" in visible_text(response)


def test_search_by_full_email_finds_the_row(admin_reader, make_log):
    match = make_log(recipient="alice@example.com", channel="email")
    make_log(recipient="bob@example.com", channel="email")
    response = admin_reader.get(ADMIN_LOGS_URL, {"q": " alice@example.com "}, follow=True)
    assert listed_ids(response) == [match.pk]
    assert "alice@example.com" not in response.content.decode()


def test_search_by_part_of_a_recipient_finds_nothing(admin_reader, make_log):
    make_log(recipient=FULL_PHONE)
    response = admin_reader.get(ADMIN_LOGS_URL, {"q": "8000"})
    assert listed_ids(response) == []
    assert "0 results for “****”" in visible_text(response)


def test_search_by_exact_user_id_or_log_id_finds_and_echoes_it(admin_reader, make_log):
    first = make_log(user_id="usr_abc123")
    second = make_log(user_id="usr_abc123")
    make_log(user_id="usr_abc1234")
    by_user = admin_reader.get(ADMIN_LOGS_URL, {"q": "usr_abc123"})
    assert listed_ids(by_user) == [first.pk, second.pk]
    assert "2 results for “usr_abc123”" in visible_text(by_user)
    assert listed_ids(admin_reader.get(ADMIN_LOGS_URL, {"q": second.pk})) == [second.pk]


def test_search_by_recipient_is_not_redirected_for_staff_without_permission(client, make_user, make_log):
    client.force_login(make_user("clerk", staff=True))
    make_log(recipient=FULL_PHONE)
    assert client.get(ADMIN_LOGS_URL, {"q": FULL_PHONE}).status_code == 403


def test_filters_by_channel_status_and_provider(admin_reader, make_log):
    sms = make_log(channel="sms", provider="aliyun")
    email = make_log(channel="email", provider="sendgrid", recipient="alice@example.com")
    failed = make_log(channel="sms", provider="twilio", status="failed", error="Send timeout")
    assert listed_ids(admin_reader.get(ADMIN_LOGS_URL, {"channel__exact": "email"})) == [email.pk]
    assert listed_ids(admin_reader.get(ADMIN_LOGS_URL, {"status__exact": "failed"})) == [failed.pk]
    assert listed_ids(admin_reader.get(ADMIN_LOGS_URL, {"provider": "aliyun"})) == [sms.pk]


def test_provider_filter_lists_each_stored_provider_once(admin_reader, make_log):
    for provider in ("twilio", "aliyun", "twilio", "sendgrid"):
        make_log(provider=provider)
    provider_filter = next(
        spec for spec in admin_reader.get(ADMIN_LOGS_URL).context["cl"].filter_specs if spec.title == "provider"
    )
    assert [value for value, _ in provider_filter.lookup_choices] == ["aliyun", "sendgrid", "twilio"]


def test_list_page_runs_no_count_over_the_whole_table(admin_reader, make_log):
    for _ in range(3):
        make_log()
    with CaptureQueriesContext(connection) as queries:
        response = admin_reader.get(ADMIN_LOGS_URL)
    assert response.status_code == 200
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert counts, "the capped count should be there"
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_more_rows_than_the_count_limit_are_labelled_more_than(admin_reader, make_log, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "count_limit", 3)
    for _ in range(5):
        make_log()
    response = admin_reader.get(ADMIN_LOGS_URL)
    assert "more than 3 communication logs" in visible_text(response)


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"provider": "a\x00"}, {"channel__exact": "\x00"}, {"q": "\x07x"}])
def test_control_characters_in_the_query_string_give_the_admin_error_page_not_a_500(admin_reader, make_log, params):
    make_log()
    response = admin_reader.get(ADMIN_LOGS_URL, params)
    assert (response.status_code, response["Location"]) == (302, f"{ADMIN_LOGS_URL}?e=1")


def test_unknown_or_nul_log_id_in_a_detail_url_is_not_found_not_a_500(admin_reader, make_log):
    make_log()
    for path in ("log_%00/change/", "log_%00/history/", "log_unknown/change/"):
        response = admin_reader.get(f"{ADMIN_LOGS_URL}{path}")
        assert (response.status_code, response["Location"]) == (302, "/admin/"), path


def test_measure_admin_pages_times_every_admin_page(staff_reader, make_log):
    make_log()
    lines = []
    measure_admin_pages(staff_reader.username, 1, lines.append)

    assert lines[0].startswith("1 logs on ")
    assert [line.split("  ")[1].strip() for line in lines[1:]] == [
        "list, page 1",
        "list, page 100",
        "filter channel=email",
        "filter status=failed",
        "filter provider=aliyun",
        "search exact user_id",
        "search full recipient",
        "detail page",
    ]


def test_measure_admin_pages_refuses_a_user_who_cannot_view_logs(make_user):
    make_user("clerk", staff=True)
    with pytest.raises(Refused, match="clerk is not an active staff user with the view permission"):
        measure_admin_pages("clerk", 1, print)
