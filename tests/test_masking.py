"""CONTRACT.md's masking table, row by row, plus the edges between rows."""

import pytest

from communication.masking import mask_recipient


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
