"""Metrics over the store (retain/metrics.h), as plain dicts and lists.

Every result is a :class:`MetricsResult`: the dict libretain's JSON gives
(docs/metrics.md), with times in ms since 1970 UTC, money in integer minor
units of the currency, and ``None`` for ratios with a zero denominator.
``to_frame()`` (or ``as_frame=True``) gives a pandas DataFrame of its rows
when pandas is installed.
"""
from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ._convert import Duration, Time, parse_enum, text, to_duration_ms, to_ms

if TYPE_CHECKING:
    from .models import Model

__all__ = ["Metrics", "MetricsResult", "Period"]

_TIME_COLUMNS = ("start", "end", "first_order_at", "last_order_at")


class Period(enum.IntEnum):
    """UTC calendar periods of cohorts and churn (``retain_period``)."""

    DAY = 1
    WEEK = 2  #: ISO weeks, Monday to Monday
    MONTH = 3
    QUARTER = 4
    YEAR = 5

    @classmethod
    def parse(cls, value: Union["Period", int, str]) -> "Period":
        """A Period from itself, its int value, or its name ("month")."""
        return parse_enum(cls, value, "period")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("to_frame() needs pandas (pip install pandas)") from None
    return pandas


def _flat(d: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}_"))
        elif not isinstance(v, list):
            out[prefix + k] = v
    return out


class MetricsResult(dict):  # type: ignore[type-arg]
    """A metric as the dict of its JSON (see docs/metrics.md), with :meth:`rows` and
    :meth:`to_frame`."""

    __slots__ = ("kind",)

    def __init__(self, kind: str, value: Dict[str, Any]) -> None:
        super().__init__(value)
        self.kind = kind

    def rows(self) -> List[Dict[str, Any]]:
        """The result as flat records: one per customer (RFM), period (churn), cohort and
        period offset (cohorts), journey variant (conversion); one for the others."""
        if self.kind == "cohorts":
            out = []
            for c in self.get("cohorts", []):
                for k in range(len(c["active"])):
                    rev = c.get("revenue")
                    out.append({"start": c["start"], "start_date": c.get("start_date"),
                                "customers": c["customers"], "offset": k,
                                "active": c["active"][k], "retention": c["retention"][k],
                                "orders": c["orders"][k],
                                "revenue": rev[k] if rev else None})
            return out
        key = {"churn": "periods", "rfm_scores": "rows", "rfm_from_store": "rows",
               "conversion": "rows", "feedback": "rows"}.get(self.kind)
        if key is None:
            return [_flat(self)]
        return [dict(r) for r in self.get(key, [])]

    def to_frame(self) -> Any:
        """:meth:`rows` as a pandas DataFrame (time columns as UTC datetimes); raises
        ImportError when pandas is not installed."""
        pd = _pandas()
        frame = pd.DataFrame.from_records(self.rows())
        for col in _TIME_COLUMNS:
            if col in frame.columns:
                frame[col] = pd.to_datetime(frame[col], unit="ms", utc=True)
        return frame


def _period(value: Union[Period, int, str]) -> int:
    return int(Period.parse(value))


class Metrics:
    """``engine.metrics``: descriptive LTV and retention metrics, each from one snapshot.

    Every method takes ``as_of`` (the library never reads the clock) and counts
    orders placed at or before it, leaving out cancelled and refunded ones."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def _result(self, kind: str, text_: str, as_frame: bool) -> Any:
        r = MetricsResult(kind, json.loads(text_))
        return r.to_frame() if as_frame else r

    def summary(self, currency: str, *, as_of: Time, as_frame: bool = False) -> Any:
        """Revenue, orders, AOV, purchase frequency, repeat rate, repeat revenue and the
        LTV-to-date distribution (``ltv``: mean, median, p90, max, histogram) in one
        currency."""
        return self._result("summary", self._e.metrics_summary(currency, to_ms(as_of, "as_of")),
                            as_frame)

    def cohorts(self, period: Union[Period, str] = Period.MONTH, *, as_of: Time,
                currency: Optional[str] = None, as_frame: bool = False) -> Any:
        """The acquisition-cohort matrix: per cohort ``start``, ``customers`` and per
        period offset ``active``, ``retention``, ``orders`` (and ``revenue`` when a
        ``currency`` is given; without one every currency counts)."""
        return self._result("cohorts", self._e.metrics_cohorts(
            text(currency, "currency"), _period(period), to_ms(as_of, "as_of")), as_frame)

    def churn(self, period: Union[Period, str] = Period.MONTH, *, as_of: Time,
              currency: Optional[str] = None, as_frame: bool = False) -> Any:
        """Per period: active, new, retained, reactivated and churned customers,
        retention and churn rates, orders (and revenue with a ``currency``)."""
        return self._result("churn", self._e.metrics_churn(
            text(currency, "currency"), _period(period), to_ms(as_of, "as_of")), as_frame)

    def rfm_scores(self, currency: str, *, as_of: Time, as_frame: bool = False) -> Any:
        """Every buyer's recency, frequency and monetary values, their 1-5 scores and
        segment ("champions", "at_risk" ...), with the customers per segment."""
        return self._result("rfm_scores",
                            self._e.metrics_rfm_scores(currency, to_ms(as_of, "as_of")),
                            as_frame)

    def rfm_from_store(self, currency: str, *, calibration_end: Time,
                       holdout_end: Optional[Time] = None, unit: Any = "week",
                       as_frame: bool = False) -> Any:
        """The Fader-Hardie summary of the store for the models: per customer ``x``,
        ``t_x``, ``T`` (in ``unit``, "day" or "week"), ``monetary`` and ``holdout_x``.
        ``holdout_end`` defaults to ``calibration_end`` (no holdout)."""
        from .models import Unit
        cal = to_ms(calibration_end, "calibration_end")
        hold = cal if holdout_end is None else to_ms(holdout_end, "holdout_end")
        return self._result("rfm_from_store", self._e.metrics_rfm_from_store(
            currency, cal, hold, int(Unit.parse(unit))), as_frame)

    def retention_economics(self, *, margin: float, discount_rate: float, lift: float,
                            retention: Optional[float] = None, customers: float = 1.0,
                            model: Optional["Model"] = None,
                            period_length: Optional[float] = None, period_unit: Any = None,
                            periods: Optional[int] = None, as_frame: bool = False) -> Any:
        """What a lift in retention is worth.

        Geometric (no ``model``): ``margin`` per customer per period (minor units),
        current ``retention`` per period, ``lift`` in points. With a fitted purchase
        ``model`` (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB): ``margin`` per repeat purchase,
        discounted over ``periods`` periods of ``period_length`` ``period_unit``
        (default: the model's unit)."""
        def num(v: Optional[float], default: float) -> float:
            return default if v is None else float(v)

        mt = None
        unit = 0
        if model is not None:
            from .models import Unit
            mt = model._tuple()
            unit = int(Unit.parse(period_unit)) if period_unit is not None else int(mt[1])
        return self._result("economics", self._e.metrics_economics(
            mt, float(margin), float(discount_rate), num(retention, -1.0), float(lift),
            float(customers), num(period_length, 0.0), unit, periods or 0), as_frame)

    def journey_conversion(self, journey: Optional[str] = None, *, window: Duration,
                           as_of: Time, since: Optional[Time] = None,
                           as_frame: bool = False) -> Any:
        """Conversion of journey instances entered in [since, as_of] whose goal was
        reached within ``window``, per journey and variant (``rows``), and treatment
        against holdout with a two-proportion z-test (``lifts``)."""
        return self._result("conversion", self._e.metrics_conversion(
            text(journey, "journey"), None if since is None else to_ms(since, "since"),
            to_duration_ms(window, "window"), to_ms(as_of, "as_of")), as_frame)
