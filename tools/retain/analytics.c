/* analytics.c - metrics, fit and clv: the descriptive figures and the
 * customer-base models on the store's own orders. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* --now T (required) and --currency C (default USD), shared by the three. */
static bool common_opts(int *argc, char **argv, int64_t *now, const char **currency)
{
    *currency = cli_option(argc, argv, "--currency");
    if (!*currency)
        *currency = "USD";
    return cli_need_now(argc, argv, now);
}

/* Open argv[1] read-only when DB is the only argument left; *code says
 * why not (usage printed, or the open's message). */
static retain_engine *open_db(int argc, char **argv, const char *usage, int *code)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s\n", usage);
        *code = CLI_USAGE;
        return NULL;
    }
    retain_engine *e = cli_open(argv[1], true);
    *code = e ? CLI_OK : CLI_FAIL;
    return e;
}

/* The acquisition cohorts as a table: one row per cohort, retention per
 * period after acquisition (at most 12 columns; the newest 24 cohorts). */
static int print_cohorts(retain_engine *e, const char *currency, retain_period period,
                         int64_t now)
{
    retain_cohorts *c = NULL;
    int rc = retain_cohort_retention(&c, e, currency, period, now);
    if (rc)
        return rc;
    size_t cols = 0, first = c->count > 24 ? c->count - 24 : 0;
    for (size_t i = first; i < c->count; i++)
        if (c->cohorts[i].periods > cols)
            cols = c->cohorts[i].periods;
    if (cols > 12)
        cols = 12;
    printf("\n%s cohorts: share of each cohort buying again, by %ss since acquisition%s\n",
           retain_period_name(period), retain_period_name(period),
           c->last_partial ? " (the last column is to date)" : "");
    printf("%-10s %9s", "cohort", "customers");
    for (size_t k = 1; k < cols; k++)
        printf(" %5zu", k);
    printf("\n");
    for (size_t i = first; i < c->count; i++) {
        const retain_cohort *h = &c->cohorts[i];
        char date[32];
        cli_format_time(h->start, date, sizeof date);
        date[10] = '\0';
        printf("%-10s %9lld", date, (long long)h->customers);
        for (size_t k = 1; k < cols && k < h->periods; k++)
            printf(" %4.1f%%", 100.0 * h->retention[k]);
        printf("\n");
    }
    if (first)
        printf("(%zu older cohorts not shown; --json has them all)\n", first);
    retain_cohorts_free(c);
    return RETAIN_OK;
}

int cmd_metrics(int argc, char **argv)
{
    bool json = cli_flag(&argc, argv, "--json");
    const char *cohorts = cli_option(&argc, argv, "--cohorts");
    retain_period period = RETAIN_PERIOD_MONTH;
    if (cohorts && !cli_parse_period(cohorts, &period)) {
        fprintf(stderr, "retain: --cohorts \"%s\" is not week, month or quarter\n", cohorts);
        return CLI_USAGE;
    }
    int64_t now;
    const char *currency;
    if (!common_opts(&argc, argv, &now, &currency))
        return CLI_USAGE;
    int code;
    retain_engine *e = open_db(argc, argv,
                               "retain metrics DB --now T [--currency USD] "
                               "[--cohorts week|month|quarter] [--json]", &code);
    if (!e)
        return code;
    int rc;
    if (json) {
        char *out = NULL;
        /* With --cohorts: one object {"summary": ..., "cohorts": ...}. */
        char *ch = NULL;
        rc = retain_metrics_summary_json(&out, e, currency, now);
        if (!rc && cohorts)
            rc = retain_cohort_retention_json(&ch, e, currency, period, now);
        if (!rc && cohorts)
            printf("{\"summary\":%s,\"cohorts\":%s}\n", out, ch);
        else if (!rc)
            printf("%s\n", out);
        retain_free(e, out);
        retain_free(e, ch);
    } else {
        retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
        rc = retain_metrics_summary_get(&s, e, currency, now);
        if (!rc) {
            int digits = retain_currency_digits(currency);
            double unit = cli_minor_unit(currency);
            printf("customers          %lld\n", (long long)s.customers);
            printf("orders             %lld\n", (long long)s.orders);
            printf("purchase days      %lld\n", (long long)s.purchase_days);
            printf("revenue            %.*f %s\n", digits, (double)s.revenue / unit, s.currency);
            printf("AOV                %.*f %s\n", digits, s.aov / unit, s.currency);
            printf("orders/customer    %.3f\n", s.purchase_frequency);
            printf("repeat customers   %lld\n", (long long)s.repeat_customers);
            printf("repeat rate        %.1f%%\n", 100.0 * s.repeat_rate);
            printf("repeat revenue     %.1f%%\n", 100.0 * s.repeat_revenue_share);
            printf("LTV mean           %.*f\n", digits, s.ltv_mean / unit);
            printf("LTV median         %.*f\n", digits, s.ltv_median / unit);
            printf("LTV p90            %.*f\n", digits, s.ltv_p90 / unit);
            if (cohorts)
                rc = print_cohorts(e, currency, period, now);
        }
    }
    if (rc)
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
    retain_engine_close(e);
    return rc ? CLI_FAIL : CLI_OK;
}

static bool model_kind(const char *s, retain_model_kind *out)
{
    static const struct { const char *name; retain_model_kind kind; } kinds[] = {
        { "bgnbd", RETAIN_MODEL_BGNBD }, { "pareto", RETAIN_MODEL_PARETO_NBD },
        { "mbgnbd", RETAIN_MODEL_MBGNBD }, { "gg", RETAIN_MODEL_GAMMA_GAMMA },
    };
    for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!strcmp(s, kinds[i].name)) {
            *out = kinds[i].kind;
            return true;
        }
    }
    return false;
}

/* The summary of orders before `now`, in weeks, calibrated on those up to
 * `holdout_days` days before it (0: all of them). */
static retain_store_rfm *summary(retain_engine *e, const char *currency, int64_t now,
                                 long holdout_days, retain_rfm_data *view)
{
    retain_store_rfm *s = NULL;
    int64_t cal_end = now - 1 - (int64_t)holdout_days * 86400000;
    if (retain_rfm_from_store(&s, e, currency, cal_end, now - 1, RETAIN_UNIT_WEEK) ||
        retain_rfm_view(view, &s->summary)) {
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
        retain_store_rfm_free(s);
        return NULL;
    }
    if (view->n == 0) {
        fprintf(stderr, "retain: no customer has an order in %s before %s\n", currency,
                holdout_days ? "the holdout period" : "--now");
        retain_store_rfm_free(s);
        return NULL;
    }
    return s;
}

static bool fit(retain_model *m, retain_model_kind kind, const retain_rfm_data *d)
{
    retain_diag dg;
    memset(&dg, 0, sizeof dg);
    int rc = retain_model_fit(m, kind, d, NULL, &dg);
    if (rc) {
        fprintf(stderr, "retain: %s fit: %s\n", retain_model_kind_name(kind), dg.message);
        return false;
    }
    if (!m->converged)
        fprintf(stderr, "retain: warning: %s fit did not converge\n", retain_model_kind_name(kind));
    return true;
}

static const char *const param_names[][4] = {
    [RETAIN_MODEL_BGNBD] = { "r", "alpha", "a", "b" },
    [RETAIN_MODEL_PARETO_NBD] = { "r", "alpha", "s", "beta" },
    [RETAIN_MODEL_MBGNBD] = { "r", "alpha", "a", "b" },
    [RETAIN_MODEL_GAMMA_GAMMA] = { "p", "q", "gamma", NULL },
};

/* Predicted (sum of E[Y(holdout) | x, t_x, T]) and actual repeat purchases
 * of the calibration customers in the holdout period. */
static bool holdout_check(const retain_model *m, const retain_store_rfm *s,
                          const retain_rfm_data *d, double *predicted, double *actual)
{
    double *y = malloc(d->n * sizeof *y);
    retain_diag dg;
    memset(&dg, 0, sizeof dg);
    if (!y || retain_model_conditional_expected(y, m, d, s->summary.holdout_length,
                                                s->summary.unit, &dg)) {
        fprintf(stderr, "retain: holdout prediction: %s\n", y ? dg.message : "out of memory");
        free(y);
        return false;
    }
    *predicted = *actual = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        *predicted += y[i];
        *actual += s->summary.holdout_x[i];
    }
    free(y);
    return true;
}

#define FIT_USAGE "retain fit DB --model bgnbd|pareto|mbgnbd|gg --now T [--currency USD] " \
                  "[--holdout DAYS] [--json]"

int cmd_fit(int argc, char **argv)
{
    bool json = cli_flag(&argc, argv, "--json");
    const char *name = cli_option(&argc, argv, "--model");
    const char *hold_s = cli_option(&argc, argv, "--holdout");
    int64_t now;
    const char *currency;
    retain_model_kind kind = RETAIN_MODEL_NONE;
    if (!common_opts(&argc, argv, &now, &currency))
        return CLI_USAGE;
    if (name && !model_kind(name, &kind)) {
        fprintf(stderr, "retain: unknown model \"%s\" (bgnbd, pareto, mbgnbd, gg)\n", name);
        return CLI_USAGE;
    }
    char *end = NULL;
    long hold = hold_s ? strtol(hold_s, &end, 10) : 0;
    if (hold_s && (*end || end == hold_s || hold < 1 || hold > 36500 ||
                   kind == RETAIN_MODEL_GAMMA_GAMMA)) {
        if (kind == RETAIN_MODEL_GAMMA_GAMMA)
            fprintf(stderr, "retain: --holdout checks a purchase model, not gg\n");
        else
            fprintf(stderr, "retain: --holdout \"%s\" is not a number of days (1 to 36500)\n",
                    hold_s);
        return CLI_USAGE;
    }
    int code;
    retain_engine *e = open_db(name ? argc : 0, argv, FIT_USAGE, &code);
    if (!e)
        return code;
    retain_rfm_data d;
    retain_store_rfm *s = summary(e, currency, now, hold, &d);
    retain_model m;
    double predicted = 0, actual = 0;
    bool ok = s && fit(&m, kind, &d) && (!hold || holdout_check(&m, s, &d, &predicted, &actual));
    if (ok) {
        int np = retain_model_param_count(kind);
        if (json) {
            printf("{\"model\":\"%s\",\"unit\":\"%s\",\"customers\":%.0f,\"params\":{",
                   retain_model_kind_name(kind), kind == RETAIN_MODEL_GAMMA_GAMMA ? "none" : "week",
                   m.weight);
            for (int k = 0; k < np; k++)
                printf("%s\"%s\":%.17g", k ? "," : "", param_names[kind][k], m.param.v[k]);
            printf("},\"loglik\":%.17g,\"iterations\":%d,\"converged\":%s", m.loglik,
                   m.iterations, m.converged ? "true" : "false");
            if (hold)
                printf(",\"holdout\":{\"days\":%ld,\"predicted\":%.17g,\"actual\":%.17g}", hold,
                       predicted, actual);
            printf("}\n");
        } else {
            printf("model      %s (%.0f customers%s)\n", retain_model_kind_name(kind), m.weight,
                   kind == RETAIN_MODEL_GAMMA_GAMMA ? ", spend in minor units" : ", weeks");
            for (int k = 0; k < np; k++)
                printf("%-10s %.6g\n", param_names[kind][k], m.param.v[k]);
            printf("loglik     %.6f\niterations %d%s\n", m.loglik, m.iterations,
                   m.converged ? "" : " (not converged)");
            if (hold)
                printf("holdout    %ld days: repeat purchases predicted %.1f, actual %.0f "
                       "(%+.1f%%)\n", hold, predicted, actual,
                       actual > 0 ? 100.0 * (predicted - actual) / actual : 0.0);
        }
    }
    retain_store_rfm_free(s);
    retain_engine_close(e);
    return ok ? CLI_OK : CLI_FAIL;
}

typedef struct clv_row {
    size_t i;
    double clv;
} clv_row;

static int by_clv(const void *a, const void *b)
{
    const clv_row *x = a, *y = b;
    if (x->clv != y->clv)
        return x->clv < y->clv ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int cmd_clv(int argc, char **argv)
{
    bool json = cli_flag(&argc, argv, "--json");
    const char *top_s = cli_option(&argc, argv, "--top");
    int64_t now;
    const char *currency;
    if (!common_opts(&argc, argv, &now, &currency))
        return CLI_USAGE;
    char *end = NULL;
    long top = top_s ? strtol(top_s, &end, 10) : 10;
    int code;
    retain_engine *e = open_db(top_s && (*end || top < 1) ? 0 : argc, argv,
                               "retain clv DB --now T [--currency USD] [--top N] [--json]", &code);
    if (!e)
        return code;
    retain_rfm_data d;
    retain_store_rfm *s = summary(e, currency, now, 0, &d);
    retain_model bg, gg;
    bool ok = s && fit(&bg, RETAIN_MODEL_BGNBD, &d) && fit(&gg, RETAIN_MODEL_GAMMA_GAMMA, &d);
    double *clv = NULL, *alive = NULL;
    clv_row *rows = NULL;
    if (ok) {
        /* 12 months of 365.25/12 days, 1% a month, as retain_model_refresh. */
        retain_clv_options o = RETAIN_CLV_OPTIONS_INIT;
        o.margin = 1.0;
        o.discount_rate = 0.01;
        o.period_length = 365.25 / 12.0;
        o.period_unit = RETAIN_UNIT_DAY;
        o.periods = 12;
        retain_diag dg;
        memset(&dg, 0, sizeof dg);
        clv = malloc(d.n * sizeof *clv);
        alive = malloc(d.n * sizeof *alive);
        rows = malloc(d.n * sizeof *rows);
        ok = clv && alive && rows && !retain_clv(clv, &bg, &gg, &d, &o, &dg) &&
             !retain_model_p_alive(alive, &bg, &d, &dg);
        if (!ok)
            fprintf(stderr, "retain: %s\n", clv && alive && rows ? dg.message : "out of memory");
    }
    if (ok) {
        for (size_t i = 0; i < d.n; i++)
            rows[i] = (clv_row){ i, clv[i] };
        qsort(rows, d.n, sizeof *rows, by_clv);
        size_t n = (size_t)top < d.n ? (size_t)top : d.n;
        int digits = retain_currency_digits(currency);
        double unit = cli_minor_unit(currency);
        if (!json)
            printf("%-20s %6s %8s %8s %12s\n", "customer", "x", "T", "p_alive", "clv");
        else
            printf("[");
        for (size_t k = 0; k < n; k++) {
            size_t i = rows[k].i;
            if (json)
                printf("%s{\"customer\":\"%s\",\"x\":%g,\"t_x\":%.17g,\"T\":%.17g,"
                       "\"p_alive\":%.17g,\"clv\":%.17g}",
                       k ? "," : "", s->customer_id[i], d.x[i], d.t_x[i], d.T[i], alive[i],
                       clv[i] / unit);
            else
                printf("%-20s %6g %8.2f %8.3f %12.*f\n", s->customer_id[i], d.x[i], d.T[i],
                       alive[i], digits, clv[i] / unit);
        }
        if (json)
            printf("]\n");
    }
    free(rows);
    free(alive);
    free(clv);
    retain_store_rfm_free(s);
    retain_engine_close(e);
    return ok ? CLI_OK : CLI_FAIL;
}
