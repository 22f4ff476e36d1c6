"""The paid-partnership label: shown wherever the post is (post page, gallery and its
dialog, the embed, the API, the page's description), naming the partner; once a post
was published with it, removing it needs an explicit confirmation and is audited (from
the admin and the API), and another shop's key cannot touch it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from shops.api.services import api_key_create
from shops.audit.models import AuditEntry
from shops.posts import services
from shops.posts.models import Post
from shops.storefront import services as design
from tests.posts.conftest import picture, published_post
from tests.posts.test_admin import form
from tests.storefront.helpers import owner

LABEL = "<strong>Paid partnership</strong> with Acme Studio"


def sponsored(partner_name: str = "Acme Studio", **fields) -> Post:
    return published_post(is_paid_partnership=True, partner_name=partner_name, **fields)


def api(slug: str, shop) -> Client:
    with tenant_context(shop):
        secret = api_key_create(name="Agency", scopes=["posts:read", "posts:write"]).secret
    return Client(HTTP_HOST=f"{slug}.localhost", headers={"Authorization": f"Bearer {secret}"})


def test_publishing_a_sponsored_post_remembers_it_was_shown_so(shop_a, media):
    with tenant_context(shop_a):
        draft = services.post_create(
            images=[services.ImageInput(file=picture())],
            is_paid_partnership=True,
            partner_name="Acme Studio",
        )
        assert draft.paid_partnership_shown_at is None
        services.post_update(post=draft, is_paid_partnership=False)  # never shown: free
        assert not draft.is_paid_partnership

        post = sponsored()
        shown_at = post.paid_partnership_shown_at
        assert shown_at is not None
        services.post_update(post=post, status=Post.Status.DRAFT)  # back to draft
        post.refresh_from_db()
        assert post.paid_partnership_shown_at == shown_at


def test_the_label_of_a_published_post_is_not_removed_without_confirmation(shop_a, media):
    with tenant_context(shop_a):
        post = sponsored()
        services.post_update(post=post, status=Post.Status.DRAFT)

        with pytest.raises(ValidationError) as refused:
            services.post_update(post=post, is_paid_partnership=False, partner_name="")

        assert "published as a paid partnership with Acme Studio" in str(
            refused.value.message_dict["is_paid_partnership"]
        )
        post.refresh_from_db()
        assert (post.is_paid_partnership, post.partner_name) == (True, "Acme Studio")


def test_the_admin_asks_for_confirmation_and_the_removal_is_audited(shop_a, media):
    with tenant_context(shop_a):
        post = sponsored()
    client = owner()
    fields = form(
        status="published",
        published_at_0=post.published_at.strftime("%Y-%m-%d"),
        published_at_1=post.published_at.strftime("%H:%M:%S"),
        caption="Summer look",
    )

    refused = client.post(f"/admin/posts/post/{post.id}/change/", fields)
    confirmed = client.post(
        f"/admin/posts/post/{post.id}/change/", {**fields, "confirm_label_removal": "on"}
    )

    assert refused.status_code == 200
    assert "published as a paid partnership with Acme Studio" in refused.content.decode()
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    with tenant_context(shop_a):
        post.refresh_from_db()
        assert (post.is_paid_partnership, post.paid_partnership_shown_at) == (False, None)
        entry = AuditEntry.objects.get()
    assert (entry.actor_kind, entry.action, entry.object_id) == (
        "staff",
        "post.paid_partnership_removed",
        str(post.id),
    )
    assert entry.changes == {
        "is_paid_partnership": [True, False],
        "partner_name": ["Acme Studio", ""],
    }


def test_the_api_refuses_a_silent_removal_and_audits_a_confirmed_one(shop_a, media):
    with tenant_context(shop_a):
        post = sponsored()
    client = api("alpha", shop_a)
    path = f"/api/v1/posts/{post.id}/"

    refused = client.patch(path, {"is_paid_partnership": False}, "application/json")
    renamed = client.patch(path, {"partner_name": "Acme Ltd"}, "application/json")
    confirmed = client.patch(
        path, {"is_paid_partnership": False, "confirm_label_removal": True}, "application/json"
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "is_paid_partnership"
    assert renamed.status_code == 200
    assert (renamed.json()["is_paid_partnership"], renamed.json()["partner_name"]) == (
        True,
        "Acme Ltd",
    )
    assert confirmed.status_code == 200 and confirmed.json()["is_paid_partnership"] is False
    with tenant_context(shop_a):
        entries = list(AuditEntry.objects.order_by("id").values_list("actor_kind", "action"))
    assert entries == [
        ("api_key", "post.paid_partnership"),
        ("api_key", "post.paid_partnership_removed"),
    ]


def test_another_shops_key_cannot_unmark_the_post(shop_a, shop_b, media):
    with tenant_context(shop_a):
        post = sponsored()

    response = api("beta", shop_b).patch(
        f"/api/v1/posts/{post.id}/",
        {"is_paid_partnership": False, "confirm_label_removal": True},
        "application/json",
    )

    assert response.status_code == 404
    with tenant_context(shop_a):
        post.refresh_from_db()
        assert post.is_paid_partnership


def test_the_label_is_on_every_surface_that_shows_the_post(shop_a, media):
    with tenant_context(shop_a):
        post = sponsored(caption="Linen in the sun", source=Post.Source.IMPORTED)  # Instagram
        design.section_add(section_type_key="posts_gallery")
        design.design_publish()
    shopper = Client(HTTP_HOST="alpha.localhost")

    post_page = shopper.get(f"/posts/{post.id}/").content.decode()
    shop_page = shopper.get("/").content.decode()
    embed = shopper.get("/embed/").content.decode()
    listed = api("alpha", shop_a).get(f"/api/v1/posts/{post.id}/").json()

    assert post_page.count(LABEL) == 1
    description = "Paid partnership with Acme Studio. Linen in the sun"
    assert f'<meta property="og:description" content="{description}">' in post_page
    assert f'<meta name="description" content="{description}">' in post_page
    assert shop_page.count(LABEL) == 2  # the grid and the post's dialog
    assert embed.count(LABEL) == 2
    assert (listed["is_paid_partnership"], listed["partner_name"]) == (True, "Acme Studio")


def test_the_partner_is_named_wherever_a_post_is_marked(shop_a, media):
    with tenant_context(shop_a), pytest.raises(ValidationError) as refused:
        sponsored(partner_name="  ")

    assert "Name the partner of a paid partnership" in str(refused.value)
