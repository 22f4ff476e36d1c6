"""Variant attributes from product options: which option is the color, the size, the
gender... (the shop's ``OptionAttribute`` mapping over ``DEFAULT_OPTION_ATTRIBUTES``),
and each variant's values, in the words the platforms accept.

Google needs color, size, gender and age_group on apparel variants, all of them
sharing ``item_group_id`` (support.google.com/merchants/answer/6324487, /6324492,
/6324479, /6324463); Meta, Pinterest and TikTok take the same names. Gender and age group
are a closed set: a value outside it ("Men's fit") is left out rather than sent to be
refused. Size system is a closed set too (US, UK, EU, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shops.channels.models import Attribute, OptionAttribute

# option name (lower case) → attribute, where the shop set nothing
DEFAULT_OPTION_ATTRIBUTES: dict[str, str] = {
    "color": Attribute.COLOR,
    "colour": Attribute.COLOR,
    "size": Attribute.SIZE,
    "gender": Attribute.GENDER,
    "age group": Attribute.AGE_GROUP,
    "material": Attribute.MATERIAL,
    "pattern": Attribute.PATTERN,
    "size system": Attribute.SIZE_SYSTEM,
}
ATTRIBUTES: tuple[str, ...] = tuple(value for value in Attribute.values if value)

_GENDERS = {
    "male": "male",
    "men": "male",
    "mens": "male",
    "man": "male",
    "female": "female",
    "women": "female",
    "womens": "female",
    "woman": "female",
    "unisex": "unisex",
}
_AGE_GROUPS = {
    "newborn": "newborn",
    "infant": "infant",
    "baby": "infant",
    "toddler": "toddler",
    "kids": "kids",
    "kid": "kids",
    "children": "kids",
    "child": "kids",
    "adult": "adult",
    "adults": "adult",
}
_SIZE_SYSTEMS = {"US", "UK", "EU", "DE", "FR", "JP", "CN", "IT", "BR", "MEX", "AU"}


def option_attributes() -> dict[str, str]:
    """The shop's mapping, option name in lower case → attribute ("" for none): the
    defaults, overridden and extended by its ``OptionAttribute`` rows (one query)."""
    mapping = dict(DEFAULT_OPTION_ATTRIBUTES)
    for name, attribute in OptionAttribute.objects.values_list("option_name", "attribute"):
        mapping[name.strip().lower()] = attribute
    return mapping


def _normalised(attribute: str, value: str) -> str:
    if attribute == Attribute.GENDER:
        return _GENDERS.get(value.lower().replace("'", "").strip(), "")
    if attribute == Attribute.AGE_GROUP:
        return _AGE_GROUPS.get(value.lower().strip(), "")
    if attribute == Attribute.SIZE_SYSTEM:
        return value.upper() if value.upper() in _SIZE_SYSTEMS else ""
    return value


def variant_attributes(
    option_names: Sequence[str], options: Sequence[str], mapping: Mapping[str, str]
) -> dict[str, str]:
    """{attribute: value} of one variant: its option values under the attributes their
    options' names map to (the first option wins when two map to one attribute)."""
    values: dict[str, str] = {}
    for name, value in zip(option_names, options, strict=False):
        attribute = mapping.get(name.strip().lower(), "")
        if attribute and attribute not in values and value:
            normalised = _normalised(attribute, value)
            if normalised:
                values[attribute] = normalised
    return values
