"""The browsable API: HTML only when a browser asks, the envelope masked, a full filter form and page links."""

import re
from urllib.parse import quote

import pytest
from django.utils.html import strip_tags

from tests.conftest import BROWSER_ACCEPT, FULL_PHONE, LOGS_URL


@pytest.fixture
def browser(client, staff_reader):
    """A Django test client logged into the admin, sending a browser's Accept header."""
    client.force_login(staff_reader)
    client.defaults["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return client


def filter_form(response):
    page = response.content.decode()
    return page[page.index('id="log-filters"') : page.index("</form>", page.index('id="log-filters"'))]


def field_names(form_html):
    return list(dict.fromkeys(re.findall(r'name="([a-z_]+)"', form_html)))


def checked_values(form_html, name):
    return re.findall(rf'name="{name}" value="([a-z]+)"[^>]*checked', form_html)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_json_stays_the_default_without_a_browser_accept_header(client, staff_reader, make_log, accept):
    make_log()
    client.force_login(staff_reader)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(LOGS_URL, **headers)
    assert response["Content-Type"] == "application/json"
    assert response.json()["total"] == 1


def test_browser_gets_the_browsable_page_with_the_envelope_and_masked_recipient(browser, make_log):
    make_log(recipient=FULL_PHONE)
    response = browser.get(LOGS_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    text = strip_tags(response.content.decode())
    assert "&quot;recipient&quot;: &quot;138****8000&quot;" in text
    assert "&quot;message&quot;: &quot;success&quot;" in text
    assert FULL_PHONE not in response.content.decode()


def test_filter_form_has_every_contract_parameter_and_choices_for_enums(browser, make_log):
    make_log()
    form = filter_form(browser.get(LOGS_URL))
    assert field_names(form) == [
        "user_id",
        "channel",
        "status",
        "tenant_id",
        "template_id",
        "provider",
        "recipient",
        "created_after",
        "created_before",
        "page",
        "page_size",
    ]
    assert re.findall(r'name="channel" value="([a-z]+)"', form) == ["sms", "email", "push"]
    assert re.findall(r'name="status" value="([a-z]+)"', form) == ["pending", "sent", "failed", "delivered"]


def test_filter_form_keeps_the_chosen_filters(browser, make_log):
    make_log()
    form = filter_form(browser.get(LOGS_URL, {"channel": "sms,email", "status": "failed", "user_id": "usr_abc123"}))
    assert checked_values(form, "channel") == ["sms", "email"]
    assert checked_values(form, "status") == ["failed"]
    assert 'name="user_id" value="usr_abc123"' in form


def test_repeated_checkbox_values_filter_like_a_comma_list(browser, make_log):
    make_log(channel="sms")
    make_log(channel="email", recipient="alice@example.com")
    make_log(channel="push", recipient="fcm:d9YxAbCdEfGhQm2")
    response = browser.get(LOGS_URL, {"channel": ["sms", "push"], "format": "json"})
    assert sorted(item["channel"] for item in response.json()["items"]) == ["push", "sms"]


def test_filter_form_never_echoes_a_full_recipient(browser, make_log):
    make_log(recipient=FULL_PHONE)
    form = filter_form(browser.get(LOGS_URL, {"recipient": FULL_PHONE}))
    assert "recipient" in field_names(form)
    assert FULL_PHONE not in form


def test_pages_through_results_with_page_links(browser, make_log):
    for _ in range(45):
        make_log()
    page = browser.get(LOGS_URL, {"page_size": 20, "channel": "sms", "page": 2}).content.decode()
    pagination = page[page.index('class="pagination"') : page.index("</ul>", page.index('class="pagination"'))]
    links = re.findall(r'href="([^"#]+)"', pagination)
    first, second, third = (
        f"http://testserver{LOGS_URL}?channel=sms&amp;page_size=20",
        f"http://testserver{LOGS_URL}?channel=sms&amp;page=2&amp;page_size=20",
        f"http://testserver{LOGS_URL}?channel=sms&amp;page=3&amp;page_size=20",
    )
    assert links == [first, first, second, third, third]
    assert re.search(r'class="active">\s*<a href="[^"]*page=2[^"]*">2</a>', pagination)


def test_bad_filter_in_a_browser_shows_the_400_envelope_and_the_form_with_the_error(browser):
    response = browser.get(LOGS_URL, {"channel": "fax"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "channel: must be one of sms, email, push" in page
    assert "must be one of sms, email, push" in filter_form(response)


def test_anonymous_browser_is_offered_the_admin_login(client, db):
    response = client.get(LOGS_URL, {"channel": "sms"}, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 401
    assert f'href="/admin/login/?next={LOGS_URL}%3Fchannel%3Dsms"' in response.content.decode()


def test_request_line_shows_a_recipient_filter_as_a_reference_to_a_listed_log(browser, make_log):
    log = make_log(recipient=FULL_PHONE)
    response = browser.get(LOGS_URL, {"recipient": FULL_PHONE, "channel": "sms"})
    page = response.content.decode()
    request_line = re.search(r'<div class="request-info".*?</pre>', page, re.S)[0]
    assert strip_tags(request_line).split() == [
        "GET",
        f"{LOGS_URL}?recipient=recipient-of:{log.pk}&amp;channel=sms",
    ]
    assert FULL_PHONE not in page


def test_a_recipient_no_log_has_is_shown_masked(browser, make_log):
    make_log()
    page = browser.get(LOGS_URL, {"recipient": "13900139000"}).content.decode()
    assert "13900139000" not in page
    assert "recipient=139****9000" in page


def test_the_page_links_of_a_recipient_search_page_through_the_same_logs(browser, make_log):
    for _ in range(3):
        make_log(recipient=FULL_PHONE)
    make_log(recipient="13900139000")
    first = browser.get(LOGS_URL, {"recipient": FULL_PHONE, "page_size": 2})
    next_link = re.search(r'<a href="([^"]*page=2[^"]*)"', first.content.decode())[1].replace("&amp;", "&")
    assert FULL_PHONE not in next_link
    second = browser.get(f"{next_link}&format=json")
    assert second.json()["pagination"] == {
        "page": 2,
        "page_size": 2,
        "total": 3,
        "total_pages": 2,
        "has_next": False,
        "has_prev": True,
    }


RECIPIENTS = [FULL_PHONE, "alice@example.com", "fcm:d9YxP0aQ3zLk8sVn2Tq7WmB1cR5uE6oQm2"]


@pytest.mark.parametrize("recipient", RECIPIENTS)
@pytest.mark.parametrize(
    ("who", "extra", "status"),
    [
        ("reader", {}, 200),
        ("reader", {"channel": "email"}, 200),
        ("reader", {"channel": "fax"}, 400),
        ("reader", {"page": "0"}, 400),
        ("anonymous", {}, 401),
        ("clerk", {}, 403),
    ],
)
def test_no_browsable_page_shows_a_full_recipient_anywhere(client, make_user, make_log, who, extra, status, recipient):
    make_log(recipient=recipient)
    if who != "anonymous":
        client.force_login(make_user(who, staff=True, can_view_logs=who == "reader"))
    query = {"recipient": recipient, "Recipient": recipient, "unknown": recipient, **extra}

    response = client.get(LOGS_URL, query, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert (response.status_code, response["Content-Type"]) == (status, "text/html; charset=utf-8")
    page = response.content.decode()
    assert recipient not in page
    assert quote(recipient) not in page
    assert quote(recipient, safe="") not in page
