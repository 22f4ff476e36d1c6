"""The designer: a page of the shop's admin where the merchant edits the draft design
beside a live preview of it, publishes or reverts it, and manages the embed.

Every POST names an ``action`` and is handed to one service; a ValidationError is shown
on the page (status 400) with the live page untouched."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from catalog.models import Collection
from shops.storefront import services
from shops.storefront.branding import contrast_warnings
from shops.storefront.forms import (
    BrandingForm,
    branding_values,
    section_settings_form,
    section_settings_from,
)
from shops.storefront.models import Design
from shops.storefront.sections import section_type, section_types
from shops.storefront.selectors import design_get, draft_document, embed_origins
from shops.storefront.views import page_number_from, shop_page_render

ANCHOR = re.compile(r"[A-Za-z][\w-]{0,80}")


def _section_action(request: HttpRequest) -> str:
    section_id = request.POST.get("section_id", "")
    action = request.POST.get("action")
    if action == "add_section":
        section = services.section_add(section_type_key=request.POST.get("section_type", ""))
        return f"Section added: {section_type(section['type']).label}."
    if action == "update_section":
        images = {
            name.removeprefix("image-"): file
            for name, file in request.FILES.items()
            if name.startswith("image-")
        }
        services.section_update(
            section_id=section_id,
            settings=section_settings_from(request.POST),
            images=images,
            remove_images=request.POST.getlist("remove_image"),
        )
        return "Section saved to the draft."
    if action == "remove_section":
        services.section_remove(section_id=section_id)
        return "Section removed from the draft."
    if action == "move_section":
        try:
            offset = int(request.POST.get("offset", "0"))
        except ValueError:
            raise ValidationError("Move a section up or down.", code="offset") from None
        services.section_move(section_id=section_id, offset=offset)
        return "Section moved."
    if action == "reorder_sections":
        order = [part for part in request.POST.get("order", "").split(",") if part]
        services.sections_reorder(section_ids=order)
        return "Sections reordered."
    raise ValidationError("Unknown action.", code="action")


def _design_action(request: HttpRequest) -> str:
    action = request.POST.get("action")
    if action == "branding":
        warnings = services.branding_update(
            values=branding_values(request.POST),
            logo=request.FILES.get("logo"),
            favicon=request.FILES.get("favicon"),
            remove_logo=bool(request.POST.get("remove_logo")),
            remove_favicon=bool(request.POST.get("remove_favicon")),
        )
        for warning in warnings:
            messages.warning(request, warning.message)
        return "Branding saved to the draft."
    if action == "origins":
        origins = request.POST.get("origins", "").splitlines()
        saved = services.embed_origins_set(origins=origins)
        return f"Sites allowed to embed the shop: {len(saved)}."
    if action == "publish":
        services.design_publish()
        return "Published: shoppers now see this design."
    if action == "revert":
        services.design_revert()
        return "Draft discarded: the designer shows the published design again."
    return _section_action(request)


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    """Shows the designer instead of a list of rows (there is one design per shop)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        preview = self.admin_site.admin_view(xframe_options_sameorigin(self.preview_view))
        return [
            path("preview/", preview, name="storefront_design_preview"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:storefront_design_changelist"))

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        errors: list[str] = []
        if request.method == "POST":
            try:
                done = _design_action(request)
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, done)
                action = request.POST.get("action", "")
                anchor = request.POST.get("section_id") or f"design-{action}"
                # only an id-like anchor: anything else (a newline) must not reach a header
                anchor = anchor if ANCHOR.fullmatch(anchor) else "design"
                return HttpResponseRedirect(f"{request.path}#{anchor}")
        return self._designer(request, errors)

    def _designer(self, request: HttpRequest, errors: list[str]) -> TemplateResponse:
        design = design_get()
        document = draft_document(design)
        sections = []
        for section in document["sections"]:
            kind = section_type(section["type"])
            if kind is not None:
                form = section_settings_form(kind, section["settings"], section_id=section["id"])
                sections.append(
                    {
                        "id": section["id"],
                        "kind": kind,
                        "settings": section["settings"],
                        "form": form,
                    }
                )
        branding = document["branding"]
        shop_origin = f"{request.scheme}://{request.get_host()}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Shop page designer",
            "errors": errors,
            "sections": sections,
            "section_types": section_types(),
            "collections": Collection.objects.order_by("title").values("slug", "title"),
            "branding": branding,
            "branding_form": BrandingForm(initial=BrandingForm.initial_from(branding)),
            "contrast_warnings": contrast_warnings(branding),
            "has_unpublished_changes": design is not None and design.has_unpublished_changes,
            "published_at": design.published_at if design else None,
            "origins": "\n".join(embed_origins(design)),
            "embed_snippet": f'<script src="{shop_origin}/embed.js" async></script>',
        }
        return TemplateResponse(
            request, "admin/storefront/designer.html", context, status=400 if errors else 200
        )

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The draft as shoppers would see it once published; staff only, never cached."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        html = shop_page_render(
            request,
            document=draft_document(design_get()),
            page_number=page_number_from(request.GET.get("page")),
            is_preview=True,
        )
        response = HttpResponse(html)
        response["Cache-Control"] = "private, no-store"
        return response
