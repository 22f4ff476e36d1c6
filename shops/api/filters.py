"""Filtering of list endpoints by documented query parameters, and ordering on the
fields a viewset lists in ``ordering_fields``, documented as an enum."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.serializers import Serializer


class QueryFiltersMixin:
    """Lists are filtered by the query parameters of ``filter_serializer`` (documented in
    the schema), each mapped by ``filter_lookups`` to a lookup or a function giving a Q.
    Call ``filtered(queryset)`` in ``scoped_queryset``."""

    filter_serializer: type[Serializer] | None = None
    filter_lookups: dict[str, str | Callable[[object], Q]] = {}

    def filtered(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list" or self.filter_serializer is None:
            return queryset
        # a plain dict: an empty parameter is an error, not "absent" as in an HTML form
        filters = self.filter_serializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        for name, value in filters.validated_data.items():
            lookup = self.filter_lookups[name]
            queryset = queryset.filter(lookup(value) if callable(lookup) else Q(**{lookup: value}))
        return queryset


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
