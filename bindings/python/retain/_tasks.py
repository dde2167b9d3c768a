"""``engine.tasks``: agents, tasks for people, and their routing (retain/task.h)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from ._convert import Time, require, to_ms

_STATES = {None: 0, "open": 1, "assigned": 2, "done": 3, "cancelled": 4}
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _fn(e: Any, name: str) -> Any:
    return require(e, name, "tasks (retain/task.h)")


class Tasks:
    """Work for people: a call, a chat follow-up, a gift to pack (docs/tasks.md).

    Journeys create tasks with a ``task:`` step; :meth:`create` adds the host's own.
    Each goes to an available agent with the skill, on shift, with the best observed
    conversion for its kind (a small share explores)."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def add_agent(self, id: str, *, skills: str, now: Time, name: Optional[str] = None,
                  timezone: Optional[str] = None, hours: Optional[tuple] = None,
                  days: Optional[List[str]] = None, active: bool = True) -> None:
        """Add or replace agent ``id``. ``skills`` is "call,chat" or "*"; ``hours`` is
        ``("09:00", "17:00")`` in ``timezone`` (default: around the clock); ``days`` like
        ``["mon", "tue"]`` (default: every day)."""
        start = end = 0
        if hours is not None:
            start, end = (int(h[:2]) * 60 + int(h[3:5]) for h in hours)
        mask = 0
        for d in days or []:
            if d not in _DAYS:
                raise ValueError(f"days: {d!r} is not one of {', '.join(_DAYS)}")
            mask |= 1 << _DAYS.index(d)
        _fn(self._e, "agent_upsert")(id, name, skills, timezone, start, end, mask, active,
                                    to_ms(now, "now"))

    def agents(self) -> List[Dict[str, Any]]:
        """Every agent with the tasks they hold and, per kind, completed and converted."""
        return json.loads(_fn(self._e, "agent_list")())  # type: ignore[no-any-return]

    def routing(self, *, explore: float = 0.1, max_open_per_agent: int = 20) -> None:
        """Set the exploration share (0 to 0.5) and the per-agent limit (0: none)."""
        _fn(self._e, "task_routing_set")(float(explore), int(max_open_per_agent))

    def create(self, customer_id: str, kind: str, now: Time, *, note: Optional[str] = None,
               order_id: Optional[str] = None) -> int:
        """A task for ``customer_id``, routed at once when an agent is available; its id."""
        return _fn(self._e, "task_create")(customer_id, kind, note, order_id,  # type: ignore
                                           to_ms(now, "now"))

    def route(self, now: Time) -> int:
        """Give waiting tasks to available agents; how many were assigned."""
        return _fn(self._e, "task_route")(to_ms(now, "now"))  # type: ignore[no-any-return]

    def claim(self, task_id: int, agent_id: str, now: Time) -> None:
        """Agent ``agent_id`` takes task ``task_id``."""
        _fn(self._e, "task_claim")(task_id, agent_id, to_ms(now, "now"))

    def complete(self, task_id: int, outcome: str, now: Time, *, converted: bool) -> None:
        """Close an assigned task with what happened and whether it converted."""
        _fn(self._e, "task_complete")(task_id, outcome, bool(converted), to_ms(now, "now"))

    def cancel(self, task_id: int, now: Time) -> None:
        """Withdraw an open or assigned task."""
        _fn(self._e, "task_cancel")(task_id, to_ms(now, "now"))

    def list(self, *, state: Optional[str] = None,
             agent_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """Tasks oldest first, optionally of one ``state`` ("open", "assigned", "done",
        "cancelled") and one agent."""
        if state not in _STATES:
            raise ValueError(f"state: {state!r} is not open, assigned, done or cancelled")
        return json.loads(_fn(self._e, "task_list")(_STATES[state], agent_id))  # type: ignore
