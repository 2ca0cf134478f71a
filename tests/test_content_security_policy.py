"""Every page staff open runs scripts only from our own static files and cannot be framed or post elsewhere."""

from html.parser import HTMLParser

import pytest

from tests.conftest import ADMIN_LOGIN_URL, ADMIN_LOGS_URL, AUDIT_ADMIN_URL, BROWSER_ACCEPT, LOGS_URL

HTML_PAGES = [
    "/",
    ADMIN_LOGIN_URL,
    "/admin/",
    ADMIN_LOGS_URL,
    AUDIT_ADMIN_URL,
    LOGS_URL,
    "/api/docs/",
    "/api/redoc/",
]


def policy_of(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


class ScriptTags(HTMLParser):
    """The attributes of every <script> in a page, and the text inside each."""

    def __init__(self):
        super().__init__()
        self.scripts = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append({"attrs": dict(attrs), "text": ""})
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1]["text"] += data


def scripts_that_would_run_inline(html):
    """Scripts with code in the page: a JSON data block is not run, and a `src` script is a file."""
    parser = ScriptTags()
    parser.feed(html)
    return [
        script
        for script in parser.scripts
        if "src" not in script["attrs"] and script["attrs"].get("type") != "application/json" and script["text"].strip()
    ]


@pytest.fixture
def open_page(client, make_user):
    """Open a page as a browser would: logged in as a superuser, but logged out for the login page."""
    superuser = make_user("boss", staff=True, superuser=True)

    def open_(path):
        if path == ADMIN_LOGIN_URL:
            client.logout()
        else:
            client.force_login(superuser)
        return client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)

    return open_


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_run_scripts_only_from_our_own_origin(open_page, path):
    response = open_page(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_hold_no_inline_script_the_policy_would_block(open_page, path):
    response = open_page(path)

    assert response.status_code == 200
    assert scripts_that_would_run_inline(response.content.decode()) == []


def test_swagger_ui_starts_from_a_script_file_that_points_at_the_schema(open_page, client):
    page = open_page("/api/docs/")
    parser = ScriptTags()
    parser.feed(page.content.decode())
    own_script = next(
        script["attrs"]["src"] for script in parser.scripts if "/api/docs/" in script["attrs"].get("src", "")
    )

    response = client.get(own_script)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
