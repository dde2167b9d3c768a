"""retain.models - RFM summaries and the probabilistic customer-base models of libretain.

BG/NBD, Pareto/NBD, MBG/NBD (continuous time, in days or weeks), BG/BB
(discrete opportunities) and the Gamma-Gamma spend model, with weighted
maximum-likelihood fits, vectorised predictions and discounted CLV.
Definitions follow Fader and Hardie: ``x`` repeat purchase periods after
the first, ``t_x`` the time of the last from the first, ``T`` the age since
the first purchase.

Arrays are plain sequences or NumPy arrays. A contiguous float64 array is
read (and an ``out=`` array written) in place without a copy; anything else
is converted once. Predictions return what they were given: a NumPy array
for NumPy input, a list for sequences, a float when every input is a
scalar (scalars are broadcast). The GIL is released while libretain
computes, so fits can run in threads.

    >>> from retain import models
    >>> m = models.BGNBD().fit(x, t_x, T)           # doctest: +SKIP
    >>> m.params                                     # doctest: +SKIP
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> m.p_alive(x, t_x, T)                         # doctest: +SKIP
"""
from __future__ import annotations

import array
import enum
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

from . import _retain
from ._convert import parse_enum, to_ms
from ._errors import Unsupported

__all__ = [
    "Unit", "RFM", "summarize", "split", "compress", "Model", "BGNBD", "ParetoNBD", "MBGNBD",
    "BGBB", "GammaGamma", "clv", "AVAILABLE",
]

#: True when this build of the package binds libretain's models.
AVAILABLE: bool = bool(_retain.HAVE_MODELS)

#: An array argument: a sequence of numbers, a NumPy array, or a scalar where broadcasting applies.
ArrayLike = Any


def _require() -> None:
    if not AVAILABLE:
        raise Unsupported("this build of retain has no models: libretain was built without "
                          "retain/model.h")


class Unit(enum.IntEnum):
    """The unit of t_x, T, horizons and model rates (``retain_time_unit``)."""

    DAY = 1
    WEEK = 2
    PERIOD = 3  #: one discrete transaction opportunity (BG/BB)

    @classmethod
    def parse(cls, value: Union["Unit", int, str]) -> "Unit":
        """A Unit from itself, its int value, or its name ("week", case-insensitive)."""
        return parse_enum(cls, value, "unit")


def _opt_unit(value: Union[Unit, int, str, None], default: int) -> int:
    return default if value is None else int(Unit.parse(value))


# ---- arrays ------------------------------------------------------------------

_NUMPY, _ARRAY, _LIST, _SCALAR = 3, 2, 1, 0


def _np() -> Any:
    """NumPy if the program imported it (this package never needs it)."""
    return sys.modules.get("numpy")


def _numpy_or_none() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is optional
        return None
    return numpy


def _f64(v: Any, name: str) -> Tuple[Any, int]:
    """(a float64 buffer or a float, its kind)."""
    np = _np()
    if np is not None and (isinstance(v, np.ndarray) or hasattr(v, "__array__")) \
            and not isinstance(v, (array.array, memoryview, bytes, bytearray)):
        a = v if isinstance(v, np.ndarray) else np.asarray(v)
        if a.ndim == 0:
            return float(a), _SCALAR
        if a.ndim != 1:
            raise ValueError(f"{name} must be 1-D, not {a.ndim}-D")
        if a.dtype != np.float64 or not a.flags.c_contiguous:
            a = np.ascontiguousarray(a, dtype=np.float64)
        return a, _NUMPY
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v), _SCALAR
    if isinstance(v, array.array) and v.typecode == "d":
        return v, _ARRAY
    try:
        return array.array("d", v), _ARRAY if isinstance(v, array.array) else _LIST
    except TypeError:
        raise TypeError(f"{name} must be a number or a sequence of numbers, "
                        f"not {type(v).__name__}") from None


def _length(buf: Any) -> int:
    return len(buf)


class _Arrays:
    """Inputs converted to float64 buffers of one length, and a matching output."""

    def __init__(self, **values: Any) -> None:
        conv = {k: (None, -1) if v is None else _f64(v, k) for k, v in values.items()}
        kinds = [kind for _, kind in conv.values() if kind >= 0]
        self.kind = max(kinds) if kinds else _SCALAR
        lengths = {k: _length(b) for k, (b, kind) in conv.items() if kind > _SCALAR}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            raise ValueError(f"arrays differ in length ({detail})")
        self.n = next(iter(lengths.values())) if lengths else 1
        self.buf: Dict[str, Any] = {}
        for k, (b, kind) in conv.items():
            if kind == _SCALAR:
                b = self._full(b, self.n)
            self.buf[k] = b

    def _full(self, value: float, n: int) -> Any:
        np = _np()
        if self.kind == _NUMPY and np is not None:
            return np.full(n, value, dtype=np.float64)
        return array.array("d", [value]) * n

    def out(self, out: Any = None, n: Optional[int] = None) -> Any:
        n = self.n if n is None else n
        if out is not None:
            return out
        np = _np()
        if self.kind == _NUMPY and np is not None:
            return np.empty(n, dtype=np.float64)
        return array.array("d", bytes(8 * n))

    def result(self, out: Any, given: Any = None) -> Any:
        if given is not None:
            return given
        if self.kind == _SCALAR:
            return out[0]
        if self.kind == _LIST:
            return out.tolist()
        return out

    def data(self, x: str = "x", t_x: Optional[str] = "t_x", T: Optional[str] = "T",
             monetary: Optional[str] = None, weight: Optional[str] = None) -> tuple:
        b = self.buf
        return (b[x], b.get(t_x) if t_x else None, b.get(T) if T else None,
                b.get(monetary) if monetary else None, b.get(weight) if weight else None)


def _array_out(raw: Optional[bytearray], typecode: str) -> Any:
    """A bytearray from the extension as a NumPy array (without a copy) or an array.array."""
    if raw is None:
        return None
    np = _numpy_or_none()
    if np is not None:
        return np.frombuffer(raw, dtype=np.float64 if typecode == "d" else np.int64)
    a = array.array(typecode)
    a.frombytes(bytes(raw))
    return a


def _i64(v: Any, name: str) -> Any:
    np = _np()
    if np is not None and isinstance(v, np.ndarray):
        return np.ascontiguousarray(v, dtype=np.int64)
    try:
        return array.array("q", v)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints") from None


# ---- RFM summaries -------------------------------------------------------------

@dataclass(frozen=True)
class RFM:
    """Per-customer rows (x, t_x, T ...) from :func:`summarize`, :func:`split` or
    :func:`compress`. Arrays are NumPy arrays when NumPy is installed, else
    ``array.array``; members not produced are None."""

    x: Any
    t_x: Any
    T: Any
    unit: Unit
    customer: Any = None  #: customer ids, ascending (summaries)
    monetary: Any = None  #: mean value of the repeat periods (when values were given)
    holdout_x: Any = None  #: split(): repeat periods in the holdout window
    holdout_length: float = 0.0  #: split(): length of the holdout window in ``unit``
    weight: Any = None  #: compress(): rows merged into each
    row_of: Any = None  #: compress(): compressed row of each input row

    def __len__(self) -> int:
        return len(self.x)

    @classmethod
    def _from_dict(cls, d: Dict[str, Any]) -> "RFM":
        return cls(x=_array_out(d["x"], "d"), t_x=_array_out(d["t_x"], "d"),
                   T=_array_out(d["T"], "d"), unit=Unit(d["unit"]),
                   customer=_array_out(d["customer"], "q"),
                   monetary=_array_out(d["monetary"], "d"),
                   holdout_x=_array_out(d["holdout_x"], "d"),
                   holdout_length=d["holdout_length"], weight=_array_out(d["weight"], "d"),
                   row_of=_array_out(d["row_of"], "q"))


_TIME_KINDS = {"ms": 1, "day": 2}


def _txn_args(customers: Sequence[int], times: Sequence[int], time_kind: str,
              amounts: Optional[Sequence[int]], values: Optional[ArrayLike]) -> tuple:
    if time_kind not in _TIME_KINDS:
        raise ValueError("time_kind must be 'ms' (milliseconds since 1970 UTC) or 'day' "
                         "(day numbers)")
    return (_i64(customers, "customers"), _i64(times, "times"), _TIME_KINDS[time_kind],
            None if amounts is None else _i64(amounts, "amounts"),
            None if values is None else _f64(values, "values")[0])


def _end(value: Union[int, datetime], time_kind: str, what: str) -> int:
    if isinstance(value, datetime):
        if time_kind != "ms":
            raise TypeError(f"{what} is a datetime but times are day numbers")
        return to_ms(value, what)
    return to_ms(value, what)


def summarize(customers: Sequence[int], times: Sequence[int], *, end: Union[int, datetime],
              unit: Union[Unit, str] = Unit.WEEK, time_kind: str = "ms",
              amounts: Optional[Sequence[int]] = None,
              values: Optional[ArrayLike] = None) -> RFM:
    """Summarize transactions (parallel arrays: int customer ids, times) observed up to
    and including the day of ``end`` into one RFM row per customer. Purchases on one
    day form one period. ``time_kind`` "ms" (ms since 1970 UTC; ``end`` may be an
    aware datetime) or "day" (day numbers). Give ``amounts`` (int minor units) or
    ``values`` (floats) for ``monetary``."""
    _require()
    c, t, k, a, v = _txn_args(customers, times, time_kind, amounts, values)
    return RFM._from_dict(_retain.rfm_summarize(c, t, k, a, v, _end(end, time_kind, "end"),
                                                None, int(Unit.parse(unit))))


def split(customers: Sequence[int], times: Sequence[int], *,
          calibration_end: Union[int, datetime], holdout_end: Union[int, datetime],
          unit: Union[Unit, str] = Unit.WEEK, time_kind: str = "ms",
          amounts: Optional[Sequence[int]] = None, values: Optional[ArrayLike] = None) -> RFM:
    """Calibration/holdout split: :func:`summarize` up to ``calibration_end``, plus
    ``holdout_x``, each customer's purchase periods after it up to ``holdout_end``."""
    _require()
    c, t, k, a, v = _txn_args(customers, times, time_kind, amounts, values)
    return RFM._from_dict(_retain.rfm_summarize(
        c, t, k, a, v, _end(calibration_end, time_kind, "calibration_end"),
        _end(holdout_end, time_kind, "holdout_end"), int(Unit.parse(unit))))


def compress(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: Optional[ArrayLike] = None,
             *, unit: Union[Unit, str] = Unit.WEEK) -> RFM:
    """Merge rows with identical (x, t_x, T), summing their weights; ``row_of`` maps each
    input row to its merged row."""
    _require()
    arr = _Arrays(x=x, t_x=t_x, T=T, weight=weights)
    return RFM._from_dict(_retain.rfm_compress(arr.data(weight="weight"),
                                               int(Unit.parse(unit))))


# ---- models -------------------------------------------------------------------

class Model:
    """Base of the models. Create one unfitted and :meth:`fit` it, or from known
    parameters: ``BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="week")``.

    After a fit: ``params`` (dict), ``unit``, ``loglik``, ``weight`` (customers
    fitted), ``rows`` (distinct rows), ``iterations``, ``converged``,
    ``grad_norm``. Parameters are also attributes (``m.r``).
    """

    kind: ClassVar[int] = 0
    names: ClassVar[Tuple[str, ...]] = ()
    default_unit: ClassVar[Unit] = Unit.WEEK

    def __init__(self, *, unit: Union[Unit, str, None] = None, **params: float) -> None:
        _require()
        self.unit: Optional[Unit] = None
        self._p: Optional[Tuple[float, ...]] = None
        self.loglik: float = float("nan")
        self.weight: float = 0.0
        self.rows: int = 0
        self.iterations: int = 0
        self.converged: bool = False
        self.grad_norm: float = float("nan")
        if params:
            unknown = set(params) - set(self.names)
            missing = [n for n in self.names if n not in params]
            if unknown or missing:
                raise TypeError(f"{type(self).__name__} takes the parameters "
                                f"{', '.join(self.names)}")
            u = _opt_unit(unit, int(self.default_unit))
            self._set(_retain.model_init(self.kind, u, [float(params[n]) for n in self.names]))
        elif unit is not None:
            self.unit = Unit.parse(unit)

    def _set(self, t: tuple) -> "Model":
        kind, unit, p, self.loglik, self.weight, self.rows, self.iterations, conv, \
            self.grad_norm = t
        self.unit = Unit(unit) if unit else None
        self._p = tuple(p[:len(self.names)])
        self.converged = bool(conv)
        return self

    def _tuple(self) -> tuple:
        if self._p is None:
            raise ValueError(f"this {type(self).__name__} has no parameters yet: fit() it or "
                             "give them")
        return (self.kind, int(self.unit or 0), self._p)

    @property
    def fitted(self) -> bool:
        """True when the model has parameters (fitted or given)."""
        return self._p is not None

    @property
    def params(self) -> Dict[str, float]:
        """The parameters by name."""
        self._tuple()
        assert self._p is not None
        return dict(zip(self.names, self._p))

    def __getattr__(self, name: str) -> float:
        names = type(self).names
        if name in names and self.__dict__.get("_p") is not None:
            return self.__dict__["_p"][names.index(name)]  # type: ignore[no-any-return]
        raise AttributeError(name)

    def __repr__(self) -> str:
        if self._p is None:
            return f"{type(self).__name__}(unfitted)"
        ps = ", ".join(f"{n}={v:.6g}" for n, v in zip(self.names, self._p))
        unit = f", unit={self.unit.name.lower()!r}" if self.unit else ""
        return f"{type(self).__name__}({ps}{unit})"

    def _data_unit(self, unit: Union[Unit, str, None]) -> int:
        if unit is not None:
            return int(Unit.parse(unit))
        if self.unit is not None:
            return int(self.unit)
        return int(self.default_unit)

    def fit(self, x: Any, t_x: ArrayLike = None, T: ArrayLike = None,
            weights: Optional[ArrayLike] = None, *, unit: Union[Unit, str, None] = None,
            max_iterations: Optional[int] = None, tolerance: Optional[float] = None,
            start: Optional[Sequence[float]] = None) -> "Model":
        """Fit by weighted maximum likelihood on x, t_x, T (or an :class:`RFM`) and return
        self. ``unit`` is the unit of t_x and T (default: the RFM's, else weeks) and
        becomes the model's. Check ``converged`` afterwards."""
        if isinstance(x, RFM):
            rfm = x
            x, t_x, T = rfm.x, rfm.t_x, rfm.T
            weights = rfm.weight if weights is None else weights
            unit = rfm.unit if unit is None else unit
        if t_x is None or T is None:
            raise TypeError("fit() needs x, t_x and T (or an RFM summary)")
        arr = _Arrays(x=x, t_x=t_x, T=T, weight=weights)
        u = _opt_unit(unit, int(self.unit or self.default_unit))
        return self._set(_retain.model_fit(self.kind, arr.data(weight="weight"), u,
                                           max_iterations or 0, tolerance or 0.0,
                                           None if start is None else list(start)))

    def converted(self, unit: Union[Unit, str]) -> "Model":
        """The same model with its parameters in another unit (day <-> week)."""
        m = type(self)()
        m._set(_retain.model_convert(self._tuple(), int(Unit.parse(unit))))
        m.loglik, m.weight, m.rows = self.loglik, self.weight, self.rows
        m.iterations, m.converged, m.grad_norm = self.iterations, self.converged, self.grad_norm
        return m

    def log_likelihood(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                       weights: Optional[ArrayLike] = None, *,
                       unit: Union[Unit, str, None] = None) -> float:
        """The weighted log-likelihood of the rows under the model."""
        arr = _Arrays(x=x, t_x=t_x, T=T, weight=weights)
        return float(_retain.model_loglik(self._tuple(), arr.data(weight="weight"),
                                          self._data_unit(unit), None))

    def expected(self, t: ArrayLike, *, unit: Union[Unit, str, None] = None,
                 out: Any = None) -> Any:
        """E[X(t)]: expected repeat purchases of a new customer in (0, t]."""
        arr = _Arrays(t=t)
        o = arr.out(out)
        _retain.model_expected(self._tuple(), arr.buf["t"], self._data_unit(unit), o)
        return arr.result(o, out)

    def conditional_expected(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *,
                             t: float, unit: Union[Unit, str, None] = None,
                             t_unit: Union[Unit, str, None] = None, out: Any = None) -> Any:
        """E[Y(t) | x, t_x, T]: each customer's expected repeat purchases in the next ``t``
        (in ``t_unit``, default the data's ``unit``)."""
        arr = _Arrays(x=x, t_x=t_x, T=T)
        o = arr.out(out)
        u = self._data_unit(unit)
        _retain.model_conditional_expected(self._tuple(), arr.data(), u, float(t),
                                           _opt_unit(t_unit, u), o)
        return arr.result(o, out)

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *,
                unit: Union[Unit, str, None] = None, out: Any = None) -> Any:
        """P(alive | x, t_x, T) for each customer."""
        arr = _Arrays(x=x, t_x=t_x, T=T)
        o = arr.out(out)
        _retain.model_p_alive(self._tuple(), arr.data(), self._data_unit(unit), o)
        return arr.result(o, out)

    def pmf(self, t: float, n: int, *, unit: Union[Unit, str, None] = None) -> List[float]:
        """P(X(t) = k) for k = 0 .. n-1: the number of repeat purchases of a new customer
        in (0, t]."""
        o = array.array("d", bytes(8 * n))
        _retain.model_pmf(self._tuple(), float(t), self._data_unit(unit), o)
        return o.tolist()


class BGNBD(Model):
    """BG/NBD (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, alpha), dropout
    after each purchase with p ~ Beta(a, b)."""

    kind = 1
    names = ("r", "alpha", "a", "b")


class ParetoNBD(Model):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchase rate ~ Gamma(r, alpha),
    dropout rate ~ Gamma(s, beta)."""

    kind = 2
    names = ("r", "alpha", "s", "beta")


class MBGNBD(Model):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also
    drop out at time 0."""

    kind = 3
    names = ("r", "alpha", "a", "b")


class BGBB(Model):
    """BG/BB (Fader, Hardie & Shang 2010), discrete time: x transactions in n
    opportunities, the last at opportunity t_x; pass T = n. The unit is PERIOD."""

    kind = 4
    names = ("alpha", "beta", "gamma", "delta")
    default_unit = Unit.PERIOD


class GammaGamma(Model):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005): spend ~ Gamma(p, nu),
    nu ~ Gamma(q, gamma). Fitted on customers with x > 0."""

    kind = 5
    names = ("p", "q", "gamma")
    default_unit = Unit.WEEK

    def fit(self, x: Any, monetary: ArrayLike = None,  # type: ignore[override]
            weights: Optional[ArrayLike] = None, *, max_iterations: Optional[int] = None,
            tolerance: Optional[float] = None,
            start: Optional[Sequence[float]] = None) -> "GammaGamma":
        """Fit on x (repeat periods) and monetary (mean spend of the repeat periods), or an
        :class:`RFM` with monetary; return self."""
        if isinstance(x, RFM):
            x, monetary, weights = x.x, x.monetary, x.weight if weights is None else weights
        if monetary is None:
            raise TypeError("GammaGamma.fit() needs x and monetary")
        arr = _Arrays(x=x, monetary=monetary, weight=weights)
        self._set(_retain.model_fit(self.kind, arr.data(t_x=None, T=None, monetary="monetary",
                                                        weight="weight"),
                                    0, max_iterations or 0, tolerance or 0.0,
                                    None if start is None else list(start)))
        return self

    def log_likelihood(self, x: ArrayLike, monetary: ArrayLike,  # type: ignore[override]
                       weights: Optional[ArrayLike] = None, **_: Any) -> float:
        """The weighted log-likelihood of (x, monetary) rows under the model."""
        arr = _Arrays(x=x, monetary=monetary, weight=weights)
        return float(_retain.model_loglik(
            self._tuple(), arr.data(t_x=None, T=None, monetary="monetary", weight="weight"),
            0, None))

    def expected_spend(self, x: ArrayLike, monetary: ArrayLike, *, out: Any = None) -> Any:
        """E[mean spend | x, monetary] per customer (population mean for x = 0)."""
        arr = _Arrays(x=x, monetary=monetary)
        o = arr.out(out)
        _retain.gammagamma_expected_spend(self._tuple(),
                                          arr.data(t_x=None, T=None, monetary="monetary"), 0, o)
        return arr.result(o, out)


def clv(purchase: Model, spend: GammaGamma, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
        monetary: ArrayLike, *, margin: float, discount_rate: float, period_length: float,
        periods: int, period_unit: Union[Unit, str, None] = None,
        unit: Union[Unit, str, None] = None, out: Any = None) -> Any:
    """Discounted expected margin over ``periods`` periods of ``period_length``
    (in ``period_unit``, default the purchase model's unit) for each customer:
    margin * E[spend] * sum_k (E[Y(kL)] - E[Y((k-1)L)]) / (1 + discount_rate)^k.
    In the units of ``monetary``."""
    arr = _Arrays(x=x, t_x=t_x, T=T, monetary=monetary)
    o = arr.out(out)
    u = purchase._data_unit(unit)
    pu = _opt_unit(period_unit, int(purchase.unit or u))
    _retain.clv(purchase._tuple(), spend._tuple(), arr.data(monetary="monetary"), u,
                float(margin), float(discount_rate), float(period_length), pu, int(periods), o)
    return arr.result(o, out)
