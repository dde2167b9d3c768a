"""Journeys (retain/journey.h): loading YAML, the tick, a customer's next touchpoint."""
from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, NamedTuple, Optional, Union

from ._convert import Time, opt_from_ms, text, to_ms

__all__ = ["Journeys", "TickStats", "Outlook", "Touchpoint"]


class TickStats(NamedTuple):
    """What one :meth:`Engine.tick` did."""

    steps: int  #: journey steps executed
    instances: int  #: instances advanced
    completed: int  #: instances that finished
    queued: int  #: messages put in the outbox
    sent: int  #: messages the transports accepted
    retried: int  #: sends to try again later
    failed: int  #: messages that died
    deferred: int  #: messages held by quiet hours or caps
    skipped: int  #: messages not sent (consent, staleness, policy)


class Outlook(enum.IntEnum):
    """What policy will do with a customer's next touchpoint (``retain_outlook``)."""

    NONE = 0  #: nothing is planned
    SEND = 1  #: it will go out at ``due_at``
    DEFER = 2  #: policy holds it until ``send_at``
    SUPPRESS = 3  #: policy will not let it out; see ``reason``


def _s(value: Optional[str]) -> Optional[str]:
    return value or None


@dataclass(frozen=True)
class Touchpoint:
    """The next message a customer will get if nothing else happens
    (:meth:`Customers.next`). Members are None when ``outlook`` is NONE."""

    outlook: Outlook
    journey: Optional[str]
    version: int
    step: Optional[str]
    channel: Optional[str]
    category: Optional[str]
    template_id: Optional[str]
    due_at: Optional[datetime]  #: when the journey reaches the step
    send_at: Optional[datetime]  #: when policy lets it out (``due_at`` unless deferred)
    reason: Optional[str]  #: why it is deferred or suppressed, or what it waits for

    def __bool__(self) -> bool:
        return self.outlook is not Outlook.NONE

    @classmethod
    def _from_row(cls, r: tuple) -> "Touchpoint":
        none = r[0] == Outlook.NONE
        return cls(Outlook(r[0]), _s(r[1]), r[2], _s(r[3]), _s(r[4]), _s(r[5]), _s(r[6]),
                   None if none else opt_from_ms(r[7]), None if none else opt_from_ms(r[8]),
                   _s(r[9]))


class Journeys:
    """``engine.journeys``: install journeys written in YAML (docs/journeys.md)."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def load(self, yaml_text: str, origin: Optional[str] = None, *, now: Time) -> None:
        """Validate and install the journeys in ``yaml_text``; ``origin`` (a file name)
        names the source in messages.

        Everything is checked before anything changes. A text with errors installs
        nothing and raises :class:`retain.ParseError`: ``line``, ``column`` and
        ``message`` of the first error, every error in ``diagnostics``. The same
        journey name and version with other text raises :class:`retain.Conflict`
        (bump the version); with the same text it does nothing.
        """
        if not isinstance(yaml_text, str):
            raise TypeError(f"yaml_text must be a str, not {type(yaml_text).__name__}")
        self._e.journeys_load(yaml_text, text(origin, "origin"), to_ms(now, "now"))

    def load_file(self, path: Union[str, "os.PathLike[str]"], *, now: Time) -> None:
        """Read a YAML file and :meth:`load` it with its name as origin."""
        self._e.journeys_load_file(os.fspath(path), to_ms(now, "now"))


def tick(e: Any, now: Time) -> TickStats:
    """Engine.tick: advance journeys due at ``now`` and deliver due messages."""
    return TickStats(*e.tick(to_ms(now, "now")))


def next_touchpoint(e: Any, customer_id: str, now: Time) -> Touchpoint:
    """Customers.next."""
    return Touchpoint._from_row(e.customer_next(customer_id, to_ms(now, "now")))


def explain(e: Any, customer_id: str, now: Time) -> Dict[str, Any]:
    """Customers.explain."""
    value = json.loads(e.customer_explain(customer_id, to_ms(now, "now")))
    return value if isinstance(value, dict) else {"instances": value}
