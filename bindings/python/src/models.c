/*
 * models.c - RFM summaries, the probabilistic models and CLV
 * (retain/model.h) over the buffer protocol.
 *
 * Every array argument is any object exporting a C-contiguous 1-D buffer
 * of float64 (int64 for ids and times): a NumPy array is read and written
 * in place, without a copy; the Python layer converts anything else. The
 * GIL is released while libretain computes; the buffers stay locked
 * meanwhile.
 *
 * A model crosses the boundary as a tuple (kind, unit, (p0, p1, p2, p3),
 * loglik, weight, rows, iterations, converged, grad_norm); only the first
 * three members are read back.
 */
#include "pyretain_base.h"

#include <retain/model.h>

#include <math.h>
#include <string.h>

/* ---- buffers ---- */

/* Up to this many buffers per call. */
#define MAX_BUFS 8

typedef struct bufset {
    Py_buffer b[MAX_BUFS];
    int n;
} bufset;

static void bufs_release(bufset *s)
{
    for (int i = 0; i < s->n; i++)
        PyBuffer_Release(&s->b[i]);
    s->n = 0;
}

static int format_is(const char *fmt, char want)
{
    if (!fmt)
        return want == 'B';
    if (*fmt == '@' || *fmt == '=' || *fmt == '<')
        fmt++;
    if (want == 'q') /* int64: 'q', or 'l' where long is 64-bit */
        return (fmt[0] == 'q' || (fmt[0] == 'l' && sizeof(long) == 8)) && fmt[1] == '\0';
    return fmt[0] == want && fmt[1] == '\0';
}

/* Borrow a 1-D contiguous buffer of doubles ('d') or int64 ('q'). None -> NULL
 * data when `optional`. *n is set from the first array and checked on the others. */
static int get_array(bufset *s, PyObject *o, const char *what, char type, int writable,
                     int optional, void **data, Py_ssize_t *n)
{
    *data = NULL;
    if (o == Py_None && optional)
        return 0;
    if (s->n == MAX_BUFS) {
        PyErr_SetString(PyExc_SystemError, "too many buffers");
        return -1;
    }
    Py_buffer *b = &s->b[s->n];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(o, b, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous%s array of %s", what,
                     writable ? " writable" : "", type == 'd' ? "float64" : "int64");
        return -1;
    }
    s->n++;
    if (b->ndim > 1 || b->itemsize != 8 || !format_is(b->format, type)) {
        PyErr_Format(PyExc_TypeError, "%s must be a 1-D array of %s (got format %s)", what,
                     type == 'd' ? "float64" : "int64", b->format ? b->format : "B");
        return -1;
    }
    Py_ssize_t len = b->len / 8;
    if (*n < 0) {
        *n = len;
    } else if (len != *n) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements; expected %zd", what, len, *n);
        return -1;
    }
    *data = b->buf;
    return 0;
}

/* (x, t_x or None, T or None, monetary or None, weight or None) and a unit -> view. */
static int get_data(bufset *s, PyObject *tuple, int unit, retain_rfm_data *d)
{
    PyObject *x, *tx, *T, *mon, *w;
    retain_rfm_data init = RETAIN_RFM_DATA_INIT;
    *d = init;
    if (!PyArg_ParseTuple(tuple, "OOOOO:data", &x, &tx, &T, &mon, &w))
        return -1;
    Py_ssize_t n = -1;
    void *px, *ptx, *pT, *pm, *pw;
    if (get_array(s, x, "x", 'd', 0, 0, &px, &n) || get_array(s, tx, "t_x", 'd', 0, 1, &ptx, &n) ||
        get_array(s, T, "T", 'd', 0, 1, &pT, &n) ||
        get_array(s, mon, "monetary", 'd', 0, 1, &pm, &n) ||
        get_array(s, w, "weights", 'd', 0, 1, &pw, &n))
        return -1;
    d->n = (size_t)n;
    d->x = px;
    d->t_x = ptx;
    d->T = pT;
    d->monetary = pm;
    d->weight = pw;
    d->unit = (retain_time_unit)unit;
    return 0;
}

/* get_data(), plus an output array of one double per row (optional: NULL for None).
 * On failure the buffers are released. */
static int get_data_out(bufset *s, PyObject *tuple, int unit, retain_rfm_data *d,
                        PyObject *out_o, int optional, void **out)
{
    Py_ssize_t n = -1;
    if (get_data(s, tuple, unit, d) == 0) {
        n = (Py_ssize_t)d->n;
        if (get_array(s, out_o, "out", 'd', 1, optional, out, &n) == 0)
            return 0;
    }
    bufs_release(s);
    return -1;
}

/* ---- models ---- */

int rp_get_model(PyObject *t, retain_model *m)
{
    memset(m, 0, sizeof *m);
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 3) {
        PyErr_SetString(PyExc_TypeError, "a model is a tuple (kind, unit, params, ...)");
        return -1;
    }
    int kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
    int unit = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
    if (PyErr_Occurred())
        return -1;
    PyObject *p = PySequence_Fast(PyTuple_GET_ITEM(t, 2), "model parameters must be a sequence");
    if (!p)
        return -1;
    Py_ssize_t np = PySequence_Fast_GET_SIZE(p);
    if (np > 4) {
        Py_DECREF(p);
        PyErr_SetString(PyExc_ValueError, "a model has at most 4 parameters");
        return -1;
    }
    for (Py_ssize_t i = 0; i < np; i++) {
        m->param.v[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(p, i));
        if (m->param.v[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(p);
            return -1;
        }
    }
    Py_DECREF(p);
    m->kind = (retain_model_kind)kind;
    m->unit = (retain_time_unit)unit;
    m->loglik = NAN;
    return 0;
}

PyObject *rp_model_tuple(const struct retain_model *m)
{
    return Py_BuildValue("(ii(dddd)ddniid)", (int)m->kind, (int)m->unit, m->param.v[0],
                         m->param.v[1], m->param.v[2], m->param.v[3], m->loglik, m->weight,
                         (Py_ssize_t)m->rows, m->iterations, m->converged, m->grad_norm);
}

static PyObject *py_model_param_count(PyObject *mod, PyObject *arg)
{
    long k = PyLong_AsLong(arg);
    if (k == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(retain_model_param_count((retain_model_kind)k));
}

static PyObject *py_model_kind_name(PyObject *mod, PyObject *arg)
{
    long k = PyLong_AsLong(arg);
    if (k == -1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromString(retain_model_kind_name((retain_model_kind)k));
}

/* model_fit(kind, data, unit, max_iterations, tolerance, start or None) -> model */
static PyObject *py_model_fit(PyObject *mod, PyObject *args)
{
    int kind, unit, max_it;
    double tol;
    PyObject *data, *start;
    if (!PyArg_ParseTuple(args, "iO!iidO:model_fit", &kind, &PyTuple_Type, &data, &unit, &max_it,
                          &tol, &start))
        return NULL;
    bufset s = { .n = 0 };
    retain_rfm_data d;
    retain_model_options opts = RETAIN_MODEL_OPTIONS_INIT;
    double startv[4];
    opts.max_iterations = max_it;
    opts.tolerance = tol;
    if (start != Py_None) {
        PyObject *p = PySequence_Fast(start, "start must be a sequence of numbers");
        if (!p)
            return NULL;
        Py_ssize_t np = PySequence_Fast_GET_SIZE(p);
        int want = retain_model_param_count((retain_model_kind)kind);
        if (np != want) {
            Py_DECREF(p);
            return PyErr_Format(PyExc_ValueError, "start has %zd values; this model has %d "
                                "parameters", np, want);
        }
        for (Py_ssize_t i = 0; i < np; i++)
            startv[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(p, i));
        Py_DECREF(p);
        if (PyErr_Occurred())
            return NULL;
        opts.start = startv;
    }
    if (get_data(&s, data, unit, &d)) {
        bufs_release(&s);
        return NULL;
    }
    retain_model m;
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_model_fit(&m, (retain_model_kind)kind, &d, &opts, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    return rc ? rp_raise_diag(&diag, rc) : rp_model_tuple(&m);
}

/* model_init(kind, unit, params) -> model */
static PyObject *py_model_init(PyObject *mod, PyObject *args)
{
    int kind, unit;
    PyObject *params;
    if (!PyArg_ParseTuple(args, "iiO:model_init", &kind, &unit, &params))
        return NULL;
    PyObject *t = Py_BuildValue("(iiO)", kind, unit, params);
    if (!t)
        return NULL;
    retain_model tmp;
    int bad = rp_get_model(t, &tmp);
    Py_DECREF(t);
    if (bad)
        return NULL;
    retain_model m;
    retain_diag diag;
    int rc = retain_model_init(&m, (retain_model_kind)kind, (retain_time_unit)unit, tmp.param.v,
                               &diag);
    return rc ? rp_raise_diag(&diag, rc) : rp_model_tuple(&m);
}

/* model_convert(model, unit) -> model */
static PyObject *py_model_convert(PyObject *mod, PyObject *args)
{
    PyObject *mt;
    int unit;
    retain_model in, out;
    if (!PyArg_ParseTuple(args, "Oi:model_convert", &mt, &unit) || rp_get_model(mt, &in))
        return NULL;
    retain_diag diag;
    int rc = retain_model_convert(&out, &in, (retain_time_unit)unit, &diag);
    return rc ? rp_raise_diag(&diag, rc) : rp_model_tuple(&out);
}

/* model_loglik(model, data, unit, rows_out or None) -> total */
static PyObject *py_model_loglik(PyObject *mod, PyObject *args)
{
    PyObject *mt, *data, *rows_o;
    int unit;
    retain_model m;
    if (!PyArg_ParseTuple(args, "OO!iO:model_loglik", &mt, &PyTuple_Type, &data, &unit,
                          &rows_o) ||
        rp_get_model(mt, &m))
        return NULL;
    bufset s = { .n = 0 };
    retain_rfm_data d;
    void *rows = NULL;
    if (get_data_out(&s, data, unit, &d, rows_o, 1, &rows))
        return NULL;
    double total = 0.0;
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_model_loglik(&total, rows, &m, &d, NULL, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    return rc ? rp_raise_diag(&diag, rc) : PyFloat_FromDouble(total);
}

/* model_expected(model, t, unit, out) */
static PyObject *py_model_expected(PyObject *mod, PyObject *args)
{
    PyObject *mt, *t_o, *out_o;
    int unit;
    retain_model m;
    if (!PyArg_ParseTuple(args, "OOiO:model_expected", &mt, &t_o, &unit, &out_o) ||
        rp_get_model(mt, &m))
        return NULL;
    bufset s = { .n = 0 };
    void *t, *out;
    Py_ssize_t n = -1;
    if (get_array(&s, t_o, "t", 'd', 0, 0, &t, &n) ||
        get_array(&s, out_o, "out", 'd', 1, 0, &out, &n)) {
        bufs_release(&s);
        return NULL;
    }
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_model_expected(out, &m, t, (size_t)n, (retain_time_unit)unit, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    return rc ? rp_raise_diag(&diag, rc) : Py_NewRef(out_o);
}

enum { PER_ROW_P_ALIVE, PER_ROW_COND, PER_ROW_SPEND };

/* Predictions with one output per row of data. */
static PyObject *per_row(PyObject *args, int what)
{
    PyObject *mt, *data, *out_o;
    int unit, t_unit = 0;
    double t = 0.0;
    retain_model m;
    int ok = what == PER_ROW_COND
                 ? PyArg_ParseTuple(args, "OO!idiO:conditional_expected", &mt, &PyTuple_Type,
                                    &data, &unit, &t, &t_unit, &out_o)
                 : PyArg_ParseTuple(args, "OO!iO:predict", &mt, &PyTuple_Type, &data, &unit,
                                    &out_o);
    if (!ok || rp_get_model(mt, &m))
        return NULL;
    bufset s = { .n = 0 };
    retain_rfm_data d;
    void *out;
    if (get_data_out(&s, data, unit, &d, out_o, 0, &out))
        return NULL;
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    switch (what) {
    case PER_ROW_P_ALIVE:
        rc = retain_model_p_alive(out, &m, &d, &diag);
        break;
    case PER_ROW_COND:
        rc = retain_model_conditional_expected(out, &m, &d, t, (retain_time_unit)t_unit, &diag);
        break;
    default:
        rc = retain_gammagamma_expected_spend(out, &m, &d, &diag);
        break;
    }
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    return rc ? rp_raise_diag(&diag, rc) : Py_NewRef(out_o);
}

static PyObject *py_model_p_alive(PyObject *mod, PyObject *args)
{
    return per_row(args, PER_ROW_P_ALIVE);
}

static PyObject *py_model_conditional_expected(PyObject *mod, PyObject *args)
{
    return per_row(args, PER_ROW_COND);
}

static PyObject *py_gammagamma_expected_spend(PyObject *mod, PyObject *args)
{
    return per_row(args, PER_ROW_SPEND);
}

/* model_pmf(model, t, unit, out): P(X(t) = k) for k < len(out) */
static PyObject *py_model_pmf(PyObject *mod, PyObject *args)
{
    PyObject *mt, *out_o;
    double t;
    int unit;
    retain_model m;
    if (!PyArg_ParseTuple(args, "OdiO:model_pmf", &mt, &t, &unit, &out_o) || rp_get_model(mt, &m))
        return NULL;
    bufset s = { .n = 0 };
    void *out;
    Py_ssize_t n = -1;
    if (get_array(&s, out_o, "out", 'd', 1, 0, &out, &n)) {
        bufs_release(&s);
        return NULL;
    }
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_model_pmf(out, (size_t)n, &m, t, (retain_time_unit)unit, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    return rc ? rp_raise_diag(&diag, rc) : Py_NewRef(out_o);
}

/* clv(purchase, spend, data, unit, margin, discount_rate, period_length, period_unit,
 *     periods, out) */
static PyObject *py_clv(PyObject *mod, PyObject *args)
{
    PyObject *pt, *st, *data, *out_o;
    int unit;
    retain_model purchase, spend;
    retain_clv_options o = RETAIN_CLV_OPTIONS_INIT;
    int punit;
    if (!PyArg_ParseTuple(args, "OOO!idddiiO:clv", &pt, &st, &PyTuple_Type, &data, &unit,
                          &o.margin, &o.discount_rate, &o.period_length, &punit, &o.periods,
                          &out_o) ||
        rp_get_model(pt, &purchase) || rp_get_model(st, &spend))
        return NULL;
    o.period_unit = (retain_time_unit)punit;
    bufset s = { .n = 0 };
    retain_rfm_data d;
    void *out;
    if (get_data_out(&s, data, unit, &d, out_o, 0, &out))
        return NULL;
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_clv(out, &purchase, &spend, &d, &o, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    return rc ? rp_raise_diag(&diag, rc) : Py_NewRef(out_o);
}

/* ---- RFM summaries ---- */

static PyObject *bytes_of(const void *p, size_t n, size_t size)
{
    if (!p)
        Py_RETURN_NONE;
    return PyByteArray_FromStringAndSize(p, (Py_ssize_t)(n * size));
}

/* A summary as a dict of bytearrays (float64, or int64 for customer and row_of). */
static PyObject *rfm_dict(const retain_rfm *r)
{
    PyObject *row_of = Py_None;
    Py_INCREF(row_of);
    if (r->row_of) {
        Py_DECREF(row_of);
        row_of = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(r->n_input * 8));
        if (!row_of)
            return NULL;
        int64_t *dst = (int64_t *)PyByteArray_AS_STRING(row_of);
        for (size_t i = 0; i < r->n_input; i++)
            dst[i] = (int64_t)r->row_of[i];
    }
    return Py_BuildValue("{s:n,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:i,s:d}", "n", (Py_ssize_t)r->n,
                         "customer", bytes_of(r->customer, r->n, 8), "x", bytes_of(r->x, r->n, 8),
                         "t_x", bytes_of(r->t_x, r->n, 8), "T", bytes_of(r->T, r->n, 8),
                         "monetary", bytes_of(r->monetary, r->n, 8), "holdout_x",
                         bytes_of(r->holdout_x, r->n, 8), "weight", bytes_of(r->weight, r->n, 8),
                         "row_of", row_of, "unit", (int)r->unit, "holdout_length",
                         r->holdout_length);
}

/* rfm_summarize(customer, time, time_kind, amount|None, value|None, end, end2|None, unit)
 * end2 given: a calibration/holdout split ending at end2. */
static PyObject *py_rfm_summarize(PyObject *mod, PyObject *args)
{
    PyObject *cust_o, *time_o, *amount_o, *value_o, *end2_o;
    int kind, unit;
    long long end;
    if (!PyArg_ParseTuple(args, "OOiOOLOi:rfm_summarize", &cust_o, &time_o, &kind, &amount_o,
                          &value_o, &end, &end2_o, &unit))
        return NULL;
    long long end2 = 0;
    if (end2_o != Py_None) {
        end2 = PyLong_AsLongLong(end2_o);
        if (end2 == -1 && PyErr_Occurred())
            return NULL;
    }
    bufset s = { .n = 0 };
    retain_txns tx = RETAIN_TXNS_INIT;
    void *cust, *tm, *amount, *value;
    Py_ssize_t n = -1;
    if (get_array(&s, cust_o, "customer", 'q', 0, 0, &cust, &n) ||
        get_array(&s, time_o, "time", 'q', 0, 0, &tm, &n) ||
        get_array(&s, amount_o, "amount", 'q', 0, 1, &amount, &n) ||
        get_array(&s, value_o, "value", 'd', 0, 1, &value, &n)) {
        bufs_release(&s);
        return NULL;
    }
    tx.n = (size_t)n;
    tx.customer = cust;
    tx.time = tm;
    tx.time_kind = (retain_time_kind)kind;
    tx.amount = amount;
    tx.value = value;
    retain_rfm r;
    memset(&r, 0, sizeof r);
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (end2_o == Py_None)
        rc = retain_rfm_summarize(&r, &tx, end, (retain_time_unit)unit, NULL, &diag);
    else
        rc = retain_rfm_split(&r, &tx, end, end2, (retain_time_unit)unit, NULL, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    if (rc)
        return rp_raise_diag(&diag, rc);
    PyObject *res = rfm_dict(&r);
    retain_rfm_clear(&r);
    return res;
}

/* rfm_compress(data, unit) -> dict */
static PyObject *py_rfm_compress(PyObject *mod, PyObject *args)
{
    PyObject *data;
    int unit;
    if (!PyArg_ParseTuple(args, "O!i:rfm_compress", &PyTuple_Type, &data, &unit))
        return NULL;
    bufset s = { .n = 0 };
    retain_rfm_data d;
    if (get_data(&s, data, unit, &d)) {
        bufs_release(&s);
        return NULL;
    }
    retain_rfm r;
    memset(&r, 0, sizeof r);
    retain_diag diag;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_rfm_compress(&r, &d, NULL, &diag);
    Py_END_ALLOW_THREADS
    bufs_release(&s);
    if (rc)
        return rp_raise_diag(&diag, rc);
    PyObject *res = rfm_dict(&r);
    retain_rfm_clear(&r);
    return res;
}

static PyMethodDef model_methods[] = {
    { "model_param_count", py_model_param_count, METH_O, "model_param_count(kind) -> int" },
    { "model_kind_name", py_model_kind_name, METH_O, "model_kind_name(kind) -> str" },
    { "model_fit", py_model_fit, METH_VARARGS,
      "model_fit(kind, data, unit, max_iterations, tolerance, start) -> model" },
    { "model_init", py_model_init, METH_VARARGS, "model_init(kind, unit, params) -> model" },
    { "model_convert", py_model_convert, METH_VARARGS, "model_convert(model, unit) -> model" },
    { "model_loglik", py_model_loglik, METH_VARARGS,
      "model_loglik(model, data, unit, rows_out) -> float" },
    { "model_expected", py_model_expected, METH_VARARGS, "model_expected(model, t, unit, out)" },
    { "model_conditional_expected", py_model_conditional_expected, METH_VARARGS,
      "model_conditional_expected(model, data, unit, t, t_unit, out)" },
    { "model_p_alive", py_model_p_alive, METH_VARARGS, "model_p_alive(model, data, unit, out)" },
    { "model_pmf", py_model_pmf, METH_VARARGS, "model_pmf(model, t, unit, out)" },
    { "gammagamma_expected_spend", py_gammagamma_expected_spend, METH_VARARGS,
      "gammagamma_expected_spend(model, data, unit, out)" },
    { "clv", py_clv, METH_VARARGS,
      "clv(purchase, spend, data, unit, margin, discount_rate, period_length, period_unit, "
      "periods, out)" },
    { "rfm_summarize", py_rfm_summarize, METH_VARARGS,
      "rfm_summarize(customer, time, time_kind, amount, value, end, holdout_end, unit) -> dict" },
    { "rfm_compress", py_rfm_compress, METH_VARARGS, "rfm_compress(data, unit) -> dict" },
    { NULL, NULL, 0, NULL },
};

int rp_models_init(PyObject *module)
{
    static const struct { const char *name; int value; } k[] = {
        { "UNIT_NONE", RETAIN_UNIT_NONE },
        { "UNIT_DAY", RETAIN_UNIT_DAY },
        { "UNIT_WEEK", RETAIN_UNIT_WEEK },
        { "UNIT_PERIOD", RETAIN_UNIT_PERIOD },
        { "TIME_MS", RETAIN_TIME_MS },
        { "TIME_DAY", RETAIN_TIME_DAY },
        { "MODEL_BGNBD", RETAIN_MODEL_BGNBD },
        { "MODEL_PARETO_NBD", RETAIN_MODEL_PARETO_NBD },
        { "MODEL_MBGNBD", RETAIN_MODEL_MBGNBD },
        { "MODEL_BGBB", RETAIN_MODEL_BGBB },
        { "MODEL_GAMMA_GAMMA", RETAIN_MODEL_GAMMA_GAMMA },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (PyModule_AddIntConstant(module, k[i].name, k[i].value) < 0)
            return -1;
    return PyModule_AddFunctions(module, model_methods);
}
