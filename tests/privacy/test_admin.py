"""The owner's "Privacy requests" page: a support request run for a shopper (the export
downloaded, the erasure after its confirmation), logged and in the audit log; past
requests 50 a page, found by full email; the owner's only; and each shop's own (shop B's
owner finds nothing of shop A's shopper)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection

from shops.accounts.roles import Role
from shops.audit.models import AuditEntry
from shops.privacy.models import DataRequest
from shops.privacy.services import Requester, data_request_erase, data_request_export
from tests.conftest import owner_client
from tests.privacy.helpers import EMAIL, NAME, shopper_footprint
from tests.shops.staff_helpers import client_as, staff_make

RUN = "/admin/privacy/datarequest/run/"
REQUESTS = "/admin/privacy/datarequest/"


@pytest.fixture
def footprint(shop_a, media):
    connection.set_tenant(shop_a)
    return shopper_footprint()


def test_the_owner_exports_a_shoppers_data_and_it_is_logged_and_audited(footprint):
    client = owner_client()

    found = client.post(RUN, {"email": EMAIL.upper(), "step": "find"})
    assert found.status_code == 200
    assert b"1 order" in found.content and b"1 review" in found.content

    download = client.post(RUN, {"email": EMAIL, "step": "json"})
    assert download.status_code == 200
    export = json.loads(download.content)
    assert export["orders"][0]["shipping_address"]["name"] == NAME

    [logged] = DataRequest.objects.all()
    assert (logged.kind, logged.requested_by, logged.staff_label) == (
        "export",
        "staff",
        "owner@alpha.test",
    )
    [entry] = AuditEntry.objects.filter(action="privacy.export")
    assert entry.actor_label == "owner@alpha.test"


def test_the_owner_erases_after_confirming_and_the_admin_no_longer_names_the_shopper(
    footprint, django_capture_on_commit_callbacks
):
    client = owner_client()
    order_page = f"/admin/orders/order/{footprint.order.pk}/change/"
    before = client.get(order_page).content.decode()
    assert NAME in before
    total_before = re.search(r"data-order-total>([^<]+)<", before)[1]

    confirm = client.post(RUN, {"email": EMAIL, "step": "confirm"})
    assert b"Erase the data of" in confirm.content
    unticked = client.post(RUN, {"email": EMAIL, "step": "erase", "reviews": "remove"})
    assert unticked.status_code == 400
    assert footprint.order.__class__.objects.get(pk=footprint.order.pk).email == EMAIL

    with django_capture_on_commit_callbacks(execute=True):
        erased = client.post(
            RUN, {"email": EMAIL, "step": "erase", "reviews": "anonymise", "confirm": "on"}
        )
    assert erased.status_code == 302 and erased["Location"] == REQUESTS

    after = client.get(order_page).content.decode()
    assert NAME not in after and EMAIL not in after and "12 Rue des Lilas" not in after
    assert re.search(r"data-order-total>([^<]+)<", after)[1] == total_before
    reviews = client.get("/admin/reviews/review/").content.decode()
    assert NAME not in reviews and "A shopper" in reviews
    assert AuditEntry.objects.filter(action="privacy.erasure").count() == 1
    listing = client.get(REQUESTS).content.decode()
    assert "a…@example.com" in listing and EMAIL not in listing


@pytest.mark.parametrize("role", [Role.STAFF, Role.READ_ONLY])
def test_only_the_owner_opens_privacy_requests(footprint, shop_a, role):
    client = client_as(shop_a, staff_make(shop_a, role))

    for path in (REQUESTS, RUN):
        assert client.get(path).status_code == 403
    assert client.post(RUN, {"email": EMAIL, "step": "json"}).status_code == 403
    connection.set_tenant(shop_a)
    assert not DataRequest.objects.exists()


def test_shop_b_owner_cannot_export_shop_a_shopper(footprint, shop_b):
    client = owner_client("beta")

    found = client.post(RUN, {"email": EMAIL, "step": "find"})
    assert b"Your shop holds nothing about this address." in found.content
    export = json.loads(client.post(RUN, {"email": EMAIL, "step": "json"}).content)
    assert export["shop"] == "Beta Supplies"
    assert export["orders"] == export["reviews"] == export["checkouts"] == []
    assert NAME not in json.dumps(export)


def test_past_requests_are_listed_50_a_page_and_found_by_full_email(footprint):
    for number in range(50):
        data_request_export(email=f"s{number}@example.com", requester=Requester("staff", "Sam"))
    data_request_export(email=EMAIL, requester=Requester("shopper"))
    client = owner_client()

    first = client.get(REQUESTS).content.decode()
    assert "51 privacy requests" in first
    assert first.count('<tr class="') - first.count('<tr class="filter') <= 51
    assert len(re.findall(r'class="field-email_hint"', first)) == 50
    second = client.get(REQUESTS + "?p=2").content.decode()
    assert len(re.findall(r'class="field-email_hint"', second)) == 1

    found = client.get(REQUESTS, {"q": EMAIL.upper()}).content.decode()
    assert len(re.findall(r'class="field-email_hint"', found)) == 1
    assert "a…@example.com" in found


def test_the_privacy_pages_are_in_the_owners_settings_navigation(shop_a):
    page = owner_client().get("/admin/audit/auditentry/").content.decode()
    assert 'href="/admin/privacy/datarequest/"' in page
    assert 'href="/admin/retention/retentionpolicy/"' in page


def test_an_erased_shopper_is_no_longer_a_customer(footprint):
    client = owner_client()
    assert NAME not in client.get("/admin/customers/").content.decode()
    assert EMAIL in client.get("/admin/customers/").content.decode()

    data_request_erase(email=EMAIL, requester=Requester("staff", "Sam"))

    customers = client.get("/admin/customers/").content.decode()
    assert EMAIL not in customers and "anonymised" not in customers
