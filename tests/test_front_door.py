"""The front door at `/`: what the service is and where to go next."""

import re

from django.utils.html import strip_tags


def test_front_door_says_what_the_service_is_and_links_to_every_surface(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "<h1>commlogs</h1>" in page
    assert "Recipients are always shown masked." in strip_tags(page)
    assert re.findall(r'<a href="([^"]+)">', page) == [
        "/admin/",
        "/admin/communication/logs",
        "/api/docs/",
        "/api/redoc/",
        "/api/schema/",
    ]


def test_every_front_door_link_leads_somewhere(client, admin_user):
    client.force_login(admin_user)
    for url in ("/admin/", "/api/docs/", "/api/redoc/", "/api/schema/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/communication/logs", HTTP_ACCEPT="text/html").status_code == 200
