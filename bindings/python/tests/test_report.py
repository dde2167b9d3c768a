"""engine.report() (retain/report.h): the page as a str and written to a file, its
figures against engine.metrics, an empty store, bad arguments."""
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import retain
from conftest import cdnow_rows

pytestmark = pytest.mark.skipif(not retain.HAVE_REPORT, reason="this build has no report")

NOW = datetime(1998, 7, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def engine(data_dir):
    e = retain.Engine()
    e.orders.record_many(
        {"id": f"o{i}", "customer_id": cust, "channel": "web", "currency": "USD",
         "placed_at": datetime(int(d[:4]), int(d[4:6]), int(d[6:]), tzinfo=timezone.utc),
         "total": Decimal(dollars)}
        for i, (cust, d, _cds, dollars) in enumerate(cdnow_rows(data_dir / "CDNOW_sample.txt")))
    yield e
    e.close()


def kpi(html, name):
    return float(re.search(rf'data-metric="{name}" data-value="([^"]+)"', html).group(1))


def test_page_matches_the_metrics(engine):
    html = engine.report(NOW, title="CDNOW & co")
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n")
    assert "<title>CDNOW &amp; co</title>" in html
    s = engine.metrics.summary("USD", as_of=NOW)
    assert kpi(html, "customers") == s["customers"] == 2357
    assert kpi(html, "repeat_rate") == pytest.approx(s["repeat_rate"], rel=1e-15)
    charts = dict(re.findall(r'data-chart="([^"]+)" data-n="(\d+)"', html))
    assert set(charts) == {"cohorts", "revenue", "repeat", "ltv", "holdout", "alive", "rfm"}
    assert all(int(n) > 0 for n in charts.values())
    assert "http" not in html


def test_written_to_a_file(engine, tmp_path):
    path = tmp_path / "report.html"
    assert engine.report(NOW, path, holdout_days=182, period="quarter",
                         conversion_window=timedelta(days=30)) is None
    text = path.read_text(encoding="utf-8")
    assert "1997 Q1" in text and "<td>1997-12-31</td>" in text
    with pytest.raises(retain.DatabaseIOError, match="writing the report"):
        engine.report(NOW, tmp_path / "no" / "dir.html")


def test_empty_store():
    with retain.Engine() as e:
        html = e.report(NOW)
    assert "No orders in USD were placed by 1998-07-01" in html
    assert "data-chart=" not in html


@pytest.mark.parametrize("kwargs, message", [
    ({"currency": "XYZ"}, "opts->currency"),
    ({"holdout_days": -1}, "opts->holdout_days"),
    ({"unit": "period"}, "opts->unit"),
])
def test_bad_arguments(engine, kwargs, message):
    with pytest.raises(retain.InvalidArgument, match=re.escape(message)):
        engine.report(NOW, **kwargs)
