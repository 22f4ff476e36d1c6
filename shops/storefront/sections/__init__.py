"""The registry of shop page section types: one module in this package per type.

A module defines a ``SECTION = SectionType(...)``; every module here is registered when
the package is imported. Adding a type is one module plus its template under
``templates/storefront/sections/``. ``SectionType`` says how a section is validated
(a Django form over its settings, plus named image slots filled through the catalog's
image pipeline) and what it needs from the database, in a form that lets the shop page
load every section's products together in a constant number of queries.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.db.models import QuerySet


@dataclass(frozen=True)
class SectionType:
    """One kind of section.

    - ``form`` validates and cleans the settings (unknown keys are refused separately);
      its cleaned data must be JSON (str, int, bool).
    - ``image_slots`` name settings that hold an image stored by
      ``shops.storefront.images.storefront_image_store``.
    - ``collection_setting`` names the setting holding a collection's handle: the shop
      page reads all sections' collections in one query.
    - ``products`` returns ``(ordered queryset, start, stop)``, the products the section
      shows, given its settings, its collection (or None) and the page number; or None
      to show nothing. All sections' products are read together in one query (plus
      variants and images).
    - ``feature_context`` is the hook for features that bring their own data (posts,
      reviews, polls): given the settings, it reads them (in a fixed number of queries,
      whatever the data's size) and returns the section's template context, or None to
      render nothing.
    """

    key: str
    label: str
    form: type[forms.Form]
    description: str = ""
    image_slots: tuple[str, ...] = ()
    collection_setting: str | None = None
    products: Callable[..., tuple[QuerySet, int, int] | None] | None = None
    feature_context: Callable[[dict], dict | None] | None = None
    default_settings: dict = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"storefront/sections/{self.key}.html"


REGISTRY: dict[str, SectionType] = {}


def _discover() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        section = importlib.import_module(f"{__name__}.{module.name}").SECTION
        if section.key in REGISTRY:
            raise RuntimeError(f"two section types are called {section.key!r}")
        REGISTRY[section.key] = section


def section_type(key: str) -> SectionType | None:
    return REGISTRY.get(key)


def section_types() -> list[SectionType]:
    """Every registered type, by label (the designer's "add a section" list)."""
    return sorted(REGISTRY.values(), key=lambda section: section.label)


_discover()
