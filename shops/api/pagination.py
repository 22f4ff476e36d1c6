"""Cursor pagination: stable pages while rows are added, opaque ``next``/``previous`` links."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = "id"
