"""Ordering on the fields a viewset lists in ``ordering_fields``, documented as an enum."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


class ApiOrderingFilter(OrderingFilter):
    ordering_description = "A field to sort by; prefix it with - for descending order."

    def get_ordering(self, request, queryset, view) -> list[str]:
        """The requested ordering; an unknown field is a 400 rather than silently ignored."""
        param = request.query_params.get(self.ordering_param)
        if param is not None:
            fields = [term.strip() for term in param.split(",")]
            allowed = set(getattr(view, "ordering_fields", None) or [])
            unknown = [field for field in fields if field.lstrip("-") not in allowed]
            if unknown or len(fields) != 1:
                choices = ", ".join(sorted(allowed))
                raise ValidationError(
                    {self.ordering_param: [f"Order by one of: {choices} (- for descending)."]}
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        fields = list(getattr(view, "ordering_fields", None) or [])
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": self.ordering_description,
                "schema": {
                    "type": "string",
                    "enum": [name for field in fields for name in (field, f"-{field}")],
                },
            }
        ]
