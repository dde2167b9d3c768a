/*
 * errors.c - turning libretain status codes into retain.Error exceptions.
 *
 * The exception classes are Python classes (retain/_errors.py) so that they
 * carry docstrings and ordinary constructors; the package hands their
 * factory to this module when it is imported.
 */
#include "pyretain.h"

#include <string.h>

static PyObject *error_factory; /* callable(code, message, line, column, snippet) */
static PyObject *closed_error;  /* retain.EngineClosed */

PyObject *rp_set_error_factory(PyObject *module, PyObject *factory)
{
    if (!PyCallable_Check(factory)) {
        PyErr_SetString(PyExc_TypeError, "the error factory must be callable");
        return NULL;
    }
    Py_XSETREF(error_factory, Py_NewRef(factory));
    Py_RETURN_NONE;
}

PyObject *rp_set_closed_error(PyObject *module, PyObject *cls)
{
    if (!PyExceptionClass_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "expected an exception class");
        return NULL;
    }
    Py_XSETREF(closed_error, Py_NewRef(cls));
    Py_RETURN_NONE;
}

static PyObject *raise_full(int code, const char *message, int line, int column,
                            const char *snippet)
{
    if (!message || !*message)
        message = retain_errstr(code);
    PyObject *msg = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    PyObject *snip = PyUnicode_DecodeUTF8(snippet ? snippet : "",
                                          snippet ? (Py_ssize_t)strlen(snippet) : 0, "replace");
    if (!msg || !snip) {
        Py_XDECREF(msg);
        Py_XDECREF(snip);
        return NULL;
    }
    if (!error_factory) {
        /* Only reachable when _retain is used without the retain package. */
        PyErr_Format(PyExc_RuntimeError, "libretain error %d: %U", code, msg);
    } else {
        PyObject *exc = PyObject_CallFunction(error_factory, "iOiiO", code, msg, line, column,
                                              snip);
        if (exc) {
            PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
            Py_DECREF(exc);
        }
    }
    Py_DECREF(msg);
    Py_DECREF(snip);
    return NULL;
}

PyObject *rp_raise(int code, const char *message)
{
    return raise_full(code, message, 0, 0, NULL);
}

PyObject *rp_raise_engine(EngineObject *self, int code)
{
    const char *msg = self->e ? retain_errmsg(self->e) : NULL;
    return raise_full(code, msg, 0, 0, NULL);
}

PyObject *rp_raise_diag(const retain_diag *d, int code)
{
    return raise_full(code, d->message, d->line, d->column, d->snippet);
}

int rp_raise_closed(void)
{
    if (closed_error)
        PyErr_SetString(closed_error, "the engine is closed");
    else
        PyErr_SetString(PyExc_RuntimeError, "the engine is closed");
    return -1;
}
