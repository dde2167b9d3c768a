/*
 * diag.c - the model subsystem's small shared helpers: filling a
 * retain_diag, resolving options, and time units.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "model.h"

int rt_mdiag(retain_diag *diag, int code, size_t row, const char *fmt, ...)
{
    if (!diag)
        return code;
    memset(diag, 0, sizeof *diag);
    diag->code = code;
    diag->line = row > (size_t)0x7fffffff ? 0x7fffffff : (int)row;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
    return code;
}

void rt_mdiag_ok(retain_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
}

int rt_mopts(retain_model_options *o, const retain_model_options *in, retain_diag *diag)
{
    retain_model_options def = RETAIN_MODEL_OPTIONS_INIT;
    if (in && (in->version == 0 || in->version > RETAIN_MODEL_OPTIONS_VERSION))
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "options.version is %u; initialize options with "
                        "RETAIN_MODEL_OPTIONS_INIT (version %d)",
                        in->version, RETAIN_MODEL_OPTIONS_VERSION);
    *o = in ? *in : def;
    rt_allocator_resolve(&o->allocator, in ? &in->allocator : NULL);
    if (o->max_iterations < 0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "options.max_iterations is %d; it must be >= 0",
                        o->max_iterations);
    if (o->max_iterations == 0)
        o->max_iterations = 500;
    if (!(o->tolerance >= 0.0))
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "options.tolerance must be >= 0");
    if (o->tolerance == 0.0)
        o->tolerance = 1e-8;
    return RETAIN_OK;
}

static double unit_days(retain_time_unit u)
{
    switch (u) {
    case RETAIN_UNIT_DAY: return 1.0;
    case RETAIN_UNIT_WEEK: return 7.0;
    default: return 0.0;
    }
}

double rt_unit_factor(retain_time_unit from, retain_time_unit to)
{
    if (from == RETAIN_UNIT_PERIOD || to == RETAIN_UNIT_PERIOD)
        return from == to ? 1.0 : 0.0;
    double f = unit_days(from), t = unit_days(to);
    if (f == 0.0 || t == 0.0)
        return 0.0;
    return f == t ? 1.0 : f / t;
}

const char *rt_unit_name(retain_time_unit u)
{
    switch (u) {
    case RETAIN_UNIT_DAY: return "days";
    case RETAIN_UNIT_WEEK: return "weeks";
    case RETAIN_UNIT_PERIOD: return "periods";
    case RETAIN_UNIT_NONE: return "no unit";
    default: return "an unknown unit";
    }
}

int rt_check_input(retain_diag *diag, const char *name, unsigned version, unsigned current,
                   const char *init, size_t n, const char *noun)
{
    if (version == 0 || version > current)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s.version is %u; initialize it with %s (version %u)",
                        name, version, init, current);
    if (n == 0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s has no %s (n = 0)", name, noun);
    if (n > (size_t)UINT32_MAX - 1)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s has %zu %s; at most %u are supported", name, n,
                        noun, (unsigned)(UINT32_MAX - 1));
    return RETAIN_OK;
}
