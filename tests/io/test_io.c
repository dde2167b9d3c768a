/*
 * test_io.c - the library under I/O failure. Engines open their file
 * database through the "faulty" VFS (faultvfs.h, given by name in
 * retain_options.vfs), which fails the Nth read, write, fsync or lock with
 * a chosen SQLite code. For every phase (opening a new and an existing
 * database, ingest, journey load, ticks with a transport) and every fault
 * (a write error, a full disk, an fsync error, a read error, a lock held
 * by someone else, a VFS out of memory), transient and persistent, the
 * sweep of sweep.h checks: the failing call returns the matching code
 * (RETAIN_EIO, RETAIN_EFULL, RETAIN_EBUSY, RETAIN_ENOMEM) with a message,
 * nothing is half-applied (integrity_check and the invariants of
 * reliability.h on the committed file), the same call succeeds once the
 * fault is gone, and the file ends up as a run without faults leaves it.
 * Faults stay armed while the engine closes, so the checkpoint at close
 * meets them too (that is where WAL mode syncs).
 *
 * Fast form: every N up to 20, then about 20 more; long form (RETAIN_LONG=1,
 * meson -Dlong_tests=true): every N.
 */
#include "sweep.h"
#include "faultvfs.h"

#define FAST_DENSE 20
#define FAST_SPARSE 20

static fv_kind cur_kind;
static int cur_err;

static void inj_arm(long n, int persistent) { fv_arm(cur_kind, n, persistent, cur_err); }
static long inj_injected(void) { return FV.injected; }
static long inj_counted(void) { return FV.calls; }

static const struct {
    fv_kind kind;
    int err;
    int expect;
    const char *name;
} faults[] = {
    { FV_WRITE, SQLITE_IOERR_WRITE, RETAIN_EIO, "write SQLITE_IOERR" },
    { FV_WRITE, SQLITE_FULL, RETAIN_EFULL, "write SQLITE_FULL" },
    { FV_SYNC, SQLITE_IOERR_FSYNC, RETAIN_EIO, "fsync SQLITE_IOERR" },
    { FV_READ, SQLITE_IOERR_READ, RETAIN_EIO, "read SQLITE_IOERR" },
    { FV_LOCK, SQLITE_BUSY, RETAIN_EBUSY, "lock SQLITE_BUSY" },
    { FV_WRITE, SQLITE_IOERR_NOMEM, RETAIN_ENOMEM, "write SQLITE_IOERR_NOMEM" },
};

/* The same data through the default VFS and through "faulty" with no
 * fault armed: the shim itself changes nothing. */
static void test_passthrough(r_injector *inj)
{
    char plain[512];
    r_path(plain, sizeof plain, "io", "plain");
    r_rmdb(plain);
    r_db_path = plain;
    retain_options o = inj->options;
    o.vfs = NULL;
    retain_engine *e = NULL;
    CHECK_OK(NULL, retain_engine_open(&e, plain, &o));
    CHECK_OK(e, r_op_journey(e, 0));
    CHECK_OK(e, r_op_journey(e, 1));
    r_op ops[64];
    int n = r_ingest_ops(ops);
    for (int i = 0; i < n; i++)
        CHECK_OK(e, ops[i].fn(e, ops[i].arg));
    retain_engine_close(e);
    char a[4096], b[4096];
    r_fingerprint(plain, a, sizeof a);
    r_fingerprint(R_BASE[R_INGESTED], b, sizeof b);
    CHECK_STR(a, b);
    r_rmdb(plain);
    r_db_path = R_WORK;
    long before[FV_KINDS];
    memcpy(before, FV.seen, sizeof before);
    CHECK_OK(NULL, retain_engine_open(&e, R_BASE[R_INGESTED], &inj->options));
    retain_counts c;
    CHECK_OK(e, retain_engine_counts(e, &c));
    CHECK_INT(c.orders, R_ORDERS + 6);
    retain_engine_close(e);
    CHECK(FV.seen[FV_READ] > before[FV_READ]); /* it really went through the shim */
}

/* A full disk and then space again: the engine reports RETAIN_EFULL with
 * SQLite's words, keeps nothing of the failed call, and goes on. */
static void test_full_then_space(r_injector *inj)
{
    r_copy(R_BASE[R_JOURNEY], R_WORK);
    retain_engine *e = NULL;
    CHECK_OK(NULL, retain_engine_open(&e, R_WORK, &inj->options));
    CHECK_OK(e, r_op_customer(e, 0));
    fv_arm(FV_WRITE, 1, 1, SQLITE_FULL);
    int rc = r_order(e, 0);
    fv_disarm();
    CHECK_INT(rc, RETAIN_EFULL);
    CHECK(strstr(retain_errmsg(e), "full") != NULL);
    CHECK_STR(retain_errstr(RETAIN_EFULL), "disk full");
    CHECK(r_check_db(R_WORK, "full then space"));
    retain_counts c;
    CHECK_OK(e, retain_engine_counts(e, &c));
    CHECK_INT(c.orders, 0);
    CHECK_OK(e, r_order(e, 0));
    CHECK_OK(e, retain_engine_counts(e, &c));
    CHECK_INT(c.orders, 1);
    retain_engine_close(e);
}

int main(void)
{
    if (fv_register() != SQLITE_OK) {
        fprintf(stderr, "cannot register the faulty VFS\n");
        return 1;
    }
    r_injector inj = { "", inj_arm, fv_disarm, fv_pause, inj_injected, inj_counted, NULL, 0,
                       NULL, 1,
                       RETAIN_OPTIONS_INIT };
    inj.options.vfs = "faulty";
    inj.options.busy_timeout_ms = 1; /* a persistent lock gives up at once */
    inj.options.default_country = "US";
    int exhaustive = r_long();
    r_build_bases("io", &inj);
    test_passthrough(&inj);
    test_full_then_space(&inj);

    static r_phase phases[8];
    int np = r_common_phases(phases);
    const char *only = getenv("RETAIN_IO_PHASE"); /* debugging: one phase */
    const char *one_fault = getenv("RETAIN_IO_FAULT");
    long runs = 0;
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
        if (one_fault && *one_fault && strcmp(one_fault, faults[f].name) != 0)
            continue;
        cur_kind = faults[f].kind;
        cur_err = faults[f].err;
        inj.fault = faults[f].name;
        inj.expect = faults[f].expect;
        for (int i = 0; i < np; i++) {
            if (only && *only && strcmp(only, phases[i].name) != 0)
                continue;
            for (int persistent = 0; persistent <= 1; persistent++)
                r_sweep("io", &inj, &phases[i], persistent, exhaustive, FAST_DENSE, FAST_SPARSE,
                        &runs);
        }
    }
    printf("io: %ld runs, %s form; calls seen: %ld reads, %ld writes, %ld fsyncs, %ld locks;"
           " %ld host transactions rolled back as a whole\n",
           runs, exhaustive ? "long" : "fast", FV.seen[FV_READ], FV.seen[FV_WRITE],
           FV.seen[FV_SYNC], FV.seen[FV_LOCK], r_whole_rollbacks);
    r_remove_bases();
    return t_report("io");
}
