"""Where a shopper follows a parcel: the tracking page of the carriers merchants name
most, by the name the merchant typed ("DHL", "La Poste", "royal mail")."""

from __future__ import annotations

import re
from urllib.parse import quote

# the carrier's name in lower case without spaces or punctuation: its tracking page
TRACKING_PAGES: dict[str, str] = {
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "dhlexpress": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "laposte": "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    "chronopost": "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{number}",
    "gls": "https://gls-group.com/track/{number}",
    "postnl": "https://jouw.postnl.nl/track-and-trace/{number}",
    "deutschepost": "https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer={number}",
    "canadapost": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
    "australiapost": "https://auspost.com.au/mypost/track/details/{number}",
}


def tracking_url(*, carrier: str, tracking_number: str) -> str:
    """The page where the parcel can be followed, or "" when the carrier is not one we
    know. A tracking "number" that is itself a web address (some merchants paste the
    carrier's link) is that address."""
    number = tracking_number.strip()
    if not number:
        return ""
    if re.match(r"https?://", number, flags=re.IGNORECASE):
        return number
    page = TRACKING_PAGES.get(re.sub(r"[^a-z0-9]", "", carrier.lower()))
    return page.format(number=quote(number, safe="")) if page else ""
