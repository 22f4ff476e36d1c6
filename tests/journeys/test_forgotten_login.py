"""A merchant who forgot both their shop's address and their password, in Chromium at
phone and desktop widths: platform home → Find my shop → the email's admin link →
Forgotten your password? → the reset email → a new password → logged in to the admin.

The shop server runs in this process, so its emails land in Django's test outbox.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.journeys.helpers import email_to, no_horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_LOGIN_SHOTS", "/tmp/shots-login"))  # noqa: S108
NEW_PASSWORD = "window-boxes-and-tulips-7"


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_merchant_finds_their_shop_and_resets_their_password(
    committed_shop, shop_server, browser, width
):
    slug = f"forgetful-{width}"
    created = committed_shop(slug, name=f"Forgetful Florist {width}")
    owner = created.owner.email
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        # given: the platform home
        page.goto(f"http://localhost:{shop_server}/")
        assert page.get_by_role("link", name="Log in").is_visible()
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "1-home.png", full_page=True)

        # when: Find my shop with the owner's email
        page.get_by_role("textbox", name="Your email").fill(owner)
        page.get_by_role("button", name="Find my shop").click()
        page.get_by_text("Check your inbox.").wait_for()
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "2-check-inbox.png", full_page=True)

        # then: the email names the shop's admin; follow it
        found = email_to(owner, "Your Etalage shops")
        admin_url = f"http://{slug}.localhost:{shop_server}/admin/"
        assert f"Forgetful Florist {width}: {admin_url}" in found.body
        page.goto(admin_url)
        page.wait_for_url(re.compile(r"/admin/login/"))
        page.screenshot(path=shots / "3-admin-login.png", full_page=True)

        # when: Forgotten your password?
        page.get_by_role("link", name="Forgotten your password?").click()
        page.get_by_label("Email address").fill(owner)
        page.screenshot(path=shots / "4-reset-form.png", full_page=True)
        page.get_by_role("button", name="Reset my password").click()
        page.wait_for_url(re.compile(r"/admin/password_reset/done/$"))
        page.screenshot(path=shots / "5-reset-sent.png", full_page=True)

        # then: the reset email links to this shop's host
        reset = email_to(owner, "Password reset")
        link = re.search(r"http://\S+/admin/reset/\S+/", reset.body)
        assert link, reset.body
        assert link[0].startswith(f"http://{slug}.localhost:{shop_server}/admin/reset/")
        page.goto(link[0])
        page.get_by_label("New password:").fill(NEW_PASSWORD)
        page.get_by_label("Confirm password:").fill(NEW_PASSWORD)
        page.screenshot(path=shots / "6-new-password.png", full_page=True)
        page.get_by_role("button", name="Change my password").click()
        page.wait_for_url(re.compile(r"/admin/reset/done/$"))
        page.screenshot(path=shots / "7-password-set.png", full_page=True)

        # when: log in with the new password
        page.get_by_role("link", name="Log in").click()
        page.get_by_label("Email address").fill(owner)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Log in").click()

        # then: the shop's admin home
        page.wait_for_url(admin_url)
        assert f"Forgetful Florist {width} · admin" in page.locator("#site-name").inner_text()
        page.screenshot(path=shots / "8-admin-home.png", full_page=True)
    finally:
        context.close()
