"""CSV cells a spreadsheet will not run as formulas (CSV injection, OWASP).

Excel, LibreOffice and Google Sheets evaluate a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, after trimming, a tab or carriage return), so a product titled
``=HYPERLINK("https://evil.test", "Click")`` would become a live formula on the
merchant's machine. Every CSV the project writes for people passes its cells through
``cell_neutralised``, which puts a single quote in front (the quote spreadsheets use
for "text"); plain numbers such as ``-5.00`` are left as they are.

Reading our own files back (the product import) passes each cell through
``cell_restored``, which removes that quote again when what follows starts with one of
those characters: an export imports as it was. The one value that cannot round-trip is
text that itself starts with a quote followed by one of them (``'=x`` imports as
``=x``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def cell_neutralised(value: object) -> str:
    """``value`` as text a spreadsheet shows as it is."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def row_neutralised(row: Iterable[object]) -> list[str]:
    return [cell_neutralised(value) for value in row]


def cell_restored(text: str) -> str:
    """The value ``cell_neutralised`` was given (undoes its quote)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
