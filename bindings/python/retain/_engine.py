"""The Engine and its collections: customers, consent, orders, shipments, events; and the
entry points of journeys, delivery, policy and metrics (their own modules)."""
from __future__ import annotations

import contextlib
import json
import os
from typing import (TYPE_CHECKING, Any, Callable, Dict, Generic, Iterable, Iterator, List,
                    Mapping, Optional, Sequence, Tuple, TypeVar, Union)

from . import _delivery, _journeys, _retain
from ._convert import (Duration, Money, Time, opt_from_ms, opt_ms, require, text,
                       to_duration_ms, to_json, to_minor, to_ms)
from ._delivery import Messages, Outbox, Transport
from ._journeys import Journeys, TickStats, Touchpoint
from ._metrics import Metrics
from ._coupons import Coupons, Feedback
from ._refresh import EngineModels
from ._domain import Products, Recommendations, Replenishment
from ._policy import Policy
from ._tasks import Tasks
from ._errors import EngineClosed, InvalidArgument, NotFound
from ._types import (Consent, ConsentStatus, Counts, Customer, Event, ImportStats, Order,
                     OrderLine, Shipment)

if TYPE_CHECKING:
    from .rules import Rule

__all__ = ["Engine", "Customers", "ConsentBook", "Orders", "Shipments", "Events", "RowIterator"]

T = TypeVar("T")
JSONObject = Union[None, str, Mapping[str, Any]]
LineLike = Union[OrderLine, Mapping[str, Any], Sequence[Any]]


class RowIterator(Generic[T]):
    """An iterator over rows the engine reads lazily (a customer's orders or events).

    It holds its engine open; it frees its database statement when exhausted,
    on :meth:`close`, or at the end of a ``with`` block. Iterating after the
    engine closed raises :class:`retain.EngineClosed`.
    """

    __slots__ = ("_it", "_make")

    def __init__(self, it: Any, make: Callable[[tuple], T]) -> None:
        self._it = it
        self._make = make

    def __iter__(self) -> "RowIterator[T]":
        return self

    def __next__(self) -> T:
        return self._make(next(self._it))

    def close(self) -> None:
        """Free the iterator now; later ``next()`` raises StopIteration."""
        self._it.close()

    def __enter__(self) -> "RowIterator[T]":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Customers:
    """``engine.customers``: customers named by the host's own string ids."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def upsert(self, id: str, *, at: Time, email: Optional[str] = None,
               phone: Optional[str] = None, name: Optional[str] = None,
               timezone: Optional[str] = None, locale: Optional[str] = None,
               attrs: JSONObject = None) -> None:
        """Create the customer, or update the members given.

        A member left ``None`` keeps its value; ``""`` clears it. ``attrs`` (a
        dict or JSON object text) is merged as an RFC 7396 merge patch. ``at``
        is the time of the change (``created_at`` for a new customer). E-mail
        addresses and phone numbers are normalized; invalid data raises
        :class:`retain.InvalidArgument` and writes nothing.
        """
        self._e.customer_upsert(id, text(email, "email"), text(phone, "phone"),
                                text(name, "name"), text(timezone, "timezone"),
                                text(locale, "locale"), to_json(attrs, "attrs"), to_ms(at, "at"))

    def get(self, id: str) -> Customer:
        """The customer ``id``; raises :class:`retain.NotFound` when there is none."""
        return Customer._from_row(self._e.customer_get(id))

    def __contains__(self, id: object) -> bool:
        if not isinstance(id, str):
            return False
        try:
            self._e.customer_get(id)
        except NotFound:
            return False
        return True

    def delete(self, id: str) -> None:
        """Delete a customer with its orders, shipments, events and consent."""
        self._e.customer_delete(id)

    def erase(self, id: str, now: Time) -> None:
        """Erase everything personal about the customer (contact data, attributes,
        consent, message payloads and recipients, event properties), keeping the
        anonymous aggregates so metrics stay right; then zero the freed pages and
        truncate the WAL (see docs/getting-started.md, "Erasure and access requests").
        Raises :class:`retain.NotFound` for an unknown id."""
        self._e.customer_erase(id, to_ms(now, "now"))

    def export(self, id: str) -> Dict[str, Any]:
        """Everything held about the customer, as a dict (profile, revenue, consents,
        orders with lines and shipments, events, messages, journey instances)."""
        value = json.loads(self._e.customer_export(id))
        if not isinstance(value, dict):
            raise TypeError("customer_export returned a non-object")
        return value

    def merge(self, into: str, from_: str, now: Time) -> None:
        """Merge customer ``from_`` into ``into`` (one person under two ids): orders,
        events, journeys and messages move, revenue adds up, consent keeps the stricter
        statement, and ``from_`` stays usable as an alias of ``into``. Merging a customer
        with itself raises :class:`retain.InvalidArgument`; nothing changes on error."""
        self._e.customer_merge(into, from_, to_ms(now, "now"))

    def merges(self, id: str) -> List[Dict[str, Any]]:
        """The merges and automatic links into this customer, oldest first: dicts with
        ``from``, ``reason`` ("host", "email" or "phone"), ``at`` (ms), ``orders``, ``events``."""
        return json.loads(self._e.customer_merges(id))

    def find(self, *, email: Optional[str] = None, phone: Optional[str] = None) -> Optional[str]:
        """The id of the customer with this e-mail address or phone number (normalized first),
        or None when there is none."""
        return self._e.customer_find(text(email, "email"), text(phone, "phone"))

    def next(self, id: str, now: Time) -> Touchpoint:
        """The next touchpoint the customer gets from their journeys if nothing else
        happens, as of ``now``, with what policy will do with it (a falsy
        :class:`Touchpoint` with outlook NONE when nothing is planned)."""
        require(self._e, "customer_next", "journeys")
        return _journeys.next_touchpoint(self._e, id, now)

    def explain(self, id: str, now: Time) -> Dict[str, Any]:
        """Why: the customer's journey instances with their history (steps taken and the
        rule results that chose each branch), what each waits for, and the next
        touchpoint with its reasons, as a dict (see docs/journeys.md)."""
        require(self._e, "customer_explain", "journeys")
        return _journeys.explain(self._e, id, now)


class ConsentBook:
    """``engine.consent``: consent per customer, channel and category."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def set(self, customer_id: str, channel: str, category: str,
            state: Union[Consent, int, str], *, at: Time, source: Optional[str] = None) -> None:
        """Record a consent statement ("granted" or "revoked") for a channel ("email",
        "sms" ...) and category ("marketing", "transactional" ...). The latest
        statement by time wins; at the same time a revocation wins."""
        self._e.consent_set(customer_id, channel, category, int(Consent.parse(state)),
                            to_ms(at, "at"), text(source, "source"))

    def get(self, customer_id: str, channel: str, category: str) -> ConsentStatus:
        """The current consent and when it was stated (``at`` None when UNKNOWN)."""
        state, at = self._e.consent_get(customer_id, channel, category)
        return ConsentStatus(Consent(state), opt_from_ms(at))


def _line(line: LineLike, currency: str, i: int) -> Tuple[str, Optional[str], int, int]:
    what = f"lines[{i}]"
    if isinstance(line, OrderLine):
        sku, title, qty, price = line.sku, line.title, line.quantity, line.unit_price
    elif isinstance(line, Mapping):
        try:
            sku = line["sku"]
        except KeyError:
            raise TypeError(f"{what} has no 'sku'") from None
        title = line.get("title")
        qty = line.get("quantity", 1)
        price = line.get("unit_price", 0)
    elif isinstance(line, (tuple, list)) and len(line) in (3, 4):
        if len(line) == 3:
            (sku, qty, price), title = line, None
        else:
            sku, title, qty, price = line
    else:
        raise TypeError(f"{what} must be an OrderLine, a dict, (sku, quantity, unit_price) or "
                        "(sku, title, quantity, unit_price)")
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise TypeError(f"{what}.quantity must be an int")
    return (sku, text(title, f"{what}.title"), qty, to_minor(price, currency, f"{what}.unit_price"))


def _order_args(id: str, customer_id: str, channel: str, placed_at: Time, currency: str,
                total: Money, lines: Iterable[LineLike], coupon: Optional[str],
                status: Optional[str], status_at: Optional[Time], attrs: JSONObject) -> tuple:
    if not isinstance(currency, str):
        raise TypeError("currency must be a str such as 'USD'")
    return (id, customer_id, channel, to_ms(placed_at, "placed_at"), currency,
            to_minor(total, currency, "total"), text(coupon, "coupon"), text(status, "status"),
            opt_ms(status_at, "status_at"),
            tuple(_line(line, currency, i) for i, line in enumerate(lines)),
            to_json(attrs, "attrs"))


_ORDER_KEYS = ("id", "customer_id", "channel", "placed_at", "currency", "total", "lines",
               "coupon", "status", "status_at", "attrs")


def _order_from(row: Union[Order, Mapping[str, Any]]) -> tuple:
    if isinstance(row, Order):
        return _order_args(row.id, row.customer_id, row.channel, row.placed_at, row.currency,
                           row.total_minor, row.lines, row.coupon, row.status, row.status_at,
                           row.attrs)
    if not isinstance(row, Mapping):
        raise TypeError(f"an order must be a dict or retain.Order, not {type(row).__name__}")
    unknown = set(row) - set(_ORDER_KEYS)
    if unknown:
        raise TypeError(f"unknown order keys: {', '.join(sorted(unknown))}")
    try:
        return _order_args(row["id"], row["customer_id"], row.get("channel", "web"),
                           row["placed_at"], row["currency"], row["total"], row.get("lines", ()),
                           row.get("coupon"), row.get("status"), row.get("status_at"),
                           row.get("attrs"))
    except KeyError as exc:
        raise TypeError(f"an order needs {exc.args[0]!r}") from None


class Orders:
    """``engine.orders``: orders with lines and status history."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def record(self, id: str, *, customer_id: str, channel: str, placed_at: Time,
               currency: str, total: Money, lines: Iterable[LineLike] = (),
               coupon: Optional[str] = None, status: Optional[str] = None,
               status_at: Optional[Time] = None, attrs: JSONObject = None) -> None:
        """Record a new order, or update the order with the same id.

        ``total`` and line prices are Decimals in ``currency`` ("19.99") or int
        minor units. Lines are :class:`OrderLine` objects, dicts with ``sku``,
        ``title``, ``quantity``, ``unit_price``, or tuples ``(sku, quantity,
        unit_price)`` / ``(sku, title, quantity, unit_price)``. ``status``
        defaults to "placed" for a new order.
        """
        self._e.order_record(*_order_args(id, customer_id, channel, placed_at, currency, total,
                                          lines, coupon, status, status_at, attrs))

    def record_many(self, orders: Iterable[Union[Order, Mapping[str, Any]]], *,
                    create_customers: bool = True, batch_size: int = 1000) -> ImportStats:
        """Record many orders fast, with the GIL released while libretain works.

        Each order is a dict with the keyword arguments of :meth:`record` (plus
        ``id``; ``channel`` defaults to "web") or an :class:`Order`. With
        ``create_customers`` a customer is upserted (created at its first
        order's time) before the first of its orders in ``orders``.

        ``orders`` may be any iterable (a generator streams): it is converted and
        committed in transactions of ``batch_size``. On an error the failing
        batch is rolled back, earlier batches stay, and the exception message
        starts with ``orders[i]:``, the index of the failing order. Inside
        ``with engine.transaction():`` everything is one transaction.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError("batch_size must be an int >= 1")
        if self._e.closed:
            raise EngineClosed("the engine is closed")
        seen: set = set()
        total = customers = 0
        chunk: list = []
        for i, row in enumerate(orders):
            try:
                args = _order_from(row)
            except (TypeError, InvalidArgument) as exc:
                raise type(exc)(f"orders[{i}]: {exc}") from None
            ensure = create_customers and args[1] not in seen
            if ensure:
                seen.add(args[1])
            chunk.append((ensure, args))
            if len(chunk) == batch_size:
                n, c = self._e.order_record_many(chunk, batch_size, total)
                total, customers, chunk = total + n, customers + c, []
        if chunk:
            n, c = self._e.order_record_many(chunk, batch_size, total)
            total, customers = total + n, customers + c
        return ImportStats(total, customers)

    def set_status(self, id: str, status: str, *, at: Time) -> None:
        """Move an order to ``status`` ("paid", "shipped", "delivered", "cancelled",
        "returned", "refunded") at ``at``; repeating the current status does nothing."""
        self._e.order_set_status(id, status, to_ms(at, "at"))

    def get(self, id: str) -> Order:
        """The order ``id``; raises :class:`retain.NotFound` when there is none."""
        return Order._from_row(self._e.order_get(id))

    def for_customer(self, customer_id: str) -> RowIterator[Order]:
        """Iterate a customer's orders by time placed (raises NotFound for an unknown customer)."""
        return RowIterator(self._e.orders(customer_id), Order._from_row)


class Shipments:
    """``engine.shipments``: shipments of orders and their carrier events."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def record(self, id: str, *, order_id: str, at: Time, carrier: Optional[str] = None,
               tracking: Optional[str] = None, tracking_url: Optional[str] = None,
               promised_at: Optional[Time] = None) -> None:
        """Create a shipment (status "label_created") or update its carrier data."""
        self._e.shipment_record(id, order_id, text(carrier, "carrier"),
                                text(tracking, "tracking"), text(tracking_url, "tracking_url"),
                                opt_ms(promised_at, "promised_at"), to_ms(at, "at"))

    def update(self, id: str, status: str, *, at: Time, eta: Optional[Time] = None,
               detail: Optional[str] = None) -> None:
        """A carrier event: "label_created", "in_transit", "out_for_delivery", "delivered",
        "exception" or "returned", with an optional ETA and detail."""
        self._e.shipment_update(id, status, to_ms(at, "at"), opt_ms(eta, "eta"),
                                text(detail, "detail"))

    def get(self, id: str) -> Shipment:
        """The shipment ``id``; raises :class:`retain.NotFound` when there is none."""
        return Shipment._from_row(self._e.shipment_get(id))

    def set_carrier(self, carrier: str, tracking_url: Optional[str], *, at: Time) -> None:
        """Set the tracking URL template of ``carrier`` (case-insensitive), such as
        ``"https://track.example/{tracking}"``; None removes it. Messages whose shipment has
        no URL of its own carry the template with the tracking number filled in."""
        fn = require(self._e, "carrier_set", "shipping (retain/shipping.h)")
        fn(carrier, text(tracking_url, "tracking_url"), to_ms(at, "at"))


class Events:
    """``engine.events``: what happened to customers, when."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def track(self, customer_id: str, name: str, *, at: Time, props: JSONObject = None,
              host_event_id: Optional[str] = None) -> None:
        """Record an event (name: 1 to 64 of ``[a-z0-9_.-]``). Tracking the same
        ``host_event_id`` again does nothing (redelivered webhooks)."""
        self._e.event_track(customer_id, name, to_ms(at, "at"), to_json(props, "props"),
                            text(host_event_id, "host_event_id"))

    def for_customer(self, customer_id: str) -> RowIterator[Event]:
        """Iterate a customer's events in time order."""
        return RowIterator(self._e.events(customer_id), Event._from_row)


class Engine:
    """A libretain engine: one connection to one database file, or ``":memory:"``.

    Use it from one thread at a time (calls from other threads wait their
    turn); several engines may share one database file. Use it as a context
    manager, or call :meth:`close`. After ``close()`` every call raises
    :class:`retain.EngineClosed`.

    Options left ``None`` take libretain's defaults: ``busy_timeout_ms`` 5000,
    ``zoneinfo_dir`` "/usr/share/zoneinfo", ``default_timezone`` "UTC",
    ``default_country`` none, ``cache_kib`` 16384. ``readonly`` opens for reading
    only: every call that writes raises :class:`retain.Misuse`. ``autolink`` links a new
    customer id to an existing customer with the same e-mail or phone
    (:meth:`Customers.merge` explains what a merge keeps). ``eta_slip_margin`` (default one
    day) is how far an ETA may move past the promise before ``shipment.delayed`` fires with
    cause "eta_slip"; ``replenish_lead`` (default 7 days), ``replenish_min_samples``
    (default 5), ``replenish_fallback_cycle`` (default none) and ``replenish_grace``
    (default 7 days) tune replenishment reminders (:class:`Replenishment`). ``mmap_mib``
    (default 0: none) reads that much of the database file through a memory map, which
    speeds up read-heavy calls on large files (see ``retain_options.mmap_mib``).

    Attributes:
        customers: :class:`Customers`
        consent: :class:`ConsentBook`
        orders: :class:`Orders`
        shipments: :class:`Shipments`
        events: :class:`Events`
        coupons: :class:`retain.Coupons`
        feedback: :class:`retain.Feedback`
        products: :class:`Products`
        replenishment: :class:`Replenishment`
        recommendations: :class:`Recommendations`
    """

    __slots__ = ("_e", "customers", "consent", "orders", "shipments", "events", "journeys",
                 "outbox", "messages", "policy", "metrics", "models", "products",
                 "replenishment", "recommendations", "coupons", "feedback", "tasks",
                 "__weakref__")

    def __init__(self, path: Union[str, "os.PathLike[str]"] = ":memory:", *,
                 busy_timeout_ms: Optional[int] = None, zoneinfo_dir: Optional[str] = None,
                 default_timezone: Optional[str] = None, default_country: Optional[str] = None,
                 cache_kib: Optional[int] = None, readonly: bool = False,
                 autolink: bool = False, eta_slip_margin: Optional[Duration] = None,
                 replenish_lead: Optional[Duration] = None,
                 replenish_min_samples: Optional[int] = None,
                 replenish_fallback_cycle: Optional[Duration] = None,
                 replenish_grace: Optional[Duration] = None,
                 mmap_mib: Optional[int] = None) -> None:
        def dur(v: Optional[Duration], what: str) -> int:
            return 0 if v is None else to_duration_ms(v, what)

        self._e = _retain.Engine(os.fspath(path), busy_timeout_ms or 0,
                                 text(zoneinfo_dir, "zoneinfo_dir"),
                                 text(default_timezone, "default_timezone"),
                                 text(default_country, "default_country"), cache_kib or 0,
                                 bool(readonly), bool(autolink),
                                 dur(eta_slip_margin, "eta_slip_margin"),
                                 dur(replenish_lead, "replenish_lead"),
                                 replenish_min_samples or 0,
                                 dur(replenish_fallback_cycle, "replenish_fallback_cycle"),
                                 dur(replenish_grace, "replenish_grace"), mmap_mib or 0)
        self.customers = Customers(self._e)
        self.consent = ConsentBook(self._e)
        self.orders = Orders(self._e)
        self.shipments = Shipments(self._e)
        self.events = Events(self._e)
        self.journeys = Journeys(self._e)
        self.outbox = Outbox(self._e)
        self.messages = Messages(self._e)
        self.policy = Policy(self._e)
        self.metrics = Metrics(self._e)
        self.models = EngineModels(self._e)
        self.coupons = Coupons(self._e)
        self.feedback = Feedback(self._e)
        self.products = Products(self._e)
        self.replenishment = Replenishment(self._e)
        self.recommendations = Recommendations(self._e)
        self.tasks = Tasks(self._e)

    @property
    def path(self) -> str:
        """The path the engine was opened with."""
        return self._e.path  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._e.closed  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the engine; open iterators end. Closing twice is harmless. A transaction
        left open is rolled back."""
        self._e.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        e = getattr(self, "_e", None)
        if e is None:
            return "<retain.Engine (not opened)>"
        return f"<retain.Engine {e.path!r} {'closed' if e.closed else 'open'}>"

    def backup(self, dest: "str | os.PathLike[str]") -> None:
        """Write a consistent copy of the database to the new file ``dest``.

        Other connections keep working meanwhile; an existing file is never
        overwritten (:class:`retain.Conflict`), and nothing is left
        behind on failure. Not allowed inside a transaction.
        """
        self._e.backup(os.fspath(dest))

    def report(self, now: Time, path: "Optional[Union[str, os.PathLike[str]]]" = None, *,
               currency: str = "USD", title: Optional[str] = None, holdout_days: int = 0,
               unit: Union[str, int] = "week", period: Union[str, int] = "month",
               conversion_window: Optional[Duration] = None) -> Optional[str]:
        """The HTML report as of ``now`` (docs/report.md): one self-contained page of
        cohorts, repeat rate and revenue, LTV, the BG/NBD holdout check, P(alive), RFM
        segments and journey funnels.

        Returns the page as a ``str``, or writes it to ``path`` (replacing the file
        atomically) and returns None. ``holdout_days`` 0 holds out half the history;
        ``unit`` ("week" or "day") is the unit of the model fits; ``period`` ("week",
        "month", "quarter" ...) that of the cohorts and time series;
        ``conversion_window`` (default: each journey's own goal window) bounds journey
        conversion. The GIL is released while the page is built."""
        from ._metrics import _period
        from .models import Unit
        args = (to_ms(now, "now"), text(currency, "currency"), text(title, "title"),
                int(holdout_days), int(Unit.parse(unit)), _period(period),  # type: ignore[arg-type]
                0 if conversion_window is None
                else to_duration_ms(conversion_window, "conversion_window"))
        if path is None:
            return require(self._e, "report_html", "report")(*args)  # type: ignore[no-any-return]
        require(self._e, "report_write", "report")(os.fspath(path), *args)
        return None

    def counts(self) -> Counts:
        """How many customers, orders, order lines, shipments and events the database holds."""
        return Counts(*self._e.counts())

    def begin(self) -> None:
        """Start a transaction (prefer ``with engine.transaction():``)."""
        self._e.begin()

    def commit(self) -> None:
        """Commit the transaction begun with :meth:`begin`."""
        self._e.commit()

    def rollback(self) -> None:
        """Roll back the transaction begun with :meth:`begin`."""
        self._e.rollback()

    def tick(self, now: Time) -> TickStats:
        """Advance every journey instance due at ``now`` (deterministically, in bounded
        transactions), then deliver due messages through the registered transports.
        Running it again with the same ``now`` does nothing new. The GIL is released
        except while a Python transport runs; a ``KeyboardInterrupt`` or ``SystemExit``
        raised by a transport is raised here once libretain has stopped."""
        require(self._e, "tick", "journeys")
        return _journeys.tick(self._e, now)

    def audit(self, now: Time, *, journeys: Optional[Sequence[str]] = None,
              origins: Optional[Sequence[Optional[str]]] = None) -> Dict[str, Any]:
        """The post-purchase self-audit of this store as of ``now``: a dict with ``score``
        (1 to 10), ``passed_weight``, ``total_weight``, ``now`` and ``items``, one dict per
        practice with ``key``, ``title``, ``passed``, ``weight``, ``detail`` (what was
        found) and ``advice`` (how to add it; "" when passed). See docs/audit.md.

        With ``journeys`` (journey YAML texts), they are audited as if installed: each
        replaces an installed journey of the same name; nothing is written. ``origins``
        names them in errors. A text that does not parse raises
        :class:`retain.ParseError` with its diagnostics."""
        fn = require(self._e, "audit", "audit")
        texts = None
        if journeys is not None:
            if isinstance(journeys, str):
                raise TypeError("journeys must be a sequence of YAML texts, not one str")
            texts = tuple(text(j, "journeys") for j in journeys)
        names = None
        if origins is not None:
            names = tuple(origins)
            if texts is None or len(names) != len(texts):
                raise InvalidArgument("origins must name each of the journeys texts")
        result = json.loads(fn(to_ms(now, "now"), texts, names))
        return result  # type: ignore[no-any-return]

    def register_transport(self, channel: str, send: Transport, *,
                           max_attempts: Optional[int] = None,
                           backoff_base: Optional[Duration] = None,
                           backoff_cap: Optional[Duration] = None,
                           lease: Optional[Duration] = None,
                           batch: Optional[int] = None) -> None:
        """Deliver ``channel``'s messages ("email", "sms" ...) by calling ``send(message)``
        with a :class:`retain.Message`; it returns :class:`retain.Sent`,
        :class:`retain.Retry`, :class:`retain.Failed` or True.

        A transport registered before for the channel is replaced. ``max_attempts``
        (default 5), ``backoff_base`` (60 s) and ``backoff_cap`` (6 h) shape retries;
        ``lease`` (10 min) is how long a message handed over stays invisible to other
        processes; ``batch`` (64) messages are claimed and recorded together. The
        engine keeps ``send`` until the transport is unregistered or the engine
        closes. ``send`` must not use this engine (that raises :class:`retain.Misuse`);
        an Exception it raises becomes a retry whose reason holds the traceback."""
        require(self._e, "transport_register", "delivery")
        _delivery.register(self._e, channel, send, max_attempts=max_attempts,
                           backoff_base=backoff_base, backoff_cap=backoff_cap, lease=lease,
                           batch=batch)

    def unregister_transport(self, channel: str) -> None:
        """Remove the channel's transport (its messages stay queued);
        :class:`retain.NotFound` when none is registered."""
        require(self._e, "transport_unregister", "delivery")
        self._e.transport_unregister(channel)

    def compile_rule(self, source: str, *, condition: bool = False,
                     vars: Optional[Mapping[str, Any]] = None, line: int = 1,
                     column: int = 1) -> "Rule":
        """Compile a rule of the rule language; see :func:`retain.rules.compile`.
        Raises :class:`retain.ParseError` (with line and column) for bad source."""
        from . import rules
        return rules.compile(self, source, condition=condition, vars=vars, line=line,
                             column=column)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Engine"]:
        """``with engine.transaction():`` groups calls in one transaction: committed when
        the block ends, rolled back when it raises. A call that fails inside undoes
        only its own changes; nesting raises :class:`retain.Misuse`."""
        self._e.begin()
        try:
            yield self
        except BaseException:
            if not self._e.closed:
                self._e.rollback()
            raise
        try:
            self._e.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                self._e.rollback()
            raise
