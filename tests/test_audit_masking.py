"""Whatever the audit trail stores from a request is masked where it looks like a phone number or an email address,
whichever field it was typed into."""

import pytest

from communication.audit.models import AuditEvent
from tests.conftest import ADMIN_LOGS_URL, EXPORT_URL, FULL_PHONE, LOGS_URL

EMAIL = "alice@example.com"
SPACED_PHONE = "+44 7911 123456"
FCM_TOKEN = "fcm:v9DjwytQzGGdem0DuXAQyC:APA91bxmuG4uVH5WIrQRTrK1m9EBHY2jrMvTV"
APNS_TOKEN = "apns:" + "03a4774d" * 8


def stored_text():
    return " ".join(f"{event.filters} {event.user_agent}" for event in AuditEvent.objects.all())


@pytest.mark.parametrize("name", ["user_id", "tenant_id", "template_id", "provider", "recipient"])
@pytest.mark.parametrize(
    "value",
    [
        FULL_PHONE,
        EMAIL,
        SPACED_PHONE,
        f"call {FULL_PHONE} now",
        FCM_TOKEN,
        APNS_TOKEN,
        f"x{FULL_PHONE}",
        f"{FULL_PHONE}_",
    ],
)
@pytest.mark.parametrize("url", [LOGS_URL, EXPORT_URL])
def test_a_phone_number_or_address_typed_into_any_api_filter_is_stored_masked(reader_client, url, name, value):
    reader_client.get(url, {name: value})

    assert AuditEvent.objects.count() == 1
    assert value not in stored_text()


@pytest.mark.parametrize("name", ["created_after", "created_before", "channel", "status"])
def test_a_phone_number_in_a_filter_refused_as_invalid_is_stored_masked_too(reader_client, name):
    response = reader_client.get(LOGS_URL, {name: FULL_PHONE})

    assert response.status_code == 400
    assert AuditEvent.objects.get().filters[name] == "138****8000"


def test_identifiers_and_times_are_stored_as_typed(reader_client):
    query = {"user_id": "usr_12345678", "tenant_id": "tnt_acme01", "created_after": "2026-04-15", "page": "2"}

    reader_client.get(LOGS_URL, query)

    assert AuditEvent.objects.get().filters == query


@pytest.mark.parametrize("agent", [f"ops/2.1 {FCM_TOKEN}", f"Mozilla{FULL_PHONE}", f"ops ({EMAIL})"])
def test_personal_data_in_the_user_agent_is_stored_masked(reader_client, agent):
    reader_client.get(LOGS_URL, HTTP_USER_AGENT=agent)

    assert not any(secret in AuditEvent.objects.get().user_agent for secret in (FCM_TOKEN, FULL_PHONE, EMAIL))


def test_an_address_in_the_user_agent_is_stored_masked(reader_client):
    reader_client.get(LOGS_URL, HTTP_USER_AGENT=f"ops-console/2.1 ({EMAIL})")

    assert AuditEvent.objects.get().user_agent == "ops-console/2.1 (a***@example.com)"


@pytest.mark.parametrize("term", [FULL_PHONE, EMAIL, SPACED_PHONE, FCM_TOKEN, f"x{FULL_PHONE}"])
def test_an_admin_search_for_a_recipient_no_log_has_is_sent_on_masked_and_stored_masked(admin_reader, term):
    response = admin_reader.get(ADMIN_LOGS_URL, {"q": term}, follow=True)

    assert response.status_code == 200
    assert term not in response.redirect_chain[0][0]
    assert term not in response.content.decode()
    assert term not in stored_text()


def test_an_address_typed_as_a_log_id_in_an_admin_url_is_stored_masked(admin_reader):
    admin_reader.get(f"{ADMIN_LOGS_URL}{EMAIL}/change/")

    assert AuditEvent.objects.get().filters == {"id": "a***@example.com"}
