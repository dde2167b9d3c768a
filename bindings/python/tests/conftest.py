"""Shared fixtures of the retain tests: engines, a fixed clock, the test data."""
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import retain

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data of the libretain tree (RETAIN_TEST_DATA overrides)."""
    d = Path(os.environ.get("RETAIN_TEST_DATA", ROOT / "tests" / "data"))
    assert (d / "CDNOW_sample.txt").exists(), f"no test data in {d}"
    return d


@pytest.fixture
def now() -> datetime:
    """The host's clock in these tests: a fixed aware datetime."""
    return datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def later(now):
    """later(days=..., hours=...): a time after `now`."""
    return lambda **kw: now + timedelta(**kw)


@pytest.fixture
def engine():
    """An in-memory engine, closed after the test."""
    with retain.Engine() as e:
        yield e


@pytest.fixture
def shop(engine, now):
    """An engine with customer "c1" and order "o1" (EUR 25.00, one line of two)."""
    engine.customers.upsert("c1", email="ann@example.com", name="Ann", at=now)
    engine.orders.record("o1", customer_id="c1", channel="web", placed_at=now, currency="EUR",
                         total=Decimal("25.00"),
                         lines=[("TEA-01", "Sencha", 2, Decimal("12.50"))])
    return engine


def cdnow_rows(path):
    """Rows of CDNOW_sample.txt as (customer id, yyyymmdd, cds, dollars text)."""
    with open(path, encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if parts:
                yield parts[0], parts[2], int(parts[3]), parts[4]


def pytest_report_header(config):
    return (f"retain {retain.__version__} from {Path(retain.__file__).parent}; "
            f"models: {retain.HAVE_MODELS}, rules: {retain.HAVE_RULES}")
