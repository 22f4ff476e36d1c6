"""Where marketing email needs the shopper's prior consent (opt-in) and where an opt-out
model applies. docs/consent.md explains the table and its reasoning.

The shop has no country of its own: its currency stands for it (EUR: the euro area,
inside the EU). Where the shopper's country is known (an order's shipping address) it
counts too, and the stricter rule wins. A currency missing from the table is treated as
requiring opt-in: when in doubt, ask first."""

from __future__ import annotations

# EU member states (ePrivacy Directive art. 13 with the GDPR's consent), the other EEA
# states (Iceland, Liechtenstein, Norway), the UK (PECR reg. 22), Switzerland (UWG
# art. 3 o) and Canada (CASL s. 6): prior consent; double opt-in is how it is proved.
OPT_IN_COUNTRIES: frozenset[str] = frozenset(
    {
        # EU
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        # EEA
        "IS", "LI", "NO",
        # United Kingdom, Switzerland, Canada
        "GB", "CH", "CA",
    }
)  # fmt: skip

# The country a shop's currency stands for; "EU" for the euro (all its users opt in).
CURRENCY_REGION: dict[str, str] = {
    "EUR": "EU",
    "GBP": "GB",
    "CHF": "CH",
    "CAD": "CA",
    "SEK": "SE",
    "DKK": "DK",
    "NOK": "NO",
    "ISK": "IS",
    "PLN": "PL",
    "CZK": "CZ",
    "HUF": "HU",
    "RON": "RO",
    "BGN": "BG",
    "USD": "US",
    "AUD": "AU",
    "NZD": "NZ",
    "JPY": "JP",
    "MXN": "MX",
    "BRL": "BR",
    "SGD": "SG",
    "HKD": "HK",
}


def region_requires_opt_in(region: str) -> bool:
    """Whether marketing email to or from ``region`` (a two-letter country, or "EU")
    needs prior consent. An unknown region does: when in doubt, ask first."""
    region = (region or "").upper()
    return region == "EU" or region in OPT_IN_COUNTRIES or region not in _KNOWN_OPT_OUT


# Places known to follow an opt-out model for commercial email (a working unsubscribe,
# honoured promptly): the US (CAN-SPAM). Everywhere else is treated as opt-in until
# someone checks its law and adds it here (Australia's Spam Act and Japan's Act on
# Specified Electronic Mail, for two, ask for consent too).
_KNOWN_OPT_OUT: frozenset[str] = frozenset({"US"})


def opt_in_required(*, currency: str, shopper_country: str = "") -> bool:
    """Whether a marketing email from a shop selling in ``currency`` to a shopper in
    ``shopper_country`` ("" when unknown) needs the shopper's confirmed consent: yes when
    either side's rule asks for it."""
    shop_region = CURRENCY_REGION.get((currency or "").upper(), "")
    if region_requires_opt_in(shop_region):
        return True
    return bool(shopper_country) and region_requires_opt_in(shopper_country)
