"""Every query parameter of the contract: what it matches, and the 400 for each bad value."""

import pytest
from django.http import QueryDict

from communication.api.filters import LogFilterSet
from tests.conftest import LOGS_URL, item_ids

pytestmark = pytest.mark.contract


def error_message(response):
    body = response.json()
    assert set(body) == {"code", "message", "timestamp"}
    assert body["code"] == response.status_code
    return body["message"]


@pytest.fixture
def varied_logs(make_log):
    return {
        "sms_delivered": make_log(channel="sms", status="delivered", user_id="usr_1", tenant_id="tnt_a"),
        "email_failed": make_log(
            channel="email",
            status="failed",
            user_id="usr_2",
            recipient="bob@example.com",
            provider="sendgrid",
            template_id="tpl_reset",
            error="550 Mailbox does not exist",
        ),
        "push_pending": make_log(
            channel="push", status="pending", user_id="usr_1", recipient="fcm:abcdefghijklmnop", provider="fcm"
        ),
        "sms_sent": make_log(channel="sms", status="sent", user_id="usr_3", tenant_id="tnt_b", provider="twilio"),
    }


def ids_of(varied_logs, *names):
    return [varied_logs[name].id for name in names]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"user_id": "usr_1"}, ["sms_delivered", "push_pending"]),
        ({"channel": "sms"}, ["sms_delivered", "sms_sent"]),
        ({"channel": "sms,email"}, ["sms_delivered", "email_failed", "sms_sent"]),
        ({"status": "failed"}, ["email_failed"]),
        ({"status": "pending,sent"}, ["push_pending", "sms_sent"]),
        ({"channel": "sms", "status": "sent"}, ["sms_sent"]),
        ({"user_id": "usr_1", "channel": "push", "status": "pending"}, ["push_pending"]),
        ({"tenant_id": "tnt_b"}, ["sms_sent"]),
        ({"template_id": "tpl_reset"}, ["email_failed"]),
        ({"provider": "fcm"}, ["push_pending"]),
        ({"recipient": "bob@example.com"}, ["email_failed"]),
        ({"recipient": "fcm:abcdefghijklmnop"}, ["push_pending"]),
    ],
)
def test_filter_matches_exactly_the_expected_logs(reader_client, varied_logs, params, expected):
    response = reader_client.get(LOGS_URL, params)
    assert response.status_code == 200
    assert item_ids(response) == ids_of(varied_logs, *expected)
    assert response.json()["total"] == len(expected)


def test_no_filter_returns_every_user(reader_client, varied_logs):
    assert reader_client.get(LOGS_URL).json()["total"] == 4


@pytest.mark.parametrize("name", ["user_id", "channel", "status", "tenant_id", "template_id", "provider", "recipient"])
def test_empty_value_means_the_parameter_was_not_given(reader_client, varied_logs, name):
    response = reader_client.get(f"{LOGS_URL}?{name}=")
    assert response.status_code == 200
    assert response.json()["total"] == 4


def test_unknown_parameters_are_ignored(reader_client, varied_logs):
    response = reader_client.get(LOGS_URL, {"colour": "blue", "sort": "x"})
    assert response.status_code == 200
    assert response.json()["total"] == 4


def test_user_id_match_is_exact_not_prefix_or_case_insensitive(reader_client, varied_logs):
    for value in ("usr_", "USR_1", "usr_1 x"):
        assert reader_client.get(LOGS_URL, {"user_id": value}).json()["total"] == 0


def test_recipient_filter_does_not_match_the_masked_form(reader_client, make_log):
    make_log(recipient="13800138000")
    assert reader_client.get(LOGS_URL, {"recipient": "138****8000"}).json()["total"] == 0
    assert reader_client.get(LOGS_URL, {"recipient": "13800138000"}).json()["total"] == 1


def test_percent_and_underscore_are_literal_not_wildcards(reader_client, make_log):
    make_log(user_id="usr_1")
    make_log(user_id="usrX1")
    for value in ("usr%", "usr_%", "%"):
        assert reader_client.get(LOGS_URL, {"user_id": value}).json()["total"] == 0
    assert reader_client.get(LOGS_URL, {"user_id": "usr_1"}).json()["total"] == 1


def test_unicode_values_match_exactly(reader_client, make_log):
    make_log(user_id="usr_日本語🙂")
    assert reader_client.get(LOGS_URL, {"user_id": "usr_日本語🙂"}).json()["total"] == 1
    assert reader_client.get(LOGS_URL, {"user_id": "usr_日本"}).json()["total"] == 0


def test_repeated_list_parameter_combines_like_a_comma_list(reader_client, varied_logs):
    response = reader_client.get(f"{LOGS_URL}?channel=push&channel=email")
    assert item_ids(response) == ids_of(varied_logs, "email_failed", "push_pending")


def test_repeated_single_parameter_uses_the_last_value(reader_client, varied_logs):
    response = reader_client.get(f"{LOGS_URL}?user_id=usr_1&user_id=usr_3")
    assert item_ids(response) == ids_of(varied_logs, "sms_sent")


def test_comma_list_skips_empty_items_and_spaces(reader_client, varied_logs):
    response = reader_client.get(LOGS_URL, {"channel": " push, ,email,"})
    assert item_ids(response) == ids_of(varied_logs, "email_failed", "push_pending")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"channel": "fax"}, "channel: must be one of sms, email, push"),
        ({"channel": "sms,fax"}, "channel: must be one of sms, email, push"),
        ({"channel": "SMS"}, "channel: must be one of sms, email, push"),
        ({"status": "done"}, "status: must be one of pending, sent, failed, delivered"),
        ({"status": "sent;delivered"}, "status: must be one of pending, sent, failed, delivered"),
        ({"user_id": "u" * 65}, "user_id: must be at most 64 characters"),
        ({"tenant_id": "t" * 65}, "tenant_id: must be at most 64 characters"),
        ({"template_id": "t" * 65}, "template_id: must be at most 64 characters"),
        ({"provider": "p" * 65}, "provider: must be at most 64 characters"),
        ({"recipient": "r" * 321}, "recipient: must be at most 320 characters"),
        ({"user_id": "usr\x00abc"}, "user_id: must not contain control characters"),
        ({"tenant_id": "tnt\nabc"}, "tenant_id: must not contain control characters"),
        ({"template_id": "tpl\x1b[31m"}, "template_id: must not contain control characters"),
        ({"provider": "ali\x7fyun"}, "provider: must not contain control characters"),
        ({"recipient": "138\x00"}, "recipient: must not contain control characters"),
        # Control characters that are also whitespace are refused, not trimmed away into "not given".
        ({"provider": "\x85"}, "provider: must not contain control characters"),
        ({"user_id": "\n"}, "user_id: must not contain control characters"),
        ({"recipient": "\talice@example.com"}, "recipient: must not contain control characters"),
        ({"channel": "\n"}, "channel: must be one of sms, email, push"),
        ({"status": "failed,\x85"}, "status: must be one of pending, sent, failed, delivered"),
        ({"user_id": "x" * 10_000}, "user_id: must be at most 64 characters"),
        ({"channel": "sms" * 5_000}, "channel: must be one of sms, email, push"),
    ],
)
def test_bad_filter_value_gives_400_naming_the_parameter(reader_client, db, params, message):
    response = reader_client.get(LOGS_URL, params)
    assert response.status_code == 400
    assert error_message(response) == message


def test_64_characters_and_320_character_recipient_are_accepted(reader_client, make_log):
    make_log(user_id="u" * 64, recipient="r" * 320)
    assert reader_client.get(LOGS_URL, {"user_id": "u" * 64, "recipient": "r" * 320}).json()["total"] == 1


class TestCreatedRange:
    @pytest.fixture
    def daily_logs(self, make_log):
        # BASE_TIME is 2026-04-15T10:00:00Z; one log a day at 10:00 from the 12th to the 15th.
        return {day: make_log(id=f"log_day{day}", minutes_ago=(15 - day) * 24 * 60) for day in (12, 13, 14, 15)}

    def test_created_after_is_inclusive(self, reader_client, daily_logs):
        response = reader_client.get(LOGS_URL, {"created_after": "2026-04-14T10:00:00Z"})
        assert item_ids(response) == ["log_day15", "log_day14"]

    def test_created_before_is_exclusive(self, reader_client, daily_logs):
        response = reader_client.get(LOGS_URL, {"created_before": "2026-04-14T10:00:00Z"})
        assert item_ids(response) == ["log_day13", "log_day12"]

    def test_date_only_means_midnight_utc(self, reader_client, daily_logs):
        response = reader_client.get(LOGS_URL, {"created_after": "2026-04-13", "created_before": "2026-04-15"})
        assert item_ids(response) == ["log_day14", "log_day13"]

    def test_offset_is_converted_to_utc(self, reader_client, daily_logs):
        # 18:00 at +08:00 is 10:00 UTC: inclusive of the 14th's log.
        response = reader_client.get(LOGS_URL, {"created_after": "2026-04-14T18:00:00+08:00"})
        assert item_ids(response) == ["log_day15", "log_day14"]

    def test_unencoded_plus_in_offset_is_still_understood(self, reader_client, daily_logs):
        response = reader_client.get(f"{LOGS_URL}?created_after=2026-04-14T18:00:00+08:00")
        assert item_ids(response) == ["log_day15", "log_day14"]

    def test_fractional_seconds_and_lowercase_z_are_accepted(self, reader_client, daily_logs):
        response = reader_client.get(LOGS_URL, {"created_after": "2026-04-14T09:59:59.5z"})
        assert item_ids(response) == ["log_day15", "log_day14"]

    def test_a_space_may_stand_between_date_and_time_as_rfc_3339_allows(self, reader_client, daily_logs):
        response = reader_client.get(LOGS_URL, {"created_after": "2026-04-14 10:00:00Z"})
        assert item_ids(response) == ["log_day15", "log_day14"]

    def test_inverted_range_is_empty_not_an_error(self, reader_client, daily_logs):
        response = reader_client.get(LOGS_URL, {"created_after": "2026-04-15", "created_before": "2026-04-13"})
        assert response.status_code == 200
        assert response.json()["total"] == 0

    @pytest.mark.parametrize(
        "value",
        [
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-04-15T25:00:00Z",
            "2026/04/15",
            "15-04-2026",
            "2026-04-15T10:00:00+99:00",
            "99999-01-01",
            "0000-01-01",
            "9999-12-31T23:59:59-23:59",
            "2026-04-15\x00",
            "\n",
            "2026-04-15\x85",
            "2" * 10_000,
            "2026-04-14T10:00:00",
            "2026-W49",
            "2026-W49-1",
            "20261130",
            "20261130T100000Z",
            "2026-334",
            "2026-11",
            "2026",
            "2026-11-30T10:00Z",
            "2026-11-30T10:00:00.Z",
            "2026-11-30T10:00:00+0800",
            "2026-11-30T10:00:00+08",
            "2026-11-30T10:00:00+08:60",
            "2026-11-30T10:00:60Z",
            "2026-11-30T24:00:00Z",
            "2026-11-30T10:00:00,5Z",
            "\uff12\uff10\uff12\uff16-\uff11\uff11-\uff13\uff10",
            "+2026-11-30",
        ],
    )
    @pytest.mark.parametrize("name", ["created_after", "created_before"])
    def test_unparseable_time_gives_400_naming_the_parameter(self, reader_client, db, name, value):
        response = reader_client.get(LOGS_URL, {name: value})
        assert response.status_code == 400
        assert error_message(response).startswith(f"{name}: must be an RFC 3339 time")

    def test_empty_created_range_is_ignored(self, reader_client, daily_logs):
        response = reader_client.get(f"{LOGS_URL}?created_after=&created_before=")
        assert response.json()["total"] == 4


def test_filter_forms_of_two_requests_keep_their_own_values():
    first = LogFilterSet(QueryDict("channel=sms&user_id=usr_1"))
    second = LogFilterSet(QueryDict("channel=email"))

    assert first.is_valid()
    assert second.is_valid()
    assert (first.form.cleaned_data["channel"], second.form.cleaned_data["channel"]) == (["sms"], ["email"])
    assert (first.form.cleaned_data["user_id"], second.form.cleaned_data["user_id"]) == ("usr_1", "")
    assert first.form.fields["channel"] is not second.form.fields["channel"]
