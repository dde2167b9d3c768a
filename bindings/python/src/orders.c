/*
 * orders.c - Engine methods for orders (one at a time and in bulk) and
 * shipments.
 *
 * Strings handed to libretain point into the argument tuples, which are
 * immutable and owned for the duration of the call, so they stay valid
 * while the GIL is released.
 */
#include "pyretain.h"

#include <string.h>

/* Lines: a tuple of (sku, title or None, quantity, unit_price) tuples. */
static int parse_lines(PyObject *lines, retain_order_line **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!PyTuple_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "order lines must be a tuple of tuples");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(lines);
    if (n == 0)
        return 0;
    retain_order_line *l = PyMem_Calloc((size_t)n, sizeof *l);
    if (!l) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long long qty, price;
        PyObject *item = PyTuple_GET_ITEM(lines, i);
        if (!PyTuple_Check(item)) {
            PyErr_Format(PyExc_TypeError, "order line %zd must be a tuple", i);
            PyMem_Free(l);
            return -1;
        }
        if (!PyArg_ParseTuple(item, "szLL:order line", &l[i].sku, &l[i].title, &qty, &price)) {
            PyMem_Free(l);
            return -1;
        }
        l[i].quantity = qty;
        l[i].unit_price = price;
    }
    *out = l;
    *count = (size_t)n;
    return 0;
}

/* (id, customer_id, channel, placed_at, currency, total, coupon, status, status_at, lines,
 *  attrs_json) -> *o; free *lines with PyMem_Free. */
static int parse_order(PyObject *t, retain_order *o, retain_order_line **lines)
{
    long long placed, total;
    PyObject *status_at, *line_tuple;
    *lines = NULL;
    if (!PyTuple_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "an order must be a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(t, "sssLsLzzOO!z:order", &o->id, &o->customer_id, &o->channel,
                          &placed, &o->currency, &total, &o->coupon, &o->status, &status_at,
                          &PyTuple_Type, &line_tuple, &o->attrs_json))
        return -1;
    o->placed_at = placed;
    o->total = total;
    if (rp_opt_time(status_at, &o->status_at))
        return -1;
    if (parse_lines(line_tuple, lines, &o->lines_count))
        return -1;
    o->lines = *lines;
    return 0;
}

PyObject *rp_order_record(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_order o = RETAIN_ORDER_INIT;
    retain_order_line *lines;
    if (parse_order(args, &o, &lines))
        return NULL;
    if (rp_enter(self)) {
        PyMem_Free(lines);
        return NULL;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_order_record(self->e, &o);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    PyMem_Free(lines);
    return res;
}

/* One batch, run without the GIL: record every order (creating its customer
 * first when asked), inside its own transaction unless the host has one
 * open. On failure *failed is the index in the batch and errmsg the reason. */
static int record_batch(retain_engine *e, const retain_order *orders, const char *ensure,
                        size_t n, size_t *failed, char *errmsg, size_t errsz)
{
    int rc = retain_begin(e);
    int own_tx = rc == RETAIN_OK;
    if (rc != RETAIN_OK && rc != RETAIN_EMISUSE) { /* EMISUSE: the host's transaction is open */
        *failed = 0;
        snprintf(errmsg, errsz, "%s", retain_errmsg(e));
        return rc;
    }
    rc = RETAIN_OK;
    for (size_t i = 0; i < n && rc == RETAIN_OK; i++) {
        if (ensure[i]) {
            retain_customer c = RETAIN_CUSTOMER_INIT;
            c.id = orders[i].customer_id;
            c.at = orders[i].placed_at;
            rc = retain_customer_upsert(e, &c);
        }
        if (rc == RETAIN_OK)
            rc = retain_order_record(e, &orders[i]);
        if (rc) {
            *failed = i;
            snprintf(errmsg, errsz, "%s", retain_errmsg(e));
        }
    }
    if (own_tx) {
        if (rc) {
            retain_rollback(e);
        } else if ((rc = retain_commit(e)) != RETAIN_OK) {
            *failed = n ? n - 1 : 0;
            snprintf(errmsg, errsz, "%s", retain_errmsg(e));
            retain_rollback(e);
        }
    }
    return rc;
}

/* rows: a sequence of (ensure_customer, order tuple); returns (orders, customers).
 * `offset` is added to the row numbers in messages (the caller sends chunks). */
PyObject *rp_order_record_many(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    PyObject *seq;
    Py_ssize_t batch, offset = 0;
    if (!PyArg_ParseTuple(args, "On|n:order_record_many", &seq, &batch, &offset))
        return NULL;
    if (batch < 1) {
        PyErr_SetString(PyExc_ValueError, "batch_size must be >= 1");
        return NULL;
    }
    PyObject *rows = PySequence_Tuple(seq); /* immutable while the GIL is released */
    if (!rows)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(rows);
    if (batch > n)
        batch = n ? n : 1;
    retain_order *orders = PyMem_Calloc((size_t)batch, sizeof *orders);
    retain_order_line **lines = PyMem_Calloc((size_t)batch, sizeof *lines);
    char *ensure = PyMem_Calloc((size_t)batch, 1);
    PyObject *res = NULL;
    long long recorded = 0, customers = 0;
    if (!orders || !lines || !ensure) {
        PyErr_NoMemory();
        goto out;
    }
    if (rp_enter(self))
        goto out;
    for (Py_ssize_t start = 0; start < n; start += batch) {
        size_t m = (size_t)(n - start < batch ? n - start : batch), k, failed = 0;
        long long batch_customers = 0;
        int ok = 1;
        for (k = 0; k < m && ok; k++) {
            PyObject *row = PyTuple_GET_ITEM(rows, start + (Py_ssize_t)k);
            PyObject *order;
            int flag;
            retain_order init = RETAIN_ORDER_INIT;
            orders[k] = init;
            if (!PyTuple_Check(row) || !PyArg_ParseTuple(row, "pO:order row", &flag, &order) ||
                parse_order(order, &orders[k], &lines[k])) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "each row must be (bool, order tuple)");
                ok = 0;
                break;
            }
            ensure[k] = (char)flag;
            batch_customers += flag;
        }
        int rc = RETAIN_OK;
        char errmsg[600];
        if (ok) {
            Py_BEGIN_ALLOW_THREADS
            rc = record_batch(self->e, orders, ensure, m, &failed, errmsg, sizeof errmsg);
            Py_END_ALLOW_THREADS
        }
        for (size_t j = 0; j < m; j++) {
            PyMem_Free(lines[j]);
            lines[j] = NULL;
        }
        if (!ok) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            PyErr_Format(type, "orders[%zd]: %S", offset + start + (Py_ssize_t)k, value);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            rp_leave(self);
            goto out;
        }
        if (rc) {
            char msg[700];
            snprintf(msg, sizeof msg, "orders[%zd]: %s", offset + start + (Py_ssize_t)failed,
                     errmsg);
            rp_raise(rc, msg);
            rp_leave(self);
            goto out;
        }
        recorded += (long long)m;
        customers += batch_customers;
    }
    rp_leave(self);
    res = Py_BuildValue("(LL)", recorded, customers);
out:
    PyMem_Free(orders);
    PyMem_Free(lines);
    PyMem_Free(ensure);
    Py_DECREF(rows);
    return res;
}

PyObject *rp_order_set_status(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id, *status;
    long long at;
    if (!PyArg_ParseTuple(args, "ssL:order_set_status", &id, &status, &at))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_order_set_status(self->e, id, status, at);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_order_tuple(const retain_order *o)
{
    PyObject *lines = PyTuple_New((Py_ssize_t)o->lines_count);
    PyObject *hist = PyTuple_New((Py_ssize_t)o->history_count);
    if (!lines || !hist)
        goto fail;
    for (size_t i = 0; i < o->lines_count; i++) {
        const retain_order_line *l = &o->lines[i];
        PyObject *t = Py_BuildValue("(NNLL)", rp_str_or_none(l->sku), rp_str_or_none(l->title),
                                    (long long)l->quantity, (long long)l->unit_price);
        if (!t)
            goto fail;
        PyTuple_SET_ITEM(lines, (Py_ssize_t)i, t);
    }
    for (size_t i = 0; i < o->history_count; i++) {
        PyObject *t = Py_BuildValue("(NL)", rp_str_or_none(o->history[i].status),
                                    (long long)o->history[i].at);
        if (!t)
            goto fail;
        PyTuple_SET_ITEM(hist, (Py_ssize_t)i, t);
    }
    return Py_BuildValue("(NNNLNLNNLNNN)", rp_str_or_none(o->id), rp_str_or_none(o->customer_id),
                         rp_str_or_none(o->channel), (long long)o->placed_at,
                         rp_str_or_none(o->currency), (long long)o->total,
                         rp_str_or_none(o->coupon), rp_str_or_none(o->status),
                         (long long)o->status_at, lines, rp_str_or_none(o->attrs_json), hist);
fail:
    Py_XDECREF(lines);
    Py_XDECREF(hist);
    return NULL;
}

PyObject *rp_order_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    if (!PyArg_ParseTuple(args, "s:order_get", &id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    retain_order *o = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_order_get(&o, self->e, id);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_order_tuple(o);
    retain_order_free(o);
    rp_leave(self);
    return res;
}

PyObject *rp_shipment_record(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    PyObject *promised;
    long long at;
    if (!PyArg_ParseTuple(args, "sszzzOL:shipment_record", &s.id, &s.order_id, &s.carrier,
                          &s.tracking, &s.tracking_url, &promised, &at))
        return NULL;
    if (rp_opt_time(promised, &s.promised_at))
        return NULL;
    s.at = at;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_shipment_record(self->e, &s);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_shipment_update(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id, *status, *detail;
    long long at;
    PyObject *eta_obj;
    int64_t eta;
    if (!PyArg_ParseTuple(args, "ssLOz:shipment_update", &id, &status, &at, &eta_obj, &detail))
        return NULL;
    if (rp_opt_time(eta_obj, &eta))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_shipment_update(self->e, id, status, at, eta, detail);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

static PyObject *shipment_tuple(const retain_shipment *s)
{
    PyObject *hist = PyTuple_New((Py_ssize_t)s->history_count);
    if (!hist)
        return NULL;
    for (size_t i = 0; i < s->history_count; i++) {
        const retain_shipment_event *ev = &s->history[i];
        PyObject *t = Py_BuildValue("(NLNN)", rp_str_or_none(ev->status), (long long)ev->at,
                                    rp_time_or_none(ev->eta), rp_str_or_none(ev->detail));
        if (!t) {
            Py_DECREF(hist);
            return NULL;
        }
        PyTuple_SET_ITEM(hist, (Py_ssize_t)i, t);
    }
    return Py_BuildValue("(NNNNNNLNLNNNN)", rp_str_or_none(s->id), rp_str_or_none(s->order_id),
                         rp_str_or_none(s->carrier), rp_str_or_none(s->tracking),
                         rp_str_or_none(s->tracking_url), rp_time_or_none(s->promised_at),
                         (long long)s->at, rp_str_or_none(s->status), (long long)s->status_at,
                         rp_time_or_none(s->eta), rp_time_or_none(s->delivered_at),
                         rp_str_or_none(s->exception), hist);
}

PyObject *rp_shipment_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    if (!PyArg_ParseTuple(args, "s:shipment_get", &id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    retain_shipment *s = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_shipment_get(&s, self->e, id);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : shipment_tuple(s);
    retain_shipment_free(s);
    rp_leave(self);
    return res;
}
