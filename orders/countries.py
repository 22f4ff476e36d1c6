"""Countries a parcel can be shipped to: the ISO 3166-1 alpha-2 codes (249, as
officially assigned; neither Django nor the standard library ships a list), their names
for the checkout's country menu (``country_choices``, from django-countries), and those
whose addresses have no postal code."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django.core.exceptions import ValidationError
from django_countries import countries as country_names

# fmt: off
COUNTRY_CODES: frozenset[str] = frozenset((
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
    "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
    "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
    "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
    "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
    "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
    "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
    "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
    "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
))

# Addresses there have no postal code (the shopper could not fill one in).
COUNTRIES_WITHOUT_POSTAL_CODES: frozenset[str] = frozenset((
    "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI",
    "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "JM", "KI",
    "KM", "KN", "KP", "LY", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL",
    "SR", "ST", "SY", "TD", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW",
))
# fmt: on

# Where a postal code is part of an address but often left out: asked for, not required
# (Ireland's Eircodes, which many addresses are still written without).
COUNTRIES_WITH_OPTIONAL_POSTAL_CODES: frozenset[str] = frozenset(("IE",))

# The shape of a postal code in the common countries (upper case, one space at most where
# it has one), and how to say it to the shopper. A country not listed takes any postal
# code: it is checked only as present.
POSTAL_CODE_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    code: (re.compile(pattern), shape)
    for code, pattern, shape in (
        ("US", r"\d{5}(-\d{4})?", "5 digits, or 5 and 4 (like 10001 or 10001-1234)"),
        (
            "CA",
            r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
            "letter, digit, letter, digit, letter, digit (like K1A 0B1)",
        ),
        (
            "GB",
            r"([A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|GIR ?0AA)",
            "a postcode like SW1A 1AA or M1 1AE",
        ),
        ("FR", r"\d{5}", "5 digits (like 75001)"),
        ("DE", r"\d{5}", "5 digits (like 10115)"),
        ("NL", r"\d{4} ?[A-Z]{2}", "4 digits and 2 letters (like 1012 AB)"),
        ("BE", r"\d{4}", "4 digits (like 1000)"),
        ("ES", r"\d{5}", "5 digits (like 28001)"),
        ("IT", r"\d{5}", "5 digits (like 00184)"),
        ("IE", r"([AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}", "an Eircode like D02 X285"),
        ("AU", r"\d{4}", "4 digits (like 2000)"),
        ("JP", r"\d{3}-?\d{4}", "7 digits (like 100-0001)"),
        ("CH", r"\d{4}", "4 digits (like 8001)"),
        ("AT", r"\d{4}", "4 digits (like 1010)"),
        ("LU", r"(L-)?\d{4}", "4 digits (like 1009)"),
        ("PT", r"\d{4}-\d{3}", "4 digits, a dash and 3 digits (like 1100-148)"),
        ("SE", r"\d{3} ?\d{2}", "5 digits (like 111 22)"),
        ("DK", r"\d{4}", "4 digits (like 1050)"),
        ("PL", r"\d{2}-\d{3}", "2 digits, a dash and 3 digits (like 00-950)"),
    )
}


def postal_code_clean(value: str, *, country: str) -> str:
    """``value`` as a postal code of ``country`` (an ISO code): upper case with single
    spaces, checked against the country's shape where ``POSTAL_CODE_FORMATS`` knows it
    (any other country takes it as given); or a ValidationError (code
    ``invalid_postal_code``) naming the shape expected."""
    code = " ".join(str(value).upper().split())
    known = POSTAL_CODE_FORMATS.get(country)
    if known is None:
        return str(value).strip()
    pattern, shape = known
    if not pattern.fullmatch(code):
        raise ValidationError(
            "“%(value)s” is not a postal code of %(country)s: it is %(shape)s.",
            code="invalid_postal_code",
            params={
                "value": str(value).strip()[:20],
                "country": dict(country_choices()).get(country, country),
                "shape": shape,
            },
        )
    return code


def country_clean(value: str) -> str:
    """``value`` as an upper-case ISO 3166-1 alpha-2 code (" fr" → "FR"), or a
    ValidationError (code ``unknown_country``) saying what to give instead."""
    code = str(value).strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            "We do not know the country “%(country)s”; give its two-letter code, such as "
            "FR, DE or US.",
            code="unknown_country",
            params={"country": str(value).strip()[:20]},
        )
    return code


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, English name) of every country, in the order of their names ("Åland
    Islands" among the As): the checkout's menu."""
    return tuple(
        sorted(
            ((code, str(country_names.name(code)) or code) for code in COUNTRY_CODES),
            key=lambda choice: _sort_key(choice[1]),
        )
    )


def _sort_key(name: str) -> str:
    # "Åland", "Côte d'Ivoire", "Curaçao", "Réunion": sorted as their letters without accents
    return "".join(char for char in unicodedata.normalize("NFKD", name) if char.isascii()).lower()
