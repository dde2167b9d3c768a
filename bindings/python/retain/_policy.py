"""The delivery policy (retain/policy.h): quiet hours, frequency caps, marketplace profiles.

The configuration lives in the database: every engine on it shares it.
"""
from __future__ import annotations

import os
from datetime import time, timedelta
from typing import Any, NamedTuple, Optional, Union

from ._convert import Duration, Time, text, to_duration_ms, to_ms
from ._errors import NotFound

__all__ = ["Policy", "QuietHours", "QuietHoursBook", "Cap", "Caps", "Profiles"]

#: A time of day: ``datetime.time``, "HH:MM", or int minutes after midnight.
TimeOfDay = Union[time, str, int]


def _minutes(value: TimeOfDay, what: str) -> int:
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    if isinstance(value, str):
        try:
            h, m = value.split(":")
            return int(h) * 60 + int(m)
        except ValueError:
            raise ValueError(f"{what} must be 'HH:MM', not {value!r}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{what} must be a datetime.time, 'HH:MM' or int minutes")


class QuietHours(NamedTuple):
    """A channel's quiet hours in the customer's local time; ``end`` may be earlier than
    ``start`` (the window wraps midnight: 21:00 to 08:00)."""

    start: time
    end: time


class QuietHoursBook:
    """``engine.policy.quiet_hours``: no message of a channel goes out in its window."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def set(self, channel: str, start: TimeOfDay, end: TimeOfDay) -> None:
        """Quiet hours for ``channel`` from ``start`` to ``end`` local time (a
        ``datetime.time``, "21:00", or minutes after midnight). Equal times remove them."""
        self._e.quiet_hours_set(channel, _minutes(start, "start"), _minutes(end, "end"))

    def get(self, channel: str) -> Optional[QuietHours]:
        """The channel's quiet hours, or None when it has none."""
        s, e = self._e.quiet_hours_get(channel)
        if s < 0 or e < 0:
            return None
        return QuietHours(time(s // 60, s % 60), time(e // 60, e % 60))

    def remove(self, channel: str) -> None:
        """Remove the channel's quiet hours."""
        self._e.quiet_hours_set(channel, 0, 0)


class Cap(NamedTuple):
    """At most ``max_messages`` within any ``window``."""

    max_messages: int
    window: timedelta


class Caps:
    """``engine.policy.caps``: frequency caps per channel and category ("all": every
    non-transactional category together). Transactional messages are never capped."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def set(self, channel: str, category: str, max_messages: int, window: Duration) -> None:
        """At most ``max_messages`` of ``category`` on ``channel`` to one customer within
        any ``window`` (a timedelta or ms); replaces the cap set before."""
        self._e.cap_set(channel, category, max_messages, to_duration_ms(window, "window"))

    def get(self, channel: str, category: str) -> Optional[Cap]:
        """The cap, or None when there is none."""
        try:
            n, ms = self._e.cap_get(channel, category)
        except NotFound:
            return None
        return Cap(n, timedelta(milliseconds=ms))

    def remove(self, channel: str, category: str) -> None:
        """Remove a cap; :class:`retain.NotFound` when there is none."""
        self._e.cap_remove(channel, category)


class Profiles:
    """``engine.policy.profiles``: marketplace profiles in YAML (docs/delivery.md)."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def load(self, yaml_text: str, origin: Optional[str] = None, *, now: Time) -> None:
        """Store one profile; it replaces the built-in or loaded profile of that name.
        Errors raise :class:`retain.ParseError` with line, column and message."""
        if not isinstance(yaml_text, str):
            raise TypeError(f"yaml_text must be a str, not {type(yaml_text).__name__}")
        self._e.profile_load(yaml_text, text(origin, "origin"), to_ms(now, "now"))

    def load_file(self, path: Union[str, "os.PathLike[str]"], *, now: Time) -> None:
        """Read a YAML file and :meth:`load` it with its name as origin."""
        self._e.profile_load_file(os.fspath(path), to_ms(now, "now"))

    def remove(self, name: str) -> None:
        """Remove a loaded profile (a built-in one of that name applies again);
        :class:`retain.NotFound` when none was loaded."""
        self._e.profile_remove(name)

    def of(self, sales_channel: str) -> str:
        """The name of the profile that governs orders from ``sales_channel``."""
        return self._e.profile_of(sales_channel)  # type: ignore[no-any-return]


class Policy:
    """``engine.policy``: ``quiet_hours``, ``caps`` and ``profiles``."""

    __slots__ = ("quiet_hours", "caps", "profiles")

    def __init__(self, e: Any) -> None:
        self.quiet_hours = QuietHoursBook(e)
        self.caps = Caps(e)
        self.profiles = Profiles(e)
