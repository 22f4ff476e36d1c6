"""The Analytics page and its CSV read the insights of this shop only: the cards, funnel,
charts and tables of a seeded day; the CSV holds the page's numbers; ranges the page
refuses say why; every staff role may read it; the queries stay flat as data grows;
Home's cards are the last 7 days from the same selectors."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from shops.accounts.roles import Role
from shops.audit.models import AuditEntry
from shops.insights.models import RollupState
from shops.insights.services import rollup_run
from tests.backoffice.analytics_seed import at, seed_day, visit
from tests.conftest import owner_client
from tests.insights.test_poll_buyers import seed_voters_day
from tests.shops.staff_helpers import client_as, staff_make

DAY = (datetime.now(UTC) - timedelta(days=2)).date()
ONE_DAY = f"?range=custom&start={DAY:%Y-%m-%d}&end={DAY:%Y-%m-%d}"


def cards(html: str) -> dict[str, str]:
    """Each card's figure as the page shows it."""
    return {
        key: unescape(value)
        for key, value in re.findall(
            r'data-card="([a-z_]+)">\s*<h3[^>]*>[^<]*</h3>\s*<p class="backoffice-card-figure"'
            r"[^>]*>([^<]*)</p>",
            html,
        )
    }


def table_rows(html: str, by: str) -> list[list[str]]:
    """The rows of the breakdown ``by`` as the page shows them (the header cell first)."""
    section = html.split(f'data-table="{by}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in section else ""
    return [
        [unescape(cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def number(text: str) -> str:
    """A figure as people read it → as the CSV writes it ("€1,072.00" → "1072.00")."""
    return re.sub(r"[^\d.\-]", "", text)


def test_the_page_shows_the_seeded_days_figures(shop_a):
    with tenant_context(shop_a):
        seed_day(DAY)

    response = owner_client("alpha").get("/admin/analytics/" + ONE_DAY)

    html = response.content.decode()
    assert response.status_code == 200
    assert cards(html) == {
        "sales": "€72.00",
        "orders": "2",
        "average_order_value": "€36.00",
        "sessions": "4",
        "conversion": "50.0%",
        "returning_shoppers": "1",
    }
    assert "Up 200.0% on the period before" in html  # sales 72 against 24
    assert "Down 50.0% on the period before" in html  # conversion 50% against 100%
    funnel = re.findall(
        r'data-step="(\w+)">\s*<span[^>]*>[^<]*</span>\s*<span class="insights-funnel-count">'
        r"(\d+)</span>",
        html,
    )
    assert funnel == [
        ("visit", "4"),
        ("product_view", "2"),
        ("bag_add", "2"),
        ("checkout_started", "2"),
        ("paid", "2"),
    ]
    assert "Sales are credited to the last source, post or channel" in html
    assert html.count('<svg role="img"') == 2
    assert "Sales per hour" in html and "Page views per hour" in html  # one day: hourly
    hour = f"{DAY:%d %b} 09:00"
    assert f'<th scope="row">{hour}</th><td class="insights-number">€48.00</td>' in html
    eleven = f"{DAY:%d %b} 11:00"
    assert f'<th scope="row">{eleven}</th><td class="insights-number">€24.00</td>' in html
    assert html.count('<rect class="insights-bar"') == 2 * 24
    assert table_rows(html, "post") == [["Summer mugs", "2", "1", "50.0%", "0", "€0.00"]]
    assert ["Sea mug", "2", "2", "€72.00", "100.0%"] in table_rows(html, "product")
    assert table_rows(html, "embed_site")[0][0] == "blog.example"
    sources = {row[0] for row in table_rows(html, "source")}
    assert {"instagram", "pinterest.com", "blog.example", "direct"} <= sources
    # conversion of a source is its orders per session
    assert ["direct", "1", "1", "1", "€24.00", "100.0%"] in table_rows(html, "source")
    assert ["blog.example", "1", "1", "0", "€0.00", "0.0%"] in table_rows(html, "source")
    assert table_rows(html, "poll") == [["Which colour next for Sea mug?", "1", "0", "0"]]


def test_the_csv_holds_the_pages_numbers_and_is_audited(shop_a):
    with tenant_context(shop_a):
        seed_day(DAY, title='=HYPERLINK("https://evil.test")')
    client = owner_client("alpha")
    html = client.get("/admin/analytics/" + ONE_DAY).content.decode()

    response = client.get("/admin/analytics/export.csv" + ONE_DAY)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_first = {row[0]: row for row in rows if row}
    labels = {
        "sales": "Sales",
        "orders": "Orders",
        "average_order_value": "Average order value",
        "sessions": "Sessions",
        "returning_shoppers": "Returning shoppers",
    }
    for key, shown in cards(html).items():
        if key == "conversion":
            assert f"{float(by_first['Conversion'][1]) * 100:.1f}%" == shown
        else:
            assert by_first[labels[key]][1] == number(shown), key
    for by, title in (("post", "By post"), ("product", "By product"), ("source", "By source")):
        written = [row[1:] for row in rows if row and row[0] == title][1:]
        shown = table_rows(html, by)
        assert len(written) == len(shown) > 0
        for csv_row, page_row in zip(written, shown, strict=True):
            assert csv_row[0].lstrip("'") == page_row[0]
            for csv_cell, page_cell in zip(csv_row[1:], page_row[1:], strict=True):
                if page_cell.endswith("%"):
                    assert f"{float(csv_cell) * 100:.1f}%" == page_cell
                else:
                    assert csv_cell == number(page_cell)
    # the product titled as a formula is written as text
    assert [row[:2] for row in rows if row and row[0] == "By product"][1] == [
        "By product",
        '\'=HYPERLINK("https://evil.test")',
    ]
    with tenant_context(shop_a):
        entry = AuditEntry.objects.get(action="insights.export")
    assert entry.actor_label == "owner@alpha.test"
    assert str(DAY) in entry.object_repr


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?range=custom&start=2026-05-02&end=2026-05-01", "The end date is before the start date."),
        ("?range=custom&start=2020-01-01&end=2022-06-01", "A range is at most 731 days."),
        ("?range=custom&start=2026-13-40&end=2026-05-01", "Enter the start date as YYYY-MM-DD"),
        ("?range=custom&start=2026-05-01", "Choose both a start date and an end date."),
        ("?range=custom&start=2026-05-01&end=2999-01-01", "The end date is in the future"),
        ("?range=12", "Select a valid choice"),
    ],
)
def test_ranges_the_page_refuses_say_what_to_change(shop_a, query, message):
    client = owner_client("alpha")
    for url in ("/admin/analytics/", "/admin/analytics/export.csv"):
        response = client.get(url + query)
        html = response.content.decode()
        assert response.status_code == 400
        assert message in unescape(html)
        assert 'role="alert"' in html and "Correct the period above" in html
    with tenant_context(shop_a):
        assert not AuditEntry.objects.filter(action="insights.export").exists()


def test_presets_read_up_to_today(shop_a):
    client = owner_client("alpha")
    today = datetime.now(UTC).date()
    for days in (7, 30, 90):
        html = client.get(f"/admin/analytics/?range={days}").content.decode()
        start = today - timedelta(days=days - 1)
        assert f'name="start" id="id_start" value="{start:%Y-%m-%d}"' in html
        assert f'name="end" id="id_end" value="{today:%Y-%m-%d}"' in html
        assert "Sales per day" in html and "Sessions per day" in html
        assert html.count('<rect class="insights-bar"') == 2 * days
    assert "Last 30 days" in client.get("/admin/analytics/").content.decode()
    # dates typed while a preset stays ticked are a custom range
    typed = client.get(f"/admin/analytics/?range=30&start={DAY}&end={DAY}").content.decode()
    assert "Sales per hour" in typed
    assert 'value="custom" checked' in typed


@pytest.mark.parametrize("role", [Role.OWNER, Role.STAFF, Role.READ_ONLY])
def test_every_staff_role_reads_the_page_and_the_csv(shop_a, role):
    client = client_as(shop_a, staff_make(shop_a, role, email=f"{role}-reader@alpha.test"))
    assert client.get("/admin/analytics/").status_code == 200
    assert client.get("/admin/analytics/export.csv").status_code == 200
    assert 'href="/admin/analytics/"' in client.get("/admin/").content.decode()


def test_someone_signed_out_is_sent_to_the_login(shop_a):
    response = Client(HTTP_HOST="alpha.localhost").get("/admin/analytics/export.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_shop_b_never_sees_shop_as_numbers(shop_a, shop_b):
    with tenant_context(shop_a):
        seed_day(DAY)

    html = owner_client("beta").get("/admin/analytics/" + ONE_DAY).content.decode()
    exported = owner_client("beta").get("/admin/analytics/export.csv" + ONE_DAY)

    assert cards(html)["sales"] == "€0.00" and cards(html)["sessions"] == "0"
    assert "Sea mug" not in html and "Summer mugs" not in html and "instagram" not in html
    assert "Share a post" in html and "Publish a poll" in html  # empty states
    assert "Sea mug" not in exported.content.decode()
    assert "72.00" not in exported.content.decode()


def test_tables_show_20_rows_a_page(shop_a):
    with tenant_context(shop_a):
        for index in range(25):
            visit(
                [{"kind": "page_view", "page": "shop"}],
                when=at(DAY, 9, index),
                ip=f"198.51.100.{index + 1}",
                referrer=f"https://site{index:02}.example/",
            )
        rollup_run(now=at(DAY, 23))
    client = owner_client("alpha")

    first = client.get("/admin/analytics/" + ONE_DAY).content.decode()
    second = client.get("/admin/analytics/" + ONE_DAY + "&source_page=2").content.decode()

    assert len(table_rows(first, "source")) == 20
    assert len(table_rows(second, "source")) == 5
    assert "Page 1 of 2 (25 rows)" in first and "Page 2 of 2 (25 rows)" in second
    assert f'href="{ONE_DAY.replace("&", "&amp;")}&amp;source_page=2#table-source"' in first
    past = client.get("/admin/analytics/" + ONE_DAY + "&source_page=9").content.decode()
    assert "There is no page 9: this table has 2 pages." in past
    assert f'href="{ONE_DAY.replace("&", "&amp;")}&amp;source_page=1#table-source"' in past
    # the whole table goes to the CSV, not only the page shown
    rows = client.get("/admin/analytics/export.csv" + ONE_DAY).content.decode().splitlines()
    assert len([row for row in rows if row.startswith("By source,")]) == 1 + 25


def test_the_pages_queries_stay_flat_as_data_grows(shop_a, django_assert_max_num_queries):
    client = owner_client("alpha")
    url = "/admin/analytics/?range=90"
    client.get(url)
    with tenant_context(shop_a):
        seed_day(DAY)
    with django_assert_max_num_queries(40) as little:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(40) as little_csv:
        assert client.get("/admin/analytics/export.csv?range=90").status_code == 200
    with tenant_context(shop_a):
        for offset in range(3, 40):
            seed_day(DAY - timedelta(days=offset), title=f"Mug {offset}", caption=f"Post {offset}")
        # the days were seeded after the rollup had passed them: roll everything up again
        RollupState.objects.update(rolled_until=None)
        rollup_run(now=at(DAY, 23, 59))
    with django_assert_max_num_queries(len(little.captured_queries)):
        html = client.get(url).content.decode()
    with django_assert_max_num_queries(len(little_csv.captured_queries)):
        exported = client.get("/admin/analytics/export.csv?range=90").content.decode()
    assert len(table_rows(html, "product")) == 20
    assert exported.count("\nBy product,") == 1 + 38  # all 38 products, not a page of them


def test_home_cards_are_the_last_7_days_against_the_7_before(shop_a):
    with tenant_context(shop_a):
        seed_day(DAY)  # two orders on DAY, one the day before: all in the last 7 days

    html = owner_client("alpha").get("/admin/").content.decode()

    shown = cards(html)
    assert (shown["sales"], shown["orders"], shown["conversion"]) == ("€96.00", "3", "60.0%")
    assert "Sales, last 7 days" in html
    assert "Up from nothing on the 7 days before" in html
    assert "Orders to fulfil" in html


def test_the_poll_table_and_csv_show_the_voters_who_bought_later_that_day(shop_a, shop_b):
    with tenant_context(shop_a):
        seed_voters_day(DAY)
    client = owner_client("alpha")

    html = client.get("/admin/analytics/" + ONE_DAY).content.decode()
    written = client.get("/admin/analytics/export.csv" + ONE_DAY).content.decode()
    beta = owner_client("beta").get("/admin/analytics/" + ONE_DAY).content.decode()

    poll_section = html.split('data-table="poll"', 1)[1].split("</section>", 1)[0]
    assert "Voters who later bought</th>" in poll_section
    assert "Visitors are only recognised within a day" in poll_section
    assert table_rows(html, "poll") == [
        ["Sage or rust?", "0", "4", "2"],
        ["Linen or wool?", "0", "3", "1"],
    ]
    rows = [row for row in csv.reader(io.StringIO(written)) if row and row[0] == "By poll"]
    assert rows == [
        ["By poll", "Poll", "Page views", "Votes", "Voters who later bought"],
        ["By poll", "Sage or rust?", "0", "4", "2"],
        ["By poll", "Linen or wool?", "0", "3", "1"],
    ]
    assert table_rows(beta, "poll") == []
