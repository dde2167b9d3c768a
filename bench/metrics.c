/*
 * metrics.c - the descriptive metrics on a synthetic store: summary,
 * monthly cohorts, monthly churn, RFM scores and the weekly Fader-Hardie
 * summary, timed against a hand-written SQL aggregate of the same repeat
 * rate, in the same run and on the same file.
 *
 *   bench_metrics [orders, default 1000000] [customers, default 100000] [db]
 *
 * The store is built through the public API in batched transactions by a
 * child process (not timed), so the peak RSS reported is the metrics'
 * alone. Given an existing [db] built with the same sizes, the build is
 * skipped and the file kept.
 */
#include "bench.h"

#include <retain/metrics.h> /* before retain.h: see tests/metrics/mtest.h */
#include <retain.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 10000
#define DAY_MS INT64_C(86400000)
#define START INT64_C(1640995200000) /* 2022-01-01 */
#define SPAN_DAYS 730

typedef struct gen_order {
    int64_t at;
    int32_t cust;
    int32_t total;
} gen_order;

static uint64_t rng = 88172645463325252ull;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static int by_time(const void *pa, const void *pb)
{
    const gen_order *a = pa, *b = pb;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* Heterogeneous customers: order counts 1 + exponential with a random mean,
 * scaled to the total; first purchase uniform over two years; exponential
 * gaps; orders recorded in time order as a live store would. */
static gen_order *generate(long n, int nc)
{
    gen_order *o = malloc((size_t)n * sizeof *o);
    long *cnt = malloc((size_t)nc * sizeof *cnt);
    if (!o || !cnt)
        return NULL;
    double tot = 0;
    for (int c = 0; c < nc; c++) {
        double mean = -log(urand() + 1e-12) * 9.0;
        cnt[c] = 1 + (long)floor(-log(urand() + 1e-12) * mean);
        tot += (double)cnt[c];
    }
    long acc = 0;
    for (int c = 0; c < nc; c++) {
        cnt[c] = (long)((double)cnt[c] * (double)n / tot);
        cnt[c] = cnt[c] < 1 ? 1 : cnt[c];
        acc += cnt[c];
    }
    for (int c = 0; acc < n; c = (c + 7919) % nc, acc++)
        cnt[c]++;
    for (int c = 0; acc > n; c = (c + 7919) % nc)
        if (cnt[c] > 1) {
            cnt[c]--;
            acc--;
        }
    long k = 0;
    for (int c = 0; c < nc; c++) {
        double day = urand() * SPAN_DAYS, gap = 5 + urand() * 60;
        for (long j = 0; j < cnt[c]; j++) {
            o[k].at = START + (int64_t)(day * (double)DAY_MS);
            o[k].cust = c;
            o[k].total = 500 + (int32_t)(urand() * 20000);
            k++;
            day += -log(urand() + 1e-12) * gap;
        }
    }
    free(cnt);
    qsort(o, (size_t)n, sizeof *o, by_time);
    return o;
}

static int build(const char *path, long n, int nc)
{
    gen_order *o = generate(n, nc);
    retain_engine *e;
    if (!o || retain_engine_open(&e, path, NULL) != RETAIN_OK)
        return 1;
    char id[32], oid[32];
    int rc = retain_begin(e);
    for (int c = 0; c < nc && rc == RETAIN_OK; c++) {
        snprintf(id, sizeof id, "cust-%d", c);
        retain_customer cu = RETAIN_CUSTOMER_INIT;
        cu.id = id;
        cu.at = START;
        rc = retain_customer_upsert(e, &cu);
    }
    if (rc == RETAIN_OK)
        rc = retain_commit(e);
    for (long i = 0; i < n && rc == RETAIN_OK; i++) {
        if (i % BATCH == 0)
            rc = retain_begin(e);
        snprintf(id, sizeof id, "cust-%d", o[i].cust);
        snprintf(oid, sizeof oid, "o-%ld", i);
        retain_order r = RETAIN_ORDER_INIT;
        r.id = oid;
        r.customer_id = id;
        r.channel = "web";
        r.placed_at = o[i].at;
        r.currency = "USD";
        r.total = o[i].total;
        if (i % 50 == 7)
            r.status = "cancelled";
        if (rc == RETAIN_OK)
            rc = retain_order_record(e, &r);
        if (rc == RETAIN_OK && (i % BATCH == BATCH - 1 || i == n - 1))
            rc = retain_commit(e);
    }
    if (rc != RETAIN_OK)
        fprintf(stderr, "bench_metrics: %s\n", retain_errmsg(e));
    retain_engine_close(e);
    free(o);
    return rc == RETAIN_OK ? 0 : 1;
}

static void rm_db(const char *p)
{
    char s[600];
    unlink(p);
    snprintf(s, sizeof s, "%s-wal", p);
    unlink(s);
    snprintf(s, sizeof s, "%s-shm", p);
    unlink(s);
}

/* The repeat rate written by hand in SQL: customers with more than one
 * purchase day over customers. `noindex` forces a table scan and a sort
 * instead of walking the (customer, placed_at) index. */
static double sql_repeat(sqlite3 *db, int64_t as_of, int noindex, double *rate)
{
    static const char *const sql[2] = {
        "SELECT sum(days > 1), count(*) FROM (SELECT count(DISTINCT placed_at / 86400000) AS days"
        " FROM orders WHERE currency = 'USD' AND status NOT IN ('cancelled', 'refunded')"
        " AND placed_at <= ?1 GROUP BY customer)",
        "SELECT sum(days > 1), count(*) FROM (SELECT count(DISTINCT placed_at / 86400000) AS days"
        " FROM orders NOT INDEXED WHERE currency = 'USD'"
        " AND status NOT IN ('cancelled', 'refunded') AND placed_at <= ?1 GROUP BY customer)",
    };
    sqlite3_stmt *st;
    double t0 = bench_now();
    if (sqlite3_prepare_v2(db, sql[noindex], -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, as_of);
    *rate = NAN;
    if (sqlite3_step(st) == SQLITE_ROW)
        *rate = sqlite3_column_double(st, 0) / sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    return bench_now() - t0;
}

#define RUNS 3

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int nc = argc > 2 ? atoi(argv[2]) : 100000;
    char path[512];
    int keep = argc > 3;
    if (keep)
        snprintf(path, sizeof path, "%s", argv[3]);
    else
        snprintf(path, sizeof path, "/tmp/bench-metrics-%ld.db", (long)getpid());
    if (n < 1 || nc < 1 || nc > n) {
        fprintf(stderr, "usage: bench_metrics [orders] [customers <= orders] [db]\n");
        return 2;
    }
    double t0 = bench_now(), build_s = 0;
    if (!keep || access(path, F_OK) != 0) {
        rm_db(path);
        pid_t pid = fork();
        if (pid == 0)
            _exit(build(path, n, nc));
        int status = 1;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("{\"benchmark\":\"metrics\",\"error\":\"build failed\"}\n");
            return 1;
        }
        build_s = bench_now() - t0;
    }

    retain_engine *e;
    if (retain_engine_open(&e, path, NULL) != RETAIN_OK)
        return 1;
    int64_t as_of = START + (int64_t)(SPAN_DAYS + 400) * DAY_MS;
    double best[5] = { 1e30, 1e30, 1e30, 1e30, 1e30 }, rate = NAN;
    size_t cohorts = 0, scored = 0, summarized = 0;
    int rc = RETAIN_OK;
    for (int run = 0; run < RUNS && rc == RETAIN_OK; run++) {
        double t = bench_now();
        retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
        rc = retain_metrics_summary_get(&s, e, "USD", as_of);
        double dt = bench_now() - t;
        best[0] = dt < best[0] ? dt : best[0];
        rate = s.repeat_rate;

        t = bench_now();
        retain_cohorts *c = NULL;
        if (rc == RETAIN_OK)
            rc = retain_cohort_retention(&c, e, "USD", RETAIN_PERIOD_MONTH, as_of);
        dt = bench_now() - t;
        best[1] = dt < best[1] ? dt : best[1];
        cohorts = c ? c->count : 0;
        retain_cohorts_free(c);

        t = bench_now();
        retain_rfm_scores *r = NULL;
        if (rc == RETAIN_OK)
            rc = retain_rfm_scores_get(&r, e, "USD", as_of);
        dt = bench_now() - t;
        best[2] = dt < best[2] ? dt : best[2];
        scored = r ? r->count : 0;
        retain_rfm_scores_free(r);

        t = bench_now();
        retain_store_rfm *f = NULL;
        if (rc == RETAIN_OK)
            rc = retain_rfm_from_store(&f, e, "USD", START + 365 * DAY_MS, as_of,
                                       RETAIN_UNIT_WEEK);
        dt = bench_now() - t;
        best[3] = dt < best[3] ? dt : best[3];
        summarized = f ? f->summary.n : 0;
        retain_store_rfm_free(f);

        t = bench_now();
        retain_churn *ch = NULL;
        if (rc == RETAIN_OK)
            rc = retain_churn_by_period(&ch, e, "USD", RETAIN_PERIOD_MONTH, as_of);
        dt = bench_now() - t;
        best[4] = dt < best[4] ? dt : best[4];
        retain_churn_free(ch);
    }
    if (rc != RETAIN_OK) {
        printf("{\"benchmark\":\"metrics\",\"error\":\"%s\"}\n", retain_errmsg(e));
        return 1;
    }
    retain_counts counts;
    retain_engine_counts(e, &counts);
    retain_engine_close(e);
    double rss = bench_peak_rss_mib();

    /* The hand-written SQL, both plans, best of RUNS each, same page cache size. */
    sqlite3 *db;
    double sql_best[2] = { 1e30, 1e30 }, sql_rate[2] = { NAN, NAN };
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return 1;
    sqlite3_exec(db, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
    for (int run = 0; run < RUNS; run++)
        for (int k = 0; k < 2; k++) {
            double dt = sql_repeat(db, as_of, k, &sql_rate[k]);
            sql_best[k] = dt >= 0 && dt < sql_best[k] ? dt : sql_best[k];
        }
    sqlite3_close(db);
    double sql = sql_best[0] < sql_best[1] ? sql_best[0] : sql_best[1];
    int agree = fabs(sql_rate[0] - rate) < 1e-12 && fabs(sql_rate[1] - rate) < 1e-12;

    printf("{\"benchmark\":\"metrics\",\"customers\":%d,\"orders\":%lld,\"build_s\":%.1f,"
           "\"runs\":%d,\"summary_s\":%.4f,\"cohorts_month_s\":%.4f,\"rfm_scores_s\":%.4f,"
           "\"rfm_from_store_s\":%.4f,\"churn_month_s\":%.4f,"
           "\"sql_repeat_rate_index_s\":%.4f,\"sql_repeat_rate_scan_s\":%.4f,"
           "\"summary_over_best_sql\":%.3f,\"repeat_rate\":%.6f,\"sql_agrees\":%s,"
           "\"cohorts\":%zu,\"scored\":%zu,\"rfm_rows\":%zu,\"peak_rss_mib\":%.1f}\n",
           nc, (long long)counts.orders, build_s, RUNS, best[0], best[1], best[2], best[3],
           best[4], sql_best[0], sql_best[1], best[0] / sql, rate, agree ? "true" : "false",
           cohorts, scored, summarized, rss);
    if (!keep)
        rm_db(path);
    return agree ? 0 : 1;
}
