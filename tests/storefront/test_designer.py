"""The designer in the merchant's admin, through real HTTP posts on the shop host."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from shops.storefront.models import Design
from tests.storefront.helpers import headings, owner, picture_upload, shopper

DESIGNER = "/admin/storefront/design/"


def post(client: Client, **data):
    return client.post(DESIGNER, data)


def draft_headings(shop) -> list[str]:
    with tenant_context(shop):
        design = Design.objects.get()
    return [section["settings"].get("heading", "") for section in design.draft["sections"]]


def test_the_admin_index_links_to_the_designer(shop_a):
    html = owner().get("/admin/").content.decode()

    # Home: the navigation's "Online store" and the checklist's design step open it
    assert f'<a class="backoffice-nav-top" href="{DESIGNER}">Online store</a>' in html
    assert f'href="{DESIGNER}">Open the designer' in html


def test_the_designer_shows_sections_branding_snippet_and_preview(shop_a):
    response = owner().get(DESIGNER)
    html = response.content.decode()

    assert response.status_code == 200
    assert 'id="section-list"' in html and 'data-id="products"' in html
    assert '<iframe id="preview" src="/admin/storefront/design/preview/"' in html
    assert (
        "&lt;script src=&quot;http://alpha.localhost/embed.js&quot; async&gt;&lt;/script&gt;"
        in html
    )
    assert 'id="copy-snippet"' in html


def test_editing_saves_the_draft_and_the_preview_shows_it_but_shoppers_do_not(shop_a):
    client = owner()
    response = post(client, action="add_section", section_type="rich_text")
    assert response.status_code == 302
    with tenant_context(shop_a):
        (section,) = [s for s in Design.objects.get().draft["sections"] if s["type"] == "rich_text"]

    saved = post(
        client,
        action="update_section",
        section_id=section["id"],
        **{"settings-heading": "Our story", "settings-html": "<p>Since 1999</p>"},
    )
    preview = client.get("/admin/storefront/design/preview/")

    assert saved.status_code == 302
    assert headings(preview.content) == ["Products", "Our story"]
    assert "Preview of your draft" in preview.content.decode()
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert headings(shopper().get("/").content) == ["Products"]


def test_the_preview_is_for_staff_only(shop_a):
    response = shopper().get("/admin/storefront/design/preview/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_move_buttons_reorder_without_javascript(shop_a):
    client = owner()
    post(client, action="add_section", section_type="hero")
    with tenant_context(shop_a):
        hero_id = Design.objects.get().draft["sections"][1]["id"]

    response = post(client, action="move_section", section_id=hero_id, offset="-1")

    assert response.status_code == 302
    assert draft_headings(shop_a) == ["Welcome", "Products"]


def test_publish_and_revert_from_the_designer(shop_a, django_capture_on_commit_callbacks):
    client = owner()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, action="add_section", section_type="hero")
        post(client, action="publish")
    post(client, action="add_section", section_type="rich_text")
    post(client, action="revert")

    assert headings(shopper().get("/").content) == ["Products", "Welcome"]
    assert draft_headings(shop_a) == ["Products", "Welcome"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "add_section", "section_type": "carousel"}, "Unknown section type “carousel”."),
        (
            {"action": "update_section", "section_id": "products", "settings-per_page": "-3"},
            "Product grid, Products per page: Ensure this value is greater than or equal to 4.",
        ),
        (
            {"action": "update_section", "section_id": "products", "settings-evil": "1"},
            "Product grid: unknown setting evil.",
        ),
        (
            {
                "action": "branding",
                "background_color": "#fff0",
                "font": "system",
                "text_color": "#000000",
                "accent_color": "#0a5c4a",
            },
            "Background: “#fff0” is not a colour; write it as # and six hex digits, like #1d1d1f.",
        ),
        (
            {"action": "origins", "origins": "https://ok.example\nhttps://blog.example/path"},
            "“https://blog.example/path” is not an origin: an origin has no path: leave out "
            "everything after the host and port.",
        ),
        (
            {"action": "reorder_sections", "order": "products,nope"},
            "The order sent does not list the design's sections; reload the designer.",
        ),
        ({"action": "drop_tables"}, "Unknown action."),
    ],
)
def test_bad_posts_bypassing_the_form_get_a_clear_error_and_change_nothing(
    shop_a, django_capture_on_commit_callbacks, data, message
):
    client = owner()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, action="publish")
    live_before = shopper().get("/").content
    with tenant_context(shop_a):
        before = Design.objects.values("draft", "published", "embed_origins").get()

    response = post(client, **data)

    assert response.status_code == 400
    assert f"<li>{message}</li>".replace("'", "&#x27;") in response.content.decode()
    with tenant_context(shop_a):
        assert Design.objects.values("draft", "published", "embed_origins").get() == before
    assert shopper().get("/").content == live_before


def test_an_oversize_logo_upload_is_refused(shop_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.STOREFRONT_IMAGE_MAX_BYTES = 1000
    response = owner().post(
        DESIGNER,
        {
            "action": "branding",
            "background_color": "#ffffff",
            "text_color": "#000000",
            "accent_color": "#0a5c4a",
            "font": "system",
            "logo": picture_upload(size=(500, 500)),
        },
    )

    assert response.status_code == 400
    assert "Logo: The image is larger than 0.977 KB; export it smaller" in response.content.decode()


def test_origins_are_saved_normalised(shop_a):
    post(owner(), action="origins", origins="HTTPS://Blog.Example.com/\n\nhttp://127.0.0.2:8080")

    with tenant_context(shop_a):
        assert Design.objects.get().embed_origins == [
            "https://blog.example.com",
            "http://127.0.0.2:8080",
        ]


def test_a_shops_admin_cannot_change_another_shops_design(shop_a, shop_b):
    alpha_owner = owner("alpha")
    alpha_owner.defaults["HTTP_HOST"] = "beta.localhost"  # alpha's session, beta's host

    response = alpha_owner.post(DESIGNER, {"action": "add_section", "section_type": "hero"})

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    with tenant_context(shop_b):
        assert not Design.objects.exists()
