"""Fixtures of the consent tests: the orders tests' selling shop."""

from tests.orders.conftest import selling_a  # noqa: F401 (fixtures)
