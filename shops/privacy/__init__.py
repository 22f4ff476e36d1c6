"""Shoppers' data rights, per shop: "My data" (a signed link by email; the export as JSON
and CSV; erasure), the same for the merchant in the back office, the log of requests,
and the retention beat. Each domain app says what it holds (``orders.services.privacy``,
``reviews.services.privacy``); this app composes them."""
