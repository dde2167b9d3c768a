"""Writing model predictions back to the store (retain/refresh.h): ``engine.models``.

:meth:`EngineModels.refresh` fits a purchase model (BG/NBD by default) and
Gamma-Gamma on the store's orders in one currency and writes every customer's
``p_alive``, ``expected_90d`` and ``clv`` back, where rules read them as
``customer.p_alive`` and ``customer.clv`` and :meth:`Customers.get` returns
``p_alive``. See docs/models.md, "Writing predictions back to the store".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional, Type, Union

from ._convert import Time, from_ms, require, to_ms
from ._errors import InvalidArgument

__all__ = ["EngineModels", "RefreshResult"]

_PURCHASE = {"bgnbd": 1, "pareto_nbd": 2, "paretonbd": 2, "mbgnbd": 3}


def _kind(value: Any) -> int:
    from . import models
    if isinstance(value, type) and issubclass(value, models.Model):
        value = value.kind
    if isinstance(value, str):
        k = _PURCHASE.get(value.strip().lower().replace("/", "").replace("-", "_"))
        if k is None:
            raise InvalidArgument(f"purchase_model {value!r} is not one of bgnbd, pareto_nbd, "
                                  "mbgnbd")
        return k
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"purchase_model must be a name or a model class, not "
                        f"{type(value).__name__}")
    return value


def _model(t: tuple) -> Any:
    from . import models
    classes: Dict[int, Type[models.Model]] = {
        1: models.BGNBD, 2: models.ParetoNBD, 3: models.MBGNBD, 4: models.BGBB,
        5: models.GammaGamma}
    return classes[t[0]]()._set(t)


@dataclass(frozen=True)
class RefreshResult:
    """What :meth:`EngineModels.refresh` fitted and wrote.

    Attributes:
        customers: customers written (every customer with a counted order).
        repeat_customers: customers with a repeat purchase: what Gamma-Gamma was fitted on.
        cleared: customers whose earlier predictions in the currency were cleared because
            they no longer have a counted order.
        calibration_end: ``now`` - 1 ms, the last instant whose orders count (UTC).
        purchase: the fitted purchase model (:class:`retain.models.BGNBD`,
            :class:`~retain.models.ParetoNBD` or :class:`~retain.models.MBGNBD`), with
            ``params``, ``loglik``, ``iterations`` and ``converged``.
        spend: the fitted :class:`retain.models.GammaGamma`, in minor units of the currency.
    """

    customers: int
    repeat_customers: int
    cleared: int
    calibration_end: datetime
    purchase: Any
    spend: Any


class EngineModels:
    """``engine.models``: the customer-base models fitted on the engine's own store."""

    __slots__ = ("_e",)

    def __init__(self, e: Any) -> None:
        self._e = e

    def refresh(self, now: Time, *, currency: str, unit: Union[str, int] = "week",
                purchase_model: Union[str, int, type] = "bgnbd", horizon_months: int = 12,
                monthly_discount_rate: float = 0.01, margin: float = 1.0,
                max_iterations: Optional[int] = None,
                tolerance: Optional[float] = None) -> RefreshResult:
        """Fit the purchase model and Gamma-Gamma on the orders in ``currency`` placed
        before ``now`` and write, in one transaction, every such customer's ``p_alive``,
        ``expected_90d`` (repeat purchases expected in the next 90 days) and ``clv``
        (discounted revenue over ``horizon_months`` months at ``monthly_discount_rate``,
        times ``margin``, in minor units).

        ``unit`` ("week" or "day") is the time unit of the fit; ``purchase_model`` is
        "bgnbd", "pareto_nbd" or "mbgnbd" (or the model class). ``max_iterations`` and
        ``tolerance`` default to the models' own (500, 1e-8).

        Raises :class:`retain.InvalidArgument` for a bad option or currency, or when no
        customer has an order (or a repeat purchase) in the currency;
        :class:`retain.LimitExceeded` when a fit does not converge; :class:`retain.Misuse`
        on a read-only engine. Nothing is written when it raises. The GIL is released
        while libretain fits and writes.
        """
        from .models import Unit
        fn = require(self._e, "model_refresh", "model refresh (retain/refresh.h)")
        try:
            u = int(Unit.parse(unit))  # type: ignore[arg-type]
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        if not isinstance(currency, str):
            raise TypeError("currency must be a str")
        n, rep, cleared, cal_end, p, s = fn(
            to_ms(now, "now"), currency, u, _kind(purchase_model), int(horizon_months),
            float(monthly_discount_rate), float(margin),
            0 if max_iterations is None else int(max_iterations),
            0.0 if tolerance is None else float(tolerance))
        return RefreshResult(n, rep, cleared, from_ms(cal_end), _model(p), _model(s))
