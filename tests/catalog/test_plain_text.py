"""plain_text drops simple markup with a regex; whatever the input, it must say exactly
what Django's strip_tags (an HTML parser) says."""

from __future__ import annotations

import html

from django.utils.html import strip_tags
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.services import _BLOCK_END, _strip_tags, plain_text

FRAGMENTS = [
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<br>",
    "<br/>",
    "<br />",
    "<li>",
    "</li>",
    "<ul>",
    "</ul>",
    '<a href="https://x.test/?a=1&amp;b=2">',
    "<a href='x'>",
    "<a href=x>",
    "</a>",
    '<img src="a.png" alt="a > b">',
    '<img src="a.png" alt="x"/>',
    "<span class=x data-y>",
    "<h2 >",
    "</h2 >",
    "</p foo>",
    "<!-- note -->",
    "<!doctype html>",
    "<?xml?>",
    "<script>a<b</script>",
    "<style>p{}</style>",
    "<SCRIPT>",
    "<![CDATA[x]]>",
    "&amp;",
    "&lt;",
    "&gt;",
    "&#38;",
    "&#x26;",
    "&#x;",
    "&nbsp;",
    "&eacute;",
    "&amp",
    "&foo",
    "&foo;",
    "&a-b;",
    "& ",
    "&",
    "&#12ab;",
    "<",
    ">",
    "< b>",
    "<<b>>",
    "</ >",
    "<p",
    "p>",
    "Soft linen",
    " ",
    "\n",
    "\t",
    "\r",
    "é",
    "😀",
    "x",
    "\x00",
    '"',
    "'",
    "=",
    "/",
]
texts = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=12).map("".join)


def reference(text: str) -> str:
    return " ".join(html.unescape(strip_tags(_BLOCK_END.sub(" ", text))).split())


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_plain_text_says_what_strip_tags_says(text):
    assert plain_text(text) == reference(text)


def test_simple_descriptions_take_the_regex_and_odd_ones_the_parser():
    simple = '<p>Soft <b>linen</b>, <a href="/x?a=1&amp;b=2">washed &amp; dried</a>.</p>'
    assert plain_text(simple) == "Soft linen, washed & dried."
    assert _strip_tags("<p>a &amp; b</p>") == "a &amp; b"
    assert plain_text("<p>a <!-- hidden --> b &foo c</p>") == reference(
        "<p>a <!-- hidden --> b &foo c</p>"
    )
    assert plain_text("") == "" and plain_text(None) == ""
