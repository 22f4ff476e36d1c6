"""Input fields that take JSON's types as sent. DRF's own fields coerce ("2" is an
integer for IntegerField, 2 is text for CharField); the shopper endpoints' inputs come
from our pages' JavaScript, and a value of the wrong type is that script's mistake,
answered with a 400 naming the field rather than guessed at."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class WholeNumberField(serializers.IntegerField):
    """An integer, and only that: "2", 2.0 and true are refused, with the code
    ``invalid_code`` (its message given in ``error_messages``) or ``invalid``."""

    def __init__(self, *, invalid_code: str = "invalid", **kwargs: Any) -> None:
        self.invalid_code = invalid_code
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail(self.invalid_code)
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """Text, and only that (a number or true is refused), stripped, and cut (not
    refused) beyond ``cut_at`` characters. Optional and blank by default."""

    def __init__(self, *, cut_at: int, **kwargs: Any) -> None:
        self.cut_at = cut_at
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        if not kwargs["required"]:
            kwargs.setdefault("default", "")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)[: self.cut_at]


@extend_schema_field({"type": "string", "format": "email"})
class EmailTextField(TextField):
    """An email address, as text: the service that uses it checks it, with its message."""


class TrueOrFalseField(serializers.BooleanField):
    """true or false, and only that ("yes", 1 and "1" are refused)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
