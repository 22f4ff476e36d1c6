"""WSGI entry point. Etalage serves requests synchronously on purpose: django-tenants keeps
the shop's schema on the thread's connection, which ASGI's thread hopping would lose."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
