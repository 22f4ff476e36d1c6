"""Settings of the buy-now benchmark's server: the project's own, without a log line
for each of the rush's expected out-of-stock answers (409s)."""

from config.settings import *  # noqa: F403

LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
