"""``UNSET``, "not given": the default of a service's keyword-only parameter in a partial
update, where None is a value a field can be given (``compare_at_price=None`` clears it).

    def variant_update(*, variant: Variant, price: Decimal | Unset = UNSET, ...) -> Variant:
        changes = given({"price": price, ...})
"""

from __future__ import annotations

import enum
from typing import Final, TypeVar

T = TypeVar("T")


class Unset(enum.Enum):
    """The type of UNSET: an enum of one member, so that ``value is UNSET`` narrows
    ``str | Unset`` to ``str`` for a type checker."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def given(values: dict[str, T | Unset]) -> dict[str, T]:
    """``values`` without the ones left UNSET."""
    return {name: value for name, value in values.items() if value is not UNSET}
