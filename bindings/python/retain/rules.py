"""retain.rules - the rule language of libretain: compile once, evaluate many times.

    >>> rule = engine.compile_rule(
    ...     "order.total >= 50.00 and customer.orders_count == 1", condition=True)
    >>> rule.test({"order.total": Amount(Decimal("64.00"), "EUR"),
    ...            "customer.orders_count": 1})                 # doctest: +SKIP
    True

Values bound for an evaluation, and results, are Python values: None, bool,
int, float, str, aware ``datetime`` (time), ``timedelta`` (duration),
:class:`Amount` (money) and lists of these. Rules are typed and checked when
compiled; errors raise :class:`retain.ParseError` with ``line``, ``column``
and a caret ``snippet``.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple, Union

from . import _retain
from ._convert import from_ms, parse_enum, to_minor, to_ms
from ._errors import Unsupported

__all__ = ["AVAILABLE", "Type", "Amount", "RuleField", "Rule", "compile", "fields"]

#: True when this build of the package binds libretain's rule language.
AVAILABLE: bool = bool(_retain.HAVE_RULES)


def _require() -> None:
    if not AVAILABLE:
        raise Unsupported("this build of retain has no rule language: libretain was built "
                          "without retain/rule.h")


class Type(enum.IntEnum):
    """Types of rule values (``retain_type``)."""

    NULL = 0
    BOOL = 1
    INT = 2
    FLOAT = 3
    MONEY = 4
    STRING = 5
    TIME = 6
    DURATION = 7
    LIST = 8
    ANY = 9  #: static type only: checked at run time

    @classmethod
    def parse(cls, value: Union["Type", int, str]) -> "Type":
        """A Type from itself, its int value or its name ("money", case-insensitive)."""
        return parse_enum(cls, value, "rule type")


class Amount(NamedTuple):
    """Money in a rule value: an amount in major units and an ISO 4217 currency.
    A result's currency is "" for an amount written in a rule without one (50.00)."""

    amount: Decimal
    currency: str


class RuleField(NamedTuple):
    """A name a rule reads (or a fixed field of the language)."""

    name: str  #: "order.total", "customer.attr.tier", "vars.min"
    type: Type
    elem: Type  #: list element type
    fixed: bool  #: a fixed field; False for dynamic names (attributes, props, vars)


Value = Any

_VARS = Mapping[str, Union[Type, str, Tuple[Union[Type, str], Union[Type, str]]]]


def _tag(v: Value, name: str) -> tuple:
    if v is None:
        return (0, None)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, int):
        return (2, v)
    if isinstance(v, float):
        return (3, v)
    if isinstance(v, Amount):
        return (4, (to_minor(v.amount, v.currency, name), v.currency))
    if isinstance(v, Decimal):
        raise TypeError(f"{name}: money needs a currency: give "
                        f"retain.rules.Amount(Decimal('{v}'), 'EUR')")
    if isinstance(v, str):
        return (5, v)
    if isinstance(v, datetime):
        return (6, to_ms(v, name))
    if isinstance(v, timedelta):
        return (7, (v.days * 86_400 + v.seconds) * 1000 + v.microseconds // 1000)
    if isinstance(v, (list, tuple, set, frozenset)):
        return (8, tuple(_tag(x, name) for x in v))
    raise TypeError(f"{name}: {type(v).__name__} is not a rule value")


def _untag(t: tuple) -> Value:
    kind, p = t
    if kind == Type.BOOL:
        return bool(p)
    if kind == Type.MONEY:
        amount, currency, scale = p
        return Amount(Decimal(amount).scaleb(-scale) if scale else Decimal(amount), currency)
    if kind == Type.TIME:
        return from_ms(p)
    if kind == Type.DURATION:
        return timedelta(milliseconds=p)
    if kind == Type.LIST:
        return [_untag(x) for x in p]
    return p  # null, int, float, string


def _decl(vars: Optional[_VARS]) -> tuple:
    out = []
    for name, spec in (vars or {}).items():
        if isinstance(spec, tuple):
            t, elem = Type.parse(spec[0]), Type.parse(spec[1])
        else:
            t, elem = Type.parse(spec), Type.NULL
        out.append((name, int(t), int(elem)))
    return tuple(out)


class Rule:
    """A compiled rule. It belongs to the engine that compiled it and is freed
    when closed, when that engine closes, or when garbage collected."""

    __slots__ = ("_r",)

    def __init__(self, c_rule: Any) -> None:
        self._r = c_rule

    @property
    def source(self) -> str:
        """The rule's source text."""
        return self._r.source  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        """True once freed (closed, or its engine closed)."""
        return self._r.closed  # type: ignore[no-any-return]

    @property
    def type(self) -> Type:
        """Static type of the result."""
        return Type(self._r.type()[0])

    @property
    def elem(self) -> Type:
        """Element type of a list result."""
        return Type(self._r.type()[1])

    @property
    def fields(self) -> Tuple[RuleField, ...]:
        """The names the rule reads, in order of first use: what to bind."""
        return tuple(RuleField(n, Type(t), Type(e), fid != 0)
                     for n, fid, t, e in self._r.fields())

    @property
    def needs_now(self) -> bool:
        """True when the rule reads the time (now(), days_since() ...): pass ``now=``."""
        return bool(self._r.needs() & _retain.RULE_NEEDS_NOW)

    @property
    def needs_timezone(self) -> bool:
        """True when the rule reads the customer's local time: pass ``timezone=``."""
        return bool(self._r.needs() & _retain.RULE_NEEDS_TIMEZONE)

    def _bindings(self, values: Optional[Mapping[str, Value]]) -> tuple:
        return tuple((k, _tag(v, k)) for k, v in (values or {}).items())

    def evaluate(self, values: Optional[Mapping[str, Value]] = None, *,
                 now: Union[datetime, int, None] = None,
                 timezone: Optional[str] = None) -> Value:
        """Evaluate with ``values`` bound by name ("order.total", "customer.attr.tier",
        "vars.min" ...); names not given are null. ``now`` is the time for now() and
        friends; ``timezone`` the customer's zone (default: the engine's)."""
        return _untag(self._r.eval(self._bindings(values),
                                   None if now is None else to_ms(now, "now"), timezone))

    def test(self, values: Optional[Mapping[str, Value]] = None, *,
             now: Union[datetime, int, None] = None, timezone: Optional[str] = None) -> bool:
        """Evaluate as a condition: True only for a true bool result (null is False)."""
        return bool(self._r.test(self._bindings(values),
                                 None if now is None else to_ms(now, "now"), timezone))

    def close(self) -> None:
        """Free the rule now."""
        self._r.close()

    def __enter__(self) -> "Rule":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<retain.rules.Rule (closed)>"
        return f"<retain.rules.Rule {self.source!r} -> {self.type.name.lower()}>"


def compile(engine: Any, source: str, *, condition: bool = False,
            vars: Optional[_VARS] = None, line: int = 1, column: int = 1) -> Rule:
    """Compile ``source`` with ``engine`` (its limits and zones). ``condition`` requires
    a bool result. ``vars`` declares names and their types: {"vars.min": "money",
    "customer.attr.tags": ("list", "string")}. ``line`` and ``column`` say where the
    source starts in its file, for error positions."""
    _require()
    e = getattr(engine, "_e", engine)
    flags = _retain.RULE_BOOL if condition else 0
    return Rule(e.rule_compile(source, flags, _decl(vars), line, column))


_FIELDS: Optional[Dict[str, RuleField]] = None


def fields() -> Dict[str, RuleField]:
    """The fixed fields of the language by name, with their types."""
    global _FIELDS
    _require()
    if _FIELDS is None:
        _FIELDS = {n: RuleField(n, Type(t), Type(e), True)
                   for n, _, t, e in _retain.rule_fields_table()}
    return dict(_FIELDS)
