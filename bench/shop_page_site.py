"""Settings of the shop page benchmark's server: the project's own, with the URLs of
``shop_page_urls`` (the shop's, plus a bare "ok" view), and no cache with
BENCH_UNCACHED=1."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "shop_page_urls"

if os.environ.get("BENCH_UNCACHED"):  # every shop page rendered afresh (bench --uncached)
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.dummy.DummyCache"  # noqa: F405
