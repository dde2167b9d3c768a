"""Time and money conversions at the boundary (table-driven)."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import retain

UTC = timezone.utc


@pytest.mark.parametrize("value, ms", [
    (datetime(1970, 1, 1, tzinfo=UTC), 0),
    (datetime(2026, 1, 1, tzinfo=UTC), 1767225600000),
    (datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), 1767225600000),
    (datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), -1),  # floor to the ms
    (datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=UTC), 1767225600001),
    (1767225600000, 1767225600000),
    (-5, -5),
])
def test_to_ms(value, ms):
    assert retain.to_ms(value) == ms


@pytest.mark.parametrize("value, exc", [
    (datetime(2026, 1, 1), retain.InvalidArgument),
    (2**63, retain.InvalidArgument),
    (1.5, TypeError),
    (True, TypeError),
    ("2026-01-01", TypeError),
])
def test_to_ms_refuses(value, exc):
    with pytest.raises(exc):
        retain.to_ms(value)


def test_from_ms_is_aware_utc():
    dt = retain.from_ms(1767225600123)
    assert dt == datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert dt.tzinfo is UTC
    assert retain.from_ms(retain.to_ms(dt)) == dt


@pytest.mark.parametrize("value, currency, minor", [
    (Decimal("19.99"), "USD", 1999),
    (Decimal("19.9"), "USD", 1990),
    (Decimal("19.990000"), "USD", 1999),
    (Decimal("-0.01"), "EUR", -1),
    (Decimal("1500"), "JPY", 1500),
    (Decimal("1.5E+3"), "JPY", 1500),
    (Decimal("1.234"), "KWD", 1234),
    (Decimal("92233720368547758.07"), "USD", 2**63 - 1),
    (1999, "USD", 1999),
    (1999, "ANYTHING", 1999),  # ints are minor units already: no lookup needed
])
def test_to_minor(value, currency, minor):
    assert retain.to_minor(value, currency) == minor


@pytest.mark.parametrize("value, currency, exc", [
    (Decimal("19.999"), "USD", retain.InvalidArgument),
    (Decimal("0.5"), "JPY", retain.InvalidArgument),
    (Decimal("1"), "XYZ", retain.InvalidArgument),
    (Decimal("Infinity"), "USD", retain.InvalidArgument),
    (Decimal("92233720368547758.08"), "USD", retain.InvalidArgument),
    (19.99, "USD", TypeError),
    ("19.99", "USD", TypeError),
    (False, "USD", TypeError),
])
def test_to_minor_refuses(value, currency, exc):
    with pytest.raises(exc):
        retain.to_minor(value, currency)


@pytest.mark.parametrize("minor, currency, value", [
    (1999, "USD", Decimal("19.99")),
    (1500, "JPY", Decimal("1500")),
    (1234, "KWD", Decimal("1.234")),
    (-1, "EUR", Decimal("-0.01")),
])
def test_from_minor(minor, currency, value):
    got = retain.from_minor(minor, currency)
    assert got == value and str(got) == str(value)


def test_currency_digits():
    assert retain.currency_digits("USD") == 2
    assert retain.currency_digits("JPY") == 0
    assert retain.currency_digits("BHD") == 3
    with pytest.raises(retain.InvalidArgument):
        retain.currency_digits("usd")
    with pytest.raises(TypeError):
        retain.currency_digits(840)
