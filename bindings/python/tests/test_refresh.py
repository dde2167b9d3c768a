"""engine.models.refresh() (retain/refresh.h) on the CDNOW sample: the published BG/NBD
fit, p_alive read back against retain.models computed from the summary CSV, bad input."""
import math
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import retain
import retain.models as rm
from conftest import cdnow_rows

pytestmark = pytest.mark.skipif(not retain.HAVE_REFRESH, reason="this build has no refresh")

NOW = datetime(1997, 10, 1, tzinfo=timezone.utc)  # calibration to 1997-09-30


def sig3(v):
    return float(f"{v:.3g}")


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory, data_dir):
    """CDNOW imported into a file database: (path, sample id -> master id)."""
    orders = []
    master = {}
    with open(data_dir / "CDNOW_sample.txt", encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if parts:
                master.setdefault(int(parts[1]), parts[0])
    for i, (cust, date, cds, dollars) in enumerate(cdnow_rows(data_dir / "CDNOW_sample.txt"), 1):
        placed = datetime(int(date[:4]), int(date[4:6]), int(date[6:]), tzinfo=timezone.utc)
        orders.append({"id": f"cdnow-{i}", "customer_id": cust, "channel": "web",
                       "placed_at": placed, "currency": "USD", "total": Decimal(dollars),
                       "lines": [("CD", cds, 0)] if cds > 0 else []})
    path = tmp_path_factory.mktemp("refresh") / "cdnow.db"
    with retain.Engine(path) as e:
        e.orders.record_many(orders)
    return path, master


@pytest.fixture(scope="module")
def refreshed(cdnow):
    path, _ = cdnow
    e = retain.Engine(path)
    yield e, e.models.refresh(NOW, currency="USD", unit="week")
    e.close()


def test_refresh_fits_the_published_bgnbd(refreshed):
    _, r = refreshed
    assert isinstance(r, retain.RefreshResult)
    assert r.customers == 2357
    assert 0 < r.repeat_customers < r.customers
    assert r.cleared == 0
    assert r.calibration_end == datetime(1997, 9, 30, 23, 59, 59, 999000, tzinfo=timezone.utc)
    assert isinstance(r.purchase, rm.BGNBD) and r.purchase.converged
    p = r.purchase.params
    assert [sig3(p[k]) for k in ("r", "alpha", "a", "b")] == [0.243, 4.41, 0.793, 2.43]
    assert [round(p[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert r.purchase.unit == rm.Unit.WEEK
    assert math.isfinite(r.purchase.loglik)
    assert isinstance(r.spend, rm.GammaGamma) and r.spend.converged


def test_stored_p_alive_matches_the_models(refreshed, cdnow, data_dir):
    e, r = refreshed
    _, master = cdnow
    rows = {}
    with open(data_dir / "cdnow_customers_summary.csv", encoding="ascii") as f:
        next(f)
        for line in f:
            sid, x, tx, T = line.strip().split(",")
            # weeks rounded to 2 decimals, back to whole days (0.01 week = 0.07 day)
            rows[int(sid)] = (float(x), round(float(tx) * 7) / 7, round(float(T) * 7) / 7)
    p = r.purchase.params
    model = rm.BGNBD(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"], unit="week")
    for sid in (1, 2, 4, 18, 100, 1000, 2357):
        x, tx, T = rows[sid]
        want = model.p_alive([x], [tx], [T])[0]
        got = e.customers.get(master[sid]).p_alive
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), sid


@pytest.mark.parametrize("kw", [
    {"currency": "XYZ"},
    {"currency": "EUR"},  # no customer with an order in EUR
    {"currency": "USD", "horizon_months": 0},
    {"currency": "USD", "margin": 0.0},
    {"currency": "USD", "monthly_discount_rate": -0.1},
    {"currency": "USD", "unit": "period"},
    {"currency": "USD", "purchase_model": "bgbb"},
], ids=["bad-currency", "no-orders", "horizon", "margin", "discount", "unit", "model"])
def test_bad_input_raises_invalid_argument(cdnow, kw):
    path, _ = cdnow
    with retain.Engine(path) as e:
        with pytest.raises(retain.InvalidArgument):
            e.models.refresh(NOW, **kw)


def test_naive_now_is_refused(engine):
    with pytest.raises(retain.InvalidArgument):
        engine.models.refresh(datetime(1997, 10, 1), currency="USD")
