"""retain - Python bindings of libretain, an embeddable retention engine.

Customers, orders, shipments and events live in an embedded SQLite database;
journeys written in YAML (``engine.journeys``, ``engine.tick()``) send messages
through transports the host registers as Python callables
(``engine.register_transport()``), past the delivery policy (``engine.policy``)
and through an outbox (``engine.outbox``, ``engine.messages``); descriptive
metrics are ``engine.metrics``; the probabilistic customer-base models
(BG/NBD, Pareto/NBD, MBG/NBD, BG/BB, Gamma-Gamma, CLV) are in :mod:`retain.models`.

    >>> import retain
    >>> from datetime import datetime, timezone
    >>> from decimal import Decimal
    >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> with retain.Engine() as engine:
    ...     engine.customers.upsert("cust-42", email="ann@example.com", at=now)
    ...     engine.orders.record("A-1001", customer_id="cust-42", channel="web",
    ...                          placed_at=now, currency="EUR", total=Decimal("25.00"),
    ...                          lines=[("TEA-01", 2, Decimal("12.50"))])
    ...     engine.customers.get("cust-42").revenue
    {'EUR': Decimal('25.00')}

The library never reads the clock: every call that changes something takes
the time (``at=``), a timezone-aware ``datetime`` or int milliseconds since
1970 UTC. Money is a ``Decimal`` in major units or an int in minor units,
never a float. Errors are :class:`retain.Error` subclasses, one per status code.
"""
from __future__ import annotations

from typing import Tuple

from . import _retain
from ._convert import (EPOCH, Duration, Money, Time, currency_digits, from_minor, from_ms,
                       to_minor, to_ms)
from ._delivery import (Decision, DeliveryStats, Failed, Message, Messages, Outbox, OutboxEntry,
                        OutboxState, QueueResult, Receipt, Retry, Sent)
from ._engine import (ConsentBook, Customers, Engine, Events, Orders, RowIterator, Shipments)
from ._errors import (Busy, Conflict, ConstraintError, DatabaseIOError, Diagnostic, DiskFull,
                      EngineClosed,
                      Error, InternalError, InvalidArgument, LimitExceeded, Misuse, NotFound,
                      OutOfMemory, ParseError, Unsupported, UserAbort, _make)
from ._journeys import Journeys, Outlook, TickStats, Touchpoint
from ._metrics import Metrics, MetricsResult, Period
from ._coupons import Coupons, CouponCheck, CouponReason, Feedback, FeedbackBy, Scale
from ._refresh import EngineModels, RefreshResult
from ._domain import (CycleSource, Products, Recommendation, Recommendations, RecommendStats,
                      ReminderState, Replenishment, SkuCycle)
from ._policy import Cap, Caps, Policy, Profiles, QuietHours, QuietHoursBook
from ._types import (Consent, ConsentStatus, Counts, Customer, Event, ImportStats, Order,
                     OrderLine, Shipment, ShipmentEvent, StatusChange)

_retain._set_error_factory(_make)
_retain._set_closed_error(EngineClosed)

from . import models, rules  # noqa: E402  (after the error classes are registered)

__all__ = [
    # engine
    "Engine", "Customers", "ConsentBook", "Orders", "Shipments", "Events", "RowIterator",
    # journeys
    "Journeys", "TickStats", "Outlook", "Touchpoint",
    # delivery
    "Message", "Sent", "Retry", "Failed", "Outbox", "OutboxEntry", "OutboxState", "Messages",
    "QueueResult", "Decision", "Receipt", "DeliveryStats",
    # policy
    "Policy", "QuietHours", "QuietHoursBook", "Cap", "Caps", "Profiles",
    # metrics
    "Metrics", "MetricsResult", "Period",
    # model refresh
    "EngineModels", "RefreshResult",
    # coupons and feedback
    "Coupons", "CouponCheck", "CouponReason", "Feedback", "FeedbackBy", "Scale",
    # post-purchase domain
    "Products", "Replenishment", "Recommendations", "CycleSource", "SkuCycle", "ReminderState",
    "RecommendStats", "Recommendation",
    # records
    "Consent", "ConsentStatus", "Counts", "Customer", "Event", "ImportStats", "Order",
    "OrderLine", "Shipment", "ShipmentEvent", "StatusChange",
    # errors
    "Error", "InvalidArgument", "NotFound", "Conflict", "ConstraintError", "OutOfMemory",
    "DatabaseIOError", "DiskFull", "Busy", "ParseError", "LimitExceeded", "Unsupported", "InternalError",
    "UserAbort", "Misuse", "EngineClosed", "Diagnostic",
    # helpers
    "Time", "Money", "Duration", "EPOCH", "to_ms", "from_ms", "to_minor", "from_minor",
    "currency_digits",
    "version", "version_info", "schema_version", "errstr", "HAVE_MODELS", "HAVE_RULES",
    "HAVE_JOURNEYS", "HAVE_DELIVERY", "HAVE_POLICY", "HAVE_METRICS", "HAVE_REFRESH",
    "HAVE_DOMAIN", "HAVE_COUPONS", "HAVE_REPORT",
    "__version__", "models", "rules",
]


def version() -> str:
    """The version of the libretain linked into this package ("0.1.0")."""
    return _retain.version()


def _version_info() -> Tuple[int, int, int]:
    n = _retain.version_number()
    return (n // 10000, n // 100 % 100, n % 100)


#: The package version: that of the libretain it was built with.
__version__: str = _retain.version()
#: (major, minor, patch) of the linked libretain.
version_info: Tuple[int, int, int] = _version_info()
#: True when this build binds the models of retain/model.h (:mod:`retain.models`).
HAVE_MODELS: bool = bool(_retain.HAVE_MODELS)
#: True when this build binds the rule language of retain/rule.h.
HAVE_RULES: bool = bool(_retain.HAVE_RULES)
#: True when this build binds journeys and the tick (retain/journey.h).
HAVE_JOURNEYS: bool = bool(_retain.HAVE_JOURNEYS)
#: True when this build binds transports and the outbox (retain/transport.h).
HAVE_DELIVERY: bool = bool(_retain.HAVE_DELIVERY)
#: True when this build binds the delivery policy (retain/policy.h).
HAVE_POLICY: bool = bool(_retain.HAVE_POLICY)
#: True when this build binds the metrics (retain/metrics.h).
HAVE_METRICS: bool = bool(_retain.HAVE_METRICS)
#: True when this build binds the model refresh (retain/refresh.h): engine.models.refresh().
HAVE_REFRESH: bool = bool(_retain.HAVE_REFRESH)
#: True when this build binds the post-purchase domain (retain/shipping.h, replenish.h,
#: recommend.h): products, replenishment, recommendations, carrier URL templates.
HAVE_DOMAIN: bool = bool(_retain.HAVE_DOMAIN)
#: Coupons and feedback (``engine.coupons``, ``engine.feedback``) are bound.
HAVE_COUPONS: bool = bool(_retain.HAVE_COUPONS)
#: True when this build binds the HTML report (retain/report.h): engine.report().
HAVE_REPORT: bool = bool(_retain.HAVE_REPORT)


def schema_version() -> int:
    """The version of the database format this libretain writes."""
    return _retain.schema_version()


def errstr(code: int) -> str:
    """A short English name of a libretain status code ("invalid argument")."""
    return _retain.errstr(code)
