"""The post-purchase domain: ``engine.products``, ``engine.replenishment`` and
``engine.recommendations``, plus carrier tracking URL templates
(:meth:`retain.Shipments.set_carrier`).

See docs/domain.md: shipment delays (``shipment.delayed`` once per cause),
replenishment reminders (``replenishment.due``) timed by each SKU's
consumption cycle, and complementary products learned from co-purchases.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, List, Optional, Tuple

from ._convert import (Duration, Money, Time, from_minor, opt_from_ms, require, text, to_duration_ms,
                       to_json, to_minor, to_ms)

__all__ = ["Products", "Replenishment", "Recommendations", "CycleSource", "SkuCycle",
           "ReminderState", "RecommendStats", "Recommendation"]


class CycleSource(enum.IntEnum):
    """Where a SKU's consumption cycle comes from (``retain_cycle_source``)."""

    NONE = 0        #: no cycle: no reminders
    CONFIGURED = 1  #: set with :meth:`Replenishment.set_cycle`
    LEARNED = 2     #: learned from repurchase intervals (:meth:`Replenishment.learn`)
    FALLBACK = 3    #: the engine's ``replenish_fallback_cycle_ms``


class ReminderState(enum.IntEnum):
    """The replenishment reminder of one purchase (``retain_replenish_state``)."""

    NONE = 0       #: not taken in yet (the next tick does)
    PENDING = 1
    FIRED = 2      #: ``replenishment.due`` was emitted
    REORDERED = 3  #: cancelled: the SKU was ordered again first
    LAPSED = 4     #: dropped: the tick came too late
    VOID = 5       #: the order was cancelled or refunded


def _td(ms: int) -> Optional[timedelta]:
    return timedelta(milliseconds=ms) if ms else None


@dataclass(frozen=True)
class SkuCycle:
    """The cycle of one SKU (time one unit lasts)."""

    cycle: Optional[timedelta]       #: in use; None when there is none
    source: CycleSource
    configured: Optional[timedelta]
    learned: Optional[timedelta]     #: median of the samples, whether or not enough
    samples: int                     #: repurchase intervals seen when last learned


@dataclass(frozen=True)
class RecommendStats:
    """What :meth:`Recommendations.build` saw."""

    baskets: int    #: orders counted
    skus: int       #: distinct SKUs
    pairs: int      #: distinct co-purchased pairs
    neighbors: int  #: neighbour rows stored


@dataclass(frozen=True)
class Recommendation:
    """One recommended product, best first."""

    sku: str
    title: Optional[str]
    price: Optional[Decimal]   #: in major units of ``currency``; None when unknown
    currency: Optional[str]
    score: float               #: summed normalised co-purchase score
    support: int               #: orders bought together with what the customer owns


class Products:
    """``engine.products``: titles and prices that messages and recommendations show."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def upsert(self, sku: str, *, at: Time, title: Optional[str] = None,
               price: Optional[Money] = None, currency: Optional[str] = None,
               attrs: Any = None) -> None:
        """Create or replace a product. ``price`` is a Decimal in major units (or int minor
        units) of ``currency``, which it requires."""
        fn = require(self._e, "product_upsert", "products (retain/recommend.h)")
        minor = -1
        if price is not None:
            if currency is None:
                from ._errors import InvalidArgument
                raise InvalidArgument("a price needs its currency")
            minor = to_minor(price, currency, "price")
        fn(sku, text(title, "title"), minor, text(currency, "currency"), to_json(attrs, "attrs"),
           to_ms(at, "at"))


class Replenishment:
    """``engine.replenishment``: consumption cycles per SKU and the reminders a tick fires
    (event ``replenishment.due``) the engine's lead time before each purchase runs out."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def set_cycle(self, sku: str, cycle: Optional[Duration]) -> None:
        """Configure how long one unit of ``sku`` lasts (None clears it). The SKU must be
        known (a product or an order line); pending reminders are rescheduled."""
        fn = require(self._e, "sku_cycle_set", "replenishment (retain/replenish.h)")
        fn(sku, 0 if cycle is None else to_duration_ms(cycle, "cycle"))

    def cycle(self, sku: str) -> SkuCycle:
        """The cycle in use for ``sku``; raises :class:`retain.NotFound` for an unknown SKU."""
        fn = require(self._e, "sku_cycle_get", "replenishment (retain/replenish.h)")
        ms, source, configured, learned, samples = fn(sku)
        return SkuCycle(_td(ms), CycleSource(source), _td(configured), _td(learned), samples)

    def learn(self, now: Time) -> int:
        """Learn every SKU's cycle from repurchase intervals (median of interval / quantity);
        returns how many SKUs have at least one interval."""
        fn = require(self._e, "replenish_learn", "replenishment (retain/replenish.h)")
        return int(fn(to_ms(now, "now")))

    def reminder(self, order_id: str, sku: str) -> Tuple[ReminderState, Optional[datetime]]:
        """The reminder state of (order, SKU) and when it is (or was) due."""
        fn = require(self._e, "replenish_get", "replenishment (retain/replenish.h)")
        state, due = fn(order_id, sku)
        return ReminderState(state), opt_from_ms(due)


class Recommendations:
    """``engine.recommendations``: complementary products from co-purchases."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def build(self, *, neighbors: Optional[int] = None,
              min_support: Optional[int] = None) -> RecommendStats:
        """Recompute every SKU's neighbours from the store's orders (``neighbors`` kept per
        SKU, default 50; pairs need ``min_support`` orders in common, default 1)."""
        fn = require(self._e, "recommend_build", "recommendations (retain/recommend.h)")
        return RecommendStats(*fn(neighbors or 0, min_support or 0))

    def for_customer(self, customer_id: str, n: int = 5) -> List[Recommendation]:
        """The best ``n`` (1 to 100) products ``customer_id`` does not own yet."""
        fn = require(self._e, "recommend", "recommendations (retain/recommend.h)")
        out = []
        for sku, title, price, currency, score, support in fn(customer_id, n):
            major = from_minor(price, currency) if price >= 0 and currency else None
            out.append(Recommendation(sku, title, major, currency, score, support))
        return out
