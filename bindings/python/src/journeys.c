/*
 * journeys.c - Engine methods of retain/journey.h: loading journeys (every
 * diagnostic of a bad file reaches Python), the tick, and a customer's next
 * touchpoint and explanation.
 *
 * A tick calls the host's transports; those run Python with the GIL taken
 * back (delivery.c), and an exception one of them lets through to stop the
 * run is raised here once the tick has returned.
 */
#include "pyretain.h"

#include <string.h>

/* Diagnostics kept per load: enough to show a person every error of a file. */
#define MAX_DIAGS 64

typedef int (*load_fn)(EngineObject *self, const char *src, const char *origin, int64_t now,
                       retain_diag *diags, size_t *n);

static int load_text(EngineObject *self, const char *src, const char *origin, int64_t now,
                     retain_diag *diags, size_t *n)
{
    return retain_journeys_load(self->e, src, origin, now, diags, MAX_DIAGS, n);
}

static int load_file(EngineObject *self, const char *path, const char *unused, int64_t now,
                     retain_diag *diags, size_t *n)
{
    return retain_journeys_load_file(self->e, path, now, diags, MAX_DIAGS, n);
}

static PyObject *load(EngineObject *self, load_fn fn, const char *src, const char *origin,
                      long long now)
{
    retain_diag *diags = PyMem_Calloc(MAX_DIAGS, sizeof *diags);
    if (!diags)
        return PyErr_NoMemory();
    if (rp_enter(self)) {
        PyMem_Free(diags);
        return NULL;
    }
    size_t n = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = fn(self, src, origin, now, diags, &n);
    Py_END_ALLOW_THREADS
    PyObject *res = Py_NewRef(Py_None);
    if (rc) {
        Py_CLEAR(res);
        rp_raise_diags(self, rc, diags, n < MAX_DIAGS ? n : MAX_DIAGS);
    }
    rp_leave(self);
    PyMem_Free(diags);
    return res;
}

PyObject *rp_journeys_load(PyObject *self, PyObject *args)
{
    const char *yaml, *origin;
    long long now;
    if (!PyArg_ParseTuple(args, "szL:journeys_load", &yaml, &origin, &now))
        return NULL;
    return load((EngineObject *)self, load_text, yaml, origin, now);
}

PyObject *rp_journeys_load_file(PyObject *self, PyObject *args)
{
    const char *path;
    long long now;
    if (!PyArg_ParseTuple(args, "sL:journeys_load_file", &path, &now))
        return NULL;
    return load((EngineObject *)self, load_file, path, NULL, now);
}

PyObject *rp_engine_tick(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long now;
    if (!PyArg_ParseTuple(args, "L:tick", &now))
        return NULL;
    if (rp_enter(self))
        return NULL;
    retain_tick_stats st;
    memset(&st, 0, sizeof st);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_engine_tick(self->e, now, &st);
    Py_END_ALLOW_THREADS
    PyObject *res = NULL;
    if (rp_reraise_callback(self))
        ;
    else if (rc)
        rp_raise_engine(self, rc);
    else
        res = Py_BuildValue("(LLLLLLLLL)", (long long)st.steps, (long long)st.instances,
                            (long long)st.completed, (long long)st.queued, (long long)st.sent,
                            (long long)st.retried, (long long)st.failed,
                            (long long)st.deferred, (long long)st.skipped);
    rp_leave(self);
    return res;
}

PyObject *rp_customer_next(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *cust;
    long long now;
    if (!PyArg_ParseTuple(args, "sL:customer_next", &cust, &now))
        return NULL;
    if (rp_enter(self))
        return NULL;
    retain_touchpoint t;
    memset(&t, 0, sizeof t);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_next(&t, self->e, cust, now);
    Py_END_ALLOW_THREADS
    PyObject *res;
    if (rc)
        res = rp_raise_engine(self, rc);
    else
        res = Py_BuildValue("(iNiNNNNNNN)", (int)t.outlook, rp_str_or_none(t.journey), t.version,
                            rp_str_or_none(t.step), rp_str_or_none(t.channel),
                            rp_str_or_none(t.category), rp_str_or_none(t.template_id),
                            rp_time_or_none(t.due_at), rp_time_or_none(t.send_at),
                            rp_str_or_none(t.reason));
    rp_leave(self);
    return res;
}

PyObject *rp_customer_explain(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *cust;
    long long now;
    if (!PyArg_ParseTuple(args, "sL:customer_explain", &cust, &now))
        return NULL;
    if (rp_enter(self))
        return NULL;
    char *json = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_explain(&json, self->e, cust, now);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_take_json(self, json);
    rp_leave(self);
    return res;
}

int rp_journeys_init(PyObject *m)
{
    static const struct { const char *name; int value; } k[] = {
        { "OUTLOOK_NONE", RETAIN_OUTLOOK_NONE },
        { "OUTLOOK_SEND", RETAIN_OUTLOOK_SEND },
        { "OUTLOOK_DEFER", RETAIN_OUTLOOK_DEFER },
        { "OUTLOOK_SUPPRESS", RETAIN_OUTLOOK_SUPPRESS },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (PyModule_AddIntConstant(m, k[i].name, k[i].value) < 0)
            return -1;
    return 0;
}
