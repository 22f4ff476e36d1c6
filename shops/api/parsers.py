"""The API's JSON parser: DRF's, with a depth limit (a deeply nested body raised
RecursionError inside DRF, a 500) answered as a 400 parse error."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from shops.json_input import MAX_DEPTH, JsonUnreadable, json_depth_check


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"JSON parse error - nested more than {MAX_DEPTH} levels deep"
            ) from None
        try:
            json_depth_check(data)
        except JsonUnreadable as error:
            raise ParseError(f"JSON parse error - {error}") from None
        return data


class BeaconJSONParser(LimitedJSONParser):
    """JSON sent as ``text/plain``: what ``navigator.sendBeacon`` (and a ``fetch`` of a
    string body) sends, since a page may not give a beacon a JSON content type."""

    media_type = "text/plain"
