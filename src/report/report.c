/*
 * report.c - retain_report_html and retain_report_write: check the
 * options, read every section inside one snapshot, and write the page so
 * that a failure never leaves half a file behind.
 */
#include "report.h"
#include "core/check.h"
#include "metrics/metrics.h"
#include "store/metrics_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_HOLDOUT_DAYS 36500

static int resolve(rt_report *r, retain_engine *e, const retain_report_options *o)
{
    int rc;
    if (!o)
        return rt_error(e, RETAIN_EINVAL,
                        "opts is NULL; start from RETAIN_REPORT_OPTIONS_INIT and set now");
    if ((rc = rt_mcheck_version(e, "opts", o->version, RETAIN_REPORT_OPTIONS_VERSION,
                                "RETAIN_REPORT_OPTIONS_INIT")))
        return rc;
    if (o->now == RETAIN_TIME_NONE)
        return rt_error(e, RETAIN_EINVAL,
                        "opts->now is not set; the report is as of a time the caller gives");
    memset(r, 0, sizeof *r);
    r->e = e;
    r->o = *o;
    r->o.currency = o->currency ? o->currency : "USD";
    r->o.title = o->title ? o->title : "Retention report";
    r->o.unit = o->unit == RETAIN_UNIT_NONE ? RETAIN_UNIT_WEEK : o->unit;
    r->o.period = o->period == RETAIN_PERIOD_NONE ? RETAIN_PERIOD_MONTH : o->period;
    if ((rc = rt_check_time(e, "opts->now", o->now)) ||
        (rc = rt_check_currency(e, "opts->currency", r->o.currency)) ||
        (rc = rt_check_text(e, "opts->title", r->o.title, RT_TEXT_MAX)) ||
        (rc = rt_mcheck_period(e, r->o.period)))
        return rc;
    if (o->holdout_days < 0 || o->holdout_days > MAX_HOLDOUT_DAYS)
        return rt_error(e, RETAIN_EINVAL, "opts->holdout_days is %d; use 0 (half the history) "
                        "to %d", o->holdout_days, MAX_HOLDOUT_DAYS);
    if (r->o.unit != RETAIN_UNIT_DAY && r->o.unit != RETAIN_UNIT_WEEK)
        return rt_error(e, RETAIN_EINVAL, "opts->unit is %d; use RETAIN_UNIT_DAY or "
                        "RETAIN_UNIT_WEEK", (int)o->unit);
    if (o->conversion_window < 0)
        return rt_error(e, RETAIN_EINVAL, "opts->conversion_window is %lld ms; it must be >= 0",
                        (long long)o->conversion_window);
    r->money.kind = RT_NUM_MONEY;
    r->money.digits = retain_currency_digits(r->o.currency);
    r->summary = (retain_metrics_summary)RETAIN_METRICS_SUMMARY_INIT;
    return RETAIN_OK;
}

static int render(rt_report *r)
{
    int rc = retain_metrics_summary_get(&r->summary, r->e, r->o.currency, r->o.now);
    if (rc || (rc = rt_hist_load(r->e, r->o.currency, r->o.now, &r->hist)))
        return rc;
    char date[16], sub[128];
    rt_html_date(date, sizeof date, r->o.now);
    snprintf(sub, sizeof sub, "Orders in %s as of %s", r->o.currency, date);
    rt_html_page_open(r->b, r->o.title, sub);
    int (*const sections[])(rt_report *) = {
        rt_sec_overview, rt_sec_cohorts, rt_sec_trend, rt_sec_ltv,
        rt_sec_model, rt_sec_alive, rt_sec_rfm, rt_sec_journeys, rt_sec_audit,
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0] && !rc; i++)
        rc = sections[i](r);
    rt_html_page_close(r->b);
    rt_hist_free(&r->hist);
    return rc;
}

int retain_report_html(char **out, retain_engine *e, const retain_report_options *opts)
{
    RT_ENGINE_GUARD(e);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    rt_report r;
    int rc = resolve(&r, e, opts);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    r.b = &b;
    bool began;
    rc = rt_ms_read_begin(e, &began);
    if (rc == RETAIN_OK)
        rc = rt_ms_read_end(e, began, render(&r));
    if (rc) {
        rt_buf_free(&b);
        return rc;
    }
    return rt_buf_finish(&b, out) ? rt_nomem(e) : RETAIN_OK;
}

int retain_report_write(retain_engine *e, const char *path, const retain_report_options *opts)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_text(e, "path", path, RT_TEXT_MAX);
    if (rc)
        return rc;
    if (!path || !*path)
        return rt_error(e, RETAIN_EINVAL, "path is %s; give the file to write",
                        path ? "empty" : "NULL");
    char *html;
    if ((rc = retain_report_html(&html, e, opts)))
        return rc;
    size_t n = strlen(path) + 5;
    char *tmp = rt_malloc(&e->alloc, n);
    if (!tmp) {
        retain_free(e, html);
        return rt_nomem(e);
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    size_t len = strlen(html);
    bool ok = f && fwrite(html, 1, len, f) == len;
    int err = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        if (f)
            remove(tmp);
        rc = rt_error(e, RETAIN_EIO, "writing the report to %s: %s", f ? path : tmp,
                      strerror(err));
    }
    rt_free(&e->alloc, tmp);
    retain_free(e, html);
    return rc;
}

void rt_period_name_at(char *buf, size_t size, retain_period p, int64_t start)
{
    char d[16];
    rt_html_date(d, sizeof d, start);
    switch (p) {
    case RETAIN_PERIOD_MONTH: snprintf(buf, size, "%.7s", d); break;
    case RETAIN_PERIOD_QUARTER:
        snprintf(buf, size, "%.4s Q%d", d, ((d[5] - '0') * 10 + (d[6] - '0') - 1) / 3 + 1);
        break;
    case RETAIN_PERIOD_YEAR: snprintf(buf, size, "%.4s", d); break;
    default: snprintf(buf, size, "%s", d); break;
    }
}

void rt_period_label(char *buf, size_t size, size_t i, const void *ctx)
{
    const rt_period_labels *l = ctx;
    rt_period_name_at(buf, size, l->period, rt_period_start(l->period, l->first + (int64_t)i));
}
