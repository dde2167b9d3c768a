"""retain.models: the CDNOW fits from Python, arrays and the buffer protocol, errors."""
import array
import csv
import math
import threading
import tracemalloc
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import retain
from conftest import cdnow_rows

models = pytest.importorskip("retain.models")
if not models.AVAILABLE:  # pragma: no cover - a build without retain/model.h
    pytest.skip("this build has no models", allow_module_level=True)

np = pytest.importorskip("numpy")


def load_csv(path, *cols):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [[float(r[c]) for r in rows] for c in cols]


@pytest.fixture(scope="module")
def cdnow(data_dir):
    """The published CDNOW calibration summary (weeks): x, t_x, T."""
    return load_csv(data_dir / "cdnow_customers_summary.csv", "frequency", "recency", "T")


@pytest.fixture(scope="module")
def bgnbd(cdnow):
    return models.BGNBD().fit(*cdnow)


def sig3(v):
    return float(f"{v:.3g}")


def test_cdnow_bgnbd_fit_equals_the_c_fit(bgnbd):
    """Fader, Hardie & Lee (2005) and libretain's C tests: r=0.243, alpha=4.414, a=0.793,
    b=2.426 (weeks)."""
    p = bgnbd.params
    assert {k: sig3(v) for k, v in p.items()} == {"r": 0.243, "alpha": 4.41, "a": 0.793,
                                                  "b": 2.43}
    assert p["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert p["b"] == pytest.approx(2.426, abs=5e-4)
    assert bgnbd.r == p["r"] and bgnbd.alpha == p["alpha"]
    assert bgnbd.converged and bgnbd.unit is models.Unit.WEEK
    assert bgnbd.weight == 2357 and 0 < bgnbd.rows <= 2357
    assert bgnbd.loglik == pytest.approx(-9582.43, abs=0.01)
    assert "BGNBD(r=0.24" in repr(bgnbd)


def test_fit_from_numpy_and_array_gives_the_same(cdnow, bgnbd):
    x, t_x, T = cdnow
    m1 = models.BGNBD().fit(np.array(x), np.array(t_x), np.array(T))
    m2 = models.BGNBD().fit(np.array(x, dtype=np.float32), array.array("d", t_x), tuple(T))
    assert m1.params == bgnbd.params
    assert m2.params == bgnbd.params


def test_weights_and_compress(cdnow, bgnbd):
    c = models.compress(*cdnow, unit="week")
    assert len(c) == bgnbd.rows and sum(c.weight) == 2357
    assert len(c.row_of) == 2357
    m = models.BGNBD().fit(c.x, c.t_x, c.T, weights=c.weight, unit="week")
    assert m.params == pytest.approx(bgnbd.params, rel=1e-9)
    m2 = models.BGNBD().fit(c)  # an RFM carries its weights and unit
    assert m2.params == pytest.approx(bgnbd.params, rel=1e-9)


def test_cdnow_from_the_engine_to_the_model(data_dir, bgnbd):
    """Orders imported into an engine, read back, summarized and fitted: the same model."""
    def at(d):
        return datetime(int(d[:4]), int(d[4:6]), int(d[6:]), 12, tzinfo=timezone.utc)

    rows = list(cdnow_rows(data_dir / "CDNOW_sample.txt"))
    with retain.Engine() as e:
        e.orders.record_many({"id": f"o{i}", "customer_id": c, "placed_at": at(d),
                              "currency": "USD", "total": Decimal(v)}
                             for i, (c, d, _, v) in enumerate(rows))
        cust, times, cents = [], [], []
        for cid in sorted({r[0] for r in rows}):
            for o in e.orders.for_customer(cid):
                cust.append(int(o.customer_id))
                times.append(o.placed_at_ms)
                cents.append(o.total_minor)
    s = models.split(cust, times, calibration_end=datetime(1997, 9, 30, tzinfo=timezone.utc),
                     holdout_end=datetime(1998, 6, 30, tzinfo=timezone.utc), unit="week",
                     amounts=cents)
    assert len(s) == 2357 and s.unit is models.Unit.WEEK
    assert sum(s.x) == 2457
    assert s.holdout_length == pytest.approx(39, abs=0.2)
    m = models.BGNBD().fit(s)
    # the published summary rounds t_x and T to 0.01 week; these are exact
    assert m.params == pytest.approx(bgnbd.params, rel=1e-3)
    assert {k: sig3(v) for k, v in m.params.items()} == {"r": 0.243, "alpha": 4.41,
                                                         "a": 0.793, "b": 2.43}
    s2 = models.summarize(cust, times, end=datetime(1997, 9, 30, tzinfo=timezone.utc),
                          values=[c / 100 for c in cents])
    assert list(s2.x) == list(s.x) and s2.monetary is not None


def test_predictions_vectorised(cdnow, bgnbd):
    x, t_x, T = cdnow
    xa, ta, Ta = np.array(x), np.array(t_x), np.array(T)
    p = bgnbd.p_alive(xa, ta, Ta)
    assert isinstance(p, np.ndarray) and p.shape == (2357,)
    assert np.all((p > 0) & (p <= 1))
    assert p[0] == pytest.approx(bgnbd.p_alive(x[0], t_x[0], T[0]))
    as_list = bgnbd.p_alive(x[:5], t_x[:5], T[:5])
    assert isinstance(as_list, list) and as_list == pytest.approx(list(p[:5]))
    assert isinstance(bgnbd.p_alive(0, 0, 30), float)
    assert bgnbd.p_alive(0, 0, 30) == 1.0  # BG/NBD: no repeat purchase, never dropped out
    # scalars broadcast against arrays
    assert bgnbd.p_alive(xa[:3], ta[:3], 38.86).shape == (3,)
    ce = bgnbd.conditional_expected(xa, ta, Ta, t=39)
    assert np.all(ce >= 0) and 1000 < ce.sum() < 2500  # CDNOW: about 1,650 in 39 weeks
    ce_days = bgnbd.conditional_expected(xa, ta * 7, Ta * 7, t=39 * 7, unit="day")
    assert ce_days == pytest.approx(ce, rel=1e-9)
    ex = bgnbd.expected([0, 1, 10, 39])
    assert ex[0] == 0 and ex == sorted(ex)
    pmf = bgnbd.pmf(39, 6)
    assert len(pmf) == 6 and 0.5 < sum(pmf) <= 1
    assert bgnbd.log_likelihood(*cdnow) == pytest.approx(bgnbd.loglik, rel=1e-9)


def test_zero_copy_for_contiguous_float64():
    m = models.BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="week")
    n = 500_000
    x = np.zeros(n)
    t_x = np.zeros(n)
    T = np.full(n, 38.0)
    out = np.empty(n)
    tracemalloc.start()
    res = m.p_alive(x, t_x, T, out=out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert res is out and out[0] == 1.0
    assert peak < n  # inputs not copied (8 * n bytes each), output written in place
    # a strided view is converted, with the same result
    y = np.zeros(2 * n)[::2]
    assert m.p_alive(y, t_x, T) == pytest.approx(out)


def test_other_models(cdnow, data_dir):
    x, t_x, T = cdnow
    pareto = models.ParetoNBD().fit(x, t_x, T)
    assert pareto.converged
    assert {k: sig3(v) for k, v in pareto.params.items()} == {
        "r": 0.553, "alpha": 10.6, "s": 0.606, "beta": 11.7}
    mbg = models.MBGNBD().fit(x, t_x, T)
    assert mbg.converged and len(mbg.params) == 4
    xs, zbar = load_csv(data_dir / "cdnow_customers_summary_with_transactions.csv", "x", "zbar")
    gg = models.GammaGamma().fit(xs, zbar)
    assert {k: sig3(v) for k, v in gg.params.items()} == {"p": 6.25, "q": 3.74, "gamma": 15.4}
    spend = gg.expected_spend(xs[:3], zbar[:3])
    assert len(spend) == 3 and all(s > 0 for s in spend)
    assert gg.log_likelihood(xs, zbar) == pytest.approx(gg.loglik, rel=1e-9)
    bg = models.BGNBD().fit(x, t_x, T)
    clv = models.clv(bg, gg, np.array(xs[:10]), np.array(t_x[:10]), np.array(T[:10]),
                     np.array(zbar[:10]), margin=0.3, discount_rate=0.01, period_length=4,
                     periods=12)
    assert clv.shape == (10,) and np.all(clv >= 0)
    f, r, n, w = load_csv(data_dir / "donations.csv", "frequency", "recency", "periods",
                          "weights")
    bb = models.BGBB().fit(f, r, n, w)
    assert bb.unit is models.Unit.PERIOD and bb.weight == sum(w)
    assert {k: sig3(v) for k, v in bb.params.items()} == {
        "alpha": 1.2, "beta": 0.75, "gamma": 0.657, "delta": 2.78}
    assert bb.p_alive(f, r, n)[0] == pytest.approx(bb.p_alive(0, 0, 6))


def test_model_from_parameters_and_units():
    m = models.BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="week")
    assert m.fitted and m.unit is models.Unit.WEEK and math.isnan(m.loglik)
    d = m.converted("day")
    assert d.alpha == pytest.approx(4.414 * 7) and d.r == m.r
    assert d.p_alive(1, 70, 140) == pytest.approx(m.p_alive(1, 10, 20))
    assert m.p_alive(1, 70, 140, unit="day") == pytest.approx(m.p_alive(1, 10, 20))
    with pytest.raises(TypeError, match="r, alpha, a, b"):
        models.BGNBD(r=1, alpha=1, a=1)
    with pytest.raises(retain.InvalidArgument, match="alpha"):
        models.BGNBD(r=1, alpha=-1, a=1, b=1)
    with pytest.raises(ValueError, match="fit"):
        models.BGNBD().p_alive(1, 1, 2)
    with pytest.raises(ValueError):
        models.Unit.parse("fortnight")


@pytest.mark.parametrize("x, t_x, T, needle, row", [
    ([1, 2.5], [1, 2], [3, 3], "whole number", 2),
    ([1, 0], [5, 1], [3, 3], "greater than T", 1),
    ([0], [1], [3], "x = 0", 1),
    ([1, -1], [1, 1], [2, 2], "whole number", 2),
    ([1, 1], [1, float("nan")], [2, 2], "finite", 2),
    ([], [], [], "no rows", None),
])
def test_fit_errors_name_the_row(x, t_x, T, needle, row):
    with pytest.raises(retain.InvalidArgument, match=needle) as info:
        models.BGNBD().fit(x, t_x, T)
    assert info.value.line == row


def test_array_errors(bgnbd):
    with pytest.raises(ValueError, match="differ in length"):
        bgnbd.p_alive([1, 2], [1, 1], [2, 2, 2])
    with pytest.raises(TypeError):
        bgnbd.p_alive(["a"], [1], [2])
    with pytest.raises(ValueError, match="1-D"):
        bgnbd.p_alive(np.zeros((2, 2)), np.zeros(2), np.ones(2))
    with pytest.raises(TypeError):  # out must be a writable float64 buffer
        bgnbd.p_alive([1], [1], [2], out=bytes(8))
    with pytest.raises(ValueError, match="out"):
        bgnbd.p_alive([1], [1], [2], out=np.empty(3))
    with pytest.raises(TypeError, match="GammaGamma"):
        models.GammaGamma().fit([1, 2])


def test_fits_release_the_gil(cdnow):
    """Two fits in two threads give the same result as one (no shared state)."""
    results = []
    ts = [threading.Thread(target=lambda: results.append(models.ParetoNBD().fit(*cdnow).params))
          for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
