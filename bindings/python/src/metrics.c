/*
 * metrics.c - Engine methods of retain/metrics.h. Every metric crosses as
 * the JSON its _json variant writes (one snapshot, one allocation); the
 * package (retain/_metrics.py) parses it into dicts and lists. The GIL is
 * released while libretain reads the store.
 */
#include "pyretain.h"

#include <math.h>

#define JSON_CALL(self, call)                                             \
    do {                                                                  \
        if (rp_enter(self))                                               \
            return NULL;                                                  \
        char *json_ = NULL;                                               \
        int rc_;                                                          \
        char **out_ = &json_;                                             \
        Py_BEGIN_ALLOW_THREADS                                            \
        rc_ = (call);                                                     \
        Py_END_ALLOW_THREADS                                              \
        PyObject *res_ = rc_ ? rp_raise_engine(self, rc_) : rp_take_json(self, json_); \
        rp_leave(self);                                                   \
        return res_;                                                      \
    } while (0)

PyObject *rp_metrics_summary(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *currency;
    long long as_of;
    if (!PyArg_ParseTuple(args, "sL:metrics_summary", &currency, &as_of))
        return NULL;
    JSON_CALL(self, retain_metrics_summary_json(out_, self->e, currency, as_of));
}

PyObject *rp_metrics_cohorts(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *currency;
    int period;
    long long as_of;
    if (!PyArg_ParseTuple(args, "ziL:metrics_cohorts", &currency, &period, &as_of))
        return NULL;
    JSON_CALL(self, retain_cohort_retention_json(out_, self->e, currency, (retain_period)period,
                                                 as_of));
}

PyObject *rp_metrics_churn(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *currency;
    int period;
    long long as_of;
    if (!PyArg_ParseTuple(args, "ziL:metrics_churn", &currency, &period, &as_of))
        return NULL;
    JSON_CALL(self, retain_churn_by_period_json(out_, self->e, currency, (retain_period)period,
                                                as_of));
}

PyObject *rp_metrics_rfm_scores(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *currency;
    long long as_of;
    if (!PyArg_ParseTuple(args, "sL:metrics_rfm_scores", &currency, &as_of))
        return NULL;
    JSON_CALL(self, retain_rfm_scores_json(out_, self->e, currency, as_of));
}

PyObject *rp_metrics_rfm_from_store(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *currency;
    long long cal_end, holdout_end;
    int unit;
    if (!PyArg_ParseTuple(args, "sLLi:metrics_rfm_from_store", &currency, &cal_end, &holdout_end,
                          &unit))
        return NULL;
    JSON_CALL(self, retain_rfm_from_store_json(out_, self->e, currency, cal_end, holdout_end,
                                               (retain_time_unit)unit));
}

PyObject *rp_metrics_economics(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    PyObject *model;
    retain_economics_options o = RETAIN_ECONOMICS_OPTIONS_INIT;
    int unit;
    if (!PyArg_ParseTuple(args, "Oddddddii:metrics_economics", &model, &o.margin,
                          &o.discount_rate, &o.retention, &o.lift, &o.customers,
                          &o.period_length, &unit, &o.periods))
        return NULL;
    o.period_unit = (retain_time_unit)unit;
    if (model == Py_None)
        JSON_CALL(self, retain_retention_economics_json(out_, self->e, &o));
#ifdef RETAIN_PY_HAVE_MODEL
    retain_model m;
    if (rp_get_model(model, &m) < 0)
        return NULL;
    JSON_CALL(self, retain_retention_economics_model_json(out_, self->e, &m, &o));
#else
    return rp_raise(RETAIN_EUNSUPPORTED, "this build has no models (retain/model.h)");
#endif
}

PyObject *rp_metrics_conversion(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *journey;
    PyObject *since_o;
    long long window, as_of;
    if (!PyArg_ParseTuple(args, "zOLL:metrics_conversion", &journey, &since_o, &window, &as_of))
        return NULL;
    int64_t since = INT64_MIN; /* None: no lower bound */
    if (since_o != Py_None && rp_opt_time(since_o, &since) < 0)
        return NULL;
    JSON_CALL(self, retain_journey_conversion_json(out_, self->e, journey, since, window, as_of));
}

int rp_metrics_init(PyObject *m)
{
    static const struct { const char *name; int value; } k[] = {
        { "PERIOD_DAY", RETAIN_PERIOD_DAY },
        { "PERIOD_WEEK", RETAIN_PERIOD_WEEK },
        { "PERIOD_MONTH", RETAIN_PERIOD_MONTH },
        { "PERIOD_QUARTER", RETAIN_PERIOD_QUARTER },
        { "PERIOD_YEAR", RETAIN_PERIOD_YEAR },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (PyModule_AddIntConstant(m, k[i].name, k[i].value) < 0)
            return -1;
    return 0;
}
