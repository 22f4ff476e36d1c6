"""ISO 4217 currencies a shop can sell in, with their minor units (decimal places).

Currencies with three decimal places (BHD, IQD, JOD, KWD, LYD, OMR, TND) are left out:
prices are stored with two decimals, and Stripe and the social platforms treat them
specially.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

# code: (name, minor units)
CURRENCIES: dict[str, tuple[str, int]] = {
    "AED": ("UAE dirham", 2),
    "ARS": ("Argentine peso", 2),
    "AUD": ("Australian dollar", 2),
    "BDT": ("Bangladeshi taka", 2),
    "BGN": ("Bulgarian lev", 2),
    "BRL": ("Brazilian real", 2),
    "CAD": ("Canadian dollar", 2),
    "CHF": ("Swiss franc", 2),
    "CLP": ("Chilean peso", 0),
    "CNY": ("Chinese yuan", 2),
    "COP": ("Colombian peso", 2),
    "CZK": ("Czech koruna", 2),
    "DKK": ("Danish krone", 2),
    "EGP": ("Egyptian pound", 2),
    "EUR": ("Euro", 2),
    "GBP": ("Pound sterling", 2),
    "HKD": ("Hong Kong dollar", 2),
    "HUF": ("Hungarian forint", 2),
    "IDR": ("Indonesian rupiah", 2),
    "ILS": ("Israeli new shekel", 2),
    "INR": ("Indian rupee", 2),
    "ISK": ("Icelandic króna", 0),
    "JPY": ("Japanese yen", 0),
    "KES": ("Kenyan shilling", 2),
    "KRW": ("South Korean won", 0),
    "MAD": ("Moroccan dirham", 2),
    "MXN": ("Mexican peso", 2),
    "MYR": ("Malaysian ringgit", 2),
    "NGN": ("Nigerian naira", 2),
    "NOK": ("Norwegian krone", 2),
    "NZD": ("New Zealand dollar", 2),
    "PEN": ("Peruvian sol", 2),
    "PHP": ("Philippine peso", 2),
    "PKR": ("Pakistani rupee", 2),
    "PLN": ("Polish złoty", 2),
    "RON": ("Romanian leu", 2),
    "RSD": ("Serbian dinar", 2),
    "SAR": ("Saudi riyal", 2),
    "SEK": ("Swedish krona", 2),
    "SGD": ("Singapore dollar", 2),
    "THB": ("Thai baht", 2),
    "TRY": ("Turkish lira", 2),
    "TWD": ("New Taiwan dollar", 2),
    "UAH": ("Ukrainian hryvnia", 2),
    "USD": ("US dollar", 2),
    "VND": ("Vietnamese đồng", 0),
    "XAF": ("Central African CFA franc", 0),
    "XOF": ("West African CFA franc", 0),
    "ZAR": ("South African rand", 2),
}

CURRENCY_CHOICES = [(code, f"{code} — {name}") for code, (name, _) in sorted(CURRENCIES.items())]


def validate_currency(code: str) -> None:
    if code not in CURRENCIES:
        raise ValidationError(
            "“%(code)s” is not a currency Etalage supports; "
            "use an ISO 4217 code such as EUR or USD.",
            code="unknown_currency",
            params={"code": code},
        )


def minor_units(code: str) -> int:
    return CURRENCIES[code][1]


def validate_amount(amount: Decimal, currency: str, *, field: str = "price") -> None:
    """A price must be a non-negative number with no more decimals than the currency has."""
    if not amount.is_finite():
        raise ValidationError(f"Enter a number for the {field}.", code="invalid")
    if amount < 0:
        raise ValidationError(f"The {field} cannot be negative.", code="negative")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_units(currency):
        raise ValidationError(
            f"{currency} amounts have at most {minor_units(currency)} decimal places.",
            code="too_many_decimals",
        )


# Symbols written before the amount; other currencies are shown with their ISO code.
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "INR": "₹", "KRW": "₩"}


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in the currency's minor units, as Stripe takes it (22.50 EUR → 2250)."""
    return int(amount.scaleb(minor_units(currency)).to_integral_value())


def amount_string(amount: Decimal, currency: str) -> str:
    """The amount with exactly the currency's decimals, as feeds and schema.org want it
    ("19.00", "1500"): no symbol, no thousands separator."""
    return f"{amount:.{minor_units(currency)}f}"


def money_format(amount: Decimal, currency: str) -> str:
    """The amount for people: "€1,234.50", "$19.00", "1,500 CHF"."""
    number = f"{amount:,.{minor_units(currency)}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number}\N{NO-BREAK SPACE}{currency}"
