"""In Chromium, at a desktop and a phone width: the merchant edits the shop page in the
live designer. Typing reaches the preview before any publish; a bad link is refused
beside its field while the typed text and the uploaded picture stay; undo and redo walk
the draft; Revert asks first; a section is inserted where chosen."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from shops.storefront.models import Design, LibraryImage
from tests.catalog.test_admin_browser import log_in
from tests.storefront.helpers import picture_upload

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-designer"))  # noqa: S108
HEADINGS = "h2[id^=section-]"
WIDTHS = [1280, 390]


def shot(page, width: int, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{width}-{name}.png"))


def no_horizontal_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    )


def draft(shop, django_db_blocker) -> dict:
    with django_db_blocker.unblock(), tenant_context(shop):
        return Design.objects.get().draft


def tab(page, width: int, name: str) -> None:
    """On a phone the panels sit behind tabs; on a desktop all show at once."""
    if width < 800:
        page.get_by_role("tab", name=name).click()


def insert_section(page, *, position: int, section_type: str) -> None:
    insert = page.locator(".designer-insert").nth(position)
    insert.get_by_text("Add section here").click()
    insert.get_by_label("Section type").select_option(section_type)
    with page.expect_navigation():
        insert.get_by_role("button", name="Add").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_preview_follows_typing_and_a_failed_save_keeps_text_and_picture(
    browser, shop_server, committed_shop, django_db_blocker, tmp_path, width
):
    shop = committed_shop(f"live{width}", "Atelier").shop
    base = f"http://live{width}.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, base, f"live{width}")
    page.goto(f"{base}/admin/storefront/design/")
    no_horizontal_overflow(page)
    shot(page, width, "1-designer")

    # insert sections where chosen: a hero after the grid, then a text between them
    tab(page, width, "Sections")
    insert_section(page, position=1, section_type="hero")
    tab(page, width, "Sections")
    insert_section(page, position=1, section_type="rich_text")
    names = page.locator("#section-list .designer-section-name").all_inner_texts()
    assert [name.split(":")[0] for name in names] == ["Product grid", "Rich text", "Hero banner"]

    # type a heading: the draft saves itself and the preview shows it; shoppers do not
    tab(page, width, "Sections")
    page.get_by_role("link", name="Hero banner: Welcome").click()
    settings = page.locator("[data-settings-for]:visible")
    settings.get_by_label("Heading").fill("Summer sale")
    expect(page.locator("#designer-save-status")).to_have_text("Saved draft")
    tab(page, width, "Preview")
    preview = page.frame_locator("#preview")
    expect(preview.locator(HEADINGS).filter(has_text="Summer sale")).to_have_count(1)
    no_horizontal_overflow(page)
    shot(page, width, "2-preview-follows-typing")
    shopper = context.new_page()
    shopper.goto(f"{base}/")
    assert "Summer sale" not in shopper.locator(HEADINGS).all_inner_texts()
    shopper.close()

    # a bad link: refused beside the field; the typed text and the picture stay
    tab(page, width, "Settings")
    settings.get_by_label("Button link").fill("javascript:alert(1)")
    picture = tmp_path / "beach.png"
    picture.write_bytes(picture_upload("beach.png", (640, 400), "teal").read())
    settings.get_by_label("Picture", exact=True).set_input_files(str(picture))
    error = settings.locator(".designer-field-error:visible")
    expect(error).to_contain_text("Give a section of this page like #products")
    expect(page.locator("#designer-save-status")).to_contain_text("Not saved")
    expect(settings.locator("[data-picture-thumb]")).to_be_visible()
    assert settings.get_by_label("Heading").input_value() == "Summer sale"
    assert settings.get_by_label("Button link").input_value() == "javascript:alert(1)"
    assert settings.get_by_label("Button link").get_attribute("aria-invalid") == "true"
    shot(page, width, "3-inline-error-keeps-input")
    hero = next(s for s in draft(shop, django_db_blocker)["sections"] if s["type"] == "hero")
    assert hero["settings"]["heading"] == "Summer sale" and "image" not in hero["settings"]

    # an in-page anchor is a link: the save goes through with the picture
    settings.get_by_label("Button label").fill("See the products")
    settings.get_by_label("Button link").fill("#products")
    expect(page.locator("#designer-save-status")).to_have_text("Saved draft")
    expect(error).to_have_count(0)
    hero = next(s for s in draft(shop, django_db_blocker)["sections"] if s["type"] == "hero")
    assert hero["settings"]["button_link"] == "#products"
    assert hero["settings"]["image"]["name"].startswith("storefront/")

    # desktop / mobile preview
    tab(page, width, "Preview")
    page.get_by_role("button", name="Mobile").click()
    expect(page.get_by_role("button", name="Mobile")).to_have_attribute("aria-pressed", "true")
    # the frame narrows with a short transition: wait for it to end at a phone's width
    page.wait_for_function(
        "document.getElementById('preview').getBoundingClientRect().width <= 390"
    )
    frame_width = page.locator("#preview").bounding_box()["width"]
    assert frame_width <= 390
    expect(preview.get_by_role("link", name="See the products")).to_have_attribute(
        "href", "#products"
    )
    shot(page, width, "4-mobile-preview")
    page.get_by_role("button", name="Desktop").click()

    # undo (button), then Ctrl+Z, then Ctrl+Shift+Z
    with page.expect_navigation():
        page.get_by_role("button", name="Undo").click()
    hero = next(s for s in draft(shop, django_db_blocker)["sections"] if s["type"] == "hero")
    assert "image" not in hero["settings"] or hero["settings"].get("button_link") != "#products"
    states = [draft(shop, django_db_blocker)]
    page.locator("body").click(position={"x": 2, "y": 2})
    with page.expect_navigation():
        page.keyboard.press("Control+z")
    states.append(draft(shop, django_db_blocker))
    assert states[1] != states[0]
    with page.expect_navigation():
        page.keyboard.press("Control+Shift+z")
    assert draft(shop, django_db_blocker) == states[0]
    shot(page, width, "5-after-undo-redo")

    # Revert asks first: Keep editing changes nothing, Discard goes back to the default
    before = draft(shop, django_db_blocker)
    page.get_by_role("button", name="Revert to the published design").click()
    dialog = page.get_by_role("dialog", name="Discard the draft?")
    expect(dialog).to_be_visible()
    shot(page, width, "6-revert-asks")
    dialog.get_by_role("button", name="Keep editing").click()
    expect(dialog).to_be_hidden()
    assert draft(shop, django_db_blocker) == before
    page.get_by_role("button", name="Revert to the published design").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Discard the draft").click()
    assert [s["id"] for s in draft(shop, django_db_blocker)["sections"]] == ["products"]
    no_horizontal_overflow(page)
    shot(page, width, "7-reverted")
    context.close()


def test_a_picture_is_picked_from_the_media_library(
    browser, shop_server, committed_shop, django_db_blocker, tmp_path
):
    shop = committed_shop("library", "Atelier").shop
    base = f"http://library.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base, "library")
    page.goto(f"{base}/admin/storefront/design/")
    insert_section(page, position=0, section_type="hero")
    picture = tmp_path / "logo.png"
    picture.write_bytes(picture_upload("logo.png", (300, 300), "maroon").read())
    page.get_by_role("link", name=re.compile("Theme")).click()
    theme = page.locator("[data-settings-for=branding]")
    theme.get_by_label("Logo").set_input_files(str(picture))
    expect(page.locator("#designer-save-status")).to_have_text("Saved draft")
    logo = draft(shop, django_db_blocker)["branding"]["logo"]

    page.get_by_role("link", name="Hero banner: Welcome").click()
    hero_settings = page.locator("[data-settings-for]:visible")
    hero_settings.get_by_role("button", name="Choose from the media library").click()
    library = page.get_by_role("dialog", name="Choose a picture")
    expect(library.get_by_role("status")).to_have_text("Page 1 of 1.")
    shot(page, 1280, "8-media-library")
    library.get_by_role("button", name=re.compile("Picture 1, 300 \u00d7 300")).click()
    expect(page.locator("#designer-save-status")).to_have_text("Saved draft")

    hero = draft(shop, django_db_blocker)["sections"][0]
    assert hero["settings"]["image"] == logo

    # a click on a section in the preview chooses it
    page.frame_locator("#preview").locator("[data-section=products] h2").click()
    expect(page.locator("[data-settings-for=products]")).to_be_visible()
    expect(page.locator(f"[data-settings-for='{hero['id']}']")).to_be_hidden()
    context.close()


def test_without_javascript_the_designer_is_classic_forms_that_keep_input(
    browser, shop_server, committed_shop, django_db_blocker
):
    shop = committed_shop("nojs", "Atelier").shop
    base = f"http://nojs.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    log_in(page, base, "nojs")
    page.goto(f"{base}/admin/storefront/design/")
    insert_section(page, position=1, section_type="hero")
    hero_id = draft(shop, django_db_blocker)["sections"][1]["id"]

    settings = page.locator(f"#settings-{hero_id}")
    settings.get_by_label("Heading").fill("Typed without a script")
    settings.get_by_label("Button link").fill("ftp://example.com/file")
    with page.expect_navigation():
        settings.get_by_role("button", name="Save hero banner").click()

    settings = page.locator(f"#settings-{hero_id}")
    expect(settings.locator(".designer-field-error:visible")).to_contain_text(
        "Give a section of this page like #products"
    )
    assert settings.get_by_label("Heading").input_value() == "Typed without a script"
    assert settings.get_by_label("Button link").input_value() == "ftp://example.com/file"
    no_horizontal_overflow(page)
    page.screenshot(path=str(SHOTS / "390-12-no-javascript-error.png"), full_page=True)

    # Revert asks first here too (a disclosure), then discards
    page.locator("summary", has_text="Revert to the published design").click()
    discard = page.get_by_role("button", name="Discard the draft")
    expect(discard).to_be_visible()
    page.screenshot(path=str(SHOTS / "390-13-no-javascript-revert-asks.png"))
    with page.expect_navigation():
        discard.click()
    assert [s["id"] for s in draft(shop, django_db_blocker)["sections"]] == ["products"]
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_picture_is_deleted_from_the_media_library_unless_the_draft_shows_it(
    browser, shop_server, committed_shop, django_db_blocker, tmp_path, width
):
    # given: two logos chosen one after the other: the first stays in the library only
    slug = f"libdel{width}"
    shop = committed_shop(slug, "Atelier").shop
    base = f"http://{slug}.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, base, slug)
    page.goto(f"{base}/admin/storefront/design/")
    tab(page, width, "Sections")
    page.get_by_role("link", name=re.compile("Theme")).click()
    theme = page.locator("[data-settings-for=branding]")
    for name, colour in (("first.png", "maroon"), ("second.png", "navy")):
        picture = tmp_path / name
        picture.write_bytes(picture_upload(name, (300, 300), colour).read())
        theme.get_by_label("Logo").set_input_files(str(picture))
        expect(page.locator("#designer-save-status")).to_have_text("Saved draft")
    logo = draft(shop, django_db_blocker)["branding"]["logo"]

    # when: the merchant opens the library and deletes the logo the draft shows
    theme.get_by_role("button", name="Choose from the media library").first.click()
    library = page.get_by_role("dialog", name="Choose a picture")
    status = library.get_by_role("status")
    expect(status).to_have_text("Page 1 of 1.")
    library.get_by_role("button", name="Delete Picture 1").click()
    library.get_by_role("button", name="Delete Picture 1 for good?").click()

    # then: refused, saying where it is
    expect(status).to_have_text(
        "This picture is in the draft: choose another one there (or remove it), then delete it."
    )
    expect(library.locator("li")).to_have_count(2)
    no_horizontal_overflow(page)
    shot(page, width, "9-library-delete-refused")

    # when: the picture no design shows is deleted (asked once more on the button)
    library.get_by_role("button", name="Delete Picture 2").click()
    shot(page, width, "10-library-delete-confirm")
    library.get_by_role("button", name="Delete Picture 2 for good?").click()

    # then: gone from the library; the draft's logo kept
    expect(status).to_have_text("Picture 2 deleted. Page 1 of 1.")
    expect(library.locator("li")).to_have_count(1)
    no_horizontal_overflow(page)
    shot(page, width, "11-library-deleted")
    with django_db_blocker.unblock(), tenant_context(shop):
        assert list(LibraryImage.objects.values_list("name", flat=True)) == [logo["name"]]
    assert draft(shop, django_db_blocker)["branding"]["logo"] == logo
    context.close()
