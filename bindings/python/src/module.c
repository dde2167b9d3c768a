/*
 * module.c - the retain._retain extension module: version information,
 * status codes, currencies, and the types and functions of the other files.
 */
#include "pyretain.h"

#include <limits.h>
#include <string.h>

int rp_opt_time(PyObject *o, int64_t *out)
{
    if (o == Py_None) {
        *out = RETAIN_TIME_NONE;
        return 0;
    }
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

PyObject *rp_time_or_none(int64_t t)
{
    if (t == RETAIN_TIME_NONE)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(t);
}

PyObject *rp_str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static PyObject *mod_version(PyObject *m, PyObject *unused)
{
    return PyUnicode_FromString(retain_version());
}

static PyObject *mod_version_number(PyObject *m, PyObject *unused)
{
    return PyLong_FromLong(retain_version_number());
}

static PyObject *mod_schema_version(PyObject *m, PyObject *unused)
{
    return PyLong_FromLong(retain_schema_version());
}

static PyObject *mod_errstr(PyObject *m, PyObject *arg)
{
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred())
        return NULL;
    if (code < INT_MIN || code > INT_MAX)
        code = INT_MIN; /* "unknown status code" */
    return PyUnicode_FromString(retain_errstr((int)code));
}

static PyObject *mod_currency_digits(PyObject *m, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "a currency code must be a str");
        return NULL;
    }
    const char *code = PyUnicode_AsUTF8(arg);
    if (!code)
        return NULL;
    return PyLong_FromLong(retain_currency_digits(code));
}

static PyMethodDef module_methods[] = {
    { "version", mod_version, METH_NOARGS, "version() -> the linked libretain's version string" },
    { "version_number", mod_version_number, METH_NOARGS,
      "version_number() -> major*10000 + minor*100 + patch" },
    { "schema_version", mod_schema_version, METH_NOARGS,
      "schema_version() -> the database format version" },
    { "errstr", mod_errstr, METH_O, "errstr(code) -> short English name of a status code" },
    { "currency_digits", mod_currency_digits, METH_O,
      "currency_digits(code) -> minor-unit digits of an ISO 4217 code, or -1" },
    { "_set_error_factory", rp_set_error_factory, METH_O,
      "Set the callable(code, message, line, column, snippet) that builds exceptions." },
    { "_set_closed_error", rp_set_closed_error, METH_O,
      "Set the exception class raised when a closed engine is used." },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "retain._retain",
    .m_doc = "Low-level binding of libretain; use the retain package instead.",
    .m_size = -1,
    .m_methods = module_methods,
};

static const struct { const char *name; int value; } int_constants[] = {
    { "OK", RETAIN_OK },
    { "EINVAL", RETAIN_EINVAL },
    { "ENOTFOUND", RETAIN_ENOTFOUND },
    { "ECONFLICT", RETAIN_ECONFLICT },
    { "ECONSTRAINT", RETAIN_ECONSTRAINT },
    { "ENOMEM", RETAIN_ENOMEM },
    { "EIO", RETAIN_EIO },
    { "EBUSY", RETAIN_EBUSY },
    { "EPARSE", RETAIN_EPARSE },
    { "ELIMIT", RETAIN_ELIMIT },
    { "EUNSUPPORTED", RETAIN_EUNSUPPORTED },
    { "EINTERNAL", RETAIN_EINTERNAL },
    { "EUSER", RETAIN_EUSER },
    { "EMISUSE", RETAIN_EMISUSE },
    { "EFULL", RETAIN_EFULL },
    { "CONSENT_UNKNOWN", RETAIN_CONSENT_UNKNOWN },
    { "CONSENT_GRANTED", RETAIN_CONSENT_GRANTED },
    { "CONSENT_REVOKED", RETAIN_CONSENT_REVOKED },
    { "HEADER_VERSION_NUMBER", RETAIN_VERSION_NUMBER },
#ifdef RETAIN_PY_HAVE_MODEL
    { "HAVE_MODELS", 1 },
#else
    { "HAVE_MODELS", 0 },
#endif
#ifdef RETAIN_PY_HAVE_RULE
    { "HAVE_RULES", 1 },
#else
    { "HAVE_RULES", 0 },
#endif
#ifdef RETAIN_PY_HAVE_JOURNEY
    { "HAVE_JOURNEYS", 1 },
#else
    { "HAVE_JOURNEYS", 0 },
#endif
#ifdef RETAIN_PY_HAVE_TRANSPORT
    { "HAVE_DELIVERY", 1 },
#else
    { "HAVE_DELIVERY", 0 },
#endif
#ifdef RETAIN_PY_HAVE_POLICY
    { "HAVE_POLICY", 1 },
#else
    { "HAVE_POLICY", 0 },
#endif
#ifdef RETAIN_PY_HAVE_COUPONS
    { "HAVE_COUPONS", 1 },
#else
    { "HAVE_COUPONS", 0 },
#endif
#ifdef RETAIN_PY_HAVE_REFRESH
    { "HAVE_REFRESH", 1 },
#else
    { "HAVE_REFRESH", 0 },
#endif
#ifdef RETAIN_PY_HAVE_REPORT
    { "HAVE_REPORT", 1 },
#else
    { "HAVE_REPORT", 0 },
#endif
#ifdef RETAIN_PY_HAVE_METRICS
    { "HAVE_METRICS", 1 },
#else
    { "HAVE_METRICS", 0 },
#endif
#ifdef RETAIN_PY_HAVE_DOMAIN
    { "HAVE_DOMAIN", 1 },
#else
    { "HAVE_DOMAIN", 0 },
#endif
};

PyMODINIT_FUNC PyInit__retain(void);

PyMODINIT_FUNC PyInit__retain(void)
{
    if (PyType_Ready(&RpEngine_Type) < 0 || PyType_Ready(&RpIter_Type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    for (size_t i = 0; i < sizeof int_constants / sizeof int_constants[0]; i++)
        if (PyModule_AddIntConstant(m, int_constants[i].name, int_constants[i].value) < 0)
            goto fail;
    if (PyModule_AddStringConstant(m, "HEADER_VERSION", RETAIN_VERSION_STRING) < 0 ||
        PyModule_AddObjectRef(m, "Engine", (PyObject *)&RpEngine_Type) < 0 ||
        PyModule_AddObjectRef(m, "Iterator", (PyObject *)&RpIter_Type) < 0)
        goto fail;
#ifdef RETAIN_PY_HAVE_MODEL
    if (rp_models_init(m) < 0)
        goto fail;
#endif
#ifdef RETAIN_PY_HAVE_RULE
    if (rp_rules_init(m) < 0)
        goto fail;
#endif
#ifdef RETAIN_PY_HAVE_JOURNEY
    if (rp_journeys_init(m) < 0)
        goto fail;
#endif
#ifdef RETAIN_PY_HAVE_TRANSPORT
    if (rp_delivery_init(m) < 0)
        goto fail;
#endif
#ifdef RETAIN_PY_HAVE_METRICS
    if (rp_metrics_init(m) < 0)
        goto fail;
#endif
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
