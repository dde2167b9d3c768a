"""Conversions at the boundary: datetimes <-> int milliseconds, Decimal <-> minor units, JSON."""
from __future__ import annotations

import enum
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional, Type, TypeVar, Union

from . import _retain
from ._errors import InvalidArgument

__all__ = ["Time", "Money", "to_ms", "from_ms", "to_minor", "from_minor", "currency_digits"]

#: A point in time: a timezone-aware ``datetime`` or int milliseconds since 1970 UTC.
Time = Union[datetime, int]
#: An amount of money: ``Decimal`` in major units ("19.99") or int minor units (1999).
Money = Union[Decimal, int]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_digits_cache: Dict[str, int] = {}


def to_ms(value: Time, what: str = "time") -> int:
    """Milliseconds since 1970-01-01 UTC of an aware datetime (or of int ms, returned as is).

    Naive datetimes are refused with :class:`InvalidArgument`: the library never
    guesses a time zone. Sub-millisecond parts are dropped (rounded down).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidArgument(
                f"{what} is a naive datetime ({value.isoformat()}); give a timezone-aware "
                "datetime (e.g. datetime(..., tzinfo=timezone.utc)) or int milliseconds")
        d = value - EPOCH
        return (d.days * 86_400 + d.seconds) * 1000 + d.microseconds // 1000
    if isinstance(value, int) and not isinstance(value, bool):
        if not _INT64_MIN < value <= _INT64_MAX:
            raise InvalidArgument(f"{what} is {value} ms; it does not fit in 64 bits")
        return int(value)
    raise TypeError(f"{what} must be a timezone-aware datetime or int milliseconds, "
                    f"not {type(value).__name__}")


def opt_ms(value: Optional[Time], what: str) -> Optional[int]:
    """to_ms(), with None passed through."""
    return None if value is None else to_ms(value, what)


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime of int milliseconds since 1970-01-01 UTC."""
    return EPOCH + timedelta(milliseconds=ms)


def opt_from_ms(ms: Optional[int]) -> Optional[datetime]:
    """from_ms(), with None passed through."""
    return None if ms is None else EPOCH + timedelta(milliseconds=ms)


def currency_digits(currency: str) -> int:
    """Minor-unit digits of an ISO 4217 code (2 for "USD", 0 for "JPY").

    Raises :class:`InvalidArgument` for a code libretain does not know.
    """
    d = _digits_cache.get(currency)
    if d is None:
        if not isinstance(currency, str):
            raise TypeError(f"currency must be a str such as 'USD', not {type(currency).__name__}")
        d = _retain.currency_digits(currency)
        if d < 0:
            raise InvalidArgument(f"currency {currency!r} is not an ISO 4217 code libretain knows")
        _digits_cache[currency] = d
    return d


def to_minor(value: Money, currency: str, what: str = "amount") -> int:
    """Integer minor units of ``value``: a Decimal in major units, or an int already in minor units.

    Floats are refused (money is never floating point), as is a Decimal with
    more decimal places than the currency has.
    """
    if isinstance(value, Decimal):
        digits = currency_digits(currency)
        if not value.is_finite():
            raise InvalidArgument(f"{what} is {value}; money must be a finite amount")
        sign, coef_digits, exp = value.as_tuple()
        assert isinstance(exp, int)
        coef = int("".join(map(str, coef_digits))) if coef_digits else 0
        shift = exp + digits
        if shift > 30:
            raise InvalidArgument(f"{what} {value} {currency} does not fit in 64-bit minor units")
        if shift >= 0:
            n = coef * 10**shift
        else:
            n, rest = divmod(coef, 10**-shift)
            if rest:
                raise InvalidArgument(
                    f"{what} {value} has more than {digits} decimal places for {currency}")
        n = -n if sign else n
    elif isinstance(value, int) and not isinstance(value, bool):
        n = int(value)
    elif isinstance(value, float):
        raise TypeError(f"{what} is a float; give money as Decimal('19.99') or int minor units")
    else:
        raise TypeError(f"{what} must be a Decimal or int minor units, not {type(value).__name__}")
    if not _INT64_MIN <= n <= _INT64_MAX:
        raise InvalidArgument(f"{what} {value} {currency} does not fit in 64-bit minor units")
    return n


def from_minor(amount: int, currency: str) -> Decimal:
    """The Decimal in major units of ``amount`` minor units of ``currency``."""
    d = _digits_cache.get(currency)
    if d is None:
        d = _retain.currency_digits(currency)
        if d < 0:
            return Decimal(amount)
        _digits_cache[currency] = d
    return Decimal(amount).scaleb(-d) if d else Decimal(amount)


def to_json(value: Union[None, str, Mapping[str, Any]], what: str) -> Optional[str]:
    """A JSON object argument: a mapping (serialized), JSON text (passed on) or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"{what} cannot be written as JSON: {exc}") from None
    raise TypeError(f"{what} must be a dict or JSON text, not {type(value).__name__}")


def from_json(text: Optional[str]) -> Dict[str, Any]:
    """A JSON object read back ({} when absent)."""
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def text(value: Optional[str], what: str) -> Optional[str]:
    """A str argument, or None."""
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{what} must be a str, not {type(value).__name__}")


E = TypeVar("E", bound=enum.IntEnum)


def parse_enum(cls: Type[E], value: Union[E, int, str], what: str) -> E:
    """A member of an IntEnum from itself, its int value, or its name (case-insensitive)."""
    if isinstance(value, str):
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(m.name.lower() for m in cls)
            raise ValueError(f"{what} {value!r} is not one of {names}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a {cls.__name__}, int or str, "
                        f"not {type(value).__name__}")
    return cls(value)


#: A length of time: a ``timedelta`` or int milliseconds.
Duration = Union[timedelta, int]


def to_duration_ms(value: Duration, what: str = "duration") -> int:
    """Int milliseconds of a ``timedelta`` (sub-millisecond parts dropped) or of int ms."""
    if isinstance(value, timedelta):
        return (value.days * 86_400 + value.seconds) * 1000 + value.microseconds // 1000
    if isinstance(value, int) and not isinstance(value, bool):
        if not _INT64_MIN < value <= _INT64_MAX:
            raise InvalidArgument(f"{what} is {value} ms; it does not fit in 64 bits")
        return int(value)
    raise TypeError(f"{what} must be a timedelta or int milliseconds, "
                    f"not {type(value).__name__}")


def require(e: Any, method: str, what: str) -> Any:
    """The extension method ``method`` of engine ``e``, or Unsupported when this build
    lacks the subsystem."""
    fn = getattr(e, method, None)
    if fn is None:
        from ._errors import Unsupported
        raise Unsupported(f"this build of retain has no {what}: libretain was built without it")
    return fn
