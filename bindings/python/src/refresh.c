/*
 * refresh.c - Engine.model_refresh of retain/refresh.h: fit the store's
 * customer-base models and write p_alive, expected_90d and CLV back. The
 * package (retain/_refresh.py) turns the tuple into a RefreshResult. The
 * GIL is released while libretain fits and writes.
 */
#include "pyretain.h"

PyObject *rp_model_refresh(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
    long long now;
    int unit, kind;
    if (!PyArg_ParseTuple(args, "Lsiiiddid:model_refresh", &now, &o.currency, &unit, &kind,
                          &o.horizon_months, &o.monthly_discount_rate, &o.margin,
                          &o.max_iterations, &o.tolerance))
        return NULL;
    o.unit = (retain_time_unit)unit;
    o.purchase_model = (retain_model_kind)kind;
    if (rp_enter(self))
        return NULL;
    retain_model_refresh_result r = RETAIN_MODEL_REFRESH_RESULT_INIT;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_model_refresh(&r, self->e, (int64_t)now, &o);
    Py_END_ALLOW_THREADS
    PyObject *res = NULL;
    if (rc) {
        res = rp_raise_engine(self, rc);
    } else {
        PyObject *p = rp_model_tuple(&r.purchase);
        PyObject *s = p ? rp_model_tuple(&r.spend) : NULL;
        if (s)
            res = Py_BuildValue("(nnnLOO)", (Py_ssize_t)r.customers,
                                (Py_ssize_t)r.repeat_customers, (Py_ssize_t)r.cleared,
                                (long long)r.calibration_end, p, s);
        Py_XDECREF(p);
        Py_XDECREF(s);
    }
    rp_leave(self);
    return res;
}
