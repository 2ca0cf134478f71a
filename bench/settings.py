"""The product's settings, serving the straightforward implementation and the floor endpoint instead."""

from commlogs_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
