"""The Analytics page and its CSV: the range the merchant chose, the cards compared with
the period before, the funnel, the charts (inline SVG drawn here, no script) and the
breakdown tables, all read from ``shops.insights.selectors`` (the rollups), so a page
costs the same few queries however much the shop sold.

``analytics_report`` gathers what the page shows; ``analytics_export_rows`` lays the same
report out as CSV rows, so the file and the page cannot disagree."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django import forms

from shops.audit.services import audit_record
from shops.currencies import amount_string, money_format
from shops.insights import selectors
from shops.insights.selectors import Breakdown, RangeInvalid
from shops.spreadsheets import row_neutralised

PRESETS = (("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"))
DEFAULT_PRESET = "30"
ROWS_PER_PAGE = 20
EXPORT_CHUNK = 500
HOURLY_UP_TO_DAYS = 2
ATTRIBUTION = (
    "Sales are credited to the last source, post or channel the shopper came through within 7 days."
)

TABLES: tuple[tuple[Breakdown, str, str], ...] = (
    ("source", "By source", "Source"),
    ("channel", "By channel", "Channel"),
    ("post", "By post", "Post"),
    ("poll", "By poll", "Poll"),
    ("product", "By product", "Product"),
    ("embed_site", "By embedding site", "Site"),
)
COLUMN_LABELS = {
    "visitors": "Sessions",
    "page_views": "Page views",
    "product_views": "Product views",
    "post_impressions": "Impressions",
    "tag_clicks": "Tag clicks",
    "click_through": "Click-through",
    "votes": "Votes",
    "voters_bought": "Voters who later bought",
    "orders": "Orders",
    "revenue": "Attributed revenue",
    "units_sold": "Orders with it",  # paid order lines of the product
    "conversion": "Conversion",
}
RATE_COLUMNS = frozenset({"click_through", "conversion"})


def today() -> date:
    """Insights count UTC days."""
    return datetime.now(UTC).date()


class AnalyticsRangeForm(forms.Form):
    """The range: a preset (7, 30 or 90 days up to today) or a custom start and end."""

    range = forms.ChoiceField(
        label="Period",
        choices=(*PRESETS, ("custom", "Custom dates")),
        required=False,
    )
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start date as YYYY-MM-DD, for example 2026-12-01."},
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD, for example 2026-12-07."},
    )

    def clean(self) -> dict:
        data = super().clean()
        preset = data.get("range") or (
            "custom" if self.data.get("start") or self.data.get("end") else DEFAULT_PRESET
        )
        data["range"] = preset
        if self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        if preset != "custom":
            preset_end = today()
            preset_start = preset_end - timedelta(days=int(preset) - 1)
            # dates changed by hand (from those the page showed) while a preset stays
            # ticked: the dates win
            shown = self.data.get("shown", "")
            if (start or preset_start, end or preset_end) in (
                (preset_start, preset_end),
                _shown_range(shown),
            ):
                data.update(start=preset_start, end=preset_end)
                return data
            data["range"] = "custom"
        if start is None or end is None:
            raise forms.ValidationError("Choose both a start date and an end date.")
        if end > today():
            raise forms.ValidationError(
                f"The end date is in the future: choose {today():%d %b %Y} or earlier."
            )
        try:
            selectors.range_check(start, end)
        except RangeInvalid as error:
            raise forms.ValidationError(str(error)) from error
        return data

    def range_params(self) -> dict[str, str]:
        """The range as a query string's parameters: the preset, or the custom dates."""
        data = self.cleaned_data
        if data["range"] != "custom":
            return {"range": data["range"]}
        return {
            "range": "custom",
            "start": f"{data['start']:%Y-%m-%d}",
            "end": f"{data['end']:%Y-%m-%d}",
        }


def _shown_range(text: str) -> tuple[date, date] | None:
    """The range the page showed when its form was sent ("2026-12-01:2026-12-07")."""
    try:
        start, end = text.split(":")
        return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        return None


def range_form(params: dict) -> AnalyticsRangeForm:
    """The form bound to the query string (an empty query string is the default preset)."""
    return AnalyticsRangeForm(
        {key: params.get(key, "") for key in ("range", "start", "end", "shown")}
    )


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: str  # as people read it ("€1,234.50", "3.2%")
    previous: str
    raw: str  # as the CSV writes it ("1234.50", "0.0320")
    previous_raw: str
    direction: str  # "up", "down", "same" or "" when there is nothing to compare
    change: str  # "12.5%" or "" (the template words it)


def _change(current: float | None, previous: float | None) -> tuple[str, str]:
    if current is None or previous is None or (not previous and not current):
        return "", ""
    if not previous:
        return "up", ""
    ratio = (current - previous) / previous
    if abs(ratio) < 0.0005:
        return "same", "0%"
    return ("up" if ratio > 0 else "down"), f"{abs(ratio) * 100:.1f}%"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _rate_raw(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"


def _cards(summary: selectors.Summary) -> list[Card]:
    now, before = summary.current, summary.previous
    currency = now.currency

    def money(amount: Decimal | None) -> tuple[str, str]:
        if amount is None:
            return "—", ""
        return money_format(amount, currency), amount_string(amount, currency)

    cards = []
    for key, label, kind in (
        ("sales", "Sales", "money"),
        ("orders", "Orders", "count"),
        ("average_order_value", "Average order value", "money"),
        ("sessions", "Sessions", "count"),
        ("conversion", "Conversion", "rate"),
        ("returning_shoppers", "Returning shoppers", "count"),
    ):
        current, previous = getattr(now, key), getattr(before, key)
        if kind == "money":
            (value, raw), (previous_value, previous_raw) = money(current), money(previous)
        elif kind == "rate":
            value, raw = percent(current), _rate_raw(current)
            previous_value, previous_raw = percent(previous), _rate_raw(previous)
        else:
            value, raw = f"{current:,}", str(current)
            previous_value, previous_raw = f"{previous:,}", str(previous)
        direction, change = _change(
            None if current is None else float(current),
            None if previous is None else float(previous),
        )
        cards.append(Card(key, label, value, previous_value, raw, previous_raw, direction, change))
    return cards


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the bucket, as people read it
    value: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    unit_label: str  # the table's value column
    bars: list[Bar]
    ticks: list[str]  # the y axis, top first
    first_label: str
    last_label: str
    rows: list[tuple[str, str, str]]  # (bucket, value for people, value for the CSV)
    bucket_label: str = "Day"
    width: int = 600
    height: int = 200


def _nice_ceiling(value: float) -> float:
    """A round top for the y axis whose half is round too (whole for counts from 2 up)."""
    if value <= 0:
        return 2
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _chart(
    key: str,
    title: str,
    points: list[selectors.Point],
    *,
    hourly: bool,
    shown: Callable[[object], str],
    written: Callable[[object], str],
    unit_label: str,
) -> Chart:
    """A bar chart of ``points``: one bar per bucket scaled to a round maximum."""
    values = [float(point.value or 0) for point in points]
    top = max(_nice_ceiling(max(values, default=0)), 2)
    width, height = 600, 200
    slot = width / max(len(points), 1)
    gap = min(slot * 0.2, 4)
    labels = [
        f"{point.at:%d %b %H:00}" if hourly else f"{point.at:%a %d %b}".replace(" 0", " ")
        for point in points
    ]
    bars = [
        Bar(
            x=round(index * slot + gap / 2, 2),
            y=round(height - value / top * height, 2),
            width=round(slot - gap, 2),
            height=round(value / top * height, 2),
            label=label,
            value=shown(point.value),
        )
        for index, (point, value, label) in enumerate(zip(points, values, labels, strict=True))
    ]
    busiest = max(range(len(values)), key=values.__getitem__, default=None)
    description = f"{len(points)} {'hours' if hourly else 'days'}"
    if busiest is not None and values[busiest]:
        description += f"; highest on {labels[busiest]} with {shown(points[busiest].value)}"
    else:
        description += "; nothing recorded yet"
    return Chart(
        key=key,
        title=title,
        description=description + f". The table below lists every {'hour' if hourly else 'day'}.",
        unit_label=unit_label,
        bars=bars,
        ticks=[shown(_tick(top, key)), shown(_tick(top / 2, key)), shown(_tick(0, key))],
        bucket_label="Hour" if hourly else "Day",
        first_label=labels[0] if labels else "",
        last_label=labels[-1] if labels else "",
        rows=[
            (label, shown(point.value), written(point.value))
            for label, point in zip(labels, points, strict=True)
        ],
    )


def _tick(value: float, key: str) -> Decimal | int:
    return Decimal(str(value)) if key == "sales" else int(value)


def _charts(start: date, end: date, currency: str) -> list[Chart]:
    hourly = (end - start).days + 1 <= HOURLY_UP_TO_DAYS
    grain = "hour" if hourly else "day"
    per = "hour" if hourly else "day"

    def money(value: object) -> str:
        return money_format(Decimal(value or 0), currency)

    def money_raw(value: object) -> str:
        return amount_string(Decimal(value or 0), currency)

    def count(value: object) -> str:
        return f"{int(value or 0):,}"

    def count_raw(value: object) -> str:
        return str(int(value or 0))

    sales = _chart(
        "sales",
        f"Sales per {per}",
        selectors.insights_series(start, end, "sales", grain),
        hourly=hourly,
        shown=money,
        written=money_raw,
        unit_label="Sales",
    )
    # sessions are counted per day: a range of a day or two shows page views per hour
    metric, label = ("page_views", "Page views") if hourly else ("sessions", "Sessions")
    visits = _chart(
        metric,
        f"{label} per {per}",
        selectors.insights_series(start, end, metric, grain),
        hourly=hourly,
        shown=count,
        written=count_raw,
        unit_label=label,
    )
    return [sales, visits]


@dataclass(frozen=True)
class Table:
    by: str
    title: str
    key_label: str
    columns: list[tuple[str, str]]  # (field, label)
    rows: list[tuple[str, list[tuple[str, str]]]]  # (label, [(shown, written)])
    total_rows: int
    page_number: int
    page_count: int


def _cell(row: selectors.Row, column: str, currency: str, by: str) -> tuple[str, str]:
    value = getattr(row, column)
    if column == "conversion" and by != "product":
        # orders per session (Row.conversion takes the sold lines whenever there are
        # some, which the source and channel rows also hold)
        value = row.orders / row.visitors if row.visitors else None
    if column in RATE_COLUMNS:
        return percent(value), _rate_raw(value)
    if column == "revenue":
        return money_format(value, currency), amount_string(value, currency)
    return f"{value:,}", str(value)


def _table(page: selectors.Page, title: str, key_label: str, page_number: int) -> Table:
    return Table(
        by=page.by,
        title=title,
        key_label=key_label,
        columns=[(column, COLUMN_LABELS[column]) for column in page.columns],
        rows=[
            (row.label, [_cell(row, column, page.currency, page.by) for column in page.columns])
            for row in page.rows
        ],
        total_rows=page.total_rows,
        page_number=page_number,
        page_count=max(1, math.ceil(page.total_rows / page.limit)),
    )


def _page_number(params: dict, by: str) -> int:
    try:
        return max(1, int(params.get(f"{by}_page") or 1))
    except ValueError:
        return 1


@dataclass(frozen=True)
class FunnelRow:
    name: str
    label: str
    count: int
    bar_percent: int  # of the first step, for the bar's width
    rate: str  # the step's conversion from the step before, in words


def _funnel_rows(funnel: selectors.Funnel) -> list[FunnelRow]:
    first = funnel.steps[0].count if funnel.steps else 0
    rows = []
    for index, step in enumerate(funnel.steps):
        if index == 0:
            rate = "Where the funnel starts"
        elif step.rate_from_previous is None:
            rate = "— (nobody at the step before)"
        else:
            rate = f"{percent(step.rate_from_previous)} of the step before"
        rows.append(
            FunnelRow(
                name=step.name,
                label=step.label,
                count=step.count,
                bar_percent=min(100, round(step.count / first * 100)) if first else 0,
                rate=rate,
            )
        )
    return rows


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    previous_start: date
    previous_end: date
    currency: str
    cards: list[Card]
    funnel: selectors.Funnel
    charts: list[Chart]
    tables: list[Table]
    attribution: str = ATTRIBUTION

    @property
    def funnel_steps(self) -> list[FunnelRow]:
        return _funnel_rows(self.funnel)


def analytics_report(
    start: date, end: date, params: dict | None = None, *, with_tables: bool = True
) -> Report:
    """What the Analytics page shows for ``start``…``end``: each table at the page its
    ``<by>_page`` parameter asks for (20 rows a page; none without ``with_tables``). A
    fixed number of queries."""
    params = params or {}
    summary = selectors.insights_summary(start, end)
    currency = summary.current.currency
    tables = []
    for by, title, key_label in TABLES if with_tables else ():
        number = _page_number(params, by)
        page = selectors.insights_table(
            start, end, by, limit=ROWS_PER_PAGE, offset=(number - 1) * ROWS_PER_PAGE
        )
        tables.append(_table(page, title, key_label, number))
    previous_start, previous_end = selectors.previous_range(start, end)
    return Report(
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        currency=currency,
        cards=_cards(summary),
        funnel=selectors.insights_funnel(start, end),
        charts=_charts(start, end, currency),
        tables=tables,
    )


def analytics_export_rows(start: date, end: date) -> Iterator[list[str]]:
    """The report as CSV rows: the cards, the funnel, each chart's buckets, then every
    row of each table (not only the first page), read 500 rows at a time."""
    report = analytics_report(start, end, with_tables=False)
    yield ["Analytics", f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}", report.currency]
    yield ["Attribution", ATTRIBUTION]
    yield []
    yield [
        "Card",
        "This period",
        f"Previous period ({report.previous_start:%Y-%m-%d} to {report.previous_end:%Y-%m-%d})",
    ]
    for card in report.cards:
        yield [card.label, card.raw, card.previous_raw]
    yield []
    yield ["Funnel step", "Count", "Of the step before"]
    for step in report.funnel.steps:
        yield [step.label, str(step.count), _rate_raw(step.rate_from_previous)]
    for chart in report.charts:
        yield []
        yield [chart.title, chart.unit_label]
        for label, _shown, written in chart.rows:
            yield [label, written]
    for by, title, key_label in TABLES:
        yield []
        columns = list(selectors.COLUMNS[by])
        yield [title, key_label, *(COLUMN_LABELS[column] for column in columns)]
        offset = 0
        while True:
            page = selectors.insights_table(start, end, by, limit=EXPORT_CHUNK, offset=offset)
            for row in page.rows:
                yield [
                    title,
                    row.label,
                    *(_cell(row, column, page.currency, by)[1] for column in columns),
                ]
            offset += EXPORT_CHUNK
            if offset >= page.total_rows:
                break


class _Echo:
    def write(self, value: str) -> str:
        return value


def analytics_export_csv(start: date, end: date) -> list[str]:
    """The export as CSV lines (cells a spreadsheet would run as formulas are quoted),
    recorded in the audit log as "insights.export"."""
    audit_record(
        action="insights.export",
        object_type="insights",
        object_repr=f"Analytics {start:%Y-%m-%d} to {end:%Y-%m-%d}",
    )
    writer = csv.writer(_Echo())
    return [writer.writerow(row_neutralised(row)) for row in analytics_export_rows(start, end)]


@dataclass(frozen=True)
class WeekFigures:
    """Home's cards: the last 7 days against the 7 before."""

    cards: dict[str, Card]
    start: date
    end: date


def week_figures() -> WeekFigures:
    """Sales, orders and conversion of the last 7 days (today included) with their change
    on the 7 days before, from the insights' rollups. Four queries."""
    end = today()
    start = end - timedelta(days=6)
    cards = {card.key: card for card in _cards(selectors.insights_summary(start, end))}
    return WeekFigures(cards=cards, start=start, end=end)
