"""The platform's "Log in" / "Find my shop": an email with the admin of every shop where
the address is staff, the same answer for anyone, rate-limited."""

from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from shops.accounts.models import User
from shops.models import Shop
from shops.selectors import shops_with_staff_email
from tests.conftest import clear_of_window_end

SENT = "Check your inbox."


def _find(email: str) -> object:
    """Ask for one's shops; the email is queued after the request's commit (the worker
    sends it; here the task runs at once), as a committed request would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(HTTP_HOST="localhost").post("/login/", {"email": email})


def test_the_platform_home_has_log_in_and_find_my_shop(db):
    response = Client(HTTP_HOST="localhost").get("/")

    assert response.status_code == 200
    assert 'href="/login/"' in response.text
    assert ">Log in</a>" in response.text
    assert 'action="/login/"' in response.text
    assert ">Find my shop</button>" in response.text


def test_find_my_shop_emails_the_admin_of_each_shop_where_the_address_is_staff(shop_a, shop_b):
    # given: owner of alpha, also staff of beta
    with tenant_context(shop_b):
        User.objects.create_user(email="owner@alpha.test", password="x" * 12, is_staff=True)

    # when
    response = _find("Owner@Alpha.test")

    # then
    assert response.status_code == 200
    assert SENT in response.text
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["Owner@Alpha.test"]
    assert "Alpha Goods: http://alpha.localhost/admin/" in body
    assert "Beta Supplies: http://beta.localhost/admin/" in body


def test_find_my_shop_names_only_the_shops_where_the_address_is_active_staff(shop_a, shop_b):
    with tenant_context(shop_b):
        User.objects.create_user(email="owner@alpha.test", password="x" * 12, is_staff=False)

    assert shops_with_staff_email(email="owner@alpha.test") == [shop_a]
    assert shops_with_staff_email(email="owner@beta.test") == [shop_b]
    assert shops_with_staff_email(email="nobody@example.test") == []


def test_an_unknown_address_gets_the_same_answer_and_no_email(shop_a):
    known = _find("owner@alpha.test")
    mail.outbox.clear()

    unknown = _find("nobody@example.test")

    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace("nobody@example.test", "owner@alpha.test") == known.text
    assert SENT in unknown.text
    assert mail.outbox == []


def test_a_malformed_address_is_a_clear_400(db):
    response = _find("not-an-email")

    assert response.status_code == 400
    assert "Enter a valid email address." in response.text
    assert mail.outbox == []


def test_emails_to_one_address_are_limited_and_the_answer_stays_the_same(shop_a, settings):
    settings.ACCOUNTS_RATE_EMAIL = "2/h"
    clear_of_window_end(3600)

    answers = [_find("owner@alpha.test") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(SENT in answer.text for answer in answers)
    assert len(mail.outbox) == 2


def test_requests_from_one_client_address_are_limited(db, settings):
    settings.ACCOUNTS_RATE_ADDRESS = "2/h"
    clear_of_window_end(3600)

    statuses = [_find(f"x{n}@example.test").status_code for n in range(3)]

    assert statuses == [200, 200, 429]


def test_the_lookup_costs_at_most_two_queries_per_shop(shop_a, shop_b):
    shops = Shop.objects.filter(status=Shop.Status.ACTIVE).count()

    with CaptureQueriesContext(connection) as queries:
        found = shops_with_staff_email(email="owner@beta.test")

    assert found == [shop_b]
    assert len(queries) <= 1 + 2 * shops


def test_a_mail_server_that_is_down_never_fails_the_request(shop_a, settings):
    # given: the mail server refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False

    # when: a merchant asks for their shops, and another for a reset link
    found = _find("owner@alpha.test")
    with TestCase.captureOnCommitCallbacks(execute=True):
        reset = Client(HTTP_HOST="alpha.localhost").post(
            "/admin/password_reset/", {"email": "owner@alpha.test"}
        )

    # then: both get their answer (the worker retries the emails), never a 500
    assert found.status_code == 200 and SENT in found.text
    assert reset.status_code == 302
