"""Writes to the shop's design. Every write validates the whole draft document with
``documents.document_clean`` before saving, so a request that bypasses the designer's
forms gets the same clear errors, and nothing reaches the published page except through
``design_publish``.

Every change to the draft keeps the draft before it (``undo_stack``, at most
HISTORY_LIMIT), so ``design_undo`` and ``design_redo`` walk the draft's states. Every
picture stored goes into the shop's media library (``LibraryImage``) and is kept there;
a draft may only refer to this shop's library (or to what it already refers to)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Collection
from shops.audit.services import audit_record
from shops.media import delete_files_on_commit
from shops.page_cache import shop_page_changed
from shops.storefront.branding import ContrastWarning, contrast_warnings
from shops.storefront.documents import (
    default_document,
    document_clean,
    document_image_names,
    located,
    new_section_id,
)
from shops.storefront.images import storefront_image_store
from shops.storefront.models import Design, LibraryImage
from shops.storefront.sections import SectionType, section_type

MAX_EMBED_ORIGINS = 20
HISTORY_LIMIT = 30


def _design_for_update() -> Design:
    """The shop's design row, locked for this transaction (created on first use)."""
    Design.objects.get_or_create(key=1, defaults={"draft": default_document()})
    return Design.objects.select_for_update().get(key=1)


def _referenced(design: Design) -> set[str]:
    """The files the design may still show: its versions' and its history's pictures
    (files of the media library are never deleted by a change of the design)."""
    names = document_image_names(design.draft) | document_image_names(design.published)
    for document in (*design.undo_stack, *design.redo_stack):
        names |= document_image_names(document)
    return names | _library_names()


def _library_names() -> set[str]:
    names: set[str] = set()
    for image in LibraryImage.objects.values_list("image", flat=True):
        names |= {image["name"], *image["renditions"].values()}
    return names


def _saved(design: Design, fields: list[str], referenced_before: set[str]) -> Design:
    """Save ``fields``; picture files neither version refers to any more are deleted
    once the transaction commits."""
    design.save(update_fields=fields)
    delete_files_on_commit(referenced_before - _referenced(design))
    return design


def _draft_save(design: Design, document: dict) -> Design:
    """Validate ``document`` (a copy of the draft, changed) and make it the draft; the
    draft before it goes on the undo stack (a change that changes nothing does not)."""
    before = _referenced(design)
    cleaned = document_clean(document)
    if cleaned != design.draft:
        design.undo_stack = [*design.undo_stack, design.draft][-HISTORY_LIMIT:]
        design.redo_stack = []
    design.draft = cleaned
    design.draft_updated = timezone.now()
    return _saved(design, ["draft", "draft_updated", "undo_stack", "redo_stack"], before)


@transaction.atomic
def library_image_upload(*, file, label: str = "Picture") -> LibraryImage:
    """Store a picture in the shop's media library (checked, cleaned, with renditions),
    before it is part of any design: the designer uploads on selection, so a save that
    fails later loses no picture."""
    reference = storefront_image_store(file=file, label=label)
    return LibraryImage.objects.create(name=reference["name"], image=reference)


@transaction.atomic
def library_image_delete(*, image_id: int) -> None:
    """Delete a picture from the shop's media library, refused (a ValidationError saying
    where) while the draft or the published design shows it. Its files are deleted once
    the transaction commits, unless the design's history (undo, redo) still refers to
    them: those go when the history lets them go (``_saved``). Audited."""
    design = _design_for_update()
    image = LibraryImage.objects.filter(pk=image_id).first()
    if image is None:
        raise ValidationError(
            "That picture is no longer in the media library.", code="unknown_image"
        )
    in_draft = image.name in _document_image_names_only(design.draft)
    in_published = image.name in _document_image_names_only(design.published)
    if in_published:
        where = "the published design and the draft" if in_draft else "the published design"
        raise ValidationError(
            f"This picture is in {where}: choose another one in the draft and publish, "
            "then delete it.",
            code="image_in_use",
        )
    if in_draft:
        raise ValidationError(
            "This picture is in the draft: choose another one there (or remove it), "
            "then delete it.",
            code="image_in_use",
        )
    before = _referenced(design)
    audit_record(action="libraryimage.delete", target=image)
    image.delete()
    delete_files_on_commit(before - _referenced(design))


def _document_image_names_only(document: dict | None) -> set[str]:
    """The pictures ``document`` shows, by name (renditions left out)."""
    return {image["name"] for _, image in _document_images(document)} if document else set()


def _document_images(document: dict) -> list[tuple[str, dict]]:
    """``(place, stored image)`` of every picture a clean document refers to."""
    branding = document["branding"]
    images = [(f"branding.{slot}", branding.get(slot)) for slot in ("logo", "favicon")]
    for section in document["sections"]:
        kind = section_type(section["type"])
        images.extend(
            (f"sections.{section['id']}.{slot}", section["settings"].get(slot))
            for slot in (kind.image_slots if kind else ())
        )
    return [(place, image) for place, image in images if image]


def _images_of_this_shop(design: Design, document: dict) -> None:
    """Every picture of ``document`` must be one of this shop's: in its media library or
    already in its design. Each is replaced by the shop's own reference to it, so a
    client cannot make up sizes or renditions."""
    known = {image["name"]: image for image in LibraryImage.objects.values_list("image", flat=True)}
    for version in (design.draft, design.published, *design.undo_stack, *design.redo_stack):
        if version:
            known.update((image["name"], image) for _, image in _document_images(version))
    errors = []
    for place, image in _document_images(document):
        if image["name"] in known:
            image.update(known[image["name"]])
        else:
            message = "That picture is not in this shop's media library; upload it again."
            errors.append(located(ValidationError(message, code="unknown_image"), place))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def design_draft_save(*, document: object) -> Design:
    """The designer's autosave: ``document`` (the whole draft, as the designer holds it)
    becomes the draft, validated; its pictures must be this shop's (``LibraryImage``).
    A ValidationError leaves the draft as it was; its messages are ``located`` at the
    setting they are about. The published page is untouched."""
    design = _design_for_update()
    cleaned = document_clean(document)
    _images_of_this_shop(design, cleaned)
    for section in cleaned["sections"]:
        _collection_check(section_type(section["type"]), section)
    return _draft_save(design, cleaned)


@transaction.atomic
def design_undo() -> Design:
    """The draft before the last change becomes the draft again (the change can be
    redone)."""
    design = _design_for_update()
    if not design.undo_stack:
        raise ValidationError("There is nothing to undo.", code="nothing_to_undo")
    before = _referenced(design)
    design.redo_stack = [*design.redo_stack, design.draft][-HISTORY_LIMIT:]
    design.draft = design.undo_stack[-1]
    design.undo_stack = design.undo_stack[:-1]
    design.draft_updated = timezone.now()
    return _saved(design, ["draft", "draft_updated", "undo_stack", "redo_stack"], before)


@transaction.atomic
def design_redo() -> Design:
    """The last undone change is made again."""
    design = _design_for_update()
    if not design.redo_stack:
        raise ValidationError("There is nothing to redo.", code="nothing_to_redo")
    before = _referenced(design)
    design.undo_stack = [*design.undo_stack, design.draft][-HISTORY_LIMIT:]
    design.draft = design.redo_stack[-1]
    design.redo_stack = design.redo_stack[:-1]
    design.draft_updated = timezone.now()
    return _saved(design, ["draft", "draft_updated", "undo_stack", "redo_stack"], before)


def _find_section(document: dict, section_id: str) -> dict:
    for section in document["sections"]:
        if section["id"] == section_id:
            return section
    raise ValidationError("That section is no longer in the design.", code="unknown_section")


@transaction.atomic
def design_draft_replace(*, document: object) -> Design:
    """Replace the whole draft with ``document`` (validated)."""
    return _draft_save(_design_for_update(), document)


@transaction.atomic
def section_add(*, section_type_key: str, position: int | None = None) -> dict:
    """Add a section of that type with its default settings (at the end by default)."""
    kind = section_type(section_type_key)
    if kind is None:
        raise ValidationError(
            f"Unknown section type “{section_type_key}”.", code="unknown_section_type"
        )
    design = _design_for_update()
    document = deepcopy(design.draft)
    section = {"id": new_section_id(), "type": kind.key, "settings": dict(kind.default_settings)}
    sections = document["sections"]
    sections.insert(len(sections) if position is None else max(0, position), section)
    _draft_save(design, document)
    return section


@transaction.atomic
def section_update(
    *,
    section_id: str,
    settings: Mapping[str, object],
    images: Mapping[str, object] | None = None,
    remove_images: Sequence[str] = (),
) -> dict:
    """Replace a section's settings with ``settings`` (validated by its type's form).

    Its pictures are kept unless replaced by an upload in ``images`` (slot → file) or
    named in ``remove_images``."""
    design = _design_for_update()
    document = deepcopy(design.draft)
    section = _find_section(document, section_id)
    kind = section_type(section["type"])
    new_settings = dict(settings)
    for slot in kind.image_slots:
        if slot in new_settings:
            raise ValidationError(
                f"{kind.label}: upload the picture as a file.", code="image_as_setting"
            )
        if slot in section["settings"] and slot not in remove_images:
            new_settings[slot] = section["settings"][slot]
    unknown_slots = sorted(set(images or {}) - set(kind.image_slots))
    if unknown_slots:
        raise ValidationError(
            f"{kind.label} has no picture “{unknown_slots[0]}”.", code="image_slot"
        )
    section["settings"] = new_settings
    document_clean(document)  # every other mistake first: no picture is stored in vain
    _collection_check(kind, section)
    for slot, file in (images or {}).items():
        new_settings[slot] = library_image_upload(file=file, label=f"{kind.label}, picture").image
    _draft_save(design, document)
    return _find_section(design.draft, section_id)


def _collection_check(kind: SectionType, section: dict) -> None:
    """A section naming a collection must name one of the shop's (a collection deleted
    later only hides the section)."""
    if not kind.collection_setting:
        return
    handle = section["settings"].get(kind.collection_setting)
    if handle and not Collection.objects.filter(slug=handle).exists():
        error = ValidationError(
            f"{kind.label}: there is no collection with the handle “{handle}”.",
            code="unknown_collection",
        )
        raise located(error, f"sections.{section['id']}.{kind.collection_setting}")


@transaction.atomic
def section_remove(*, section_id: str) -> None:
    design = _design_for_update()
    document = deepcopy(design.draft)
    section = _find_section(document, section_id)
    document["sections"].remove(section)
    _draft_save(design, document)


@transaction.atomic
def sections_reorder(*, section_ids: Sequence[str]) -> None:
    """Put the sections in this order; the ids must be exactly the draft's sections."""
    design = _design_for_update()
    document = deepcopy(design.draft)
    by_id = {section["id"]: section for section in document["sections"]}
    if sorted(section_ids) != sorted(by_id):
        raise ValidationError(
            "The order sent does not list the design's sections; reload the designer.",
            code="stale_order",
        )
    document["sections"] = [by_id[section_id] for section_id in section_ids]
    _draft_save(design, document)


def section_move(*, section_id: str, offset: int) -> None:
    """Move a section up (-1) or down (+1); at either end it stays where it is."""
    with transaction.atomic():
        ids = [section["id"] for section in _design_for_update().draft["sections"]]
        if section_id not in ids:
            raise ValidationError(
                "That section is no longer in the design.", code="unknown_section"
            )
        index = ids.index(section_id)
        target = min(max(index + offset, 0), len(ids) - 1)
        ids.insert(target, ids.pop(index))
        sections_reorder(section_ids=ids)


@transaction.atomic
def branding_update(
    *,
    values: Mapping[str, object],
    logo: object | None = None,
    favicon: object | None = None,
    remove_logo: bool = False,
    remove_favicon: bool = False,
) -> list[ContrastWarning]:
    """Change the draft's branding (colours, font, texts, social links, pictures).

    Returns the colour pairs below WCAG AA contrast, as warnings: they are saved."""
    design = _design_for_update()
    document = deepcopy(design.draft)
    branding = {**document["branding"], **values}
    uploads = (("logo", logo, remove_logo, "Logo"), ("favicon", favicon, remove_favicon, "Favicon"))
    for slot, _, remove, label in uploads:
        if slot in values:
            raise ValidationError(
                f"{label}: upload the picture as a file.", code="image_as_setting"
            )
        if remove:
            branding[slot] = None
    document["branding"] = branding
    document_clean(document)  # every other mistake first: no picture is stored in vain
    for slot, file, _, label in uploads:
        if file is not None:
            branding[slot] = library_image_upload(file=file, label=label).image
    _draft_save(design, document)
    return contrast_warnings(design.draft["branding"])


@transaction.atomic
def design_publish() -> Design:
    """Make the draft the live design, all at once; shoppers see it after the commit."""
    design = _design_for_update()
    before = _referenced(design)
    design.published = document_clean(design.draft)
    design.published_at = timezone.now()
    _saved(design, ["published", "published_at"], before)
    audit_record(action="design.publish", target=design)
    shop_page_changed()
    return design


@transaction.atomic
def design_revert() -> Design:
    """Discard the draft: it becomes the published design again (the default one if
    nothing was ever published). Undo brings the discarded draft back."""
    design = _design_for_update()
    return _draft_save(design, design.published or default_document())


def origin_clean(value: object) -> str:
    """``scheme://host[:port]`` in lower case, or a ValidationError saying why not."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = "it must start with https:// (or http://)"
    elif not parts.hostname or parts.username or parts.password:
        problem = "it needs a host name, like https://blog.example.com"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "an origin has no path: leave out everything after the host and port"
    elif any(c in parts.hostname for c in " *'\";,"):
        problem = "the host name has characters no host name has"
    if problem is None:
        try:
            port = parts.port
        except ValueError:
            problem = "the port is not a number from 1 to 65535"
    if problem:
        raise ValidationError(f"“{text}” is not an origin: {problem}.", code="origin")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


@transaction.atomic
def embed_origins_set(*, origins: Sequence[str]) -> list[str]:
    """The sites allowed to frame the embedded shop page (effective at once)."""
    cleaned: list[str] = []
    errors = []
    for value in origins:
        if not str(value).strip():
            continue
        try:
            origin = origin_clean(value)
        except ValidationError as error:
            errors.append(error)
            continue
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > MAX_EMBED_ORIGINS:
        errors.append(
            ValidationError(
                f"At most {MAX_EMBED_ORIGINS} sites may embed the shop.", code="too_many"
            )
        )
    if errors:
        raise ValidationError(errors)
    design = _design_for_update()
    design.embed_origins = cleaned
    design.save(update_fields=["embed_origins"])
    shop_page_changed()
    return cleaned
