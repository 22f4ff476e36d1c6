"""Password reset on a shop's admin: a link to the shop's own host, a token that works
only in that shop, the same answer for unknown addresses, and rate limits."""

import re

from django.core import mail
from django.test import Client, TestCase
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import tenant_context

from shops.accounts.models import User
from shops.accounts.services import password_reset_tokens
from tests.conftest import clear_of_window_end
from tests.factories import SHOP_PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase-42"
RESET_LINK = re.compile(r"http://(?P<host>[a-z0-9.-]+)(?P<path>/admin/reset/[^/\s]+/[^/\s]+/)")


def _reset_asked(client: Client, data: dict) -> object:
    """Ask for a reset link; the email is queued after the request's commit (the worker
    sends it; here the task runs at once), as a committed request would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/admin/password_reset/", data)


def _reset_link(message: mail.EmailMessage) -> tuple[str, str]:
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match["host"], match["path"]


def test_the_admin_login_page_links_to_password_reset(shop_a):
    response = Client(HTTP_HOST="alpha.localhost").get("/admin/login/")

    assert response.status_code == 200
    assert 'href="/admin/password_reset/"' in response.text
    assert "Forgotten your password" in response.text


def test_a_reset_email_links_to_the_shop_host_and_sets_a_new_password(shop_a):
    client = Client(HTTP_HOST="alpha.localhost")

    # when
    response = _reset_asked(client, {"email": "Owner@Alpha.test"})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/admin/password_reset/done/"
    assert "emailed you instructions" in client.get("/admin/password_reset/done/").text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@alpha.test"]
    assert "Alpha Goods" in mail.outbox[0].subject
    host, path = _reset_link(mail.outbox[0])
    assert host == "alpha.localhost"
    form = client.get(path, follow=True)
    assert "Enter new password" in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done["Location"] == "/admin/reset/done/"
    assert client.login(username="owner@alpha.test", password=NEW_PASSWORD)
    assert not client.login(username="owner@alpha.test", password=SHOP_PASSWORD)


def test_a_token_from_one_shop_does_not_work_on_another_shops_host(shop_a, shop_b):
    # given: the same id, email, password hash and last login in both shops
    with tenant_context(shop_a):
        owner_a = User.objects.get(email="owner@alpha.test")
        token = password_reset_tokens.make_token(owner_a)
    with tenant_context(shop_b):
        User.objects.filter(email="owner@beta.test").update(
            id=owner_a.pk,
            email=owner_a.email,
            password=owner_a.password,
            last_login=owner_a.last_login,
        )
    path = f"/admin/reset/{urlsafe_base64_encode(force_bytes(owner_a.pk))}/{token}/"

    # when
    on_b = Client(HTTP_HOST="beta.localhost").get(path, follow=True)
    on_a = Client(HTTP_HOST="alpha.localhost").get(path, follow=True)

    # then
    assert "The password reset link was invalid" in on_b.text
    assert "Enter new password" in on_a.text


def test_an_unknown_address_gets_the_same_answer_and_no_email(shop_a):
    client = Client(HTTP_HOST="alpha.localhost")

    response = _reset_asked(client, {"email": "owner@beta.test"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/password_reset/done/"
    assert mail.outbox == []


def test_reset_emails_to_one_address_are_limited_and_the_answer_stays_the_same(shop_a, settings):
    settings.ACCOUNTS_RATE_EMAIL = "2/h"
    clear_of_window_end(3600)
    client = Client(HTTP_HOST="alpha.localhost")

    answers = [_reset_asked(client, {"email": "owner@alpha.test"})["Location"] for _ in range(3)]

    assert answers == ["/admin/password_reset/done/"] * 3
    assert len(mail.outbox) == 2


def test_reset_requests_from_one_client_address_are_limited(shop_a, settings):
    settings.ACCOUNTS_RATE_ADDRESS = "2/h"
    clear_of_window_end(3600)
    client = Client(HTTP_HOST="alpha.localhost")

    statuses = [_reset_asked(client, {"email": f"x{n}@example.test"}).status_code for n in range(3)]

    assert statuses == [302, 302, 429]
    third = _reset_asked(client, {"email": "x@example.test"})
    assert "Too many requests" in third.text
    assert int(third["Retry-After"]) > 0
