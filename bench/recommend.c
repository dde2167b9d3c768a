/*
 * recommend.c - co-occurrence recommendations at store scale: 1,000,000
 * synthetic orders of 5,000 SKUs (1 to 6 items an order, popularity skewed,
 * items mostly from the first item's category) recorded through the public
 * API into a file database; then the build (read every basket, count pairs,
 * rank and store the neighbours) and the per-customer query, each against a
 * baseline in the same run: the pair counts as one SQLite self-join GROUP BY
 * over the same order lines, and the query as the plain SQL over the stored
 * neighbours that a host would otherwise write. The query is timed again
 * by an engine opened with retain_options.mmap_mib = 1024 (query_mmap_ns);
 * the floor applies to the default engine.
 *
 *   bench_recommend [orders, default 1000000] [skus, default 5000]
 */
#include "bench.h"

#include <retain.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Roughly Zipf: the square of a uniform draw leans to small numbers. */
static int skewed(int n)
{
    double u = (double)(next() >> 11) / 9007199254740992.0;
    return (int)(u * u * n);
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

static int fill(retain_engine *e, long orders, int skus, int customers)
{
    char id[32], oid[32], sku[6][16];
    int rc = retain_begin(e);
    for (int i = 0; i < customers && rc == RETAIN_OK; i++) {
        snprintf(id, sizeof id, "c%d", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        rc = retain_customer_upsert(e, &c);
    }
    if (rc == RETAIN_OK)
        rc = retain_commit(e);
    const int per_cat = 10;
    for (long i = 0; i < orders && rc == RETAIN_OK; i++) {
        if (i % 10000 == 0)
            rc = retain_begin(e);
        int n = 1 + (int)(next() % 6), first = skewed(skus);
        retain_order_line lines[6];
        for (int k = 0; k < n; k++) {
            int s = k == 0 ? first
                    : next() % 10 < 7 ? (first / per_cat) * per_cat + (int)(next() % per_cat)
                                      : skewed(skus);
            snprintf(sku[k], sizeof sku[k], "SKU-%04d", s);
            lines[k] = (retain_order_line){ sku[k], NULL, 1, 100 + s };
        }
        snprintf(id, sizeof id, "c%ld", (long)(next() % (uint64_t)customers));
        snprintf(oid, sizeof oid, "o%ld", i);
        retain_order o = RETAIN_ORDER_INIT;
        o.id = oid;
        o.customer_id = id;
        o.channel = "web";
        o.placed_at = 1700000000000LL + i * 30000;
        o.currency = "EUR";
        o.total = 1000;
        o.lines = lines;
        o.lines_count = (size_t)n;
        if (rc == RETAIN_OK)
            rc = retain_order_record(e, &o);
        if (rc == RETAIN_OK && (i % 10000 == 9999 || i == orders - 1))
            rc = retain_commit(e);
    }
    return rc;
}

/* Baseline: what SQL alone does for the pair counts. */
static double sql_pairs(const char *path, long *pairs)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st;
    double t0 = bench_now();
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM (SELECT a.sku, b.sku, count(*) FROM order_line a"
                       " JOIN order_line b ON b.order_id=a.order_id AND b.sku>a.sku"
                       " GROUP BY 1, 2)",
                       -1, &st, NULL);
    *pairs = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    double dt = bench_now() - t0;
    sqlite3_close(db);
    return dt;
}

/* Baseline: the neighbour sum in SQL for one customer. */
static double sql_query(const char *path, int customers, int q)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "WITH owned AS (SELECT DISTINCT l.sku FROM customer c JOIN orders o"
                       " ON o.customer=c.id JOIN order_line l ON l.order_id=o.id WHERE c.ext_id=?)"
                       " SELECT n.other, sum(n.score) AS s FROM reco_neighbor n"
                       " WHERE n.sku IN owned AND n.other NOT IN owned"
                       " GROUP BY n.other ORDER BY s DESC, n.other LIMIT 10",
                       -1, &st, NULL);
    char id[32];
    double t0 = bench_now();
    for (int i = 0; i < q; i++) {
        snprintf(id, sizeof id, "c%d", (int)(next() % (uint64_t)customers));
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW)
            ;
        sqlite3_reset(st);
    }
    double dt = (bench_now() - t0) / q;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return dt;
}

/* Mean wall and CPU time of one retain_recommend() over random customers;
 * the first of two passes warms the caches. */
static int queries(retain_engine *e, int customers, double *t_query, double *c_query,
                   double *mean_items)
{
    const int q = 20000;
    int rc = RETAIN_OK;
    for (int pass = 0; pass < 2 && rc == RETAIN_OK; pass++) {
        char id[32];
        size_t items = 0;
        double t0 = bench_now(), c0 = cpu_now();
        for (int i = 0; i < q && rc == RETAIN_OK; i++) {
            snprintf(id, sizeof id, "c%d", (int)(next() % (uint64_t)customers));
            retain_recommendations *r = NULL;
            rc = retain_recommend(&r, e, id, 10);
            items += r ? r->count : 0;
            retain_recommendations_free(r);
        }
        *t_query = (bench_now() - t0) / q;
        *c_query = (cpu_now() - c0) / q;
        *mean_items = (double)items / q;
    }
    return rc;
}

int main(int argc, char **argv)
{
    long orders = argc > 1 ? atol(argv[1]) : 1000000;
    int skus = argc > 2 ? atoi(argv[2]) : 5000;
    int customers = (int)(orders / 4 > 0 ? orders / 4 : 1);
    /* RETAIN_BENCH_DB=path keeps the filled database for the next run. */
    const char *dir = getenv("TMPDIR"), *keep = getenv("RETAIN_BENCH_DB");
    char path[512];
    snprintf(path, sizeof path, "%s/retain-bench-recommend-%ld.db", dir && *dir ? dir : "/tmp",
             (long)getpid());
    if (keep && *keep)
        snprintf(path, sizeof path, "%s", keep);
    bool reuse = keep && *keep && access(path, F_OK) == 0;
    if (!reuse)
        rm_db(path);
    retain_engine *e;
    if (retain_engine_open(&e, path, NULL) != RETAIN_OK)
        return 1;
    double t0 = bench_now();
    int rc = reuse ? RETAIN_OK : fill(e, orders, skus, customers);
    double t_fill = bench_now() - t0;
    retain_recommend_stats st;
    memset(&st, 0, sizeof st);
    /* Wall time is what the floors are about; CPU time shows what a busy
     * machine (other processes on the cores) took away. */
    t0 = bench_now();
    double c0 = cpu_now();
    if (rc == RETAIN_OK)
        rc = retain_recommend_build(&st, e, NULL);
    double t_build = bench_now() - t0, c_build = cpu_now() - c0;
    double t_query = 0, c_query = 0, mean_items = 0, t_query_mmap = 0, c_query_mmap = 0;
    if (rc == RETAIN_OK)
        rc = queries(e, customers, &t_query, &c_query, &mean_items);
    /* The same queries with the file read through a memory map
     * (retain_options.mmap_mib), by a second engine. */
    retain_options mo = RETAIN_OPTIONS_INIT;
    mo.mmap_mib = 1024;
    retain_engine *me = NULL;
    if (rc == RETAIN_OK && retain_engine_open(&me, path, &mo) == RETAIN_OK) {
        double items_mmap;
        if (queries(me, customers, &t_query_mmap, &c_query_mmap, &items_mmap) != RETAIN_OK)
            fprintf(stderr, "bench_recommend: %s\n", retain_errmsg(me));
        retain_engine_close(me);
    }
    if (rc != RETAIN_OK) {
        fprintf(stderr, "bench_recommend: %s\n", retain_errmsg(e));
        retain_engine_close(e);
        if (!keep)
            rm_db(path);
        return 1;
    }
    retain_engine_close(e);
    long sql_npairs = 0;
    double t_sql_pairs = sql_pairs(path, &sql_npairs);
    double t_sql_query = sql_query(path, customers, 20000);
    if (!keep)
        rm_db(path);
    bool ok = t_build < 5.0 && t_query < 50e-6 && sql_npairs == st.pairs;
    printf("{\"bench\":\"recommend\",\"orders\":%ld,\"skus_generated\":%d,\"skus\":%lld,"
           "\"baskets\":%lld,\"pairs\":%lld,\"neighbors\":%lld,\"fill_s\":%.2f,"
           "\"build_s\":%.3f,\"build_cpu_s\":%.3f,\"build_floor_s\":5,\"sql_pair_count_s\":%.3f,"
           "\"sql_pairs\":%ld,\"build_speedup_vs_sql\":%.2f,"
           "\"query_ns\":%.0f,\"query_cpu_ns\":%.0f,\"query_floor_ns\":50000,\"query_items\":%.2f,"
           "\"query_mmap_ns\":%.0f,\"query_mmap_cpu_ns\":%.0f,"
           "\"sql_query_ns\":%.0f,\"query_speedup_vs_sql\":%.2f,\"ok\":%s}\n",
           orders, skus, (long long)st.skus, (long long)st.baskets, (long long)st.pairs,
           (long long)st.neighbors, t_fill, t_build, c_build, t_sql_pairs, sql_npairs,
           t_sql_pairs / t_build, t_query * 1e9, c_query * 1e9, mean_items, t_query_mmap * 1e9,
           c_query_mmap * 1e9, t_sql_query * 1e9,
           t_sql_query / t_query, ok ? "true" : "false");
    return ok ? 0 : 1;
}
