"""JSON answers are written by orjson, byte for byte what DRF's own renderer writes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from commlogs_site.renderers import OrjsonRenderer
from tests.conftest import LOGS_URL

AWKWARD_TEXT = 'Código 验证码 🎉 "quoted" back\\slash\ttab\u2028line\u2029paragraph\x07bell é'


def test_a_page_is_the_bytes_drf_would_write(reader_client, make_log):
    make_log(content=AWKWARD_TEXT, error=AWKWARD_TEXT, status="failed")
    make_log(content="plain")
    response = reader_client.get(LOGS_URL)
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(response.data)
    assert b"\\u2028line\\u2029paragraph" in response.content


def test_an_error_answer_is_the_bytes_drf_would_write(reader_client, db):
    response = reader_client.get(LOGS_URL, {"channel": "fax"})
    assert response.status_code == 400
    assert response.content == JSONRenderer().render(response.data)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 4, 15, 10, 0, 0, 123456, tzinfo=UTC),
        Decimal("1.50"),
        2**70,
        gettext_lazy("Not found."),
    ],
    ids=["time", "decimal", "huge integer", "lazy translation"],
)
def test_what_orjson_writes_differently_is_written_by_drf(value):
    data = {"value": value, "items": ["é", 1, None, True]}
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_an_indented_answer_is_written_by_drf():
    data = {"items": [{"id": "log_1"}]}
    context = {"indent": 2}
    assert OrjsonRenderer().render(data, "application/json", context) == JSONRenderer().render(
        data, "application/json", context
    )
    assert b"\n  " in OrjsonRenderer().render(data, "application/json", context)
