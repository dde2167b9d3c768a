/*
 * audit.c - Engine.audit: retain/audit.h's self-audit as JSON text, of the
 * installed journeys or of journey texts audited as if installed.
 */
#include "pyretain.h"

#define MAX_DIAGS 64

/* Borrow the UTF-8 of every str in `seq` (a tuple kept alive by the
 * caller's arguments); None elements are NULL when `none_ok`. */
static const char **utf8_array(PyObject *seq, Py_ssize_t n, int none_ok, const char *what)
{
    const char **v = PyMem_Calloc((size_t)n + 1, sizeof *v);
    if (!v) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GET_ITEM(seq, i);
        if (none_ok && o == Py_None)
            continue;
        if (!PyUnicode_Check(o) || !(v[i] = PyUnicode_AsUTF8(o))) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s[%zd] must be a str", what, i);
            PyMem_Free(v);
            return NULL;
        }
    }
    return v;
}

PyObject *rp_audit(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long now;
    PyObject *texts = Py_None, *origins = Py_None;
    if (!PyArg_ParseTuple(args, "L|OO:audit", &now, &texts, &origins))
        return NULL;
    if ((texts != Py_None && !PyTuple_Check(texts)) ||
        (origins != Py_None && !PyTuple_Check(origins))) {
        PyErr_SetString(PyExc_TypeError, "audit: yaml_texts and origins must be tuples or None");
        return NULL;
    }
    Py_ssize_t n = texts == Py_None ? 0 : PyTuple_GET_SIZE(texts);
    if (origins != Py_None && PyTuple_GET_SIZE(origins) != n) {
        PyErr_SetString(PyExc_ValueError, "audit: origins must name every text");
        return NULL;
    }
    const char **yaml = NULL, **names = NULL;
    retain_diag *diags = PyMem_Calloc(MAX_DIAGS, sizeof *diags);
    if (!diags)
        return PyErr_NoMemory();
    if (texts != Py_None && !(yaml = utf8_array(texts, n, 0, "yaml_texts")))
        goto fail;
    if (origins != Py_None && !(names = utf8_array(origins, n, 1, "origins")))
        goto fail;
    if (rp_enter(self))
        goto fail;
    retain_audit *a = NULL;
    char *json = NULL;
    size_t nd = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = texts == Py_None ? retain_audit_run(&a, self->e, now)
                          : retain_audit_run_yaml(&a, self->e, yaml, names, (size_t)n, now, diags,
                                                  MAX_DIAGS, &nd);
    if (rc == RETAIN_OK)
        rc = retain_audit_json(&json, a);
    retain_audit_free(a);
    Py_END_ALLOW_THREADS
    PyObject *res = NULL;
    if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT)
        rp_raise_diags(self, rc, diags, nd < MAX_DIAGS ? nd : MAX_DIAGS);
    else if (rc)
        rp_raise_engine(self, rc);
    else
        res = rp_take_json(self, json);
    rp_leave(self);
    PyMem_Free(yaml);
    PyMem_Free(names);
    PyMem_Free(diags);
    return res;
fail:
    PyMem_Free(yaml);
    PyMem_Free(names);
    PyMem_Free(diags);
    return NULL;
}
