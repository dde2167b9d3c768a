/*
 * test_report.c - retain_report_html and retain_report_write: argument
 * checks, an empty store, escaping, the CDNOW sample's figures against the
 * library's own metrics and models, every chart's points, atomic writes,
 * and every allocation failing in turn on a small store.
 */
#include <retain/metrics.h>
#include <retain.h>

#include "cdnow.h"
#include "fail_alloc.h"
#include "harness.h"

#include <unistd.h>

#define DAY INT64_C(86400000)

/* 1998-07-01T00:00:00Z: the day after the CDNOW history ends. */
#define CDNOW_NOW (cdnow_days_from_civil(1998, 7, 1) * DAY)

static char *report(retain_engine *e, int64_t now, const char *title)
{
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    o.now = now;
    o.title = title;
    char *html = NULL;
    int rc = retain_report_html(&html, e, &o);
    if (rc)
        T_FAIL("retain_report_html: %s", retain_errmsg(e));
    return html;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* The number in attribute `attr` right after the text `after`. */
static double attr_after(const char *html, const char *after, const char *attr)
{
    const char *p = strstr(html, after);
    if (!p || !(p = strstr(p, attr)))
        return NAN;
    return strtod(p + strlen(attr), NULL);
}

static void test_arguments(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    char *html = (char *)"x";
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    CHECK_RC(e, retain_report_html(NULL, e, &o), RETAIN_EINVAL);
    CHECK_RC(e, retain_report_html(&html, NULL, &o), RETAIN_EINVAL);
    CHECK_RC(e, retain_report_html(&html, e, NULL), RETAIN_EINVAL);
    CHECK(html == NULL);
    CHECK_RC(e, retain_report_html(&html, e, &o), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e), "opts->now is not set") != NULL);
    static const struct {
        unsigned version;
        const char *currency, *title;
        int holdout_days;
        retain_time_unit unit;
        retain_period period;
        int64_t window;
        const char *message;
    } bad[] = {
        { 0, NULL, NULL, 0, 0, 0, 0, "RETAIN_REPORT_OPTIONS_INIT" },
        { 1, "XYZ", NULL, 0, 0, 0, 0, "opts->currency \"XYZ\"" },
        { 1, NULL, "\xff", 0, 0, 0, 0, "opts->title" },
        { 1, NULL, NULL, -1, 0, 0, 0, "opts->holdout_days is -1" },
        { 1, NULL, NULL, 36501, 0, 0, 0, "opts->holdout_days is 36501" },
        { 1, NULL, NULL, 0, RETAIN_UNIT_PERIOD, 0, 0, "opts->unit" },
        { 1, NULL, NULL, 0, 0, (retain_period)9, 0, "period is 9" },
        { 1, NULL, NULL, 0, 0, 0, -1, "opts->conversion_window" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_report_options b = RETAIN_REPORT_OPTIONS_INIT;
        b.version = bad[i].version;
        b.now = CDNOW_NOW;
        b.currency = bad[i].currency;
        b.title = bad[i].title;
        b.holdout_days = bad[i].holdout_days;
        b.unit = bad[i].unit;
        b.period = bad[i].period;
        b.conversion_window = bad[i].window;
        CHECK_RC(e, retain_report_html(&html, e, &b), RETAIN_EINVAL);
        if (!strstr(retain_errmsg(e), bad[i].message))
            T_FAIL("case %zu: message \"%s\" does not name \"%s\"", i, retain_errmsg(e),
                   bad[i].message);
    }
    o.now = RETAIN_TIME_NONE + 1;
    CHECK_RC(e, retain_report_html(&html, e, &o), RETAIN_EINVAL);
    CHECK_RC(e, retain_report_write(e, NULL, &o), RETAIN_EINVAL);
    o.now = CDNOW_NOW;
    CHECK_RC(e, retain_report_write(e, "", &o), RETAIN_EINVAL);
    /* the engine is still usable */
    CHECK_OK(e, retain_report_html(&html, e, &o));
    retain_free(e, html);
    retain_engine_close(e);
}

static void test_empty_store(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    char *html = report(e, CDNOW_NOW, "Shop <b>&</b> \"co\" 'x'");
    if (!html)
        return;
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "</html>\n") != NULL);
    CHECK(strstr(html, "No orders in USD were placed by 1998-07-01") != NULL);
    CHECK_INT(count(html, "data-chart="), 0);
    CHECK_INT(count(html, "<p class=\"empty\">"), 8);
    static const char *const sections[] = { "overview", "cohorts", "trend", "ltv",
                                            "model", "alive", "rfm", "journeys" };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        char id[40];
        snprintf(id, sizeof id, "<section id=\"%s\">", sections[i]);
        if (!strstr(html, id))
            T_FAIL("empty store: no %s", id);
    }
    /* the title is escaped wherever it appears */
    CHECK_INT(count(html, "Shop &lt;b&gt;&amp;&lt;/b&gt; &quot;co&quot; &#39;x&#39;"), 2);
    CHECK(strstr(html, "<b>&</b>") == NULL);
    retain_free(e, html);
    retain_engine_close(e);
}

/* Every chart has points, and data-n says how many. */
static void check_charts(const char *html, size_t want_charts)
{
    size_t charts = 0;
    for (const char *p = html; (p = strstr(p, "<svg data-chart=\"")); charts++) {
        const char *end = strstr(p, "</svg>");
        long n = strtol(strstr(p, "data-n=\"") + 8, NULL, 10);
        size_t pts = 0;
        for (const char *q = p; (q = strstr(q, "class=\"pt")) && q < end; q++)
            pts++;
        if (n <= 0 || (size_t)n != pts)
            T_FAIL("chart %.30s: data-n %ld, %zu points", p + 17, n, pts);
        else
            t_passed++;
        p = end;
    }
    CHECK_INT(charts, want_charts);
}

static void test_cdnow(const char *data)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    char path[1024];
    snprintf(path, sizeof path, "%s/CDNOW_sample.txt", data);
    cdnow_stats st;
    CHECK_OK(e, cdnow_import(e, path, 1, &st));
    char *html = report(e, CDNOW_NOW, NULL);
    if (!html)
        return;
    /* the headline figures are the summary's */
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(e, retain_metrics_summary_get(&s, e, "USD", CDNOW_NOW));
    CHECK_INT(s.customers, 2357);
    CHECK_NEAR(attr_after(html, "data-metric=\"customers\"", "data-value=\""), s.customers, 0);
    CHECK_NEAR(attr_after(html, "data-metric=\"orders\"", "data-value=\""), s.orders, 0);
    CHECK_NEAR(attr_after(html, "data-metric=\"revenue\"", "data-value=\""), s.revenue, 0);
    CHECK_NEAR(attr_after(html, "data-metric=\"repeat_rate\"", "data-value=\""), s.repeat_rate,
               1e-15);
    CHECK(strstr(html, "<b>244,091.94</b>") != NULL);
    CHECK(strstr(html, "<b>48.3%</b>") != NULL);
    /* the repeat-rate series ends at the summary's repeat rate */
    const char *rep = strstr(html, "data-chart=\"repeat\"");
    const char *last = NULL;
    for (const char *p = rep; p && (p = strstr(p, "<circle class=\"pt s0\"")) &&
                              p < strstr(rep, "</svg>"); p++)
        last = p;
    CHECK(last && fabs(attr_after(last, "<circle", "data-v=\"") - s.repeat_rate) < 1e-15);

    /* the holdout check is the model's own: calibration to 1997-09-30 */
    retain_store_rfm *rfm = NULL;
    int64_t cal_end = CDNOW_NOW - 1 - 273 * DAY;
    CHECK_OK(e, retain_rfm_from_store(&rfm, e, "USD", cal_end, CDNOW_NOW - 1, RETAIN_UNIT_WEEK));
    retain_rfm_data v;
    retain_rfm_view(&v, &rfm->summary);
    retain_model m;
    retain_diag dg;
    CHECK_OK(e, retain_model_fit(&m, RETAIN_MODEL_BGNBD, &v, NULL, &dg));
    CHECK_NEAR(m.param.bgnbd.r, 0.243, 0.001);
    double *y = calloc(v.n, sizeof *y), predicted = 0, actual = 0;
    CHECK_OK(e, retain_model_conditional_expected(y, &m, &v, rfm->summary.holdout_length,
                                                  RETAIN_UNIT_WEEK, &dg));
    for (size_t i = 0; i < v.n; i++) {
        predicted += y[i];
        actual += rfm->summary.holdout_x[i];
    }
    free(y);
    retain_store_rfm_free(rfm);
    CHECK_NEAR(attr_after(html, "<p data-holdout", "data-holdout-predicted=\""), predicted, 1e-6);
    CHECK_NEAR(attr_after(html, "<p data-holdout", "data-holdout-actual=\""), actual, 0);
    CHECK_INT(actual, 1882);
    /* weekly tracking: 78 weeks, the actual line ends at all repeat purchases */
    CHECK(strstr(html, "data-chart=\"holdout\" data-n=\"156\"") != NULL);
    CHECK_INT(count(html, "<p class=\"empty\">"), 1); /* no journey */
    check_charts(html, 7);
    CHECK(strstr(html, "http:") == NULL && strstr(html, "https:") == NULL);
    CHECK(strstr(html, "src=") == NULL);

    /* written atomically: a directory that does not exist leaves nothing */
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    o.now = CDNOW_NOW;
    CHECK_RC(e, retain_report_write(e, "/nonexistent-dir/report.html", &o), RETAIN_EIO);
    CHECK(strstr(retain_errmsg(e), "/nonexistent-dir/report.html.tmp") != NULL);
    char tmpl[] = "/tmp/retain-report-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (dir) {
        char file[256], tmpf[300];
        snprintf(file, sizeof file, "%s/r.html", dir);
        snprintf(tmpf, sizeof tmpf, "%s.tmp", file);
        CHECK_OK(e, retain_report_write(e, file, &o));
        FILE *f = fopen(file, "rb");
        char *back = calloc(1, strlen(html) + 2);
        size_t got = f && back ? fread(back, 1, strlen(html) + 1, f) : 0;
        CHECK(got == strlen(html) && memcmp(back, html, got) == 0);
        CHECK(access(tmpf, F_OK) != 0);
        free(back);
        if (f)
            fclose(f);
        unlink(file);
        rmdir(dir);
    }
    retain_free(e, html);
    retain_engine_close(e);
}

/* ---- allocation failures on a small store ---- */

static counting ctr;

/* 60 customers with irregular repeat purchases (a fixed pseudo-random
 * sequence), one journey with a holdout split that they all enter. */
static void small_store(retain_engine *e, int64_t t0)
{
    static const char yaml[] =
        "journey: welcome\ntrigger: { event: order.placed }\nentry: once\n"
        "goal: { event: order.placed, within: 60d }\nsteps:\n"
        "  - id: split\n    split: { a: 50, holdout: 50 }\n"
        "  - id: hello\n    send: { channel: email, template: hi, category: transactional }\n"
        "  - id: a_step_whose_name_is_too_long_to_fit\n"
        "    send: { channel: email, template: bye, category: transactional }\n";
    CHECK_OK(e, retain_journeys_load(e, yaml, "welcome.yaml", t0, NULL, 0, NULL));
    unsigned seed = 12345;
    for (int c = 0; c < 60; c++) {
        char cid[16];
        snprintf(cid, sizeof cid, "c%d", c);
        retain_customer cu = RETAIN_CUSTOMER_INIT;
        cu.id = cid;
        cu.at = t0;
        CHECK_OK(e, retain_customer_upsert(e, &cu));
        int64_t at = t0 + (c % 30) * DAY;
        for (int k = 0; at < t0 + 119 * DAY; k++) {
            char oid[16];
            snprintf(oid, sizeof oid, "o%d-%d", c, k);
            retain_order o = RETAIN_ORDER_INIT;
            o.id = oid;
            o.customer_id = cid;
            o.channel = "web";
            o.currency = "USD";
            o.total = 1000 + 137 * c + 50 * k;
            o.placed_at = at;
            CHECK_OK(e, retain_order_record(e, &o));
            seed = seed * 1103515245u + 12345u;
            at += (int64_t)(1 + (seed >> 16) % (c % 3 ? 40 : 150)) * DAY;
        }
    }
    retain_tick_stats ts;
    CHECK_OK(e, retain_engine_tick(e, t0 + 120 * DAY, &ts));
}

static void test_oom(void)
{
    retain_options opts = t_counting_options(&ctr);
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", &opts));
    int64_t t0 = cdnow_days_from_civil(2026, 1, 5) * DAY, now = t0 + 120 * DAY;
    small_store(e, t0);
    char *html = report(e, now, NULL);
    if (!html)
        return;
    check_charts(html, 8);
    CHECK(strstr(html, "data-lift=") != NULL);
    /* a long step name is shortened beside its bar, whole in the tooltip */
    CHECK(strstr(html, ">a_step_whose_name_is\xe2\x80\xa6</text>") != NULL);
    CHECK(strstr(html, "<title>a_step_whose_name_is_too_long_to_fit: ") != NULL);
    retain_free(e, html);
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    o.now = now;
    int failures = 0, bad = 0;
    for (long n = 1; n < 200000; n++) {
        char *out = (char *)"x";
        long live = ctr.live;
        ctr.calls = 0;
        ctr.fail_at = n;
        int rc = retain_report_html(&out, e, &o);
        ctr.fail_at = 0;
        if (rc == RETAIN_OK) {
            retain_free(e, out);
            bad += ctr.live != live;
            break;
        }
        failures++;
        if (rc != RETAIN_ENOMEM || ctr.live != live || out != NULL ||
            strcmp(retain_errmsg(e), "out of memory") != 0) {
            if (bad++ < 5)
                T_FAIL("allocation %ld failing: rc %d (%s), %ld blocks leaked", n, rc,
                       retain_errmsg(e), ctr.live - live);
        }
    }
    CHECK_INT(bad, 0);
    CHECK(failures > 50);
    html = report(e, now, NULL);
    CHECK(html != NULL);
    retain_free(e, html);
    retain_engine_close(e);
}

int main(void)
{
    const char *data = getenv("RETAIN_TEST_DATA");
    if (!data) {
        fprintf(stderr, "RETAIN_TEST_DATA is not set\n");
        return 1;
    }
    test_arguments();
    test_empty_store();
    test_cdnow(data);
    test_oom();
    return t_report("report");
}
