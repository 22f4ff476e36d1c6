"""The live designer's draft: autosave through the JSON endpoint, undo/redo over draft
states, revert and publish, the media library, and their tenancy."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from shops.accounts.roles import Role
from shops.audit.models import AuditEntry
from shops.storefront import services
from shops.storefront.documents import default_document, document_clean
from shops.storefront.fields import LinkField
from shops.storefront.models import Design, LibraryImage
from tests.shops.staff_helpers import client_as, staff_make
from tests.storefront.helpers import headings, owner, picture_upload, shopper

DRAFT = "/admin/storefront/design/draft/"
MEDIA = "/admin/storefront/design/media/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def with_hero(heading: str = "Summer sale", **settings) -> dict:
    document = default_document()
    document["sections"].append(
        {"id": "hero1234", "type": "hero", "settings": {"heading": heading, **settings}}
    )
    return document


def cleaned(heading: str) -> dict:
    return document_clean(with_hero(heading))


def save(client: Client, document: dict, *, host: str | None = None):
    extra = {"HTTP_HOST": host} if host else {}
    return client.post(
        DRAFT, json.dumps({"document": document}), content_type="application/json", **extra
    )


def test_autosave_changes_the_draft_and_the_preview_but_not_the_shop_page(
    shop_a, django_capture_on_commit_callbacks
):
    client = owner()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/storefront/design/", {"action": "publish"})
    live_before = shopper().get("/").content

    response = save(client, with_hero())

    assert response.status_code == 200
    assert response.json()["can_undo"] is True and response.json()["can_redo"] is False
    assert response.json()["has_unpublished_changes"] is True
    assert headings(client.get("/admin/storefront/design/preview/").content) == [
        "Products",
        "Summer sale",
    ]
    assert shopper().get("/").content == live_before


def test_a_refused_autosave_names_the_field_and_keeps_the_draft(shop_a):
    client = owner()
    save(client, with_hero())
    with tenant_context(shop_a):
        before = Design.objects.get().draft

    response = save(client, with_hero("Summer sale!", button_link="javascript:alert(1)"))

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "path": "sections.hero1234.button_link",
                "message": "Hero banner, Button link: Give a section of this page like "
                "#products, a page of the shop starting with / or a web address starting "
                "with https://.",
            }
        ]
    }
    with tenant_context(shop_a):
        assert Design.objects.get().draft == before


@pytest.mark.parametrize(
    ("link", "is_valid"),
    [
        ("#products", True),
        ("#reviews", True),
        ("#a1b2c3d4", True),
        ("/collections/summer/", True),
        ("https://example.com/a", True),
        ("#", False),
        ("#a b", False),
        ("//evil.example", False),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
    ],
)
def test_button_links_are_same_page_anchors_shop_paths_or_web_addresses(link, is_valid):
    field = LinkField()
    if is_valid:
        assert field.clean(link) == link
    else:
        with pytest.raises(ValidationError):
            field.clean(link)


def test_undo_and_redo_walk_the_draft_states(shop_a):
    with tenant_context(shop_a):
        services.design_draft_save(document=with_hero("One"))
        services.design_draft_save(document=with_hero("Two"))
        services.design_draft_save(document=with_hero("Two"))  # no change: no new state

        assert services.design_undo().draft == cleaned("One")
        assert services.design_undo().draft == default_document()
        with pytest.raises(ValidationError, match=r"There is nothing to undo\."):
            services.design_undo()
        assert services.design_redo().draft == cleaned("One")
        services.design_draft_save(document=with_hero("Three"))  # a new change drops redo
        with pytest.raises(ValidationError, match=r"There is nothing to redo\."):
            services.design_redo()
        assert services.design_undo().draft == cleaned("One")


def test_history_is_capped(shop_a):
    with tenant_context(shop_a):
        for number in range(services.HISTORY_LIMIT + 5):
            services.design_draft_save(document=with_hero(f"Heading {number}"))
        design = Design.objects.get()

    assert len(design.undo_stack) == services.HISTORY_LIMIT
    assert design.undo_stack[0] == cleaned("Heading 4")


def test_undo_through_the_endpoint_and_the_classic_form(shop_a):
    client = owner()
    save(client, with_hero("One"))
    save(client, with_hero("Two"))

    undone = client.post(DRAFT, json.dumps({"action": "undo"}), content_type="application/json")
    classic = client.post("/admin/storefront/design/", {"action": "undo"})

    assert undone.json()["document"] == cleaned("One")
    assert classic.status_code == 302
    with tenant_context(shop_a):
        assert Design.objects.get().draft == default_document()
    nothing = client.post("/admin/storefront/design/", {"action": "undo"})
    assert nothing.status_code == 400 and "There is nothing to undo." in nothing.content.decode()


def test_revert_can_be_undone_and_publish_takes_the_draft(
    shop_a, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        services.design_draft_save(document=with_hero("Kept"))
        services.design_revert()
        assert Design.objects.get().draft == default_document()
        services.design_undo()
        with django_capture_on_commit_callbacks(execute=True):
            services.design_publish()

    assert headings(shopper().get("/").content) == ["Products", "Kept"]


def test_a_picture_is_stored_on_upload_and_listed_in_the_library(shop_a):
    client = owner()

    uploaded = client.post(MEDIA, {"file": picture_upload("beach.png", (640, 400))})
    reference = uploaded.json()["image"]["reference"]
    saved = save(client, with_hero(image=reference))
    listed = client.get(MEDIA).json()

    assert uploaded.status_code == 201 and reference["width"] == 640
    assert saved.status_code == 200
    assert saved.json()["document"]["sections"][1]["settings"]["image"] == reference
    assert [image["reference"] for image in listed["images"]] == [reference]
    assert listed["page"] == 1 and listed["page_count"] == 1


def test_a_failed_upload_says_why(shop_a):
    response = owner().post(MEDIA, {"file": SimpleUploadedFile("notes.txt", b"hello")})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("Picture:")


def test_the_library_is_paginated_in_constant_queries(shop_a, django_assert_max_num_queries):
    client = owner()
    with tenant_context(shop_a):
        for number in range(30):
            name = f"storefront/picture{number:02d}.png"
            LibraryImage.objects.create(
                name=name, image={"name": name, "width": 10, "height": 10, "renditions": {}}
            )

    with django_assert_max_num_queries(6):
        first = client.get(MEDIA).json()
    with django_assert_max_num_queries(6):
        second = client.get(MEDIA, {"page": 2}).json()

    assert len(first["images"]) == 24 and len(second["images"]) == 6
    assert first["page_count"] == 2
    assert first["images"][0]["reference"]["name"] == "storefront/picture29.png"


def test_the_draft_refuses_another_shops_picture(shop_a, shop_b):
    with tenant_context(shop_b):
        theirs = services.library_image_upload(file=picture_upload()).image

    response = save(owner(), with_hero(image=theirs))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "sections.hero1234.image",
            "message": "That picture is not in this shop's media library; upload it again.",
        }
    ]
    with tenant_context(shop_a):
        assert not Design.objects.exists() or "hero1234" not in json.dumps(
            Design.objects.get().draft
        )


def test_a_made_up_picture_size_is_replaced_by_the_stored_one(shop_a):
    client = owner()
    reference = client.post(MEDIA, {"file": picture_upload(size=(400, 200))}).json()["image"][
        "reference"
    ]

    saved = save(client, with_hero(image={**reference, "width": 99999}))

    assert saved.json()["document"]["sections"][1]["settings"]["image"]["width"] == 400


def test_another_shops_staff_cannot_write_the_draft_or_the_library(shop_a, shop_b):
    beta_owner = owner("beta")

    draft = save(beta_owner, with_hero(), host="alpha.localhost")
    upload = beta_owner.post(MEDIA, {"file": picture_upload()}, HTTP_HOST="alpha.localhost")

    assert draft.status_code == 302 and draft["Location"].startswith("/admin/login/")
    assert upload.status_code == 302
    with tenant_context(shop_a):
        assert not Design.objects.exists()
        assert not LibraryImage.objects.exists()


def test_the_endpoint_needs_the_csrf_token(shop_a):
    client = owner()
    client.handler.enforce_csrf_checks = True

    response = save(client, with_hero())

    assert response.status_code == 403
    with tenant_context(shop_a):
        assert not Design.objects.exists()


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", json.dumps({"document": "a string"}).encode()]
)
def test_unreadable_autosaves_get_a_clear_error(shop_a, body):
    response = owner().post(DRAFT, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_without_javascript_a_failed_save_keeps_what_was_typed_beside_the_error(shop_a):
    client = owner()
    client.post("/admin/storefront/design/", {"action": "add_section", "section_type": "hero"})
    with tenant_context(shop_a):
        hero_id = Design.objects.get().draft["sections"][1]["id"]

    response = client.post(
        "/admin/storefront/design/",
        {
            "action": "update_section",
            "section_id": hero_id,
            "settings-heading": "Typed heading",
            "settings-button_link": "ftp://example.com",
        },
    )
    html = response.content.decode()

    assert response.status_code == 400
    assert 'value="Typed heading"' in html and 'value="ftp://example.com"' in html
    assert (
        f'id="id_{hero_id}_settings-button_link-error" data-error-for="sections.{hero_id}.button_link">'
        in html
    )
    assert 'aria-invalid="true"' in html


def test_the_shop_page_has_the_anchors_buttons_link_to(shop_a, django_capture_on_commit_callbacks):
    document = with_hero(button_label="See the products", button_link="#products")
    document["sections"].append({"id": "grid2222", "type": "product_grid", "settings": {}})
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.design_draft_save(document=document)
        services.design_publish()

    html = shopper().get("/").content.decode()

    assert re.findall(r'<span id="([^"]+)" class="section-anchor">', html) == [
        "products",  # the default grid's id is its type's name already: once
        "hero1234",
        "grid2222",
    ]
    assert 'href="#products"' in html


# --- Deleting a picture of the library --------------------------------------------------


def _files_of(reference: dict) -> list[str]:
    return [reference["name"], *reference["renditions"].values()]


def _stored(shop, reference: dict) -> list[bool]:
    """Whether each file of the picture is in ``shop``'s media folder."""
    with tenant_context(shop):
        return [default_storage.exists(name) for name in _files_of(reference)]


def test_a_picture_no_design_shows_is_deleted_with_its_files_after_commit(
    shop_a, django_capture_on_commit_callbacks
):
    # given: two pictures in the library, neither in the draft nor the published design
    client = owner()
    kept = client.post(MEDIA, {"file": picture_upload("kept.png")}).json()["image"]
    gone = client.post(MEDIA, {"file": picture_upload("gone.png")}).json()["image"]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(gone["delete_url"])

    # then: the row, its files, an audit entry; the other picture untouched
    assert response.status_code == 200 and response.json() == {"deleted": gone["id"]}
    listed = client.get(MEDIA).json()["images"]
    assert [image["id"] for image in listed] == [kept["id"]]
    assert len(_stored(shop_a, gone["reference"])) > 1  # the picture and its renditions
    assert not any(_stored(shop_a, gone["reference"]))
    assert all(_stored(shop_a, kept["reference"]))
    with tenant_context(shop_a):
        entry = AuditEntry.objects.get(action="libraryimage.delete")
    assert entry.object_repr == gone["reference"]["name"]
    assert entry.actor_label == "owner@alpha.test"


@pytest.mark.parametrize(
    ("published", "message"),
    [
        (
            False,
            "This picture is in the draft: choose another one there (or remove it), "
            "then delete it.",
        ),
        (
            True,
            "This picture is in the published design and the draft: choose another one in "
            "the draft and publish, then delete it.",
        ),
    ],
)
def test_a_picture_a_design_shows_is_refused_with_where(
    shop_a, published, message, django_capture_on_commit_callbacks
):
    client = owner()
    image = client.post(MEDIA, {"file": picture_upload()}).json()["image"]
    assert save(client, with_hero(image=image["reference"])).status_code == 200
    if published:
        client.post("/admin/storefront/design/", {"action": "publish"})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(image["delete_url"])

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "", "message": message}]
    assert [entry["id"] for entry in client.get(MEDIA).json()["images"]] == [image["id"]]
    assert all(_stored(shop_a, image["reference"]))


def test_a_picture_only_the_undo_history_shows_keeps_its_files(
    shop_a, django_capture_on_commit_callbacks
):
    # given: the picture was in an earlier draft (undo brings it back)
    client = owner()
    image = client.post(MEDIA, {"file": picture_upload()}).json()["image"]
    save(client, with_hero(image=image["reference"]))
    save(client, with_hero())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(image["delete_url"])

    assert response.status_code == 200
    assert client.get(MEDIA).json()["images"] == []
    assert all(_stored(shop_a, image["reference"]))


def test_deleting_needs_a_post_and_a_picture_that_exists(shop_a):
    client = owner()
    image = client.post(MEDIA, {"file": picture_upload()}).json()["image"]

    by_get = client.get(image["delete_url"])
    unknown = client.post(f"{MEDIA}999999/delete/")

    assert by_get.status_code == 405
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"] == (
        "That picture is no longer in the media library."
    )


def test_another_shop_cannot_delete_a_picture_of_this_shops_library(shop_a, shop_b):
    image = owner().post(MEDIA, {"file": picture_upload()}).json()["image"]

    # beta's owner on alpha's host (not signed in there), and on beta's own host with
    # alpha's picture id (which can only name a picture of beta's library)
    on_alpha = owner("beta").post(image["delete_url"], HTTP_HOST="alpha.localhost")
    on_beta = owner("beta").post(f"{MEDIA}{image['id']}/delete/")

    assert on_alpha.status_code == 302 and on_alpha["Location"].startswith("/admin/login/")
    assert on_beta.status_code == 400  # beta's library is empty
    with tenant_context(shop_a):
        assert LibraryImage.objects.filter(pk=image["id"]).exists()
        assert not AuditEntry.objects.filter(action="libraryimage.delete").exists()


def test_a_read_only_account_cannot_delete_a_picture(shop_a):
    image = owner().post(MEDIA, {"file": picture_upload()}).json()["image"]

    reader = client_as(shop_a, staff_make(shop_a, Role.READ_ONLY))

    response = reader.post(image["delete_url"])

    assert response.status_code == 403
    with tenant_context(shop_a):
        assert LibraryImage.objects.filter(pk=image["id"]).exists()
