"""Delivery (retain/transport.h): Python transports, host messages, receipts, the outbox.

A transport is any callable ``send(message) -> Sent | Retry | Failed | True``.
libretain calls it during :meth:`Engine.tick` (or :meth:`Outbox.deliver`) with
no transaction open; it must not use the same engine (that raises
:class:`retain.Misuse`). An ``Exception`` it raises is recorded as a retry
whose reason holds the exception and the innermost frames of its traceback;
``KeyboardInterrupt`` and ``SystemExit`` stop the run and are raised again
from ``tick()`` once libretain is done (the message is retried by the next run).
"""
from __future__ import annotations

import enum
import json
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import (Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Tuple,
                    Union)

from . import _retain
from ._convert import (Duration, Time, from_json, from_ms, opt_from_ms, opt_ms, parse_enum, text,
                       to_duration_ms, to_json, to_ms)
from ._errors import NotFound

__all__ = [
    "Message", "Sent", "Retry", "Failed", "SendResult", "Transport", "DeliveryStats",
    "OutboxState", "OutboxEntry", "Receipt", "Decision", "QueueResult", "Outbox", "Messages",
]


@dataclass(frozen=True)
class Message:
    """A message handed to a transport. Pass ``idempotency_key`` to the provider (an
    Idempotency-Key header ...) so that a message handed over twice after a crash is
    sent once; ``id`` is what :meth:`Messages.report` takes."""

    id: int  #: outbox id
    idempotency_key: str  #: 64 hex digits, the same for every attempt
    customer_id: str
    channel: str
    category: str  #: "transactional", "marketing", "feedback" ...
    template_id: Optional[str]
    locale: Optional[str]  #: the customer's BCP 47 locale
    recipient: str  #: e-mail address, E.164 number, or the customer id
    payload: Dict[str, Any]  #: what the template needs (customer, order, lines ...)
    payload_json: str  #: the same as JSON text, to forward untouched
    attempt: int  #: 1 on the first call
    max_attempts: int  #: the message dies after this attempt
    now: datetime  #: the ``now`` the delivery run was given
    due_at: datetime
    journey: Optional[str]  #: None for messages queued by the host
    journey_version: int
    step: Optional[str]
    host_id: Optional[str]  #: the host's id (:meth:`Messages.queue`)
    order_id: Optional[str]
    fallback_of: Optional[int]  #: outbox id of the message this one replaces

    @classmethod
    def _from_row(cls, r: tuple) -> "Message":
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], from_json(r[8]), r[8] or "{}",
                   r[9], r[10], from_ms(r[11]), from_ms(r[12]), r[13], r[14], r[15], r[16],
                   r[17], r[18] or None)


@dataclass(frozen=True)
class Sent:
    """A transport's answer: the provider accepted the message."""

    provider_id: Optional[str] = None  #: the provider's message id (for receipts)


@dataclass(frozen=True)
class Retry:
    """A transport's answer: try again later, after ``after`` (a timedelta or ms), or on
    the library's exponential backoff when None."""

    after: Optional[Duration] = None
    reason: Optional[str] = None  #: an optional note for the history


@dataclass(frozen=True)
class Failed:
    """A transport's answer: the message can never be sent ("bounced",
    "invalid_address", "blocked" ...); it dies at once."""

    reason: str = "failed"


#: What a transport returns (``True`` is the same as ``Sent()``).
SendResult = Union[Sent, Retry, Failed, bool]
#: A transport: a callable taking a :class:`Message`.
Transport = Callable[[Message], SendResult]

_REASON_BYTES = 127


def _describe(exc: BaseException) -> str:
    """An exception with its innermost frames first, as they fit in a reason."""
    parts = [f"{type(exc).__name__}: {exc}"]
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    for f in reversed(frames):
        parts.append(f"at {f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})")
    out = " | ".join(parts)
    raw = out.encode("utf-8")
    if len(raw) > _REASON_BYTES:
        out = raw[:_REASON_BYTES].decode("utf-8", "ignore")
    return out


def _outcome(result: Any) -> Tuple[int, Optional[str], int, Optional[str]]:
    if isinstance(result, Sent) or result is True:
        return (_retain.SEND_SENT, getattr(result, "provider_id", None), 0, None)
    if isinstance(result, Retry):
        after = 0 if result.after is None else to_duration_ms(result.after, "Retry.after")
        return (_retain.SEND_RETRY, None, after, result.reason)
    if isinstance(result, Failed):
        return (_retain.SEND_FAILED, None, 0, result.reason)
    raise TypeError(f"a transport must return retain.Sent, Retry, Failed or True, "
                    f"not {type(result).__name__}")


def wrap_transport(send: Transport) -> Callable[[tuple], tuple]:
    """The callable the extension calls: message tuple in, outcome tuple out."""
    if not callable(send):
        raise TypeError(f"a transport must be callable, not {type(send).__name__}")

    def call(row: tuple) -> tuple:
        try:
            return _outcome(send(Message._from_row(row)))
        except Exception as exc:  # BaseException (KeyboardInterrupt ...) stops the run
            return (_retain.SEND_RETRY, None, 0, _describe(exc))

    return call


class DeliveryStats(NamedTuple):
    """What one delivery run (:meth:`Outbox.deliver`) did."""

    sent: int
    retried: int
    failed: int
    skipped: int  #: stopped by the policy gate just before sending
    deferred: int  #: held by quiet hours, caps or a marketplace window


class OutboxState(enum.IntFlag):
    """States of an outbox message; combine them to filter :meth:`Outbox.list`."""

    QUEUED = 1  #: waiting for ``not_before`` (maybe held by policy, or retrying)
    SENDING = 2  #: handed to a transport; result not yet recorded
    SENT = 4
    DEAD = 8  #: failed permanently or ran out of attempts
    SKIPPED = 16  #: stopped by the policy gate before sending
    CANCELLED = 32
    PENDING = 3  #: QUEUED | SENDING

    @classmethod
    def parse(cls, value: Union["OutboxState", int, str]) -> "OutboxState":
        """An OutboxState from itself, an int, or a name ("dead", case-insensitive)."""
        if isinstance(value, str):
            return parse_enum(cls, value, "state")
        return cls(value)


@dataclass(frozen=True)
class OutboxEntry:
    """An outbox message as stored."""

    id: int
    idempotency_key: str
    customer_id: str
    channel: str
    category: str
    template_id: Optional[str]
    journey: Optional[str]
    journey_version: int
    step: Optional[str]
    host_id: Optional[str]
    order_id: Optional[str]
    recipient: Optional[str]  #: as of the last attempt
    state: OutboxState
    attempts: int  #: transport calls so far
    created_at: datetime
    due_at: datetime
    not_before: datetime  #: next attempt (queued), lease end (sending)
    updated_at: datetime
    sent_at: Optional[datetime]
    expires_at: Optional[datetime]  #: due_at + max_age
    provider_id: Optional[str]
    last_reason: Optional[str]  #: why it is held, retried, skipped or dead
    delivery: Optional[str]  #: latest receipt ("delivered", "opened" ...)
    payload: Dict[str, Any]
    fallback_of: Optional[int]

    @classmethod
    def _from_row(cls, r: tuple) -> "OutboxEntry":
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                   OutboxState(r[12]), r[13], from_ms(r[14]), from_ms(r[15]), from_ms(r[16]),
                   from_ms(r[17]), opt_from_ms(r[18]), opt_from_ms(r[19]), r[20], r[21], r[22],
                   from_json(r[23]), r[24] or None)


class Receipt(enum.IntEnum):
    """What a provider reported about a sent message (``retain_receipt``)."""

    DELIVERED = 1
    OPENED = 2
    CLICKED = 3
    BOUNCED = 4
    COMPLAINED = 5  #: marked as spam: revokes consent
    UNSUBSCRIBED = 6  #: e.g. an RFC 8058 one-click POST: revokes consent

    @classmethod
    def parse(cls, value: Union["Receipt", int, str]) -> "Receipt":
        """A Receipt from itself, its int value, or its name ("opened")."""
        return parse_enum(cls, value, "receipt")


class Decision(enum.IntEnum):
    """The policy gate's decision about a queued message."""

    QUEUED = 0  #: in the outbox, due at ``not_before``
    DEFERRED = 1  #: in the outbox, held by policy until ``not_before``
    SKIPPED = 2  #: not queued; ``reason`` says why


class QueueResult(NamedTuple):
    """What :meth:`Messages.queue` did."""

    decision: Decision
    message_id: Optional[int]  #: outbox id; None when skipped
    not_before: Optional[datetime]  #: earliest send time (queued, deferred)
    reason: Optional[str]  #: "quiet hours for sms until 08:00 America/New_York" ...


def _state_bits(state: Any) -> int:
    if state is None:
        return 0
    if isinstance(state, (str, int)):
        return int(OutboxState.parse(state))
    bits = 0
    for s in state:
        bits |= int(OutboxState.parse(s))
    return bits


class Outbox:
    """``engine.outbox``: messages waiting, sent, dead ...; their history; retry and cancel."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def list(self, *, state: Any = None, customer: Optional[str] = None,
             since: Optional[Time] = None, limit: int = 0) -> Iterator[OutboxEntry]:
        """Iterate outbox messages. ``state``: an :class:`OutboxState` (flags combine),
        a name ("dead"), or a list of them; ``customer``: one customer's; ``since``:
        updated at or after; ``limit``: at most this many (0: all). Pending-only
        queries list the next due first; the others the most recently updated first."""
        from ._engine import RowIterator
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError("limit must be an int >= 0")
        it = self._e.outbox(_state_bits(state), text(customer, "customer"),
                            opt_ms(since, "since"), limit)
        return RowIterator(it, OutboxEntry._from_row)

    def __iter__(self) -> Iterator[OutboxEntry]:
        return self.list()

    def get(self, message_id: int) -> OutboxEntry:
        """One message; :class:`retain.NotFound` when there is none."""
        return OutboxEntry._from_row(self._e.outbox_get(message_id))

    def history(self, message_id: int) -> List[Dict[str, Any]]:
        """The message's timeline, oldest first: queued, policy decisions, every attempt
        with its outcome and reason, receipts (dicts as in docs/delivery.md; times are
        ms since 1970 UTC)."""
        value = json.loads(self._e.outbox_history(message_id))
        return value if isinstance(value, list) else [value]

    def retry(self, message_id: int, *, now: Time) -> None:
        """Make a queued, dead, skipped or cancelled message due at ``now`` with a fresh
        budget of attempts (the policy gate still runs). A sent message raises
        :class:`retain.Conflict`."""
        self._e.outbox_retry(message_id, to_ms(now, "now"))

    def cancel(self, message_id: int, *, now: Time) -> None:
        """Cancel a queued message; a sent or dead one raises :class:`retain.Conflict`."""
        self._e.outbox_cancel(message_id, to_ms(now, "now"))

    def deliver(self, now: Time) -> DeliveryStats:
        """Hand every message due at ``now`` to its channel's transport and record the
        results (:meth:`Engine.tick` does this after advancing journeys). The GIL is
        released except while a Python transport runs."""
        return DeliveryStats(*self._e.outbox_deliver(to_ms(now, "now")))


_ON_POLICY = {"defer": 0, "skip": 1}


def _on_policy(value: str, what: str) -> int:
    try:
        return _ON_POLICY[value]
    except (KeyError, TypeError):
        raise ValueError(f"{what} must be 'defer' or 'skip', not {value!r}") from None


class Messages:
    """``engine.messages``: messages the host queues itself, receipts, lookups."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def queue(self, host_id: str, *, customer_id: str, channel: str, category: str,
              now: Time, template_id: Optional[str] = None, order_id: Optional[str] = None,
              shipment_id: Optional[str] = None, fallback_channel: Optional[str] = None,
              due_at: Optional[Time] = None, max_age: Optional[Duration] = None,
              on_quiet: str = "defer", on_cap: str = "defer",
              extra: Union[None, str, Mapping[str, Any]] = None) -> QueueResult:
        """Put a message through the policy gate and into the outbox.

        ``host_id`` is your id for it: queuing the same id again returns the message
        already queued. ``due_at`` defaults to ``now``; ``max_age`` skips the message
        when it cannot go out by ``due_at + max_age``; ``on_quiet`` / ``on_cap``
        ("defer" or "skip") say what quiet hours and caps do; ``extra`` (a dict) is
        merged into the payload. A skip is not an error: see ``decision``."""
        d, mid, not_before, reason = self._e.message_queue(
            host_id, customer_id, channel, category, text(template_id, "template_id"),
            text(order_id, "order_id"), text(shipment_id, "shipment_id"),
            text(fallback_channel, "fallback_channel"), opt_ms(due_at, "due_at"),
            0 if max_age is None else to_duration_ms(max_age, "max_age"),
            _on_policy(on_quiet, "on_quiet"), _on_policy(on_cap, "on_cap"),
            to_json(extra, "extra"), to_ms(now, "now"))
        decision = Decision(d)
        skipped = decision is Decision.SKIPPED
        return QueueResult(decision, None if skipped else mid,
                           None if skipped else from_ms(not_before), reason or None)

    def report(self, message_id: int, status: Union[Receipt, int, str], *, at: Time) -> None:
        """Record a provider's receipt ("delivered", "opened", "clicked", "bounced",
        "complained", "unsubscribed") for a message handed to a transport. It becomes
        the customer's event ``message.<status>``; a complaint or an unsubscribe
        also revokes consent for the message's channel and category."""
        self._e.message_report(message_id, int(Receipt.parse(status)), to_ms(at, "at"))

    def find(self, idempotency_key: str) -> Optional[int]:
        """The outbox id of the message with this idempotency key, or None."""
        try:
            return self._e.message_find(idempotency_key)  # type: ignore[no-any-return]
        except NotFound:
            return None

    def find_by_provider(self, channel: str, provider_id: str) -> Optional[int]:
        """The outbox id of the message the channel's provider knows as ``provider_id``,
        or None."""
        try:
            return self._e.message_find_provider(channel, provider_id)  # type: ignore
        except NotFound:
            return None


def register(e: Any, channel: str, send: Transport, *, max_attempts: Optional[int],
             backoff_base: Optional[Duration], backoff_cap: Optional[Duration],
             lease: Optional[Duration], batch: Optional[int]) -> None:
    """Engine.register_transport."""
    def ms(v: Optional[Duration], what: str) -> int:
        return 0 if v is None else to_duration_ms(v, what)

    e.transport_register(channel, wrap_transport(send), max_attempts or 0,
                         ms(backoff_base, "backoff_base"), ms(backoff_cap, "backoff_cap"),
                         ms(lease, "lease"), batch or 0)

