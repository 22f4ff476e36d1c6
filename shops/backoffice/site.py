"""The shop's admin site: Django's admin with the back office's navigation on every page,
Home in place of the list of models, and the pages that have no model of their own.

``admin.site`` is this site (``BackofficeAdminConfig.default_site``), so every app's
``@admin.register`` is unchanged."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import path

from shops.backoffice import analytics, selectors
from shops.backoffice.models import Milestone
from shops.backoffice.navigation import PLUMBING, navigation_for
from shops.backoffice.services import milestone_record
from shops.currencies import money_format
from shops.selectors import shop_url

CUSTOMERS_PER_PAGE = 50
# the Analytics page shows sales: whoever may see orders (every staff role) may see it
ANALYTICS_PERMISSION = "orders.view_order"


class BackOfficeSite(admin.AdminSite):
    site_title = site_header = "Etalage admin"
    index_title = "Home"

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        if context["has_permission"]:
            context["navigation"] = navigation_for(request.user, request.path)
        return context

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        """Django's app list less the plumbing models (navigation.PLUMBING)."""
        apps = []
        for app in super().get_app_list(request, app_label):
            models = [
                model for model in app["models"] if model["model"]._meta.label_lower not in PLUMBING
            ]
            if models:
                apps.append({**app, "models": models})
        return apps

    def get_urls(self) -> list:
        own = [
            path("share/", self.admin_view(self.share_view), name="backoffice_share"),
            path("customers/", self.admin_view(self.customers_view), name="backoffice_customers"),
            path("analytics/", self.admin_view(self.analytics_view), name="backoffice_analytics"),
            path(
                "analytics/export.csv",
                self.admin_view(self.analytics_export_view),
                name="backoffice_analytics_export",
            ),
        ]
        return own + super().get_urls()

    def _page(self, request: HttpRequest, template: str, title: str, **context) -> TemplateResponse:
        context = {**self.each_context(request), "title": title, **context}
        return TemplateResponse(request, template, context)

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        """Home: the onboarding checklist until it is complete, and the day's figures."""
        shop = request.shop
        return self._page(
            request,
            "backoffice/home.html",
            "Home",
            checklist=selectors.onboarding_checklist(),
            figures=selectors.daily_figures(currency=shop.currency),
            week=analytics.week_figures(),
            shop_address=shop_url(shop, request),
            **(extra_context or {}),
        )

    def share_view(self, request: HttpRequest) -> TemplateResponse:
        """The shop's link and embed snippet; opening it is the checklist's "share" step."""
        milestone_record(key=Milestone.Key.SHARE_OPENED)
        address = shop_url(request.shop, request)
        return self._page(
            request,
            "backoffice/share.html",
            "Share and embed",
            shop_address=address,
            embed_snippet=f'<script src="{address}/embed.js" async></script>',
            domains=request.shop.domains.order_by("-is_primary", "domain"),
        )

    def customers_view(self, request: HttpRequest) -> TemplateResponse:
        """The people who paid an order, newest first (derived from orders: the shop keeps
        no customer accounts)."""
        if not request.user.has_perm("orders.view_order"):
            raise PermissionDenied
        page = Paginator(selectors.customers(), CUSTOMERS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        rows = [{**row, "spent": money_format(row["spent"], row["currency"])} for row in page]
        return self._page(request, "backoffice/customers.html", "Customers", page=page, rows=rows)

    def analytics_view(self, request: HttpRequest) -> TemplateResponse:
        """The shop's numbers for a range against the period before: cards, funnel,
        charts and the breakdown tables (all staff roles: they all see orders)."""
        form = self._analytics_range(request)
        if not form.is_valid():
            return self._analytics_page(request, form, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        report = analytics.analytics_report(start, end, request.GET)
        return self._analytics_page(request, form, report=report)

    def _analytics_range(self, request: HttpRequest) -> analytics.AnalyticsRangeForm:
        """The range of the query string, for a reader of the analytics."""
        if not request.user.has_perm(ANALYTICS_PERMISSION):
            raise PermissionDenied
        return analytics.range_form(request.GET)

    def _analytics_page(
        self,
        request: HttpRequest,
        form: analytics.AnalyticsRangeForm,
        report: analytics.Report | None = None,
        status: int = 200,
    ) -> TemplateResponse:
        # the range as the form settled it ("range=7", or the custom dates), so the CSV
        # and the tables' pages read what the page shows
        query = QueryDict(mutable=True)
        if report:
            query.update(form.range_params())
        pages = query.copy()
        for by, *_ in analytics.TABLES:
            if request.GET.get(f"{by}_page"):
                pages[f"{by}_page"] = request.GET[f"{by}_page"]
        response = self._page(
            request,
            "backoffice/analytics.html",
            "Analytics",
            form=form,
            report=report,
            presets=analytics.PRESETS,
            range_query=query.urlencode(),
            pages={
                table.by: _page_links(pages, table.by, table.page_number, table.page_count)
                for table in (report.tables if report else [])
            },
        )
        response.status_code = status
        return response

    def analytics_export_view(self, request: HttpRequest) -> HttpResponse:
        """The Analytics page's figures for the same range as a CSV file (a range it
        refuses shows the page with the reason)."""
        form = self._analytics_range(request)
        if not form.is_valid():
            return self._analytics_page(request, form, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        response = HttpResponse(
            "".join(analytics.analytics_export_csv(start, end)),
            content_type="text/csv; charset=utf-8",
        )
        slug = getattr(request.tenant, "slug", "shop")
        response["Content-Disposition"] = (
            f'attachment; filename="{slug}-analytics-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv"'
        )
        return response


def _page_links(pages: QueryDict, by: str, number: int, count: int) -> dict[str, str]:
    """The query strings of a table's previous and next pages (the range and the other
    tables' pages kept)."""
    links = {}
    for name, target in (("first", 1), ("previous", number - 1), ("next", number + 1)):
        if 1 <= target <= count:
            query = pages.copy()
            query[f"{by}_page"] = str(target)
            links[name] = "?" + query.urlencode()
    return links
