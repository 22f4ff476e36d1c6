"""The OAuth providers of the platforms connected with the merchant's own login."""
