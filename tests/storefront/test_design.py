"""The design: draft vs published, validation in the services, the shop page it draws."""

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from catalog.collections import collection_create
from catalog.demo import demo_catalog_seed
from shops.storefront import services
from shops.storefront.branding import contrast_ratio
from shops.storefront.demo import demo_design_seed
from shops.storefront.documents import default_document
from shops.storefront.models import Design, LibraryImage
from shops.storefront.sections import REGISTRY
from tests.storefront.helpers import headings, picture_upload, product, shopper

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def titled(heading: str, kind: str = "rich_text") -> dict:
    """Add a section of ``kind`` to the draft with this heading; returns the section."""
    section = services.section_add(section_type_key=kind)
    return services.section_update(section_id=section["id"], settings={"heading": heading})


def test_a_shopper_never_sees_the_draft_until_it_is_published(
    shop_a, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        titled("Summer sale", kind="hero")

    before = shopper().get("/")

    assert before.status_code == 200
    assert "Summer sale" not in before.content.decode()
    assert headings(before.content) == ["Products"]

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.design_publish()

    assert headings(shopper().get("/").content) == ["Products", "Summer sale"]


def test_revert_discards_the_draft_and_keeps_the_published_design(shop_a):
    with tenant_context(shop_a):
        titled("Live")
        services.design_publish()
        titled("Abandoned idea")
        services.design_revert()
        design = Design.objects.get()

    assert [s["settings"].get("heading") for s in design.draft["sections"]] == ["Products", "Live"]
    assert design.draft == design.published
    assert not design.has_unpublished_changes


def test_revert_before_any_publish_goes_back_to_the_default_design(shop_a):
    with tenant_context(shop_a):
        titled("Never shown")
        design = services.design_revert()

    assert design.draft == default_document()
    assert design.published is None


def test_sections_are_reordered_moved_and_removed(shop_a):
    with tenant_context(shop_a):
        first = titled("First")
        second = titled("Second")
        services.sections_reorder(section_ids=[second["id"], "products", first["id"]])
        order_after_reorder = _headings_of_draft()
        services.section_move(section_id=first["id"], offset=-1)
        order_after_move = _headings_of_draft()
        services.section_move(section_id=second["id"], offset=-1)  # already first: stays
        services.section_remove(section_id="products")
        order_after_remove = _headings_of_draft()

    assert order_after_reorder == ["Second", "Products", "First"]
    assert order_after_move == ["Second", "First", "Products"]
    assert order_after_remove == ["Second", "First"]


def _headings_of_draft() -> list[str]:
    return [s["settings"].get("heading") for s in Design.objects.get().draft["sections"]]


def test_a_reorder_that_does_not_list_every_section_is_refused(shop_a):
    with tenant_context(shop_a):
        titled("First")
        with pytest.raises(ValidationError) as error:
            services.sections_reorder(section_ids=["products"])

    assert error.value.messages == [
        "The order sent does not list the design's sections; reload the designer."
    ]


# --- bad input: clear errors, the live page untouched ----------------------------------------


@pytest.fixture
def published(shop_a):
    """Shop A with a published design (hero "Live hero" + products)."""
    with tenant_context(shop_a):
        titled("Live hero", kind="hero")
        services.design_publish()
        return Design.objects.get().published


def _live_and_draft(shop) -> tuple[dict, dict]:
    with tenant_context(shop):
        design = Design.objects.get()
    return design.published, design.draft


def test_an_invalid_colour_is_refused_with_a_message(shop_a, published):
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.branding_update(values={"text_color": "#12345g", "accent_color": "red"})

    assert error.value.messages == [
        "Text: “#12345g” is not a colour; write it as # and six hex digits, like #1d1d1f.",
        "Buttons and links: “red” is not a colour; write it as # and six hex digits, like #1d1d1f.",
    ]
    live, draft = _live_and_draft(shop_a)
    assert live == published and draft == published


def test_an_unknown_section_type_is_refused(shop_a, published):
    document = json.loads(json.dumps(published))
    document["sections"].append({"id": "abcd1234", "type": "carousel", "settings": {}})

    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as unknown_in_document:
            services.design_draft_replace(document=document)
        with pytest.raises(ValidationError) as unknown_added:
            services.section_add(section_type_key="carousel")

    assert unknown_in_document.value.messages == [
        "Unknown section type “carousel”; the types are featured_collection, hero, "
        "image_with_text, poll, posts_gallery, product_grid, reviews_wall, rich_text."
    ]
    assert unknown_added.value.messages == ["Unknown section type “carousel”."]
    assert _live_and_draft(shop_a) == (published, published)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"per_page": "lots"}, "Product grid, Products per page: Enter a whole number."),
        (
            {"per_page": 500},
            "Product grid, Products per page: Ensure this value is less than or equal to 48.",
        ),
        ({"colour": "red"}, "Product grid: unknown setting colour."),
        (
            {"heading": "x" * 121},
            "Product grid, Heading: Ensure this value has at most 120 characters (it has 121).",
        ),
    ],
)
def test_malformed_section_settings_are_refused(shop_a, published, settings, message):
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.section_update(section_id="products", settings=settings)

    assert error.value.messages == [message]
    assert _live_and_draft(shop_a) == (published, published)


def test_a_link_that_is_not_a_web_address_is_refused(shop_a, published):
    (hero,) = [s for s in published["sections"] if s["type"] == "hero"]
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.section_update(
            section_id=hero["id"],
            settings={"button_label": "Go", "button_link": "javascript:alert(1)"},
        )

    assert error.value.messages == [
        "Hero banner, Button link: Give a section of this page like #products, a page of the "
        "shop starting with / or a web address starting with https://."
    ]


def test_a_whole_document_with_several_problems_lists_them_all(shop_a, published):
    document = {
        "branding": {"background_color": "white", "font": "Comic Sans", "logo": "/etc/passwd"},
        "sections": [{"id": "AB", "type": "hero", "settings": []}],
    }
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.design_draft_replace(document=document)

    assert error.value.messages == [
        "Background: “white” is not a colour; write it as # and six hex digits, like #1d1d1f.",
        "Font: choose one of System (the device's own), Humanist sans, Geometric sans, Serif, "
        "Old-style serif, Monospace.",
        "Logo: not a picture stored by the designer; upload it again.",
        "Hero banner: the section id must be 4 to 16 lowercase letters or digits.",
    ]
    assert _live_and_draft(shop_a) == (published, published)


def test_an_oversize_logo_is_refused(shop_a, published, media, settings):
    settings.STOREFRONT_IMAGE_MAX_BYTES = 2000
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.branding_update(values={}, logo=picture_upload(size=(600, 600)))

    assert error.value.messages == [
        "Logo: The image is larger than 1.95 KB; export it smaller and try again."
    ]
    assert _live_and_draft(shop_a) == (published, published)


def test_a_file_that_is_not_a_picture_is_refused_as_logo(shop_a, published, media):
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.branding_update(
            values={}, logo=SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>")
        )

    assert error.value.messages[0].startswith("Logo: This file is not an image we can read")


def test_a_logo_goes_through_the_image_pipeline_and_shows_on_the_page(shop_a, media):
    with tenant_context(shop_a):
        services.branding_update(values={}, logo=picture_upload(size=(800, 200)))
        services.design_publish()
        logo = Design.objects.get().published["branding"]["logo"]

    html = shopper().get("/").content.decode()

    assert logo["width"] == 800 and logo["height"] == 200
    assert sorted(logo["renditions"]) == ["320", "640", "800"]
    assert (media / shop_a.schema_name / logo["name"]).exists()
    assert (
        f'<img class="logo" src="/media/{shop_a.schema_name}/{logo["renditions"]["320"]}"' in html
    )
    assert '<h1 id="shop-title" class="visually-hidden">Alpha Goods</h1>' in html


def test_a_logo_sent_with_a_bad_colour_is_not_stored(shop_a, media):
    with tenant_context(shop_a), pytest.raises(ValidationError):
        services.branding_update(values={"text_color": "blue"}, logo=picture_upload())

    assert not list(media.rglob("*.png"))


def test_pictures_the_design_drops_stay_in_the_media_library(
    shop_a, media, django_capture_on_commit_callbacks
):
    def files() -> set[str]:
        return {path.name for path in (media / shop_a.schema_name / "storefront").iterdir()}

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.branding_update(values={}, logo=picture_upload(colour="red"))
        services.design_publish()
    first = files()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.branding_update(values={}, logo=picture_upload(colour="blue"))
        services.design_publish()  # no version shows the first logo any more
        library = set(LibraryImage.objects.values_list("name", flat=True))

    assert len(first) == 3  # the cleaned original and renditions 320 and 400 wide
    assert len(files()) == 6  # both logos: the library offers them again
    assert len(library) == 2


# --- branding --------------------------------------------------------------------------------


def test_low_contrast_colours_are_saved_with_a_warning(shop_a):
    with tenant_context(shop_a):
        warnings = services.branding_update(
            values={"text_color": "#999999", "background_color": "#ffffff"}
        )
        readable = services.branding_update(values={"text_color": "#595959"})

    assert [w.message for w in warnings] == [
        "Text on the background has a contrast of 2.85:1, below the 4.5:1 that WCAG AA asks "
        "for: some shoppers will not be able to read it."
    ]
    assert readable == []


def test_contrast_ratio_matches_wcag_reference_values():
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert round(contrast_ratio("#ffffff", "#ffffff"), 2) == 1.0


def test_branding_shows_on_the_shop_page(shop_a):
    with tenant_context(shop_a):
        services.branding_update(
            values={
                "accent_color": "#FFCC00",
                "font": "transitional",
                "announcement": "Free shipping this week",
                "announcement_link": "/products/tee/",
                "social": {"instagram": "https://www.instagram.com/alpha"},
            }
        )
        services.design_publish()

    html = shopper().get("/").content.decode()

    assert "--accent: #ffcc00; --on-accent: #111111;" in html
    assert '--brand-font: Charter, "Bitstream Charter", "Sitka Text", Cambria, serif;' in html
    assert (
        '<aside class="announcement" aria-label="Announcement"><a href="/products/tee/">'
        "Free shipping this week</a></aside>" in html
    )
    assert '<a href="https://www.instagram.com/alpha" rel="me noopener"' in html


def test_a_social_link_must_be_on_the_networks_site(shop_a):
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.branding_update(values={"social": {"instagram": "https://evil.example/x"}})

    assert error.value.messages == [
        "Instagram: give the address of your profile, starting with https://instagram.com/."
    ]


# --- sections ---------------------------------------------------------------------------------


def test_every_section_type_renders_with_its_default_settings(shop_a):
    with tenant_context(shop_a):
        product("Mug", slug="mug")
        for key in REGISTRY:
            services.section_add(section_type_key=key)
        services.design_publish()

    response = shopper().get("/")

    assert response.status_code == 200
    # features not landed yet (posts, reviews, polls) and a collection section without a
    # collection render nothing; the others render
    rendered = re.findall(
        r'class="section [^"]*" data-section="([a-z0-9]+)"', response.content.decode()
    )
    with tenant_context(shop_a):
        kinds = {s["id"]: s["type"] for s in Design.objects.get().published["sections"]}
    assert sorted(kinds[section_id] for section_id in rendered) == [
        "hero",
        "image_with_text",
        "product_grid",
        "product_grid",
        "rich_text",
    ]


def test_rich_text_is_sanitized(shop_a):
    with tenant_context(shop_a):
        section = services.section_add(section_type_key="rich_text")
        services.section_update(
            section_id=section["id"],
            settings={"html": '<p onclick="x()">Hello <script>alert(1)</script><b>you</b></p>'},
        )
        services.design_publish()

    html = shopper().get("/").content.decode()

    assert "<p>Hello <b>you</b></p>" in html
    assert "alert(1)" not in html


def test_featured_collection_shows_its_products_in_order(shop_a):
    with tenant_context(shop_a):
        mug = product("Mug", slug="mug")
        tee = product("Tee", slug="tee")
        product("Cap", slug="cap")
        collection_create(title="Picks", slug="picks", product_ids=[tee.id, mug.id])
        section = services.section_add(section_type_key="featured_collection", position=0)
        services.section_update(section_id=section["id"], settings={"collection": "picks"})
        services.design_publish()

    html = shopper().get("/").content.decode()
    collection_html = html.split('class="section section-collection"')[1].split("</section>")[0]

    assert headings(html) == ["Picks", "Products"]
    assert re.findall(r'<span class="product-card-title">([^<]+)</span>', collection_html) == [
        "Tee",
        "Mug",
    ]


# --- head: Open Graph, JSON-LD ----------------------------------------------------------------


def test_shop_page_has_open_graph_and_organization_item_list_json_ld(shop_a):
    with tenant_context(shop_a):
        product("Mug </script><script>alert(1)</script>", slug="mug")
        services.branding_update(
            values={"tagline": "Goods for people", "social": {"x": "https://x.com/alpha"}}
        )
        services.design_publish()

    html = shopper().get("/").content.decode()
    (block,) = JSON_LD.findall(html)
    data = json.loads(block)

    assert "</script><script>alert(1)" not in html
    assert '<meta property="og:title" content="Alpha Goods">' in html
    assert '<meta property="og:description" content="Goods for people">' in html
    assert '<meta property="og:url" content="http://alpha.localhost/">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    organization, item_list = data["@graph"]
    assert organization == {
        "@type": "Organization",
        "name": "Alpha Goods",
        "url": "http://alpha.localhost/",
        "sameAs": ["https://x.com/alpha"],
    }
    assert item_list["itemListElement"] == [
        {
            "@type": "ListItem",
            "position": 1,
            "url": "http://alpha.localhost/products/mug/",
            "name": "Mug </script><script>alert(1)</script>",
        }
    ]


def test_shop_page_landmarks_and_no_script_needed(shop_a):
    html = shopper().get("/").content.decode()

    assert '<main id="main" tabindex="-1">' in html
    assert '<header class="site-header">' in html and '<footer class="site-footer">' in html
    assert '<a class="skip-link" href="#main">' in html
    # the one script is the deferred analytics beacon (docs/insights.md): the page needs none
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/insights/insights.js"]
    assert '<script src="/static/insights/insights.js" data-page="shop" defer>' in html


# --- demo ---------------------------------------------------------------------------------------


def test_demo_design_is_published_once_and_keeps_the_merchants_changes(shop_a, media):
    with tenant_context(shop_a):
        demo_catalog_seed(limit=6)
        first = demo_design_seed()
        services.section_remove(section_id="care")
        services.design_publish()
        second = demo_design_seed()

    html = shopper().get("/").content.decode()

    assert (first, second) == (True, False)
    assert headings(html) == [
        "Made slowly, worn for years",
        "Organic tees",
        "Our story",
        "Everything",
    ]
    assert html.count('class="product-card"') == 4 + 6  # 4 tees in the collection, all 6 below


def test_product_pages_wear_the_published_branding(shop_a, django_capture_on_commit_callbacks):
    with tenant_context(shop_a):
        product("Mug", slug="mug")
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.branding_update(values={"accent_color": "#123456", "announcement": "Sale"})
    draft_only = shopper().get("/products/mug/").content.decode()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.design_publish()

    published = shopper().get("/products/mug/").content.decode()

    assert "--accent: #0a5c4a;" in draft_only and "Sale" not in draft_only
    assert "--accent: #123456;" in published
    assert '<aside class="announcement" aria-label="Announcement">Sale</aside>' in published
