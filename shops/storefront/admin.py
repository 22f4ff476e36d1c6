"""The designer: a page of the shop's admin where the merchant edits the draft design
beside a live preview of it, publishes or reverts it, and manages the embed.

Every POST names an ``action`` and is handed to one service; a ValidationError is shown
on the page (status 400) with the live page untouched, beside the setting it is about,
and the section's form keeps what was typed.

With JavaScript (``static/storefront/designer.js``) the same page becomes a live editor:
typing saves the draft through the JSON endpoint ``draft/`` (debounced), the preview
frame reloads the draft, pictures are stored on selection through ``media/`` (the
shop's media library, also listed there for the picture picker, which deletes one
through ``media/<id>/delete/``)."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from catalog.models import Collection
from shops.json_input import JsonUnreadable, json_input
from shops.media import stored_image_url
from shops.storefront import services
from shops.storefront.branding import contrast_warnings
from shops.storefront.documents import error_places
from shops.storefront.forms import (
    BrandingForm,
    branding_values,
    section_settings_form,
    section_settings_from,
)
from shops.storefront.models import Design, LibraryImage
from shops.storefront.sections import section_type, section_types
from shops.storefront.selectors import (
    design_get,
    draft_document,
    embed_origins,
    library_images_page,
)
from shops.storefront.views import page_number_from, shop_page_render

ANCHOR = re.compile(r"[A-Za-z][\w-]{0,80}")
MAX_DRAFT_BYTES = 256 * 1024


def _position(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise ValidationError("Choose where to add the section.", code="position") from None


def _section_action(request: HttpRequest) -> str:
    section_id = request.POST.get("section_id", "")
    action = request.POST.get("action")
    if action == "add_section":
        section = services.section_add(
            section_type_key=request.POST.get("section_type", ""),
            position=_position(request.POST.get("position")),
        )
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
        return (
            "Draft discarded: the designer shows the published design again (Undo brings it back)."
        )
    if action == "undo":
        services.design_undo()
        return "Undone."
    if action == "redo":
        services.design_redo()
        return "Redone."
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
        draft = self.admin_site.admin_view(self.draft_view)
        media = self.admin_site.admin_view(self.media_view)
        media_delete = self.admin_site.admin_view(self.media_delete_view)
        return [
            path("preview/", preview, name="storefront_design_preview"),
            path("draft/", draft, name="storefront_design_draft"),
            path("media/", media, name="storefront_design_media"),
            path(
                "media/<int:image_id>/delete/",
                media_delete,
                name="storefront_design_media_delete",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:storefront_design_changelist"))

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        errors: list[dict[str, str]] = []
        if request.method == "POST":
            try:
                done = _design_action(request)
            except ValidationError as error:
                errors = error_places(error)
            else:
                messages.success(request, done)
                action = request.POST.get("action", "")
                anchor = request.POST.get("section_id") or f"design-{action}"
                # only an id-like anchor: anything else (a newline) must not reach a header
                anchor = anchor if ANCHOR.fullmatch(anchor) else "design"
                return HttpResponseRedirect(f"{request.path}#{anchor}")
        return self._designer(request, errors)

    def _designer(self, request: HttpRequest, errors: list[dict[str, str]]) -> TemplateResponse:
        design = design_get()
        document = draft_document(design)
        # a failed save of a section's form shows it again with what was typed
        failed_id = request.POST.get("section_id") if errors else None
        errors_by_place: dict[str, list[str]] = {}
        for error in errors:
            errors_by_place.setdefault(error["path"], []).append(error["message"])
        sections = []
        for section in document["sections"]:
            kind = section_type(section["type"])
            if kind is None:
                continue
            settings = section["settings"]
            if section["id"] == failed_id:
                settings = {**settings, **section_settings_from(request.POST)}
            form = section_settings_form(kind, settings, section_id=section["id"])
            place = f"sections.{section['id']}."
            messages_at = {
                path.removeprefix(place): messages
                for path, messages in errors_by_place.items()
                if path.startswith(place)
            }
            sections.append(
                {
                    "id": section["id"],
                    "kind": kind,
                    "settings": section["settings"],
                    "fields": _fields_with_errors(
                        form, errors_by_place, f"sections.{section['id']}"
                    ),
                    "pictures": [
                        _picture(
                            place=f"sections.{section['id']}.{slot}",
                            label="Picture",
                            image=section["settings"].get(slot),
                            errors=messages_at.get(slot, []),
                            file_name=f"image-{slot}",
                            remove=("remove_image", slot),
                        )
                        for slot in kind.image_slots
                    ],
                    "has_errors": bool(messages_at),
                }
            )
        branding = document["branding"]
        if errors and request.POST.get("action") == "branding":
            branding_initial = {**BrandingForm.initial_from(branding), **request.POST.dict()}
        else:
            branding_initial = BrandingForm.initial_from(branding)
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
            "branding_fields": [
                entry
                for entry in _fields_with_errors(
                    BrandingForm(initial=branding_initial), errors_by_place, "branding"
                )
                if entry["field"].name not in ("logo", "remove_logo", "favicon", "remove_favicon")
            ],
            "branding_pictures": [
                _picture(
                    place=f"branding.{slot}",
                    label=label,
                    image=branding.get(slot),
                    errors=errors_by_place.get(f"branding.{slot}", []),
                    file_name=slot,
                    remove=(f"remove_{slot}", "1"),
                )
                for slot, label in (("logo", "Logo"), ("favicon", "Favicon (square picture)"))
            ],
            "unplaced_errors": [
                error["message"]
                for error in errors
                if not error["path"].startswith(("branding.", "sections."))
            ],
            "document": document,
            "can_undo": bool(design and design.undo_stack),
            "can_redo": bool(design and design.redo_stack),
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

    def _draft_state(self, design: Design) -> dict:
        return {
            "document": design.draft,
            "can_undo": bool(design.undo_stack),
            "can_redo": bool(design.redo_stack),
            "has_unpublished_changes": design.has_unpublished_changes,
        }

    @method_decorator(require_http_methods(["POST"]))
    def draft_view(self, request: HttpRequest) -> JsonResponse:
        """POST ``{"document": {...}}``: the designer's autosave (or ``{"action":
        "undo"|"redo"}``). Answers the saved draft and whether undo/redo are possible,
        or 400 with ``errors``: ``[{"path", "message"}]``, the draft left as it was.
        Staff with the right to change the design only (the admin's login and CSRF)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if len(request.body) > MAX_DRAFT_BYTES:
            return _json_errors("The design is too large to save.")
        try:
            data = json_input(request.body)
        except JsonUnreadable as error:
            return _json_errors(str(error))
        if not isinstance(data, dict):
            return _json_errors("Send an object with the document.")
        try:
            if data.get("action") == "undo":
                design = services.design_undo()
            elif data.get("action") == "redo":
                design = services.design_redo()
            else:
                design = services.design_draft_save(document=data.get("document"))
        except ValidationError as error:
            return JsonResponse({"errors": error_places(error)}, status=400)
        return JsonResponse(self._draft_state(design))

    @method_decorator(require_http_methods(["GET", "POST"]))
    def media_view(self, request: HttpRequest) -> JsonResponse:
        """GET ``?page=<n>``: a page of the shop's media library; POST a ``file``: store
        it in the library (answers its reference, for the draft)."""
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            file = request.FILES.get("file")
            if file is None:
                return _json_errors("Choose a picture to upload.")
            try:
                image = services.library_image_upload(file=file)
            except ValidationError as error:
                return JsonResponse({"errors": error_places(error)}, status=400)
            return JsonResponse({"image": _library_entry(image)}, status=201)
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = library_images_page(page_number=page_number_from(request.GET.get("page")))
        return JsonResponse(
            {
                "images": [_library_entry(image) for image in page.object_list],
                "page": page.number,
                "page_count": page.paginator.num_pages,
            }
        )

    @method_decorator(require_http_methods(["POST"]))
    def media_delete_view(self, request: HttpRequest, image_id: int) -> JsonResponse:
        """POST: delete a picture of the media library (refused, with the reason, while
        the draft or the published design shows it)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            services.library_image_delete(image_id=image_id)
        except ValidationError as error:
            return JsonResponse({"errors": error_places(error)}, status=400)
        return JsonResponse({"deleted": image_id})


def _fields_with_errors(form, errors_by_place: dict[str, list[str]], prefix: str) -> list[dict]:
    """The form's fields, each with its place (``<prefix>.<name>``, where the designer
    shows its errors) and its error messages; the input is described by its error."""
    entries = []
    for field in form:
        place = f"{prefix}.{field.name}"
        messages = errors_by_place.get(place, [])
        attrs = field.field.widget.attrs
        attrs["aria-describedby"] = f"{field.id_for_label}-error"
        attrs["data-place"] = place
        if messages:
            attrs["aria-invalid"] = "true"
        entries.append({"field": field, "errors": messages, "place": place})
    return entries


def _picture(
    *, place: str, label: str, image: dict | None, errors: list[str], file_name: str, remove
) -> dict:
    """A picture setting for ``_picture.html``: its place, current picture and errors."""
    input_id = "picture-" + place.replace(".", "-")
    return {
        "place": place,
        "label": label,
        "image": image,
        "errors": errors,
        "file_name": file_name,
        "remove_name": remove[0],
        "remove_value": remove[1],
        "input_id": input_id,
        "json_id": f"{input_id}-reference",
    }


def _json_errors(message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"path": "", "message": message}]}, status=400)


def _library_entry(image: LibraryImage) -> dict:
    return {
        "id": image.pk,
        "delete_url": reverse("admin:storefront_design_media_delete", args=[image.pk]),
        "reference": image.image,
        "url": stored_image_url(image.image, 320),
        "width": image.image["width"],
        "height": image.image["height"],
    }
