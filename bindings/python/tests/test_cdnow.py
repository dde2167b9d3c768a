"""The CDNOW sample imported through Python: counts and revenue to the cent, in a WAL file."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import retain
from conftest import cdnow_rows


def day_ms(yyyymmdd: str) -> datetime:
    return datetime(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]),
                    tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory, data_dir):
    """CDNOW_sample.txt imported into a file database; (path, file total in dollars)."""
    rows = list(cdnow_rows(data_dir / "CDNOW_sample.txt"))
    file_total = sum((Decimal(d) for _, _, _, d in rows), Decimal(0))
    orders = [{"id": f"cdnow-{i}", "customer_id": cust, "channel": "web",
               "placed_at": day_ms(date), "currency": "USD", "total": Decimal(dollars),
               "lines": [("CD", cds, 0)] if cds > 0 else []}
              for i, (cust, date, cds, dollars) in enumerate(rows, 1)]
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.db"
    with retain.Engine(path) as e:
        stats = e.orders.record_many(orders)
    assert stats == retain.ImportStats(orders=6919, customers=2357)
    return path, file_total


def test_cdnow_counts_and_revenue_to_the_cent(cdnow_db, data_dir):
    path, file_total = cdnow_db
    assert file_total == Decimal("244091.94")  # column 5, summed with awk as a cross-check
    ids = sorted({cust for cust, _, _, _ in cdnow_rows(data_dir / "CDNOW_sample.txt")})
    with retain.Engine(path) as e:  # reopened from the WAL file
        n = e.counts()
        assert (n.customers, n.orders) == (2357, 6919)
        total = Decimal(0)
        cents = 0
        orders = 0
        for cid in ids:
            c = e.customers.get(cid)
            total += c.revenue.get("USD", Decimal(0))
            cents += c.revenue_minor.get("USD", 0)
            orders += c.orders_count
        assert total == file_total
        assert cents == int(file_total * 100)
        assert orders == 6919
        first = e.customers.get(ids[0])
        assert first.created_at == first.first_order_at


def test_cdnow_orders_read_back(cdnow_db):
    path, _ = cdnow_db
    with retain.Engine(path, readonly=True) as e:
        orders = list(e.orders.for_customer("00004"))
        assert [o.placed_at.date().isoformat() for o in orders] == [
            "1997-01-01", "1997-01-18", "1997-08-02", "1997-12-12"]
        assert [o.total for o in orders] == [Decimal("29.33"), Decimal("29.73"),
                                             Decimal("14.96"), Decimal("26.48")]
        assert orders[0].lines[0].quantity == 2
