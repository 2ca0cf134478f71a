"""The replica router beside the rest of the project, without a replica running."""

from django.core.management import call_command
from django.test import override_settings

from communication import replica
from tests.conftest import LOGS_URL

DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t_router_cache"}}


@override_settings(DATABASE_ROUTERS=["communication.replica.ReplicaRouter"], CACHES=DATABASE_CACHE)
def test_the_api_answers_with_the_router_on_and_throttle_counters_in_the_database_cache(
    reader_client, make_log, monkeypatch
):
    call_command("createcachetable", verbosity=0)
    make_log()
    monkeypatch.setattr(replica, "replica_is_usable", lambda: False)

    answers = [reader_client.get(LOGS_URL) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[-1].json()["pagination"]["total"] == 1
