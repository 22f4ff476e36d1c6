"""The design document: branding and an ordered list of sections, as JSON.

``document_clean`` is the one validation every write goes through (the designer's forms,
a POST that bypasses them, ``seed_demo``): a document it returns is safe to render, and
anything else raises a ValidationError whose messages say what to fix.

Shape::

    {"branding": {"background_color": "#ffffff", "text_color": "#1d1d1f",
                  "accent_color": "#0a5c4a", "font": "system", "tagline": "",
                  "announcement": "", "announcement_link": "",
                  "social": {"instagram": "https://instagram.com/…", …},
                  "logo": <stored image> | None, "favicon": <stored image> | None},
     "sections": [{"id": "a1b2c3d4", "type": "hero", "settings": {…}}, …]}

A stored image is ``{"name": "storefront/….png", "width": 800, "height": 600,
"renditions": {"320": "storefront/…-320.webp", …}}`` (see ``images.py``).
"""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError

from shops.storefront.branding import (
    COLOURS,
    FONTS,
    SOCIAL_NETWORKS,
    colour_clean,
    social_link_clean,
)
from shops.storefront.fields import LinkField
from shops.storefront.sections import REGISTRY, SectionType, section_type

MAX_SECTIONS = 30
_SECTION_ID = re.compile(r"^[a-z0-9]{4,16}$")
_STORED_NAME = re.compile(r"^storefront/[A-Za-z0-9_-]+(?:-\d+)?\.(?:jpg|png|webp|gif)$")
BRANDING_TEXT = {"tagline": 200, "announcement": 200}


def nul_refused(label: str) -> ValidationError:
    """The error for a text holding a NUL character (often pasted from another program;
    PostgreSQL cannot store it): refused rather than stripped, as the forms do."""
    return ValidationError(
        f"{label}: remove the invisible NUL character (often pasted from another program).",
        code="null_characters_not_allowed",
    )


def located(error: ValidationError, path: str) -> ValidationError:
    """Mark each message of ``error`` with the place it is about (``branding.tagline``,
    ``sections.<id>.button_link``) unless it has one: the designer shows it there."""
    for item in error.error_list:
        if not getattr(item, "path", None):
            item.path = path
    return error


def error_places(error: ValidationError) -> list[dict[str, str]]:
    """``[{"path": …, "message": …}]``: each message with its place ("" for the whole
    design), for the designer's inline errors."""
    return [
        {"path": getattr(item, "path", ""), "message": message}
        for item in error.error_list
        for message in item.messages
    ]


def new_section_id() -> str:
    return secrets.token_hex(4)


def default_branding() -> dict:
    return {
        **{name: default for name, (_, default) in COLOURS.items()},
        "font": "system",
        "tagline": "",
        "announcement": "",
        "announcement_link": "",
        "social": {},
        "logo": None,
        "favicon": None,
    }


def default_document() -> dict:
    """What a shop shows before its first publish: its products."""
    return {
        "branding": default_branding(),
        "sections": [
            {
                "id": "products",
                "type": "product_grid",
                "settings": dict(REGISTRY["product_grid"].default_settings),
            }
        ],
    }


def stored_image_clean(value: object, *, label: str) -> dict | None:
    """A stored image reference as written by ``images.storefront_image_store``."""
    if value in (None, "", {}):
        return None
    bad = ValidationError(
        f"{label}: not a picture stored by the designer; upload it again.", code="image"
    )
    if not isinstance(value, dict) or set(value) != {"name", "width", "height", "renditions"}:
        raise bad
    renditions = value["renditions"] if isinstance(value["renditions"], dict) else {"": None}
    names = [value["name"], *renditions.values()]
    if not all(isinstance(name, str) and _STORED_NAME.match(name) for name in names):
        raise bad
    if not all(isinstance(value[k], int) and 0 < value[k] <= 100_000 for k in ("width", "height")):
        raise bad
    if not all(str(key).isdigit() for key in renditions):
        raise bad
    return {
        "name": value["name"],
        "width": value["width"],
        "height": value["height"],
        "renditions": {str(k): v for k, v in value["renditions"].items()},
    }


def document_image_names(document: dict | None) -> set[str]:
    """The media files a (clean) document refers to: pictures and their renditions."""
    if not document:
        return set()
    images = [document["branding"].get("logo"), document["branding"].get("favicon")]
    for section in document["sections"]:
        kind = section_type(section["type"])
        slots = kind.image_slots if kind is not None else ()
        images.extend(section["settings"].get(slot) for slot in slots)
    return {
        name for image in images if image for name in (image["name"], *image["renditions"].values())
    }


def branding_clean(branding: object) -> dict:
    if not isinstance(branding, dict):
        raise ValidationError("Branding must be an object of settings.", code="branding")
    known = set(default_branding())
    unknown = sorted(set(branding) - known)
    if unknown:
        raise ValidationError(
            f"Unknown branding setting: {', '.join(unknown)}.", code="unknown_setting"
        )
    merged = {**default_branding(), **branding}
    errors: list[ValidationError] = []
    cleaned: dict = {}
    for name, (label, _) in COLOURS.items():
        try:
            cleaned[name] = colour_clean(merged[name], label=label)
        except ValidationError as error:
            errors.append(located(error, f"branding.{name}"))
    if merged["font"] not in FONTS:
        errors.append(
            located(
                ValidationError(
                    f"Font: choose one of {', '.join(label for label, _ in FONTS.values())}.",
                    code="font",
                ),
                "branding.font",
            )
        )
    cleaned["font"] = merged["font"]
    for name, limit in BRANDING_TEXT.items():
        text = " ".join(str(merged[name] or "").split())
        if "\x00" in text:  # PostgreSQL refuses it in JSON text: a 500 on save
            errors.append(located(nul_refused(name.title()), f"branding.{name}"))
        elif len(text) > limit:
            errors.append(
                located(
                    ValidationError(
                        f"{name.title()}: at most {limit} characters.", code="too_long"
                    ),
                    f"branding.{name}",
                )
            )
        cleaned[name] = text
    try:
        cleaned["announcement_link"] = LinkField().clean(merged["announcement_link"] or "")
    except ValidationError as error:
        errors.append(
            located(
                ValidationError(f"Announcement link: {error.messages[0]}", code="link"),
                "branding.announcement_link",
            )
        )
    social = merged["social"] if isinstance(merged["social"], dict) else None
    if social is None or set(social) - set(SOCIAL_NETWORKS):
        errors.append(
            ValidationError(
                f"Social links: one address per network among {', '.join(SOCIAL_NETWORKS)}.",
                code="social",
            )
        )
        social = {}
    cleaned["social"] = {}
    for network, address in social.items():
        try:
            link = social_link_clean(network, address)
        except ValidationError as error:
            errors.append(located(error, f"branding.social_{network}"))
            continue
        if link:
            cleaned["social"][network] = link
    for slot, label in (("logo", "Logo"), ("favicon", "Favicon")):
        try:
            cleaned[slot] = stored_image_clean(merged[slot], label=label)
        except ValidationError as error:
            errors.append(located(error, f"branding.{slot}"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def section_settings_clean(kind: SectionType, settings: object, *, path: str = "") -> dict:
    """A section's settings validated by its type's form; unknown keys are refused.
    Each error is ``located`` at ``<path>.<setting>``."""
    if not isinstance(settings, dict):
        raise ValidationError(
            f"{kind.label}: settings must be an object of named values.", code="settings"
        )
    form_fields = set(kind.form.base_fields)
    unknown = sorted(set(settings) - form_fields - set(kind.image_slots))
    if unknown:
        raise ValidationError(
            f"{kind.label}: unknown setting {', '.join(unknown)}.", code="unknown_setting"
        )
    form = kind.form(data={k: v for k, v in settings.items() if k in form_fields})
    errors: list[ValidationError] = []
    cleaned: dict = {}
    if form.is_valid():
        cleaned.update(
            {name: value for name, value in form.cleaned_data.items() if value is not None}
        )
    else:
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            errors.extend(
                located(
                    ValidationError(f"{kind.label}, {label}: {message}", code="setting"),
                    f"{path}.{name}",
                )
                for message in messages
            )
    for slot in kind.image_slots:
        try:
            image = stored_image_clean(settings.get(slot), label=f"{kind.label}, picture")
        except ValidationError as error:
            errors.append(located(error, f"{path}.{slot}"))
            continue
        if image is not None:
            cleaned[slot] = image
    if errors:
        raise ValidationError(errors)
    return cleaned


def section_clean(section: object) -> dict:
    if not isinstance(section, dict) or set(section) - {"id", "type", "settings"}:
        raise ValidationError(
            "A section is an object with an id, a type and settings.", code="section"
        )
    kind = section_type(str(section.get("type", "")))
    if kind is None:
        known = ", ".join(sorted(REGISTRY))
        raise ValidationError(
            f"Unknown section type “{section.get('type')}”; the types are {known}.",
            code="unknown_section_type",
        )
    section_id = section.get("id")
    if not isinstance(section_id, str) or not _SECTION_ID.match(section_id):
        raise ValidationError(
            f"{kind.label}: the section id must be 4 to 16 lowercase letters or digits.",
            code="section_id",
        )
    return {
        "id": section_id,
        "type": kind.key,
        "settings": section_settings_clean(
            kind, section.get("settings", {}), path=f"sections.{section_id}"
        ),
    }


def document_clean(document: object) -> dict:
    """The document, validated and normalised; a ValidationError lists every problem."""
    if not isinstance(document, dict) or set(document) - {"branding", "sections"}:
        raise ValidationError("A design is an object with branding and sections.", code="document")
    errors: list[ValidationError] = []
    branding: dict = {}
    try:
        branding = branding_clean(document.get("branding", {}))
    except ValidationError as error:
        errors.extend(error.error_list)
    sections = document.get("sections", [])
    if not isinstance(sections, list):
        raise ValidationError("Sections must be a list.", code="sections")
    if len(sections) > MAX_SECTIONS:
        errors.append(
            ValidationError(f"A shop page has at most {MAX_SECTIONS} sections.", code="too_many")
        )
    cleaned_sections = []
    for section in sections:
        try:
            cleaned_sections.append(section_clean(section))
        except ValidationError as error:
            errors.extend(error.error_list)
    ids = [section["id"] for section in cleaned_sections]
    if len(ids) != len(set(ids)):
        errors.append(ValidationError("Two sections have the same id.", code="duplicate_id"))
    if errors:
        raise ValidationError(errors)
    return {"branding": branding, "sections": cleaned_sections}
