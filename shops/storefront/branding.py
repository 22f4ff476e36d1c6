"""Branding: colours (with a WCAG contrast check), fonts from a safe list, social links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

# System font stacks only: no web font is fetched from another site, so no shopper's
# address goes to a font CDN and the page renders at once.
FONTS: dict[str, tuple[str, str]] = {
    "system": (
        "System (the device's own)",
        'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    ),
    "humanist": (
        "Humanist sans",
        'Seravek, "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", sans-serif',
    ),
    "geometric": ("Geometric sans", 'Avenir, Montserrat, Corbel, "URW Gothic", sans-serif'),
    "transitional": ("Serif", 'Charter, "Bitstream Charter", "Sitka Text", Cambria, serif'),
    "old_style": (
        "Old-style serif",
        '"Iowan Old Style", "Palatino Linotype", "URW Palladio L", P052, serif',
    ),
    "monospace": (
        "Monospace",
        'ui-monospace, "Cascadia Code", Menlo, Consolas, "DejaVu Sans Mono", monospace',
    ),
}
SOCIAL_NETWORKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "instagram": ("Instagram", ("instagram.com",)),
    "tiktok": ("TikTok", ("tiktok.com",)),
    "pinterest": ("Pinterest", ("pinterest.com",)),
    "facebook": ("Facebook", ("facebook.com", "fb.com")),
    "youtube": ("YouTube", ("youtube.com",)),
    "x": ("X", ("x.com", "twitter.com")),
}
COLOURS = {
    "background_color": ("Background", "#ffffff"),
    "text_color": ("Text", "#1d1d1f"),
    "accent_color": ("Buttons and links", "#0a5c4a"),
}
AA_CONTRAST = 4.5
_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")


def colour_clean(value: object, *, label: str) -> str:
    """A colour as ``#rrggbb`` (``#abc`` is widened), or a ValidationError naming it."""
    text = str(value or "").strip().lower()
    if not _HEX.match(text):
        raise ValidationError(
            f"{label}: “{value}” is not a colour; write it as # and six hex digits, like #1d1d1f.",
            code="colour",
        )
    if len(text) == 4:
        text = "#" + "".join(digit * 2 for digit in text[1:])
    return text


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two ``#rrggbb`` colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def button_text_colour(accent: str) -> str:
    """White or near-black, whichever reads better on the accent colour."""
    return (
        "#ffffff"
        if contrast_ratio(accent, "#ffffff") >= contrast_ratio(accent, "#111111")
        else "#111111"
    )


@dataclass(frozen=True)
class ContrastWarning:
    message: str
    ratio: float


def contrast_warnings(branding: dict) -> list[ContrastWarning]:
    """Pairs of colours that miss WCAG AA for normal text (4.5:1). A warning, not an
    error: the merchant may keep them, knowing some shoppers will struggle to read."""
    background = branding.get("background_color", COLOURS["background_color"][1])
    pairs = [
        ("Text", branding.get("text_color", COLOURS["text_color"][1]), background),
        ("Buttons and links", branding.get("accent_color", COLOURS["accent_color"][1]), background),
    ]
    warnings = []
    for label, foreground, behind in pairs:
        ratio = contrast_ratio(foreground, behind)
        if ratio < AA_CONTRAST:
            warnings.append(
                ContrastWarning(
                    message=(
                        f"{label} on the background has a contrast of {ratio:.2f}:1, below "
                        f"the {AA_CONTRAST}:1 that WCAG AA asks for: some shoppers will not "
                        "be able to read it."
                    ),
                    ratio=round(ratio, 2),
                )
            )
    return warnings


def social_link_clean(network: str, value: object) -> str:
    """An https address on the network's own site (``https://instagram.com/shop``)."""
    text = str(value or "").strip()
    if not text:
        return ""
    label, hosts = SOCIAL_NETWORKS[network]
    parts = urlsplit(text)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if (
        "\x00" in text
        or parts.scheme != "https"
        or not any(host == h or host.endswith("." + h) for h in hosts)
    ):
        raise ValidationError(
            f"{label}: give the address of your profile, starting with https://{hosts[0]}/.",
            code="social_link",
        )
    return text


def theme_context(branding: dict) -> dict:
    """What templates need to draw the branding (``storefront/_theme.html``). The font
    stack comes from our own list, never from input, so it may go into CSS as it is."""
    return {
        "branding": branding,
        "font_stack": FONTS.get(branding["font"], FONTS["system"])[1],
        "on_accent": button_text_colour(branding["accent_color"]),
    }
