"""CONTRACT.md's masking table, row by row, plus the edges between rows."""

import pytest

from communication.masking import mask_recipient
from tests.conftest import LOGS_URL

pytestmark = pytest.mark.contract


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "+86****8000"),
        ("12345678", "123****5678"),
        ("alice@example.com", "a***@example.com"),
        ("a@x.io", "a***@x.io"),
        ("fcm:d9YxAbCdEfQm2", "fcm:****fQm2"),
        ("abcdefghijkl", "abcd****ijkl"),
        ("abcdefghijk", "****"),
        ("10086", "****"),
        ("1234567", "****"),
        ("", ""),
    ],
)
def test_recipient_is_masked_per_contract_table(stored, shown):
    assert mask_recipient(stored) == shown


def test_eight_dashes_without_digits_is_not_a_phone_number():
    assert mask_recipient("--------") == "****"


def test_address_with_two_at_signs_is_masked_as_opaque_token():
    assert mask_recipient("a@b@example.com") == "a@b@****.com"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("13800138000", "138****8000"), ("alice@example.com", "a***@example.com"), ("10086", "****")],
)
def test_api_shows_only_the_masked_recipient(reader_client, make_log, stored, shown):
    make_log(recipient=stored)
    response = reader_client.get(LOGS_URL)
    assert response.json()["items"][0]["recipient"] == shown
    assert stored.encode() not in response.content


def test_push_token_is_masked_in_the_api(reader_client, make_log):
    token = "fcm:d9YxP0aQ3zLk8sVn2Tq7WmB1cR5uE6oQm2"
    make_log(channel="push", provider="fcm", recipient=token)
    assert reader_client.get(LOGS_URL).json()["items"][0]["recipient"] == "fcm:****oQm2"


def test_str_of_a_log_shows_the_masked_recipient(make_log):
    log = make_log(recipient="alice@example.com", channel="email")
    assert str(log) == f"email to a***@example.com (delivered) {log.id}"
    assert "alice@" not in str(log)
