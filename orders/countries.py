"""Countries a parcel can be shipped to: the ISO 3166-1 alpha-2 codes (249, as
officially assigned; neither Django nor the standard library ships a list), their names
for the checkout's country menu (``country_choices``, from django-countries), and those
whose addresses have no postal code."""

from __future__ import annotations

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
