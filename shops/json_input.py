"""JSON sent by a client, read with limits: a body nested thousands of levels deep made
``json.loads`` (or DRF's parser, or a later ``json.dumps``) raise RecursionError, which
is no ValueError and became a 500. Here it is one more kind of unreadable input."""

from __future__ import annotations

import json

MAX_DEPTH = 32  # no request of ours nests more than a few levels


class JsonUnreadable(ValueError):
    """Not JSON, not UTF-8, or nested deeper than MAX_DEPTH."""


def json_depth_check(data: object, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonUnreadable if ``data`` nests lists/objects deeper than ``max_depth``
    (walked without recursion)."""
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            raise JsonUnreadable(f"The JSON is nested more than {max_depth} levels deep.")
        pending.extend((child, depth + 1) for child in children)


def json_input(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> object:
    """``raw`` decoded; JsonUnreadable (a ValueError) for anything unreadable."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise JsonUnreadable(f"The JSON is nested more than {max_depth} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise JsonUnreadable(f"The body is not JSON ({error}).") from None
    json_depth_check(data, max_depth=max_depth)
    return data
