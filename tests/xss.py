"""The XSS corpus the browser tests write through every user-generated field, and the
check that a page holds nothing a payload would have made."""

from __future__ import annotations

XSS = [
    '<script>alert("x1")</script>',
    "<img src=x onerror=alert('x2')>",
    '"><svg onload=alert("x3")>',
    "javascript:alert('x4')",
    "</textarea><script>alert('x5')</script>",
    "'-alert('x6')-'",
    "<iframe srcdoc=\"<script>alert('x7')</script>\"></iframe>",
    "</script><script>alert('x8')</script>",
    "<a href=\"javascript:alert('x9')\">x9</a>",
    "\" autofocus onfocus=\"alert('x10')",
    "</title><style>.xss-marker{}</style><script>alert('x11')</script>",
    "<details open ontoggle=alert('x12')>",
]


def corpus(limit: int) -> str:
    """Every payload, one after the other, cut at ``limit`` characters (a field's
    maximum length)."""
    return " ".join(XSS)[:limit]


# Elements a payload would have made: an event handler attribute, a script running
# alert, a javascript: address, an iframe document or a style of the corpus. The
# page's own markup has none.
INJECTED = """() => [...document.querySelectorAll("*")].filter((el) =>
    [...el.attributes].some((a) => /^on/i.test(a.name)
        || (/^(href|src|action|formaction)$/i.test(a.name) && /^\\s*javascript:/i.test(a.value))
        || a.name === "srcdoc")
    || (el.tagName === "SCRIPT" && /alert\\(/.test(el.textContent)
        && !/json/i.test(el.type))  // JSON-LD holds the text as data, never run
    || (el.tagName === "STYLE" && /xss-marker/.test(el.textContent))
    || (el.tagName === "DETAILS" && /x12/.test(el.outerHTML.slice(0, 60)))
).map((el) => el.outerHTML.slice(0, 120))"""
