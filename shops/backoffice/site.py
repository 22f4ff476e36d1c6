"""The shop's admin site: Django's admin with the back office's navigation on every page,
Home in place of the list of models, and the pages that have no model of their own.

``admin.site`` is this site (``BackofficeAdminConfig.default_site``), so every app's
``@admin.register`` is unchanged."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path

from shops.backoffice import selectors
from shops.backoffice.models import Milestone
from shops.backoffice.navigation import PLUMBING, navigation_for
from shops.backoffice.services import milestone_record
from shops.currencies import money_format
from shops.selectors import shop_url

CUSTOMERS_PER_PAGE = 50


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
        """What the shop measures today, and where to read it (no figures invented here)."""
        return self._page(request, "backoffice/analytics.html", "Analytics")
