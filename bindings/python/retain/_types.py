"""The records the engine returns (frozen dataclasses) and the Consent enum."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, NamedTuple, Optional, Tuple, Union

from ._convert import Money, from_json, from_minor, from_ms, opt_from_ms, parse_enum, to_ms

__all__ = [
    "Consent", "ConsentStatus", "Customer", "OrderLine", "StatusChange", "Order",
    "ShipmentEvent", "Shipment", "Event", "Counts", "ImportStats",
]


def _ms(name: str) -> property:
    """A read-only ``<name>_ms`` property: the datetime member in int milliseconds (or None)."""

    def get(self: Any) -> Optional[int]:
        value = getattr(self, name)
        return None if value is None else to_ms(value)

    return property(get, doc=f"``{name}`` in milliseconds since 1970 UTC (None when absent).")


class Consent(enum.IntEnum):
    """Consent for one channel and category (``retain_consent_state``)."""

    UNKNOWN = 0  #: never given nor revoked
    GRANTED = 1
    REVOKED = 2

    @classmethod
    def parse(cls, value: Union["Consent", int, str]) -> "Consent":
        """A Consent from itself, its int value, or its name ("granted", case-insensitive)."""
        return parse_enum(cls, value, "consent")


class ConsentStatus(NamedTuple):
    """Current consent of a customer for a channel and category, and since when."""

    state: Consent
    at: Optional[datetime]  #: when it was given or revoked; None when UNKNOWN

    @property
    def granted(self) -> bool:
        """True when the state is GRANTED."""
        return self.state is Consent.GRANTED


@dataclass(frozen=True)
class Customer:
    """A customer as stored, with the statistics the library keeps."""

    id: str
    email: Optional[str]
    phone: Optional[str]
    name: Optional[str]
    timezone: Optional[str]
    locale: Optional[str]
    attrs: Dict[str, Any]
    created_at: datetime
    updated_at: datetime
    orders_count: int  #: orders not cancelled or refunded
    first_order_at: Optional[datetime]
    last_order_at: Optional[datetime]
    revenue: Dict[str, Decimal]  #: revenue to date by currency, in major units
    revenue_minor: Dict[str, int]  #: the same in integer minor units
    p_alive: Optional[float]  #: from the model refresh; None until then

    created_at_ms = _ms("created_at")
    updated_at_ms = _ms("updated_at")
    first_order_at_ms = _ms("first_order_at")
    last_order_at_ms = _ms("last_order_at")

    @classmethod
    def _from_row(cls, r: tuple) -> "Customer":
        rev = {cur: from_minor(amount, cur) for cur, amount in r[12]}
        p_alive = r[13]
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], from_json(r[6]), from_ms(r[7]),
                   from_ms(r[8]), r[9], opt_from_ms(r[10]), opt_from_ms(r[11]), rev,
                   dict(r[12]), None if p_alive != p_alive else p_alive)


@dataclass(frozen=True)
class OrderLine:
    """One line of an order. ``unit_price`` is a Decimal in the order's currency (read back
    always as Decimal) or int minor units."""

    sku: str
    quantity: int = 1
    unit_price: Money = 0
    title: Optional[str] = None


class StatusChange(NamedTuple):
    """One entry of an order's status history."""

    status: str
    at: datetime


@dataclass(frozen=True)
class Order:
    """An order with its lines and status history, oldest first."""

    id: str
    customer_id: str
    channel: str
    placed_at: datetime
    currency: str
    total: Decimal  #: amount paid, in major units
    total_minor: int  #: the same in integer minor units
    coupon: Optional[str]
    status: str
    status_at: datetime
    lines: Tuple[OrderLine, ...] = ()
    attrs: Dict[str, Any] = field(default_factory=dict)
    history: Tuple[StatusChange, ...] = ()

    placed_at_ms = _ms("placed_at")
    status_at_ms = _ms("status_at")

    @classmethod
    def _from_row(cls, r: tuple) -> "Order":
        cur = r[4]
        lines = tuple(OrderLine(sku, qty, from_minor(price, cur), title)
                      for sku, title, qty, price in r[9])
        history = tuple(StatusChange(s, from_ms(at)) for s, at in r[11])
        return cls(r[0], r[1], r[2], from_ms(r[3]), cur, from_minor(r[5], cur), r[5], r[6],
                   r[7], from_ms(r[8]), lines, from_json(r[10]), history)


class ShipmentEvent(NamedTuple):
    """One carrier event of a shipment."""

    status: str
    at: datetime
    eta: Optional[datetime]
    detail: Optional[str]


@dataclass(frozen=True)
class Shipment:
    """A shipment with its carrier events, oldest first."""

    id: str
    order_id: str
    carrier: Optional[str]
    tracking: Optional[str]
    tracking_url: Optional[str]
    promised_at: Optional[datetime]
    created_at: datetime  #: when the shipment was recorded (label)
    status: str
    status_at: datetime
    eta: Optional[datetime]  #: latest ETA the carrier gave
    delivered_at: Optional[datetime]
    exception: Optional[str]  #: last exception reason
    history: Tuple[ShipmentEvent, ...] = ()

    promised_at_ms = _ms("promised_at")
    status_at_ms = _ms("status_at")
    delivered_at_ms = _ms("delivered_at")

    @classmethod
    def _from_row(cls, r: tuple) -> "Shipment":
        history = tuple(ShipmentEvent(s, from_ms(at), opt_from_ms(eta), detail)
                        for s, at, eta, detail in r[12])
        return cls(r[0], r[1], r[2], r[3], r[4], opt_from_ms(r[5]), from_ms(r[6]), r[7],
                   from_ms(r[8]), opt_from_ms(r[9]), opt_from_ms(r[10]), r[11], history)


@dataclass(frozen=True)
class Event:
    """Something that happened to a customer: recorded by the store or tracked by the host."""

    seq: int  #: store-wide order of recording
    customer_id: str
    name: str
    at: datetime
    props: Dict[str, Any]
    host_event_id: Optional[str]
    order_id: Optional[str]  #: the order it concerns, if any

    at_ms = _ms("at")

    @classmethod
    def _from_row(cls, r: tuple) -> "Event":
        return cls(r[0], r[1], r[2], from_ms(r[3]), from_json(r[4]), r[5], r[6])


class Counts(NamedTuple):
    """How many objects the database holds."""

    customers: int
    orders: int
    order_lines: int
    shipments: int
    events: int


class ImportStats(NamedTuple):
    """What :meth:`Orders.record_many` did."""

    orders: int  #: orders recorded
    customers: int  #: customers created (or touched, if they existed)
