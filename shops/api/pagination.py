"""Cursor pagination: stable pages while rows are added, opaque ``next``/``previous`` links."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = "id"

    def get_page_size(self, request: Request) -> int:
        """``limit`` from 1 to 100; anything else is a 400, not silently the default."""
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) == 1 and raw[0].isdigit() and 1 <= int(raw[0]) <= self.max_page_size:
            return int(raw[0])
        raise ValidationError(
            {self.page_size_query_param: [f"Send a whole number from 1 to {self.max_page_size}."]}
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
