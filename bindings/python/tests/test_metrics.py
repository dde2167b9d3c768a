"""Metrics over the CDNOW sample: the figures checked against the file itself."""
import importlib.util
import math
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import retain
from conftest import cdnow_rows

pytestmark = pytest.mark.skipif(not retain.HAVE_METRICS, reason="this build has no metrics")

AS_OF = datetime(1998, 6, 30, 23, 59, tzinfo=timezone.utc)
CAL_END = datetime(1997, 9, 30, tzinfo=timezone.utc)


def day(yyyymmdd):
    return datetime(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]),
                    tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory, data_dir):
    """(engine on the imported CDNOW sample, the file's purchase days per customer, cents)."""
    rows = list(cdnow_rows(data_dir / "CDNOW_sample.txt"))
    days = defaultdict(set)
    cents = 0
    for cust, date, _, dollars in rows:
        days[cust].add(date)
        cents += int(Decimal(dollars) * 100)
    path = tmp_path_factory.mktemp("metrics") / "cdnow.db"
    e = retain.Engine(path)
    e.orders.record_many({"id": f"cdnow-{i}", "customer_id": c, "placed_at": day(d),
                          "currency": "USD", "total": Decimal(v)}
                         for i, (c, d, _, v) in enumerate(rows, 1))
    yield e, days, cents
    e.close()


def test_summary_repeat_rate_from_the_file(cdnow):
    e, days, cents = cdnow
    repeat = sum(1 for d in days.values() if len(d) >= 2)
    assert (repeat, len(days)) == (1139, 2357)  # counted from the file above
    s = e.metrics.summary("USD", as_of=AS_OF)
    assert isinstance(s, dict) and s.kind == "summary"
    assert s["customers"] == len(days) and s["orders"] == 6919
    assert s["repeat_customers"] == repeat
    assert s["repeat_rate"] == pytest.approx(repeat / len(days))
    assert s["revenue"] == cents
    assert s["purchase_days"] == sum(len(d) for d in days.values())
    assert s["aov"] == pytest.approx(cents / 6919)
    assert sum(b["customers"] for b in s["ltv"]["histogram"]) == len(days)
    assert s.rows()[0]["ltv_mean"] == s["ltv"]["mean"]
    empty = e.metrics.summary("EUR", as_of=AS_OF)
    assert empty["customers"] == 0 and empty["repeat_rate"] is None  # NaN -> None


def test_cohorts_and_churn(cdnow):
    e, days, _ = cdnow
    c = e.metrics.cohorts("month", as_of=AS_OF)
    assert c["period"] == "month" and c["currency"] is None
    assert sum(row["customers"] for row in c["cohorts"]) == len(days)
    first_month = sum(1 for d in days.values() if min(d) < "19970201")
    assert c["cohorts"][0]["customers"] == first_month
    assert all(row["retention"][0] == 1 for row in c["cohorts"])
    long = c.rows()
    assert len(long) == sum(len(row["active"]) for row in c["cohorts"])
    with_money = e.metrics.cohorts(retain.Period.QUARTER, as_of=AS_OF, currency="USD")
    assert with_money["cohorts"][0]["revenue"] is not None
    ch = e.metrics.churn("month", as_of=AS_OF)
    periods = ch["periods"]
    assert len(periods) == 18  # January 1997 to June 1998
    for prev, p in zip(periods, periods[1:]):
        assert p["retained"] + p["churned"] == prev["active"]
        assert p["active"] == p["new"] + p["retained"] + p["reactivated"]
    assert sum(p["new"] for p in periods) == len(days)
    with pytest.raises(ValueError):
        e.metrics.churn("fortnight", as_of=AS_OF)


def test_rfm_scores_and_store_summary(cdnow):
    e, days, _ = cdnow
    s = e.metrics.rfm_scores("USD", as_of=AS_OF)
    assert len(s["rows"]) == len(days) == sum(s["segments"].values())
    by_id = {r["id"]: r for r in s["rows"]}
    assert by_id["00004"]["frequency"] == len(days["00004"])
    assert all(1 <= r["r"] <= 5 for r in s["rows"])
    f = e.metrics.rfm_from_store("USD", calibration_end=CAL_END, holdout_end=AS_OF, unit="day")
    assert f["unit"] == "day"
    cal = CAL_END.strftime("%Y%m%d")
    rows = {r["id"]: r for r in f["rows"]}
    assert len(rows) == sum(1 for d in days.values() if min(d) <= cal)
    for cid, r in list(rows.items())[:200]:
        in_cal = sorted(d for d in days[cid] if d <= cal)
        assert r["x"] == len(in_cal) - 1
        assert r["holdout_x"] == len(days[cid]) - len(in_cal)


def test_retention_economics(cdnow):
    e, _, _ = cdnow
    g = e.metrics.retention_economics(margin=100, discount_rate=0.1, retention=0.8, lift=0.05,
                                      customers=1000)
    assert g["value"] == pytest.approx(100 * 1.1 / (1.1 - 0.8))
    assert g["lifted_value"] == pytest.approx(100 * 1.1 / (1.1 - 0.85))
    assert g["total_lift_value"] == pytest.approx(1000 * (g["lifted_value"] - g["value"]))
    with pytest.raises(retain.InvalidArgument):
        e.metrics.retention_economics(margin=100, discount_rate=0.1, retention=0.99, lift=0.05)
    if retain.HAVE_MODELS:
        model = retain.models.BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="week")
        m = e.metrics.retention_economics(margin=1000, discount_rate=0.01, lift=0.05,
                                          model=model, period_length=1, periods=52)
        assert m["lift_value"] > 0 and math.isfinite(m["value"])


def test_frames(cdnow):
    e, days, _ = cdnow
    s = e.metrics.rfm_scores("USD", as_of=AS_OF)
    if importlib.util.find_spec("pandas") is None:  # optional: the frames are checked
        with pytest.raises(ImportError, match="pandas"):  # where it is installed
            s.to_frame()
        return
    frame = s.to_frame()
    assert len(frame) == len(days)
    assert str(frame["first_order_at"].dt.tz) == "UTC"
    churn = e.metrics.churn("month", as_of=AS_OF, as_frame=True)
    assert list(churn["active"])[:1] == [e.metrics.churn("month", as_of=AS_OF)["periods"][0]
                                         ["active"]]
    assert len(e.metrics.summary("USD", as_of=AS_OF, as_frame=True)) == 1


def test_metrics_need_as_of(engine):
    with pytest.raises(TypeError):
        engine.metrics.summary("USD")
    with pytest.raises(retain.InvalidArgument):
        engine.metrics.summary("USD", as_of=datetime(2026, 1, 1))
    with pytest.raises(TypeError):
        engine.metrics.journey_conversion(window=1.5, as_of=0)
    assert engine.metrics.summary("USD", as_of=0)["customers"] == 0
    assert engine.metrics.cohorts(as_of=timedelta(0).days)["cohorts"] == []
