/*
 * tick.c - journey throughput: N customers enrolled in a 6-step journey on a
 * file database, ticked hourly across 30 simulated days with a transport
 * that does nothing; touchpoints per second against bare SQLite single-row
 * updates in batched transactions on the same kind of file, in the same run.
 *
 *   bench_tick [N customers, default 100000]
 *   bench_tick --rss N [DAYS]   (one run; prints peak RSS)
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
    retain_diag d;
    size_t nd;
    if (retain_journeys_load(e, journey, "bench", T0, &d, 1, &nd)) {
        fprintf(stderr, "bench_tick: %d:%d: %s\n", d.line, d.column, d.message);
        return -1;
    }
    char id[32], email[64];
    for (long i = 0; i < n; i++) {
        if (i % 1000 == 0)
            retain_begin(e);
        snprintf(id, sizeof id, "c%ld", i);
        snprintf(email, sizeof email, "c%ld@example.com", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = email;
        c.at = T0 + (i % 24) * HOUR;
        if (retain_customer_upsert(e, &c)) {
            fprintf(stderr, "bench_tick: %s\n", retain_errmsg(e));
            return -1;
        }
        if (i % 1000 == 999 || i == n - 1)
            retain_commit(e);
    }
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
    /* The same run on PostgreSQL, once, when a server is given (meson's
     * tick-pg benchmark starts one): one worker, against this run's SQLite. */
    const char *pg = getenv("RETAIN_TEST_PG");
    if (pg && *pg) {
        long ptouch = 0, psteps = 0;
        double pcpu = 0, tp = run_retain(pg, n, days, &ptouch, &psteps, &pcpu);
        if (tp > 0 && ptouch == touch)
            printf("{\"benchmark\":\"tick-postgresql\",\"customers\":%ld,\"workers\":1,"
                   "\"postgresql_touchpoints_per_s\":%.0f,\"sqlite_touchpoints_per_s\":%.0f,"
                   "\"ratio_to_sqlite\":%.3f}\n", n, ptouch / tp, rate, ptouch / tp / rate);
        else
            printf("{\"benchmark\":\"tick-postgresql\",\"error\":\"run failed (%ld of %ld "
                   "touchpoints)\"}\n", ptouch, touch);
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
