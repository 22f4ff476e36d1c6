"""A count of the database queries each request made, in an ``X-Db-Queries`` header.

On only with ``DB_QUERY_COUNT_HEADER=true`` (the tests turn it on for the servers they
start, to assert on what a real server process does): it tells anyone how much work
a page costs, so production leaves it off.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from django.db import connections
from django.http import HttpRequest, HttpResponse

HEADER = "X-Db-Queries"


class QueryCountMiddleware:
    """Counts every statement sent on any of this thread's database connections while the
    request runs (``SET search_path`` and the session's included); put first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counted))
            response = self.get_response(request)
        response[HEADER] = str(count)
        return response
