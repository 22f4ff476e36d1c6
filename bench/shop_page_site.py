"""Settings of the shop page benchmark's server: the project's own, with the URLs of
``shop_page_urls`` (the shop's, plus a bare "ok" view)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "shop_page_urls"
