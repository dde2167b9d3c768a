"""Coupons (retain/coupon.h) and feedback (retain/feedback.h).

``engine.coupons`` defines campaigns, issues codes and checks them at checkout;
``engine.feedback`` records answers and computes NPS and average scores.
Money is a ``Decimal`` in major units or an int in minor units, as for orders.
"""
from __future__ import annotations

import enum
import json
import os
from datetime import datetime
from typing import Any, Iterable, NamedTuple, Optional, Union

from ._convert import (Duration, Money, Time, opt_from_ms, opt_ms, parse_enum, text,
                       to_duration_ms, to_minor, to_ms)
from ._metrics import MetricsResult, Period, _period

__all__ = ["Coupons", "CouponCheck", "CouponReason", "Feedback", "FeedbackBy", "Scale"]


class CouponReason(str, enum.Enum):
    """Why a code works or not (``retain_coupon_reason``)."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    CUSTOMER_LIMIT = "customer_limit"
    MINIMUM_NOT_MET = "minimum_not_met"
    WRONG_CHANNEL = "wrong_channel"
    REVOKED = "revoked"
    WRONG_CUSTOMER = "wrong_customer"
    WRONG_CURRENCY = "wrong_currency"


class CouponCheck(NamedTuple):
    """The answer of :meth:`Coupons.validate` and :meth:`Coupons.redeem`."""

    reason: CouponReason
    message: str                #: a sentence for the shopper or the log
    campaign: Optional[str]     #: None for an unknown code
    discount: int               #: what the code takes off the total, minor units (0 if refused)
    currency: Optional[str]     #: of ``discount``; None when no total was given
    expires_at: Optional[datetime]
    uses_left: int

    @property
    def valid(self) -> bool:
        """True when the code works."""
        return self.reason is CouponReason.VALID


def _check(t: tuple) -> CouponCheck:
    reason, message, campaign, amount, currency, expires, left = t
    return CouponCheck(CouponReason(reason), message, campaign or None, amount, currency or None,
                       opt_from_ms(expires), left)


def _total(total: Optional[Money], currency: Optional[str]) -> tuple:
    if total is None:
        return None, None
    if not currency:
        raise ValueError("a total needs its currency")
    return to_minor(total, currency, "total"), currency


class Coupons:
    """``engine.coupons``: campaigns and unique codes.

    The engine draws codes from a generator keyed by a secret the host gives with
    :meth:`seed` (libretain never looks for randomness itself): seed each engine
    once, from your secret store, before issuing.
    """

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def seed(self, secret: Union[bytes, str]) -> None:
        """Key the code generator with a secret of 16 to 64 bytes."""
        self._e.coupon_seed(secret.encode() if isinstance(secret, str) else bytes(secret))

    def define(self, name: str, *, now: Time, percent: Optional[int] = None,
               amount: Optional[Money] = None, currency: Optional[str] = None,
               prefix: Optional[str] = None, code_length: int = 0,
               min_order: Optional[Money] = None, expires_at: Optional[Time] = None,
               valid_for: Optional[Duration] = None, uses: int = 1, per_customer: int = 0,
               sales_channels: Optional[Iterable[str]] = None) -> None:
        """Define (or redefine) a campaign: ``percent`` off, or ``amount`` off in
        ``currency``; ``min_order`` in ``currency``; expiry absolute (``expires_at``) and/or
        relative to issue (``valid_for``); ``uses`` per code; ``per_customer`` redemptions
        of the campaign (0: no limit); ``sales_channels`` allowed (None: any)."""
        if (percent is None) == (amount is None):
            raise ValueError("give either percent or amount")
        if (amount is not None or min_order is not None) and not currency:
            raise ValueError("amount and min_order need a currency")
        kind, value = (1, int(percent)) if percent is not None else (2, 0)
        if amount is not None:
            value = to_minor(amount, currency or "", "amount")
        minimum = to_minor(min_order, currency or "", "min_order") if min_order is not None else 0
        channels = tuple(sales_channels) if sales_channels is not None else None
        self._e.coupon_campaign_define(
            name, text(prefix, "prefix"), code_length, kind, value,
            currency if kind == 2 else "", minimum, currency if minimum else "",
            opt_ms(expires_at, "expires_at"),
            to_duration_ms(valid_for, "valid_for") if valid_for is not None else 0,
            uses, per_customer, channels, to_ms(now, "now"))

    def load_campaigns(self, source: Union[str, "os.PathLike[str]"], *, now: Time,
                       origin: Optional[str] = None) -> None:
        """Define the campaigns of a YAML text, or of a file when ``source`` is a path
        (``os.PathLike``) — all or nothing; :class:`retain.ParseError` says where."""
        if isinstance(source, os.PathLike):
            path = os.fspath(source)
            with open(path, encoding="utf-8") as f:
                source, origin = f.read(), origin or path
        self._e.coupon_campaigns_load(source, origin, to_ms(now, "now"))

    def issue(self, campaign: str, *, now: Time, customer_id: Optional[str] = None) -> str:
        """A new unique code of ``campaign``, for ``customer_id`` only (or anyone)."""
        return self._e.coupon_issue(campaign, customer_id, to_ms(now, "now"))  # type: ignore

    def validate(self, code: str, *, now: Time, customer_id: Optional[str] = None,
                 total: Optional[Money] = None, currency: Optional[str] = None,
                 channel: Optional[str] = None) -> CouponCheck:
        """Whether ``code`` works for this customer, order total and sales channel."""
        amount, cur = _total(total, currency)
        return _check(self._e.coupon_validate(code, customer_id, amount, cur, channel,
                                              to_ms(now, "now")))

    def redeem(self, code: str, *, order_id: str, now: Time, customer_id: Optional[str] = None,
               total: Optional[Money] = None, currency: Optional[str] = None,
               channel: Optional[str] = None) -> CouponCheck:
        """Validate and, when valid, record the use for ``order_id`` (once per order)."""
        amount, cur = _total(total, currency)
        return _check(self._e.coupon_redeem(code, customer_id, order_id, amount, cur, channel,
                                            to_ms(now, "now")))

    def revoke(self, code: str, *, now: Time, reason: Optional[str] = None) -> None:
        """Revoke a code from ``now`` on."""
        self._e.coupon_revoke(code, text(reason, "reason"), to_ms(now, "now"))


class Scale(enum.IntEnum):
    """The scale of a feedback score."""

    ZERO_TO_TEN = 0  #: the Net Promoter question; counts for NPS
    ONE_TO_TEN = 1   #: a rating


class FeedbackBy(enum.IntEnum):
    """How feedback metrics are grouped."""

    PERIOD = 1
    PRODUCT = 2
    VARIANT = 3

    @classmethod
    def parse(cls, value: Union["FeedbackBy", int, str]) -> "FeedbackBy":
        """A FeedbackBy from itself, its int value, or its name ("product")."""
        return parse_enum(cls, value, "by")


class Feedback:
    """``engine.feedback``: answers to feedback requests, escalation and NPS."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def record(self, customer_id: str, score: int, *, at: Time, order_id: Optional[str] = None,
               scale: Union[Scale, int] = Scale.ZERO_TO_TEN,
               comment: Optional[str] = None) -> None:
        """Record an answer; emits "feedback.received", and a score at or below the
        escalation threshold creates a task routed to an agent ("task.created"). A score
        outside the scale raises InvalidArgument."""
        self._e.feedback_record(customer_id, order_id, int(score), int(Scale(scale)),
                                text(comment, "comment"), to_ms(at, "at"))

    def configure(self, *, escalate_at: int = 6, task_kind: str = "call",
                  task_note: Optional[str] = None) -> None:
        """Scores at or below ``escalate_at`` (-1: never) create a ``task_kind`` task."""
        self._e.feedback_configure(escalate_at, task_kind, text(task_note, "task_note"))

    def metrics(self, by: Union[FeedbackBy, str] = FeedbackBy.PERIOD, *, as_of: Time,
                period: Union[Period, str] = Period.MONTH,
                since: Optional[Time] = None) -> MetricsResult:
        """NPS and average score of the answers in [since, as_of], by period, product
        (SKU) or journey variant: a dict with ``total`` and ``rows``."""
        return MetricsResult("feedback", json.loads(self._e.feedback_metrics(
            int(FeedbackBy.parse(by)), _period(period), opt_ms(since, "since"),
            to_ms(as_of, "as_of"))))
