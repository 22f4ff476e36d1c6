"""Shopify's product CSV format: its columns, and reading a file safely.

Both the import (catalog.imports) and the export (catalog.exports) speak this format, so a
shop moved from Shopify, or exported from one Etalage shop, imports as it was.

Reading checks, before anything is written: the bytes are UTF-8 (a byte order mark is
fine), the CSV parses, the columns the import needs are there, and the file has no more
than ``CATALOG_IMPORT_MAX_ROWS`` rows. The check streams the file, so a huge upload is
refused without being held in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from shops.spreadsheets import cell_restored

# Column names exactly as Shopify writes them, in the order of its export.
HANDLE = "Handle"
TITLE = "Title"
BODY = "Body (HTML)"
VENDOR = "Vendor"
TYPE = "Type"
TAGS = "Tags"
PUBLISHED = "Published"
OPTION_NAMES = ("Option1 Name", "Option2 Name", "Option3 Name")
OPTION_VALUES = ("Option1 Value", "Option2 Value", "Option3 Value")
SKU = "Variant SKU"
GRAMS = "Variant Grams"
WEIGHT = "Variant Weight"
WEIGHT_UNIT = "Variant Weight Unit"
STOCK = "Variant Inventory Qty"
PRICE = "Variant Price"
COMPARE_AT_PRICE = "Variant Compare At Price"
BARCODE = "Variant Barcode"
IMAGE_SRC = "Image Src"
IMAGE_POSITION = "Image Position"
IMAGE_ALT = "Image Alt Text"
SEO_TITLE = "SEO Title"
SEO_DESCRIPTION = "SEO Description"
GOOGLE_CATEGORY = "Google Shopping / Google Product Category"
MPN = "Google Shopping / MPN"
CONDITION = "Google Shopping / Condition"
STATUS = "Status"

EXPORT_COLUMNS = (
    HANDLE,
    TITLE,
    BODY,
    VENDOR,
    TYPE,
    TAGS,
    PUBLISHED,
    OPTION_NAMES[0],
    OPTION_VALUES[0],
    OPTION_NAMES[1],
    OPTION_VALUES[1],
    OPTION_NAMES[2],
    OPTION_VALUES[2],
    SKU,
    GRAMS,
    STOCK,
    PRICE,
    COMPARE_AT_PRICE,
    BARCODE,
    IMAGE_SRC,
    IMAGE_POSITION,
    IMAGE_ALT,
    SEO_TITLE,
    SEO_DESCRIPTION,
    GOOGLE_CATEGORY,
    MPN,
    CONDITION,
    STATUS,
)
KNOWN_COLUMNS = frozenset((*EXPORT_COLUMNS, WEIGHT, WEIGHT_UNIT))
REQUIRED_COLUMNS = (HANDLE, TITLE, PRICE)

# Shopify's placeholder option for a product without options.
DEFAULT_OPTION_NAME = "Title"
DEFAULT_OPTION_VALUE = "Default Title"

FIELD_SIZE_LIMIT = 1024 * 1024  # one cell; a long Body (HTML) stays well below


class CsvRefused(Exception):
    """The file as a whole cannot be imported; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CsvInfo:
    columns: tuple[str, ...]
    total_rows: int  # data rows, the header not counted


def max_rows() -> int:
    return getattr(settings, "CATALOG_IMPORT_MAX_ROWS", 100_000)


def max_bytes() -> int:
    return getattr(settings, "CATALOG_IMPORT_MAX_BYTES", 100 * 1024 * 1024)


def _text(file: IO[bytes]) -> io.TextIOWrapper:
    file.seek(0)
    # utf-8-sig drops the byte order mark that Excel's "CSV UTF-8" writes
    return io.TextIOWrapper(file, encoding="utf-8-sig", errors="strict", newline="")


def _reader(text: io.TextIOWrapper) -> Iterator[list[str]]:
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    return csv.reader(text, strict=False)


def _header(rows: Iterator[list[str]]) -> tuple[str, ...]:
    try:
        header = next(rows)
    except StopIteration:
        raise CsvRefused(
            "The file is empty; export your products again and upload that file."
        ) from None
    columns = tuple(_canonical(name) for name in header)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CsvRefused(
            f"The file has no {_names(missing)} column{'s' if len(missing) > 1 else ''}. "
            "The first line must name the columns, as in Shopify's product CSV "
            f"({', '.join(REQUIRED_COLUMNS)}, ...); found: {_names(columns) or 'nothing'}."
        )
    return columns


_CANONICAL = {name.lower(): name for name in KNOWN_COLUMNS}


def _canonical(name: str) -> str:
    name = " ".join(name.split())
    return _CANONICAL.get(name.lower(), name)


def _names(names: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"“{name}”" for name in names if name)


def csv_inspect(file: IO[bytes]) -> CsvInfo:
    """Check the whole file streams as UTF-8 CSV with the needed columns and not too many
    rows; raise CsvRefused with a message for the merchant otherwise."""
    limit = max_rows()
    with _detached(file) as text:
        rows = _reader(text)
        total = 0
        try:
            columns = _header(rows)
            for _row in rows:
                total += 1
                if total > limit:
                    raise CsvRefused(
                        f"The file has more than {limit:,} rows; split it into files of at "
                        f"most {limit:,} rows (keeping each product's rows together) and "
                        "import them one after the other."
                    )
        except UnicodeDecodeError as error:
            raise _not_utf8(error, total) from None
        except csv.Error as error:
            raise CsvRefused(
                f"Row {total + 2} cannot be read as CSV ({error}); check the file was saved "
                "as CSV with commas between columns."
            ) from None
    return CsvInfo(columns=columns, total_rows=total)


def _not_utf8(error: UnicodeDecodeError, rows_read: int) -> CsvRefused:
    byte = error.object[error.start : error.start + 1].hex()
    return CsvRefused(
        f"The file is not UTF-8 text (byte 0x{byte} near row {rows_read + 2} is not valid "
        "UTF-8; it was probably saved as Latin-1 or Windows-1252). Save it as “CSV UTF-8” "
        "in Excel, or with UTF-8 encoding in another program, and upload it again."
    )


class _detached:
    """A text view of a binary file that leaves the binary file open afterwards."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def __enter__(self) -> io.TextIOWrapper:
        self.text = _text(self.file)
        return self.text

    def __exit__(self, *exc: object) -> None:
        self.text.detach()


@dataclass(frozen=True)
class CsvRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The cell, trimmed, without the quote an export puts before a formula-like
        value (shops.spreadsheets)."""
        return cell_restored(self.values.get(column, "")).strip()


def csv_rows(file: IO[bytes]) -> Iterator[CsvRow]:
    """The data rows, by column name; call csv_inspect first (it raises what this would)."""
    with _detached(file) as text:
        rows = _reader(text)
        columns = _header(rows)
        for index, row in enumerate(rows, start=2):
            yield CsvRow(number=index, values=dict(zip(columns, row, strict=False)))


def parse_bool(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    return None
