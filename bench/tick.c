/*
 * tick.c - journey throughput: N customers enrolled in a 6-step journey on a
 * file database, ticked hourly across 30 simulated days with a transport
 * that does nothing; touchpoints per second against bare SQLite single-row
 * updates in batched transactions on the same kind of file, in the same run.
 *
 *   bench_tick [N customers, default 100000]
 *   bench_tick --rss N [DAYS]   (one run; prints peak RSS)
 *   RETAIN_TEST_PG=conninfo bench_tick N   (also on PostgreSQL, 1/2/4 workers)
 *
 * Memory must stay flat as customers grow: the default run also runs
 * `--rss 10000` in a fresh process and prints its peak RSS; with
 * RETAIN_BENCH_TICK_1M=1 it runs `--rss 1000000` too (slow: enrolling and
 * ticking a million customers; RETAIN_BENCH_TICK_1M_DAYS=D ticks D days
 * instead of 30, enough to pass every customer through the journey's
 * first steps), and prints both.
 */
#include "bench.h"

#include <retain.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1767225600000LL
#define HOUR 3600000LL

static const char journey[] =
    "journey: bench\nversion: 1\ntrigger: customer.created\nentry: once\nsteps:\n"
    "  - id: welcome\n    send: { channel: email, template: welcome, category: transactional }\n"
    "  - id: guide\n    wait: 1d\n    send: { channel: email, template: guide, category: transactional }\n"
    "  - id: check\n    wait: 2d\n    branch:\n      - when: 'customer.orders_count >= 1'\n        goto: thanks\n      - else: nudge\n"
    "  - id: nudge\n    send: { channel: email, template: nudge, category: transactional }\n"
    "  - id: thanks\n    wait: 5d\n    send: { channel: email, template: thanks, category: transactional }\n"
    "  - id: survey\n    wait: 7d\n    send: { channel: email, template: survey, category: transactional }\n";

static int noop(const retain_message *m, retain_send_result *r, void *ud)
{
    (void)m; (void)r;
    (*(long *)ud)++;
    return RETAIN_SEND_SENT;
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

/* Processor time of this process: what the run cost, whatever else the
 * machine is doing (wall-clock rates on a shared machine mostly measure
 * the neighbours). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* n customers, created at `t0` plus 0 to 23 hours (ids prefixed by
 * `round`), each enrolled by its customer.created event; batches of 1000. */
static int enroll(retain_engine *e, long n, int64_t t0, int round)
{
    char id[48], email[80];
    for (long i = 0; i < n; i++) {
        if (i % 1000 == 0)
            retain_begin(e);
        snprintf(id, sizeof id, "r%d-c%ld", round, i);
        snprintf(email, sizeof email, "r%d-c%ld@example.com", round, i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = email;
        c.at = t0 + (i % 24) * HOUR;
        if (retain_customer_upsert(e, &c)) {
            fprintf(stderr, "bench_tick: %s\n", retain_errmsg(e));
            retain_rollback(e);
            return -1;
        }
        if ((i % 1000 == 999 || i == n - 1) && retain_commit(e)) {
            fprintf(stderr, "bench_tick: %s\n", retain_errmsg(e));
            return -1;
        }
    }
    return 0;
}

static int load_journey(retain_engine *e)
{
    retain_diag d;
    size_t nd;
    if (retain_journeys_load(e, journey, "bench", T0, &d, 1, &nd)) {
        fprintf(stderr, "bench_tick: %d:%d: %s\n", d.line, d.column, d.message);
        return -1;
    }
    return 0;
}

/* Returns seconds spent ticking `days` days (*cpu: processor seconds);
 * *touch gets messages sent. */
static double run_retain(const char *path, long n, int days, long *touch, long *steps,
                         double *cpu)
{
    retain_engine *e;
    if (retain_engine_open(&e, path, NULL))
        return -1;
    long sent = 0;
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = noop;
    t.userdata = &sent;
    retain_transport_register(e, &t);
    if (load_journey(e))
        return -1;
    if (enroll(e, n, T0, 0))
        return -1;
    double t0 = bench_now(), c0 = cpu_now();
    *steps = 0;
    for (int h = 0; h <= days * 24; h++) {
        retain_tick_stats st;
        if (retain_engine_tick(e, T0 + h * HOUR, &st)) {
            fprintf(stderr, "bench_tick: %s\n", retain_errmsg(e));
            return -1;
        }
        *steps += st.steps;
    }
    double dt = bench_now() - t0;
    *cpu = cpu_now() - c0;
    *touch = sent;
    retain_engine_close(e);
    return dt;
}

/* ---- PostgreSQL: ticks by 1, 2 and 4 worker processes ------------------- */

typedef struct pg_round {
    const char *path;
    int64_t t0;
    int days;
} pg_round;

/* One worker: its own engine (connection); ticks hour by hour in step
 * with the others (a simulated clock all of them share). A worker that
 * fails keeps stepping, so that the others are not left waiting. */
static int tick_worker(int idx, int workers, bench_shared *sh, void *ctx)
{
    (void)idx;
    (void)workers;
    const pg_round *r = ctx;
    retain_engine *e = NULL;
    long sent = 0;
    int rc = retain_engine_open(&e, r->path, NULL);
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = noop;
    t.userdata = &sent;
    if (rc == RETAIN_OK)
        rc = retain_transport_register(e, &t);
    pthread_barrier_wait(&sh->start);
    for (int h = 0; h <= r->days * 24; h++) {
        retain_tick_stats st;
        if (rc == RETAIN_OK && (rc = retain_engine_tick(e, r->t0 + h * HOUR, &st)))
            fprintf(stderr, "bench_tick: worker: %s\n", retain_errmsg(e));
        pthread_barrier_wait(&sh->step);
    }
    if (rc)
        atomic_store(&sh->failed, 1);
    atomic_fetch_add(&sh->count, sent);
    retain_engine_close(e);
    return rc;
}

/* Enroll n customers (one host), then tick them through 30 days with
 * `workers` processes; touchpoints/s. Rounds are 40 simulated days apart:
 * each starts when the journeys of the one before have ended. */
static double pg_run(const char *path, long n, int round, int workers, int days, long *touch)
{
    retain_engine *e;
    if (retain_engine_open(&e, path, NULL) != RETAIN_OK)
        return -1;
    int64_t t0 = T0 + round * 40LL * 24 * HOUR;
    int rc = round == 0 ? load_journey(e) : 0;
    if (rc == 0)
        rc = enroll(e, n, t0, round);
    retain_engine_close(e);
    if (rc)
        return -1;
    pg_round r = { path, t0, days };
    double dt = bench_workers(workers, tick_worker, &r, touch);
    return dt > 0 ? *touch / dt : -1;
}

/* Bare SQLite: the same number of single-row updates, batched like the
 * runner's transactions. */
static double run_bare(const char *path, long n, long updates)
{
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE inst(id INTEGER PRIMARY KEY, step INTEGER, due INTEGER);",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins, *upd;
    sqlite3_prepare_v2(db, "INSERT INTO inst VALUES(?,0,0)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "UPDATE inst SET step=step+1, due=? WHERE id=?", -1, &upd, NULL);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (long i = 0; i < n; i++) {
        sqlite3_bind_int64(ins, 1, i + 1);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double t0 = bench_now();
    for (long k = 0; k < updates; k++) {
        if (k % 256 == 0)
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_bind_int64(upd, 1, k);
        sqlite3_bind_int64(upd, 2, (k * 7919) % n + 1);
        sqlite3_step(upd);
        sqlite3_reset(upd);
        if (k % 256 == 255 || k == updates - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double dt = bench_now() - t0;
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    sqlite3_close(db);
    return dt;
}

/* Peak RSS in MiB of `self --rss n days` run as a fresh process (a
 * forked child would start with this process's pages); -1 on failure. */
static double rss_of(const char *self, long n, int days)
{
    char cmd[1200], out[512];
    snprintf(cmd, sizeof cmd, "'%s' --rss %ld %d", self, n, days);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    if (pclose(p) != 0)
        return -1;
    const char *f = strstr(out, "\"peak_rss_mib\":");
    return f ? atof(f + strlen("\"peak_rss_mib\":")) : -1;
}

int main(int argc, char **argv)
{
    bool rss_mode = argc > 2 && !strcmp(argv[1], "--rss");
    long n = rss_mode ? atol(argv[2]) : argc > 1 ? atol(argv[1]) : 100000;
    int days = rss_mode && argc > 3 ? atoi(argv[3]) : 30;
    if (days < 1)
        days = 1;
    char a[256], b[256];
    snprintf(a, sizeof a, "/tmp/bench-tick-retain-%ld.db", (long)getpid());
    snprintf(b, sizeof b, "/tmp/bench-tick-bare-%ld.db", (long)getpid());
    rm_db(a);
    rm_db(b);
    long touch = 0, steps = 0;
    double cpu = 0;
    double lib = run_retain(a, n, days, &touch, &steps, &cpu);
    rm_db(a);
    if (lib <= 0) {
        printf("{\"benchmark\":\"tick\",\"error\":\"run failed\"}\n");
        return 1;
    }
    if (rss_mode) {
        printf("{\"customers\":%ld,\"days\":%d,\"touchpoints\":%ld,\"seconds\":%.2f,"
               "\"peak_rss_mib\":%.1f}\n", n, days, touch, lib, bench_peak_rss_mib());
        return 0;
    }
    double peak = bench_peak_rss_mib();
    double bare = run_bare(b, n, touch);
    rm_db(b);
    double rate = touch / lib, bare_rate = touch / bare;
    /* The same journeys on PostgreSQL when a server is given (meson's
     * tick-pg benchmark starts one): customers enrolled by one host, ticked
     * by 1, 2 and 4 worker processes, against SQLite's run above. */
    const char *pg = getenv("RETAIN_TEST_PG");
    if (pg && *pg) {
        static const int ws[] = { 1, 2, 4 };
        double one = 0;
        for (int k = 0; k < 3; k++) {
            long ptouch = 0;
            double pr = pg_run(pg, n, k, ws[k], days, &ptouch);
            if (pr <= 0 || ptouch != touch) {
                printf("{\"benchmark\":\"tick-postgresql\",\"workers\":%d,\"error\":"
                       "\"run failed (%ld of %ld touchpoints)\"}\n", ws[k], ptouch, touch);
                return 1;
            }
            if (k == 0)
                one = pr;
            printf("{\"benchmark\":\"tick-postgresql\",\"customers\":%ld,\"workers\":%d,"
                   "\"postgresql_touchpoints_per_s\":%.0f,\"sqlite_touchpoints_per_s\":%.0f,"
                   "\"ratio_to_sqlite\":%.3f,\"speedup_over_1_worker\":%.2f}\n",
                   n, ws[k], pr, rate, pr / rate, pr / one);
        }
        return 0; /* the memory runs below are SQLite's */
    }
    double rss_small = rss_of(argv[0], 10000, 30);
    const char *big = getenv("RETAIN_BENCH_TICK_1M");
    const char *big_days = getenv("RETAIN_BENCH_TICK_1M_DAYS");
    int bdays = big_days && atoi(big_days) > 0 ? atoi(big_days) : 30;
    double rss_big = big && !strcmp(big, "1") ? rss_of(argv[0], 1000000, bdays) : -1;
    printf("{\"benchmark\":\"tick\",\"customers\":%ld,\"days\":30,\"touchpoints\":%ld,"
           "\"steps\":%ld,\"tick_seconds\":%.2f,\"touchpoints_per_s\":%.0f,"
           "\"cpu_touchpoints_per_s\":%.0f,"
           "\"bare_sqlite_updates_per_s\":%.0f,\"ratio\":%.3f,\"floor_rate\":50000,"
           "\"floor_ratio\":0.15,\"meets_floors\":%s,\"peak_rss_mib\":%.1f,"
           "\"peak_rss_mib_10k_customers\":%.1f",
           n, touch, steps, lib, rate, touch / cpu, bare_rate, rate / bare_rate,
           rate >= 50000 && rate / bare_rate >= 0.15 ? "true" : "false", peak, rss_small);
    if (rss_big >= 0)
        printf(",\"peak_rss_mib_1m_customers\":%.1f,\"days_1m_customers\":%d", rss_big, bdays);
    else
        printf(",\"peak_rss_mib_1m_customers\":null");
    printf("}\n");
    return 0;
}
