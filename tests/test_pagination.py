"""`page` and `page_size`: defaults, the cap, pages past the end, and every bad value."""

import pytest

from tests.conftest import LOGS_URL, item_ids

pytestmark = pytest.mark.contract


@pytest.fixture
def seven_logs(make_log):
    return [make_log() for _ in range(7)]


def pagination_of(response):
    return response.json()["pagination"]


def test_default_page_is_1_and_default_page_size_is_20(reader_client, make_log):
    for _ in range(21):
        make_log()
    body = reader_client.get(LOGS_URL).json()
    assert len(body["items"]) == 20
    assert body["pagination"] == {
        "page": 1,
        "page_size": 20,
        "total": 21,
        "total_pages": 2,
        "has_next": True,
        "has_prev": False,
    }


def test_middle_page_has_next_and_prev(reader_client, seven_logs):
    response = reader_client.get(LOGS_URL, {"page": 2, "page_size": 3})
    assert item_ids(response) == [log.id for log in seven_logs[3:6]]
    assert pagination_of(response) == {
        "page": 2,
        "page_size": 3,
        "total": 7,
        "total_pages": 3,
        "has_next": True,
        "has_prev": True,
    }


def test_last_page_holds_the_remainder_and_has_no_next(reader_client, seven_logs):
    response = reader_client.get(LOGS_URL, {"page": 3, "page_size": 3})
    assert item_ids(response) == [seven_logs[6].id]
    assert pagination_of(response)["has_next"] is False


def test_flat_total_equals_pagination_total(reader_client, seven_logs):
    body = reader_client.get(LOGS_URL, {"page_size": 2}).json()
    assert body["total"] == body["pagination"]["total"] == 7
    assert body["pagination"]["total_pages"] == 4


def test_page_past_the_end_is_empty_not_404(reader_client, seven_logs):
    response = reader_client.get(LOGS_URL, {"page": 5, "page_size": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == []
    assert body["total"] == 7
    assert body["pagination"] == {
        "page": 5,
        "page_size": 3,
        "total": 7,
        "total_pages": 3,
        "has_next": False,
        "has_prev": True,
    }


@pytest.mark.parametrize("page", ["9223372036854775807", "9223372036854775808", "1" + "0" * 40])
def test_page_number_past_64_bits_is_just_past_the_end(reader_client, seven_logs, page):
    response = reader_client.get(LOGS_URL, {"page": page})
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["pagination"]["page"] == int(page)
    assert response.json()["total"] == 7


def test_page_size_over_100_is_cut_to_100(reader_client, seven_logs):
    for size in ("101", "1000", "99999999999999999999999"):
        assert pagination_of(reader_client.get(LOGS_URL, {"page_size": size}))["page_size"] == 100


def test_page_size_of_exactly_100_is_kept(reader_client, seven_logs):
    assert pagination_of(reader_client.get(LOGS_URL, {"page_size": 100}))["page_size"] == 100


def test_empty_page_and_page_size_use_the_defaults(reader_client, seven_logs):
    body = reader_client.get(f"{LOGS_URL}?page=&page_size=").json()
    assert (body["pagination"]["page"], body["pagination"]["page_size"]) == (1, 20)


def test_leading_zeros_are_a_whole_number(reader_client, seven_logs):
    assert pagination_of(reader_client.get(LOGS_URL, {"page": "002", "page_size": "03"}))["page"] == 2


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("value", ["0", "-1", "1.5", "1e3", "abc", "+2", "٣", "0x10", "1 2", "00", "\x00"])
def test_page_value_that_is_not_a_whole_number_of_at_least_1_gives_400(reader_client, db, name, value):
    response = reader_client.get(LOGS_URL, {name: value})
    assert response.status_code == 400
    assert response.json()["message"] == f"{name}: must be a whole number of at least 1"


def test_page_with_more_digits_than_python_reads_gives_400(reader_client, db):
    response = reader_client.get(LOGS_URL, {"page": "9" * 10_000})
    assert response.status_code == 400
    assert response.json()["message"] == "page: is too large"


@pytest.mark.parametrize("digits", [4, 40, 10_000])
def test_a_page_size_above_100_is_cut_to_100_however_many_digits(reader_client, seven_logs, digits):
    response = reader_client.get(LOGS_URL, {"page_size": "9" * digits})
    assert response.status_code == 200
    assert pagination_of(response)["page_size"] == 100


def test_repeated_page_uses_the_last_value(reader_client, seven_logs):
    assert pagination_of(reader_client.get(f"{LOGS_URL}?page=1&page=2&page_size=3"))["page"] == 2
