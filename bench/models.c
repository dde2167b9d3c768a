/*
 * models.c - benchmark of the customer-base models. Prints one JSON object:
 *
 * 1. CDNOW (2,357 customers): BG/NBD, Pareto/NBD and Gamma-Gamma fit times
 *    and log-likelihoods, and, in the same run, a reference fit of the same
 *    BG/NBD likelihood with SciPy's Nelder-Mead (models_ref.py under
 *    /usr/bin/python3), with the speed ratio and the log-likelihood gap.
 *    Floor: >= 100x faster at the same log-likelihood to 1e-6 relative.
 * 2. A synthetic 1,000,000-customer store simulated from BG/NBD with known
 *    parameters: transactions -> RFM summary -> fit, with times, peak RSS
 *    and the parameter recovery error. Targets: < 2 s, < 200 MB.
 *
 * usage: bench_models [path/to/models_ref.py]   (RETAIN_TEST_DATA: tests/data)
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, popen */
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "model_data.h"
#include "retain/model.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall time of `reps` fits, in ms; the fitted model into *out. */
static double time_fit(retain_model *out, retain_model_kind kind, const retain_rfm_data *d, int reps)
{
    double t[64];
    if (reps > 64)
        reps = 64;
    for (int i = 0; i < reps; i++) {
        double t0 = now_s();
        if (retain_model_fit(out, kind, d, NULL, NULL) != RETAIN_OK)
            return NAN;
        t[i] = (now_s() - t0) * 1e3;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    return t[reps / 2];
}

static void print_fit(const char *name, const retain_model *m, double ms, const char *published, int last)
{
    const char *names[5][4] = {
        { "", "", "", "" },           { "r", "alpha", "a", "b" },
        { "r", "alpha", "s", "beta" }, { "r", "alpha", "a", "b" },
        { "alpha", "beta", "gamma", "delta" },
    };
    int np = retain_model_param_count(m->kind);
    printf("    \"%s\": {\"fit_ms\": %.3f, \"loglik\": %.6f, \"iterations\": %d, \"converged\": %s, "
           "\"rows\": %zu, \"params\": {",
           name, ms, m->loglik, m->iterations, m->converged ? "true" : "false", m->rows);
    for (int i = 0; i < np; i++) {
        const char *pn = m->kind == RETAIN_MODEL_GAMMA_GAMMA ? (i == 0 ? "p" : i == 1 ? "q" : "gamma")
                                                             : names[m->kind][i];
        printf("%s\"%s\": %.6g", i ? ", " : "", pn, m->param.v[i]);
    }
    printf("}, \"published\": %s}%s\n", published, last ? "" : ",");
}

/* Pull "key": number out of a flat JSON text. */
static int json_number(const char *json, const char *key, double *out)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    char *end;
    double v = strtod(p, &end);
    if (end == p)
        return -1;
    *out = v;
    return 0;
}

/* Run the SciPy reference; its JSON into buf. 0 when it produced a fit. */
static int run_reference(const char *script, const char *csv, char *buf, size_t size)
{
    char cmd[8192];
    buf[0] = '\0';
    if (!script)
        return -1;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' 2>/dev/null", script, csv);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = '\0';
    int st = pclose(p);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    double ll;
    return st == 0 && json_number(buf, "loglik", &ll) == 0 ? 0 : -1;
}

/* ---- the synthetic store ---- */

typedef struct store {
    size_t n, cap;
    int64_t *customer, *time, *amount;
} store;

static int store_push(store *s, int64_t c, int64_t t, int64_t a)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1 << 20;
        int64_t *c2 = realloc(s->customer, nc * sizeof *c2);
        if (!c2)
            return -1;
        s->customer = c2;
        int64_t *t2 = realloc(s->time, nc * sizeof *t2);
        if (!t2)
            return -1;
        s->time = t2;
        int64_t *a2 = realloc(s->amount, nc * sizeof *a2);
        if (!a2)
            return -1;
        s->amount = a2;
        s->cap = nc;
    }
    s->customer[s->n] = c;
    s->time[s->n] = t;
    s->amount[s->n] = a;
    s->n++;
    return 0;
}

#define DAY_MS INT64_C(86400000)

/* The store: CDNOW's BG/NBD parameters (weeks) and Gamma-Gamma spend; a
 * 12-week cohort observed for 39 weeks, like CDNOW. */
static const double sim_truth[4] = { 0.243, 4.414, 0.793, 2.426 };
#define SIM_START_DAY INT64_C(19358) /* 2023-01-01 */
#define SIM_END_MS ((SIM_START_DAY + 273) * DAY_MS + DAY_MS - 1)

/* One customer: its transactions into st, or its exact simulated (x, t_x,
 * T) in weeks into x, tx, T. Both uses draw the same random numbers. */
static int sim_customer(md_rng *rng, size_t i, store *st, double *x, double *tx, double *T)
{
    static double times[4096];
    double last;
    /* ids: scattered 64-bit values, not 0..N-1 */
    uint64_t seed = i + 1;
    int64_t id = (int64_t)(md_splitmix(&seed) >> 1);
    int64_t first_ms = (SIM_START_DAY + (int64_t)(md_unif(rng) * 84)) * DAY_MS +
                       (int64_t)(md_unif(rng) * 0.5 * DAY_MS);
    double Tw = (double)(SIM_END_MS - first_ms) / (7.0 * DAY_MS);
    size_t k = md_bgnbd_customer(rng, sim_truth, Tw, times, 4096, &last);
    double nu = md_gamma(rng, 3.74) / 15.44; /* Gamma-Gamma spend in dollars */
    if (x) {
        *x = (double)k;
        *tx = last;
        *T = Tw;
    }
    if (k > 4096)
        k = 4096;
    int64_t first_amount = (int64_t)(100.0 * md_gamma(rng, 6.25) / nu);
    if (st && store_push(st, id, first_ms, first_amount))
        return -1;
    for (size_t j = 0; j < k; j++) {
        int64_t amount = (int64_t)(100.0 * md_gamma(rng, 6.25) / nu);
        if (st && store_push(st, id, first_ms + (int64_t)(times[j] * 7.0 * DAY_MS), amount))
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *script = argc > 1 ? argv[1] : "bench/models_ref.py";
    const char *dir = getenv("RETAIN_TEST_DATA");
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/cdnow_customers_summary_with_transactions.csv", dir ? dir : "tests/data");

    /* ---- 1. CDNOW ---- */
    double *cd[5];
    long n = md_load_csv("cdnow_customers_summary_with_transactions.csv", 5, cd);
    if (n != 2357) {
        fprintf(stderr, "bench_models: cannot read %s\n", csv);
        return 1;
    }
    retain_rfm_data d = RETAIN_RFM_DATA_INIT;
    d.n = (size_t)n;
    d.x = cd[1];
    d.t_x = cd[2];
    d.T = cd[3];
    d.monetary = cd[4];
    d.unit = RETAIN_UNIT_WEEK;
    retain_model bg, pa, gg;
    double bg_ms = time_fit(&bg, RETAIN_MODEL_BGNBD, &d, 31);
    double pa_ms = time_fit(&pa, RETAIN_MODEL_PARETO_NBD, &d, 11);
    double gg_ms = time_fit(&gg, RETAIN_MODEL_GAMMA_GAMMA, &d, 31);

    char ref[4096];
    int have_ref = run_reference(script, csv, ref, sizeof ref) == 0;
    double ref_s = NAN, ref_ll = NAN;
    if (have_ref) {
        json_number(ref, "time_s", &ref_s);
        json_number(ref, "loglik", &ref_ll);
    }

    printf("{\n  \"benchmark\": \"models\",\n  \"cdnow\": {\n    \"customers\": %ld,\n", n);
    print_fit("bgnbd", &bg, bg_ms, "{\"r\": 0.243, \"alpha\": 4.414, \"a\": 0.793, \"b\": 2.426, \"loglik\": -9582.4}", 0);
    print_fit("pareto_nbd", &pa, pa_ms, "{\"r\": 0.553, \"alpha\": 10.58, \"s\": 0.606, \"beta\": 11.67, \"loglik\": -9595.0}", 0);
    print_fit("gamma_gamma", &gg, gg_ms, "{\"p\": 6.25, \"q\": 3.74, \"gamma\": 15.44}", 0);
    if (have_ref) {
        double speed = ref_s * 1e3 / bg_ms, rel = fabs(bg.loglik - ref_ll) / fabs(ref_ll);
        /* the reference is a derivative-free search: at its optimum it may sit
         * a little below ours, never above */
        printf("    \"reference\": %s,\n", ref);
        printf("    \"speed_ratio_bgnbd\": %.1f,\n    \"loglik_rel_diff\": %.3g,\n", speed, rel);
        printf("    \"floor\": {\"speed_ratio_min\": 100, \"loglik_rel_max\": 1e-6, \"met\": %s}\n",
               speed >= 100 && rel <= 1e-6 ? "true" : "false");
    } else {
        printf("    \"reference\": null,\n    \"reference_note\": \"%s\"\n",
               ref[0] ? "models_ref.py ran but gave no fit (is python3-scipy installed?)"
                      : "/usr/bin/python3 models_ref.py could not be run");
    }
    printf("  },\n");
    for (int k = 0; k < 5; k++)
        free(cd[k]);

    /* ---- 2. a synthetic store ---- */
    const size_t N = 1000000;
    store st = { 0, 0, NULL, NULL, NULL };
    md_rng rng;
    md_seed(&rng, 7);
    for (size_t i = 0; i < N; i++)
        if (sim_customer(&rng, i, &st, NULL, NULL, NULL))
            return 1;
    retain_txns tx = RETAIN_TXNS_INIT;
    tx.n = st.n;
    tx.customer = st.customer;
    tx.time = st.time;
    tx.time_kind = RETAIN_TIME_MS;
    tx.amount = st.amount;

    retain_rfm s;
    retain_diag dg;
    double t0 = now_s();
    if (retain_rfm_summarize(&s, &tx, SIM_END_MS, RETAIN_UNIT_WEEK, NULL, &dg) != RETAIN_OK) {
        fprintf(stderr, "summarize: %s\n", dg.message);
        return 1;
    }
    double t_sum = now_s() - t0;
    retain_rfm_data sd;
    retain_rfm_view(&sd, &s);
    retain_model m;
    t0 = now_s();
    if (retain_model_fit(&m, RETAIN_MODEL_BGNBD, &sd, NULL, &dg) != RETAIN_OK) {
        fprintf(stderr, "fit: %s\n", dg.message);
        return 1;
    }
    double t_fit = now_s() - t0;
    size_t customers = s.n;
    double sum_x = 0.0;
    for (size_t i = 0; i < s.n; i++)
        sum_x += s.x[i];
    retain_rfm_clear(&s);

    /* the same transactions in a random order */
    for (size_t i = st.n - 1; i > 0; i--) {
        size_t j = (size_t)(md_next(&rng) % (i + 1));
        int64_t c = st.customer[i], t = st.time[i], a = st.amount[i];
        st.customer[i] = st.customer[j];
        st.time[i] = st.time[j];
        st.amount[i] = st.amount[j];
        st.customer[j] = c;
        st.time[j] = t;
        st.amount[j] = a;
    }
    t0 = now_s();
    if (retain_rfm_summarize(&s, &tx, SIM_END_MS, RETAIN_UNIT_WEEK, NULL, &dg) != RETAIN_OK) {
        fprintf(stderr, "summarize: %s\n", dg.message);
        return 1;
    }
    double t_sum_shuffled = now_s() - t0;
    retain_rfm_clear(&s);
    double rss = peak_rss_mb(); /* everything above: store, summaries, fit */
    size_t n_txns = st.n;
    free(st.customer);
    free(st.time);
    free(st.amount);

    /* The same customers again (same seed), kept as their exact simulated
     * (x, t_x, T) in continuous weeks: what a fit can recover at best,
     * before the daily summary merges same-day purchases. */
    double *cx = malloc(N * sizeof *cx), *ctx = malloc(N * sizeof *ctx), *cT = malloc(N * sizeof *cT);
    if (!cx || !ctx || !cT)
        return 1;
    md_seed(&rng, 7);
    double sim_x = 0.0;
    for (size_t i = 0; i < N; i++) {
        sim_customer(&rng, i, NULL, &cx[i], &ctx[i], &cT[i]);
        sim_x += cx[i];
    }
    retain_rfm_data cd_sim = RETAIN_RFM_DATA_INIT;
    cd_sim.n = N;
    cd_sim.x = cx;
    cd_sim.t_x = ctx;
    cd_sim.T = cT;
    cd_sim.unit = RETAIN_UNIT_WEEK;
    retain_model mc;
    double t_cont = now_s();
    if (retain_model_fit(&mc, RETAIN_MODEL_BGNBD, &cd_sim, NULL, NULL) != RETAIN_OK)
        return 1;
    t_cont = now_s() - t_cont;
    free(cx);
    free(ctx);
    free(cT);

    double maxerr = 0.0, maxerr_c = 0.0;
    for (int k = 0; k < 4; k++) {
        double e = fabs(m.param.v[k] - sim_truth[k]) / sim_truth[k];
        double ec = fabs(mc.param.v[k] - sim_truth[k]) / sim_truth[k];
        if (e > maxerr)
            maxerr = e;
        if (ec > maxerr_c)
            maxerr_c = ec;
    }
    printf("  \"synthetic\": {\n    \"customers\": %zu,\n    \"transactions\": %zu,\n", customers, n_txns);
    printf("    \"true_params\": {\"r\": %g, \"alpha\": %g, \"a\": %g, \"b\": %g},\n", sim_truth[0],
           sim_truth[1], sim_truth[2], sim_truth[3]);
    printf("    \"fit_on_simulated_rfm\": {\"r\": %.5g, \"alpha\": %.5g, \"a\": %.5g, \"b\": %.5g, "
           "\"max_param_rel_error\": %.4f, \"fit_s\": %.3f},\n",
           mc.param.v[0], mc.param.v[1], mc.param.v[2], mc.param.v[3], maxerr_c, t_cont);
    printf("    \"fit_on_daily_summary\": {\"r\": %.5g, \"alpha\": %.5g, \"a\": %.5g, \"b\": %.5g, "
           "\"max_param_rel_error\": %.4f, \"converged\": %s, \"distinct_rows\": %zu},\n",
           m.param.v[0], m.param.v[1], m.param.v[2], m.param.v[3], maxerr, m.converged ? "true" : "false", m.rows);
    printf("    \"repeat_purchases_merged_same_day\": %.4f,\n", 1.0 - sum_x / sim_x);
    printf("    \"summary_s\": %.3f,\n    \"summary_unordered_input_s\": %.3f,\n    \"fit_s\": %.3f,\n", t_sum,
           t_sum_shuffled, t_fit);
    printf("    \"summary_plus_fit_s\": %.3f,\n    \"peak_rss_mb\": %.1f,\n", t_sum + t_fit, rss);
    printf("    \"targets\": {\"summary_plus_fit_s\": 2.0, \"peak_rss_mb\": 200, \"met\": %s}\n  }\n}\n",
           t_sum + t_fit < 2.0 && t_sum_shuffled + t_fit < 2.0 && rss < 200 ? "true" : "false");
    return 0;
}
