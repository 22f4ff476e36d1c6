"""The owner's "Privacy requests" page: past exports and erasures (50 a page), and a
support request run for a shopper (their email → the export downloaded, or the erasure
after a confirmation), each logged and in the audit log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from shops.privacy import services
from shops.privacy.forms import EmailForm, ErasureForm
from shops.privacy.models import DataRequest
from shops.privacy.views import export_response

REQUESTS_PER_PAGE = 50


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ("created", "kind", "email_hint", "requested_by", "staff_label", "status")
    list_filter = ("kind", "requested_by", "status")
    list_per_page = REQUESTS_PER_PAGE
    search_fields = ("email_hint",)
    search_help_text = "A shopper's full email finds their requests."
    readonly_fields = (
        "created",
        "kind",
        "requested_by",
        "staff_label",
        "email_hint",
        "status",
        "summary",
        "completed_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the log of requests is kept as it was written

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """A full email finds its requests by the keyed hash (the address is not kept)."""
        if "@" in search_term and "…" not in search_term:
            return queryset.filter(email_hash=services.email_digest(search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "title": "Privacy requests",
            "new_request_url": reverse("admin:privacy_run"),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list:
        run = self.admin_site.admin_view(self.run_view)
        return [path("run/", run, name="privacy_run"), *super().get_urls()]

    def _page(self, request: HttpRequest, **context) -> TemplateResponse:
        status = context.pop("status", 200)
        context = {
            **self.admin_site.each_context(request),
            "title": "Run a privacy request",
            "opts": self.model._meta,
            **context,
        }
        return TemplateResponse(request, "admin/privacy/run.html", context, status=status)

    @staticmethod
    def _requester(request: HttpRequest) -> services.Requester:
        user = request.user
        label = (user.get_full_name() or user.get_username()) if user.is_authenticated else ""
        return services.Requester(DataRequest.RequestedBy.STAFF, label)

    def run_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the email form. POST ``step``: ``find`` (what the shop holds), ``json`` /
        ``zip`` (the export, downloaded), ``confirm`` (the erasure's confirmation),
        ``erase`` (done, back to the log). The email travels in the form, never in a
        URL (it would be in the server's logs)."""
        if not getattr(request.user, "is_owner", False):
            raise PermissionDenied
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if request.method == "GET":
            return self._page(request, email_form=EmailForm())
        email_form = EmailForm(request.POST)
        if not email_form.is_valid():
            return self._page(request, email_form=email_form, status=400)
        email = services.email_normalised(email_form.cleaned_data["email"])
        step = request.POST.get("step", "find")
        if step in ("json", "zip"):
            export = services.data_request_export(email=email, requester=self._requester(request))
            return export_response(export, file_format=step)
        if step in ("confirm", "erase"):
            form = ErasureForm(request.POST if step == "erase" else None)
            if step == "erase" and form.is_valid():
                services.data_request_erase(
                    email=email,
                    requester=self._requester(request),
                    reviews=form.cleaned_data["reviews"],
                )
                messages.success(
                    request, f"The data of {services.email_hint(email)} is erased everywhere."
                )
                return HttpResponseRedirect(reverse("admin:privacy_datarequest_changelist"))
            return self._page(
                request,
                email=email,
                erasure_form=form,
                status=400 if step == "erase" else 200,
            )
        summary = services.data_summary(email)
        return self._page(
            request, email=email, summary=summary, holds_anything=any(summary.values())
        )
