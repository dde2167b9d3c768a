/*
 * domain.c - Engine methods for the post-purchase domain: carrier tracking
 * URL templates (retain/shipping.h), consumption cycles and replenishment
 * reminders (retain/replenish.h), products and recommendations
 * (retain/recommend.h). Plain values in and out; the package
 * (retain/_domain.py) adds datetimes, money and dataclasses.
 */
#include "pyretain.h"

/* Run `call` without the GIL under the engine lock; raise on failure. */
#define RP_CALL(self, rc, call)                                                \
    do {                                                                       \
        if (rp_enter(self))                                                    \
            return NULL;                                                       \
        Py_BEGIN_ALLOW_THREADS                                                 \
        rc = (call);                                                           \
        Py_END_ALLOW_THREADS                                                   \
        if (rc) {                                                              \
            PyObject *err_ = rp_raise_engine(self, rc);                        \
            rp_leave(self);                                                    \
            return err_;                                                       \
        }                                                                      \
        rp_leave(self);                                                        \
    } while (0)

PyObject *rp_carrier_set(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *carrier, *tpl;
    long long now;
    if (!PyArg_ParseTuple(args, "szL:carrier_set", &carrier, &tpl, &now))
        return NULL;
    int rc;
    RP_CALL(self, rc, retain_carrier_set(self->e, carrier, tpl, (int64_t)now));
    Py_RETURN_NONE;
}

PyObject *rp_sku_cycle_set(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *sku;
    long long ms;
    if (!PyArg_ParseTuple(args, "sL:sku_cycle_set", &sku, &ms))
        return NULL;
    int rc;
    RP_CALL(self, rc, retain_sku_cycle_set(self->e, sku, (int64_t)ms));
    Py_RETURN_NONE;
}

PyObject *rp_sku_cycle_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *sku;
    if (!PyArg_ParseTuple(args, "s:sku_cycle_get", &sku))
        return NULL;
    retain_sku_cycle c;
    int rc;
    RP_CALL(self, rc, retain_sku_cycle_get(&c, self->e, sku));
    return Py_BuildValue("(LiLLL)", (long long)c.cycle_ms, (int)c.source,
                         (long long)c.configured_ms, (long long)c.learned_ms,
                         (long long)c.samples);
}

PyObject *rp_replenish_learn(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long now;
    if (!PyArg_ParseTuple(args, "L:replenish_learn", &now))
        return NULL;
    int64_t skus = 0;
    int rc;
    RP_CALL(self, rc, retain_replenish_learn(&skus, self->e, (int64_t)now));
    return PyLong_FromLongLong((long long)skus);
}

PyObject *rp_replenish_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *order_id, *sku;
    if (!PyArg_ParseTuple(args, "ss:replenish_get", &order_id, &sku))
        return NULL;
    retain_replenish_state st;
    int64_t due;
    int rc;
    RP_CALL(self, rc, retain_replenish_get(&st, &due, self->e, order_id, sku));
    PyObject *d = rp_time_or_none(due);
    return d ? Py_BuildValue("(iN)", (int)st, d) : NULL;
}

PyObject *rp_product_upsert(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_product p = RETAIN_PRODUCT_INIT;
    long long price, at;
    if (!PyArg_ParseTuple(args, "szLzzL:product_upsert", &p.sku, &p.title, &price, &p.currency,
                          &p.attrs_json, &at))
        return NULL;
    p.price = price;
    p.at = at;
    int rc;
    RP_CALL(self, rc, retain_product_upsert(self->e, &p));
    Py_RETURN_NONE;
}

PyObject *rp_recommend_build(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_recommend_options o = RETAIN_RECOMMEND_OPTIONS_INIT;
    if (!PyArg_ParseTuple(args, "ii:recommend_build", &o.neighbors, &o.min_support))
        return NULL;
    retain_recommend_stats st;
    int rc;
    RP_CALL(self, rc, retain_recommend_build(&st, self->e, &o));
    return Py_BuildValue("(LLLL)", (long long)st.baskets, (long long)st.skus,
                         (long long)st.pairs, (long long)st.neighbors);
}

PyObject *rp_recommend(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *customer;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "sn:recommend", &customer, &n))
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n must be >= 1");
        return NULL;
    }
    retain_recommendations *r = NULL;
    int rc;
    RP_CALL(self, rc, retain_recommend(&r, self->e, customer, (size_t)n));
    PyObject *list = PyList_New((Py_ssize_t)r->count);
    for (size_t i = 0; list && i < r->count; i++) {
        const retain_recommendation *it = &r->items[i];
        PyObject *row = Py_BuildValue("(szLzdL)", it->sku, it->title, (long long)it->price,
                                      it->currency, it->score, (long long)it->support);
        if (!row) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, row);
    }
    retain_recommendations_free(r);
    return list;
}
