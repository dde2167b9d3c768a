/*
 * report.c - Engine.report_html and Engine.report_write of retain/report.h:
 * the HTML report as a str, or written to a file. The package
 * (retain/_engine.py, Engine.report) converts times and names. The GIL is
 * released while libretain reads and fits.
 */
#include "pyretain.h"

/* now, currency, title, holdout_days, unit, period, conversion_window */
static int report_options(PyObject *args, const char *fmt, const char **path,
                          retain_report_options *o)
{
    long long now, window;
    int unit, period;
    int ok = path ? PyArg_ParseTuple(args, fmt, path, &now, &o->currency, &o->title,
                                     &o->holdout_days, &unit, &period, &window)
                  : PyArg_ParseTuple(args, fmt, &now, &o->currency, &o->title, &o->holdout_days,
                                     &unit, &period, &window);
    o->now = (int64_t)now;
    o->unit = (retain_time_unit)unit;
    o->period = (retain_period)period;
    o->conversion_window = (int64_t)window;
    return ok;
}

PyObject *rp_report_html(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    if (!report_options(args, "LzziiiL:report_html", NULL, &o))
        return NULL;
    if (rp_enter(self))
        return NULL;
    char *html = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_report_html(&html, self->e, &o);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : PyUnicode_FromString(html);
    retain_free(self->e, html);
    rp_leave(self);
    return res;
}

PyObject *rp_report_write(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    const char *path;
    if (!report_options(args, "sLzziiiL:report_write", &path, &o))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_report_write(self->e, path, &o);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_None;
    Py_XINCREF(rc ? NULL : res);
    rp_leave(self);
    return res;
}
