/*
 * pyretain_base.h - what every file of the retain._retain extension shares,
 * including models.c, which cannot include <retain.h> together with
 * <retain/model.h> (both define RETAIN_TIME_NONE): Python, the status codes
 * and diagnostics, error raising.
 */
#ifndef PYRETAIN_BASE_H
#define PYRETAIN_BASE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <retain/common.h>

/* Methods take (PyObject *, PyObject *) or three arguments; the table needs PyCFunction. */
#define RP_METH(f) ((PyCFunction)(void (*)(void))(f))

/* Raise the retain.Error subclass for `code` with `message`; returns NULL. */
PyObject *rp_raise(int code, const char *message);
/* Raise from a retain_diag (parse and model errors); returns NULL. */
PyObject *rp_raise_diag(const retain_diag *d, int code);
/* retain.EngineClosed; returns -1. */
int rp_raise_closed(void);
/* Set the Python factory that builds exceptions (retain._errors._make). */
PyObject *rp_set_error_factory(PyObject *module, PyObject *factory);
PyObject *rp_set_closed_error(PyObject *module, PyObject *cls);
/* NULL -> None; UTF-8 decoded with replacement (messages may be cut mid-character). */
PyObject *rp_str_or_none(const char *s);

#ifdef RETAIN_PY_HAVE_MODEL
/* models.c: add the model functions to the module. */
int rp_models_init(PyObject *module);
/* models.c: a model tuple (kind, unit, params, ...) as a retain_model; 0 or -1. */
struct retain_model;
int rp_get_model(PyObject *t, struct retain_model *m);
/* models.c: a retain_model as the tuple model_fit returns. */
PyObject *rp_model_tuple(const struct retain_model *m);
#endif
#ifdef RETAIN_PY_HAVE_RULE
/* rules.c: add the rule types and functions to the module. */
int rp_rules_init(PyObject *module);
#endif

#endif /* PYRETAIN_BASE_H */
