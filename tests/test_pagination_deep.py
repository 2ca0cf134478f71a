"""Pages past the middle are read backwards; pages deep in the middle are refused with a 400 naming `page`."""

import pytest

from tests.conftest import LOGS_URL, item_ids


@pytest.fixture
def eleven_logs(make_log):
    """Eleven logs, newest first, with three sharing one created_at so the id decides their order."""
    logs = [make_log(minutes_ago=minutes) for minutes in (1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9)]
    return sorted(logs, key=lambda log: (log.created_at, log.id), reverse=True)


# 5 sends every page past the first five rows through the paginator's reading from the nearer end.
@pytest.mark.parametrize("deep_page_max_rows", [None, 5])
def test_every_page_matches_the_newest_first_order_from_either_end(
    reader_client, eleven_logs, settings, deep_page_max_rows
):
    if deep_page_max_rows is not None:
        settings.DEEP_PAGE_MAX_ROWS = deep_page_max_rows
    for page_size in (1, 2, 3, 4, 5, 10, 11):
        pages = -(-len(eleven_logs) // page_size)
        for page in range(1, pages + 1):
            response = reader_client.get(LOGS_URL, {"page": page, "page_size": page_size})
            start = (page - 1) * page_size
            assert item_ids(response) == [log.id for log in eleven_logs[start : start + page_size]], (page, page_size)


@pytest.mark.parametrize("deep_page_max_rows", [None, 1])
def test_pages_past_the_middle_of_a_filtered_list_keep_the_order(reader_client, make_log, settings, deep_page_max_rows):
    if deep_page_max_rows is not None:
        settings.DEEP_PAGE_MAX_ROWS = deep_page_max_rows
    logs = [make_log(status="failed" if number % 2 else "delivered") for number in range(9)]
    failed = [log.id for log in logs if log.status == "failed"]
    pages = [
        item_ids(reader_client.get(LOGS_URL, {"status": "failed", "page": page, "page_size": 1})) for page in (3, 4)
    ]
    assert pages == [[failed[2]], [failed[3]]]


def test_page_deep_in_the_middle_gives_400_naming_page(reader_client, eleven_logs, settings):
    settings.DEEP_PAGE_MAX_ROWS = 3
    response = reader_client.get(LOGS_URL, {"page": 5, "page_size": 1})
    assert response.status_code == 400
    body = response.json()
    assert body == {
        "code": 400,
        "message": "page: is too deep: only pages within 3 rows of the first or the last row are served; "
        "narrow the filters (for example created_before) to reach the rows between",
        "timestamp": body["timestamp"],
    }


def test_first_and_last_pages_are_served_whatever_the_depth_limit(reader_client, eleven_logs, settings):
    settings.DEEP_PAGE_MAX_ROWS = 3
    served = [
        page for page in range(1, 12) if reader_client.get(LOGS_URL, {"page": page, "page_size": 1}).status_code == 200
    ]
    assert served == [1, 2, 3, 4, 8, 9, 10, 11]


def test_page_past_the_end_stays_an_empty_200_with_the_true_total(reader_client, eleven_logs, settings):
    settings.DEEP_PAGE_MAX_ROWS = 0
    body = reader_client.get(LOGS_URL, {"page": 40, "page_size": 1}).json()
    assert (body["items"], body["total"], body["pagination"]["has_next"], body["pagination"]["has_prev"]) == (
        [],
        11,
        False,
        True,
    )
