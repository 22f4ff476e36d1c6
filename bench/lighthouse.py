"""Lighthouse's accessibility score of the back office's busiest pages: Home, the product
form (add and change) and the designer, at mobile and desktop.

Usage (``make lighthouse``): ``python bench/lighthouse.py [--port 8765] [--keep]``.
It makes (or reuses) a shop "lighthouse" with a few demo products and the demo design in
the database of ``DATABASE_URL`` (migrated: ``make migrate``), logs its owner in through
the admin's login form, starts ``manage.py runserver`` on loopback and runs
``npx lighthouse`` (accessibility only, the session cookie in ``--extra-headers``) on each
page; it prints the scores and the audits that failed. Without npx or lighthouse (offline)
it says so and exits 0. ``CHROME_PATH`` defaults to /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "lighthouse"
OWNER = "owner@lighthouse.test"
PASSWORD = "lighthouse-bench-password"  # noqa: S105 (a local bench shop's)
PAGES = {
    "home": "/admin/",
    "product add": "/admin/catalog/product/add/",
    "product change": "/admin/catalog/product/{product}/change/",
    "designer": "/admin/storefront/design/",
    "analytics": "/admin/analytics/",
}
FORM_FACTORS = {"mobile": [], "desktop": ["--preset=desktop"]}


def lighthouse_command() -> list[str] | None:
    """``npx lighthouse`` when it answers (from npm's cache or the network), else None."""
    if shutil.which("npx") is None:
        return None
    command = ["npx", "--yes", "lighthouse"]
    try:
        found = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    return command if found.returncode == 0 else None


def shop_session() -> tuple[str, int]:
    """The bench shop (made once) and a fresh logged-in session of its owner; returns the
    session cookie (``name=value``) and a product's id."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # imported here: after the settings are chosen, before the models

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import tenant_context

    from catalog.demo import demo_catalog_seed
    from catalog.models import Product
    from shops.models import Shop
    from shops.services import shop_create
    from shops.storefront.demo import demo_design_seed

    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is None:
        shop = shop_create(
            slug=SLUG, name="Lighthouse Bench", owner_email=OWNER, owner_password=PASSWORD
        ).shop
    with tenant_context(shop):
        demo_catalog_seed(limit=3)
        demo_design_seed()
        product_id = Product.objects.order_by("pk").values_list("pk", flat=True).first()
        client = Client(HTTP_HOST=f"{SLUG}.localhost")
        response = client.post("/admin/login/", {"username": OWNER, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"could not log in as {OWNER} (answered {response.status_code})")
        name = settings.SESSION_COOKIE_NAME
        return f"{name}={client.cookies[name].value}", product_id


def server_start(port: int) -> subprocess.Popen:
    """``manage.py runserver`` on loopback (DEBUG, so it serves the static files)."""
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except OSError as error:
            if getattr(error, "code", None):  # an HTTP answer: the server is up
                return server
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("runserver did not answer within 30 s")


def audit(command: list[str], url: str, cookie: str, extra: list[str]) -> dict:
    """One Lighthouse run: the score (0 to 100) and the failed audits' ids and titles."""
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    result = subprocess.run(
        [
            *command,
            url,
            "--only-categories=accessibility",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--chrome-flags=--headless --no-sandbox",
            f"--extra-headers={json.dumps({'Cookie': cookie})}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHROME_PATH": chrome},
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    if report["finalDisplayedUrl"].split("?")[0] != url:
        raise SystemExit(f"{url} redirected to {report['finalDisplayedUrl']} (not logged in?)")
    failed = [
        f"{key}: {item['title']}"
        for key, item in report["audits"].items()
        if item.get("score") is not None
        and item["score"] < 1
        and item.get("scoreDisplayMode") == "binary"
    ]
    return {"score": round(report["categories"]["accessibility"]["score"] * 100), "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args()
    command = lighthouse_command()
    if command is None:
        print("skipped: npx lighthouse is not available (offline?); install Node and run again")
        return
    cookie, product = shop_session()
    server = server_start(options.port)
    try:
        for name, path in PAGES.items():
            url = f"http://{SLUG}.localhost:{options.port}{path.format(product=product)}"
            for factor, extra in FORM_FACTORS.items():
                result = audit(command, url, cookie, extra)
                print(f"{name:15} {factor:8} {result['score']:4d}", flush=True)
                for failed in result["failed"]:
                    print(f"{'':25}- {failed}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
