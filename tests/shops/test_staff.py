"""Staff of a shop: invitations by email, roles (owner, staff, read-only) in the admin and
the API, and the owner's shop settings (currency while there are no orders, domains)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from shops.accounts.models import Invitation, User
from shops.accounts.roles import OWNER_ONLY_MESSAGE, READ_ONLY_MESSAGE, Role
from shops.accounts.services import invitation_create, staff_update
from shops.audit.models import AuditEntry
from shops.models import Domain
from tests.conftest import owner_client
from tests.factories import OrderFactory, ProductFactory
from tests.shops.staff_helpers import client_as, staff_make

NEW_PASSWORD = "copper-kettle-morning-81"


def _invitation_link(email: str) -> str:
    sent = [message for message in mail.outbox if email in message.to]
    assert len(sent) == 1, mail.outbox
    link = re.search(r"http://\S+/admin/invitation/\S+/", sent[0].body)
    assert link, sent[0].body
    return link[0]


def test_the_owner_invites_and_the_invitee_sets_a_password_and_signs_in(
    shop_a, django_capture_on_commit_callbacks
):
    # given: the owner's invitation form
    owner = owner_client()
    with django_capture_on_commit_callbacks(execute=True):
        sent = owner.post(
            "/admin/accounts/invitation/add/", {"email": "Sam@Example.com", "role": "staff"}
        )
    assert sent.status_code == 302

    # when: the invitee opens the emailed link and chooses a password
    link = _invitation_link("sam@example.com")
    assert link.startswith("http://alpha.localhost/admin/invitation/")
    path = link.removeprefix("http://alpha.localhost")
    invitee = Client(HTTP_HOST="alpha.localhost")
    opened = invitee.get(path)
    assert opened.status_code == 200
    assert b"Join the staff of Alpha Goods" in opened.content
    accepted = invitee.post(
        path,
        {"full_name": "Sam Stone", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then: the account exists with the role, the link is used up, the login works
    assert accepted.status_code == 302 and accepted["Location"] == "/admin/login/"
    with tenant_context(shop_a):
        sam = User.objects.get(email="sam@example.com")
        assert (sam.role, sam.is_staff, sam.is_superuser, sam.full_name) == (
            Role.STAFF,
            True,
            False,
            "Sam Stone",
        )
        assert Invitation.objects.get(email="sam@example.com").state == "Accepted"
        assert AuditEntry.objects.filter(action="staff.invite").count() == 1
    assert invitee.get(path).status_code == 410
    login = invitee.post("/admin/login/", {"username": "sam@example.com", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert invitee.get("/admin/catalog/product/").status_code == 200


def test_a_weak_password_is_refused_with_the_reason_and_nothing_is_made(
    shop_a, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        invitation_create(email="weak@example.com", role=Role.STAFF, invited_by=None)
    path = _invitation_link("weak@example.com").removeprefix("http://alpha.localhost")

    refused = Client(HTTP_HOST="alpha.localhost").post(
        path, {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert refused.status_code == 400
    assert b"This password is too common" in refused.content
    with tenant_context(shop_a):
        assert not User.objects.filter(email="weak@example.com").exists()


def test_an_invitation_link_works_on_its_own_shop_only(
    shop_a, shop_b, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        invitation_create(email="roamer@example.com", role=Role.STAFF, invited_by=None)
    path = _invitation_link("roamer@example.com").removeprefix("http://alpha.localhost")

    elsewhere = Client(HTTP_HOST="beta.localhost").get(path)
    tampered = Client(HTTP_HOST="alpha.localhost").get(path[:-3] + "xx/")

    assert elsewhere.status_code == 410
    assert b"no longer works" in elsewhere.content
    assert tampered.status_code == 410


def test_inviting_an_existing_account_is_refused_on_the_form(shop_a):
    response = owner_client().post(
        "/admin/accounts/invitation/add/", {"email": "owner@alpha.test", "role": "staff"}
    )

    assert response.status_code == 200
    assert b"has a staff account here already" in response.content
    assert len(mail.outbox) == 0


OWNER_PAGES = [
    "/admin/orders/paymentaccount/",
    "/admin/api/apikey/",
    "/admin/api/apikey/add/",
    "/admin/accounts/user/",
    "/admin/accounts/invitation/add/",
    "/admin/audit/auditentry/",
    "/admin/webhooks/webhooksubscription/",
    "/admin/shop-settings/",
]


@pytest.mark.parametrize("role", [Role.STAFF, Role.READ_ONLY])
def test_staff_and_read_only_accounts_cannot_open_the_owners_pages(shop_a, role):
    client = client_as(shop_a, staff_make(shop_a, role))

    for page in OWNER_PAGES:
        response = client.get(page)
        assert response.status_code == 403, page
        message = READ_ONLY_MESSAGE if role == Role.READ_ONLY else OWNER_ONLY_MESSAGE
        assert message.encode() in response.content.replace(b"&#x27;", b"'"), page
    assert client.get("/admin/catalog/product/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200


def test_the_owner_opens_every_owner_page(shop_a):
    client = owner_client()

    for page in OWNER_PAGES:
        assert client.get(page).status_code == 200, page


def test_a_read_only_account_sees_no_save_button_and_its_posts_are_refused(shop_a):
    with tenant_context(shop_a):
        product = ProductFactory(title="Linen apron", price=Decimal("30.00"))
        order = OrderFactory()
    client = client_as(shop_a, staff_make(shop_a, Role.READ_ONLY))

    page = client.get(f"/admin/catalog/product/{product.pk}/change/")
    saved = client.post(f"/admin/catalog/product/{product.pk}/change/", {"title": "Hacked"})
    fulfilled = client.post(f"/admin/orders/order/{order.pk}/fulfil/", {"confirmed": "yes"})
    bulk = client.post(
        "/admin/catalog/product/", {"action": "delete_selected", "_selected_action": [product.pk]}
    )

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert b"Linen apron" in page.content
    for refused in (saved, fulfilled, bulk):
        assert refused.status_code == 403
        assert b"Your account is read-only" in refused.content
    with tenant_context(shop_a):
        product.refresh_from_db()
        order.refresh_from_db()
        assert product.title == "Linen apron"
        assert order.fulfilled_at is None


def test_a_staff_account_changes_products(shop_a):
    with tenant_context(shop_a):
        product = ProductFactory(title="Linen apron")
    client = client_as(shop_a, staff_make(shop_a, Role.STAFF))

    page = client.get(f"/admin/catalog/product/{product.pk}/change/")

    assert page.status_code == 200
    assert b'name="_save"' in page.content


def test_the_api_refuses_writes_of_a_read_only_account_and_a_read_only_key(shop_a):
    from shops.api.services import api_key_create

    with tenant_context(shop_a):
        variant = ProductFactory(price=Decimal("30.00")).variants.get()
        read_key = api_key_create(name="Reports", scopes=["catalog:read", "orders:read"]).secret
    session = client_as(shop_a, staff_make(shop_a, Role.READ_ONLY))
    keyed = Client(HTTP_HOST="alpha.localhost", headers={"Authorization": f"Bearer {read_key}"})
    body = {"price": "99.00"}

    by_session = session.patch(f"/api/v1/variants/{variant.pk}/", body, "application/json")
    by_key = keyed.patch(f"/api/v1/variants/{variant.pk}/", body, "application/json")
    read = keyed.get(f"/api/v1/variants/{variant.pk}/")

    assert by_session.status_code == 403
    assert by_session.json()["error"]["message"] == (
        "Your staff account is read-only: it may not send this request (catalog:write)."
    )
    assert by_key.status_code == 403
    assert by_key.json()["error"]["code"] == "missing_scope"
    assert by_key.json()["error"]["message"].startswith(
        "This API key is read-only: it may read but not change anything."
    )
    assert read.status_code == 200 and read.json()["price"] == "30.00"


def test_the_shop_keeps_an_owner_and_nobody_changes_their_own_role(shop_a):
    with tenant_context(shop_a):
        owner = User.objects.get(email="owner@alpha.test")
        helper = staff_make(shop_a, Role.STAFF)

        with pytest.raises(Exception, match="own role"):
            staff_update(user=owner, role=Role.STAFF, by=owner)
        with pytest.raises(Exception, match="needs an owner"):
            staff_update(user=owner, role=Role.READ_ONLY, by=helper)
        staff_update(user=helper, role=Role.OWNER, by=owner)
        staff_update(user=owner, role=Role.READ_ONLY, by=helper)

        owner.refresh_from_db()
        helper.refresh_from_db()
        assert (owner.role, owner.is_superuser) == (Role.READ_ONLY, False)
        assert (helper.role, helper.is_superuser) == (Role.OWNER, True)


def test_the_owner_changes_a_staff_role_in_the_staff_list(shop_a):
    helper = staff_make(shop_a, Role.STAFF)

    response = owner_client().post(
        f"/admin/accounts/user/{helper.pk}/change/", {"role": "read_only", "is_active": "on"}
    )

    assert response.status_code == 302
    with tenant_context(shop_a):
        helper.refresh_from_db()
        assert helper.role == Role.READ_ONLY
        entry = AuditEntry.objects.get(action="staff.update")
        assert entry.changes == {"role": ["Staff", "Read-only"]}
        assert entry.actor_label == "owner@alpha.test"


def test_the_currency_changes_while_there_are_no_orders_only(
    shop_a, django_capture_on_commit_callbacks
):
    client = owner_client()

    page = client.get("/admin/shop-settings/")
    with django_capture_on_commit_callbacks(execute=True):  # the cached host lookups retire
        changed = client.post("/admin/shop-settings/", {"currency": "GBP"}, follow=True)
    shop_a.refresh_from_db()
    assert page.status_code == 200 and b"Change currency" in page.content
    assert b"Your shop now sells in GBP." in changed.content
    assert shop_a.currency == "GBP"

    with tenant_context(shop_a):
        OrderFactory(currency="GBP")
    refused = client.post("/admin/shop-settings/", {"currency": "USD"})
    shop_a.refresh_from_db()
    assert refused.status_code == 400
    assert b"Your shop has orders in GBP" in refused.content
    assert shop_a.currency == "GBP"
    with tenant_context(shop_a):
        entry = AuditEntry.objects.get(action="shop.update")
        assert entry.changes == {"currency": ["EUR", "GBP"]}


def test_prices_with_cents_keep_the_currency_from_becoming_yen(shop_a):
    with tenant_context(shop_a):
        ProductFactory(price=Decimal("12.50"))

    refused = owner_client().post("/admin/shop-settings/", {"currency": "JPY"})

    shop_a.refresh_from_db()
    assert refused.status_code == 400
    assert b"1 price(s) have more decimals than JPY allows (0)" in refused.content
    assert shop_a.currency == "EUR"


def test_the_owner_adds_and_removes_a_custom_domain(shop_a, shop_b):
    client = owner_client()

    added = client.post("/admin/shop-settings/", {"domain": "Shop.Alpha-Goods.example."})
    page = client.get("/admin/shop-settings/")
    platform = client.post("/admin/shop-settings/", {"domain": "gamma.localhost"})
    with_scheme = client.post("/admin/shop-settings/", {"domain": "https://x.example/"})

    assert added.status_code == 302
    domain = Domain.objects.get(domain="shop.alpha-goods.example")
    assert domain.tenant_id == shop_a.pk
    assert b"shop.alpha-goods.example. CNAME alpha.localhost." in page.content
    assert platform.status_code == 400 and b"are the platform&#x27;s" in platform.content
    assert with_scheme.status_code == 400 and b"Write the domain alone" in with_scheme.content

    # shop B's owner cannot remove A's domain
    foreign = owner_client("beta").post(f"/admin/shop-settings/domains/{domain.pk}/remove/")
    assert foreign.status_code == 404
    assert Domain.objects.filter(pk=domain.pk).exists()

    removed = client.post(f"/admin/shop-settings/domains/{domain.pk}/remove/")
    assert removed.status_code == 302
    assert not Domain.objects.filter(pk=domain.pk).exists()
    with tenant_context(shop_a):
        assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
            "domain.add",
            "domain.remove",
        ]


def test_shop_b_never_sees_shop_a_staff(shop_a, shop_b):
    staff_make(shop_a, Role.STAFF, email="only-alpha@example.com")

    listed = owner_client("beta").get("/admin/accounts/user/")

    assert listed.status_code == 200
    assert b"owner@beta.test" in listed.content
    assert b"only-alpha@example.com" not in listed.content
    assert b"owner@alpha.test" not in listed.content


@pytest.mark.parametrize("role", [Role.STAFF, Role.READ_ONLY])
def test_every_admin_page_opens_or_refuses_for_each_role_never_fails(shop_a, role):
    from django.contrib import admin

    with tenant_context(shop_a):
        product = ProductFactory()
        order = OrderFactory()
        variant = product.variants.get()
    objects = {"product": product.pk, "variant": variant.pk, "order": order.pk}
    client = client_as(shop_a, staff_make(shop_a, role))

    pages = []
    for model in admin.site._registry:
        opts = model._meta
        pages.append(f"/admin/{opts.app_label}/{opts.model_name}/")
        if opts.model_name in objects:
            pages.append(
                f"/admin/{opts.app_label}/{opts.model_name}/{objects[opts.model_name]}/change/"
            )
    answers = {page: client.get(page).status_code for page in pages}

    assert set(answers.values()) <= {200, 302, 403}, answers
    assert answers["/admin/catalog/product/"] == 200
    assert answers["/admin/orders/paymentaccount/"] == 403
