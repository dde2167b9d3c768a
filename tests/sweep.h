/*
 * sweep.h - the fault sweep the oom and io suites share. A phase is a list
 * of operations on an engine over a copy of a prepared database; an
 * injector makes the Nth call of something fail (an allocation, a write,
 * an fsync ...). For N = 1, 2, ... until a run no longer meets an injected
 * fault, one run:
 *
 *   - copies the phase's base database and opens an engine (the open is
 *     itself the operation for the open phases);
 *   - runs the operations with the fault armed; the first that fails must
 *     return the injector's code with a message, the committed database
 *     must then be consistent (reliability.h), and the same call, retried
 *     with the fault gone, must succeed (the engine is usable); the rest of
 *     the operations run without faults;
 *   - closes the engine and checks that no block leaked (when the injector
 *     counts them), the file is consistent, it holds what a run without
 *     faults left, and a transport got the same messages.
 *
 * Transient faults fail only the Nth call, persistent ones every call from
 * the Nth until the operation returns. The fast form sweeps every N up to
 * `dense`, then about `sparse` more spread to the last call; the long
 * form sweeps every N.
 */
#ifndef RT_TEST_SWEEP_H
#define RT_TEST_SWEEP_H

#include "reliability.h"

#include <limits.h>

typedef struct r_injector {
    const char *fault;      /* printed: "allocation", "write SQLITE_FULL" ... */
    void (*arm)(long n, int persistent);
    void (*disarm)(void);
    void (*pause)(int on);  /* hold faults off (1) and resume (0), counts kept */
    long (*injected)(void); /* faults injected since arm */
    long (*counted)(void);  /* calls counted since arm */
    long (*live)(void);     /* blocks alive, or NULL when not counted */
    int expect;             /* the code a failing call must return */
    const char *expect_msg; /* in its message; NULL: any non-empty message */
    int arm_close;          /* keep the fault armed while the engine closes */
    retain_options options; /* how engines are opened */
} r_injector;

typedef enum r_base { R_NONE, R_SCHEMA, R_JOURNEY, R_INGESTED, R_BASES } r_base;

typedef struct r_phase {
    const char *name;
    r_base base;
    int open;       /* the engine open is what is swept */
    int transport;  /* register a transport before the operations */
    long dense;     /* sweep every N up to this in the fast form, transient faults
                       (0: the suite's) */
    r_op warm[4];   /* run without faults first (statements, journeys, a zone) */
    int nwarm;
    r_op ops[64];
    int nops;
    char ref[4096]; /* fingerprint of the run without faults */
    r_receiver ref_rcv;
    long total;     /* calls the injector counts in that run */
} r_phase;

static char R_BASE[R_BASES][512];
static char R_WORK[512];

typedef struct r_outcome {
    int injected; /* a fault was met */
    int failed;   /* an operation returned an error */
    int bad;      /* a check failed */
} r_outcome;

static inline int r_open(const r_injector *inj, retain_engine **e, const char *path)
{
    char err[512];
    int rc = retain_engine_open_ex(e, path, &inj->options, err, sizeof err);
    if (rc)
        T_FAIL("opening %s: %s", path, err);
    return rc;
}

static inline void r_expect(const r_injector *inj, const char *ctx, const char *what, int rc,
                            const char *msg)
{
    if (rc == inj->expect && msg && *msg && (!inj->expect_msg || strstr(msg, inj->expect_msg)))
        return;
    T_FAIL("%s: %s returned %d (%s) with message \"%s\"; expected %d (%s)%s%s", ctx, what, rc,
           retain_errstr(rc), msg ? msg : "(null)", inj->expect, retain_errstr(inj->expect),
           inj->expect_msg ? " with " : "", inj->expect_msg ? inj->expect_msg : "");
}

/* One run with the Nth call failing (n = LONG_MAX: no fault, the reference). */
static inline r_outcome r_run(const r_injector *inj, r_phase *p, long n, int persistent)
{
    r_outcome out = { 0, 0, 0 };
    char ctx[200];
    snprintf(ctx, sizeof ctx, "%s, %s %s N=%ld", p->name, inj->fault,
             persistent ? "persistent" : "transient", n);
    r_copy(p->base == R_NONE ? NULL : R_BASE[p->base], R_WORK);
    r_receiver rcv;
    memset(&rcv, 0, sizeof rcv);
    long live0 = inj->live ? inj->live() : 0;
    int bad0 = t_failed;
    retain_engine *e = NULL;
    long counted = 0;
    if (p->open) {
        char err[512] = "";
        e = (retain_engine *)&out; /* must come back NULL on failure */
        inj->arm(n, persistent);
        int rc = retain_engine_open_ex(&e, R_WORK, &inj->options, err, sizeof err);
        counted = inj->counted();
        out.injected = inj->injected() > 0;
        inj->disarm();
        if (rc != RETAIN_OK) {
            out.failed = 1;
            r_expect(inj, ctx, "retain_engine_open_ex", rc, err);
            if (e != NULL)
                T_FAIL("%s: a failed open left *out set", ctx);
            e = NULL;
            if (inj->live && inj->live() != live0)
                T_FAIL("%s: a failed open leaked %ld blocks", ctx, inj->live() - live0);
            r_check_db(R_WORK, ctx);
            r_open(inj, &e, R_WORK); /* finishes what the failed open began */
        }
    } else if (r_open(inj, &e, R_WORK)) {
        out.bad = 1;
        return out;
    }
    if (e && p->transport && r_op_transport(e, &rcv))
        T_FAIL("%s: registering the transport: %s", ctx, retain_errmsg(e));
    for (int i = 0; e && i < p->nwarm; i++)
        CHECK_OK(e, p->warm[i].fn(e, p->warm[i].arg));
    int armed = e && !p->open;
    if (armed)
        inj->arm(n, persistent);
    for (int i = 0; e && i < p->nops; i++) {
        r_msg[0] = '\0';
        int rc = p->ops[i].fn(e, p->ops[i].arg);
        if (rc == RETAIN_OK)
            continue;
        if (armed) {
            counted = inj->counted();
            out.injected = inj->injected() > 0;
            inj->disarm();
            armed = 0;
        }
        out.failed = 1;
        char what[64];
        snprintf(what, sizeof what, "%s %d", p->ops[i].name, p->ops[i].arg);
        r_expect(inj, ctx, what, rc, r_msg[0] ? r_msg : retain_errmsg(e));
        char ctx2[280];
        snprintf(ctx2, sizeof ctx2, "%s, after %s failed", ctx, what);
        r_check_db(R_WORK, ctx2);
        r_msg[0] = '\0';
        rc = p->ops[i].fn(e, p->ops[i].arg); /* the engine is usable */
        if (rc != RETAIN_OK)
            T_FAIL("%s: retrying %s: %d %s", ctx, what, rc,
                   r_msg[0] ? r_msg : retain_errmsg(e));
    }
    if (e && p->transport) {
        /* Deliver what a failure left leased ("sending"): the lease has run
         * out by then, so those messages go again, with the same keys. */
        inj->pause(1);
        int rc = retain_engine_tick(e, R_FLUSH_AT + R_DAY, NULL);
        inj->pause(0);
        if (rc)
            T_FAIL("%s: the settling tick: %s", ctx, retain_errmsg(e));
    }
    if (armed && !inj->arm_close) {
        counted = inj->counted();
        out.injected = inj->injected() > 0;
        inj->disarm();
        armed = 0;
    }
    retain_engine_close(e);
    if (armed) {
        counted = inj->counted();
        out.injected = inj->injected() > 0;
        inj->disarm();
    }
    if (p->total < counted)
        p->total = counted;
    if (inj->live && inj->live() != live0)
        T_FAIL("%s: %ld blocks leaked", ctx, inj->live() - live0);
    r_check_db(R_WORK, ctx);
    char fp[4096];
    r_fingerprint(R_WORK, fp, sizeof fp);
    if (n == LONG_MAX) {
        snprintf(p->ref, sizeof p->ref, "%s", fp);
        p->ref_rcv = rcv;
        if (p->transport && rcv.distinct == 0)
            T_FAIL("%s: the run without faults sent nothing", ctx);
        if (getenv("RETAIN_SWEEP_VERBOSE"))
            printf("%s: reference: %s; %d messages\n", ctx, fp, rcv.distinct);
    } else {
        if (strcmp(fp, p->ref) != 0)
            T_FAIL("%s: the database differs from the run without faults:\n  got  %s\n"
                   "  want %s",
                   ctx, fp, p->ref);
        if (p->transport && !r_same_messages(&rcv, &p->ref_rcv)) {
            T_FAIL("%s: the transport received %d distinct messages, %d without faults", ctx,
                   rcv.distinct, p->ref_rcv.distinct);
            for (int i = 0; i < rcv.distinct; i++)
                fprintf(stderr, "  got  %.12s %016llx %s\n", rcv.keys[i],
                        (unsigned long long)rcv.hash[i], rcv.payload[i]);
            for (int i = 0; i < p->ref_rcv.distinct; i++)
                fprintf(stderr, "  want %.12s %016llx %s\n", p->ref_rcv.keys[i],
                        (unsigned long long)p->ref_rcv.hash[i], p->ref_rcv.payload[i]);
        }
    }
    if (rcv.conflicts)
        T_FAIL("%s: %d idempotency keys came with different content", ctx, rcv.conflicts);
    out.bad = t_failed != bad0;
    return out;
}

/* Sweep one phase with one injector in one mode; prints the counts and
 * adds the runs to *runs_total. */
static inline void r_sweep(const char *suite, const r_injector *inj, r_phase *p, int persistent,
                           int exhaustive, long dense, long sparse, long *runs_total)
{
    p->total = 0;
    r_outcome ref = r_run(inj, p, LONG_MAX, 0);
    if (ref.failed || ref.bad) {
        T_FAIL("%s, %s: the run without faults failed", p->name, inj->fault);
        return;
    }
    long runs = 0, failed = 0, absorbed = 0, bad = 0, last = 0;
    long step = 1;
    if (p->dense && !persistent)
        dense = p->dense; /* a persistent fault fails the call anyway: a sample is enough */
    if (!exhaustive && p->total > dense)
        step = (p->total - dense) / sparse + 1;
    const char *from = getenv("RETAIN_SWEEP_FROM"); /* debugging: start later */
    for (long n = from && *from ? atol(from) : 1;;) {
        r_outcome o = r_run(inj, p, n, persistent);
        runs++;
        last = n;
        failed += o.failed;
        absorbed += o.injected && !o.failed;
        bad += o.bad;
        if (o.bad)
            printf("%s %s %s %s: bad run at N=%ld (RETAIN_SWEEP_FROM=%ld starts there)\n",
                   suite, p->name, inj->fault, persistent ? "persistent" : "transient", n, n);
        if (!o.injected)
            break; /* past the phase's last counted call */
        if (bad > 20) {
            T_FAIL("%s, %s: stopping the sweep after %ld bad runs", p->name, inj->fault, bad);
            break;
        }
        if (n < dense || exhaustive)
            n++;
        else if (n < p->total && n + step > p->total)
            n = p->total; /* always the very last call */
        else
            n += step;
    }
    printf("%s %-14s %-22s %-10s calls %6ld  runs %5ld  N up to %6ld  failed %5ld"
           "  absorbed %4ld  bad %ld\n",
           suite, p->name, inj->fault, persistent ? "persistent" : "transient", p->total, runs,
           last, failed, absorbed, bad);
    fflush(stdout);
    *runs_total += runs + 1;
    if (!bad)
        t_passed++;
}

/* The databases phases start from: schema only; with the journey; with
 * the journey and the ingest workload. Built without faults. */
static inline void r_build_bases(const char *suite, const r_injector *inj)
{
    static const char *const tags[R_BASES] = { "", "schema", "journey", "ingested" };
    r_path(R_WORK, sizeof R_WORK, suite, "work");
    for (int k = R_SCHEMA; k < R_BASES; k++) {
        r_path(R_BASE[k], sizeof R_BASE[k], suite, tags[k]);
        r_rmdb(R_BASE[k]);
        r_db_path = R_BASE[k];
        retain_engine *e = NULL;
        if (r_open(inj, &e, R_BASE[k]))
            exit(1);
        if (k >= R_JOURNEY) {
            CHECK_OK(e, r_op_journey(e, 0));
            CHECK_OK(e, r_op_journey(e, 1));
        }
        if (k >= R_INGESTED) {
            r_op ops[64];
            int n = r_ingest_ops(ops);
            for (int i = 0; i < n; i++)
                CHECK_OK(e, ops[i].fn(e, ops[i].arg));
        }
        retain_engine_close(e);
        r_check_db(R_BASE[k], R_BASE[k]);
    }
    r_db_path = R_WORK;
}

static inline void r_remove_bases(void)
{
    for (int k = R_SCHEMA; k < R_BASES; k++)
        r_rmdb(R_BASE[k]);
    r_rmdb(R_WORK);
}

/* The phases both suites sweep. */
static inline int r_common_phases(r_phase *ph)
{
    int n = 0;
    ph[n++] = (r_phase){ .name = "open_new", .base = R_NONE, .open = 1 };
    ph[n++] = (r_phase){ .name = "open_existing", .base = R_INGESTED, .open = 1 };
    r_phase *p = &ph[n++];
    *p = (r_phase){ .name = "ingest", .base = R_JOURNEY };
    p->nops = r_ingest_ops(p->ops);
    p = &ph[n++];
    *p = (r_phase){ .name = "journey_load", .base = R_SCHEMA };
    p->ops[p->nops++] = (r_op){ "journey", r_op_journey, 0 };
    p->ops[p->nops++] = (r_op){ "journey", r_op_journey, 1 };
    p = &ph[n++];
    *p = (r_phase){ .name = "tick", .base = R_INGESTED, .transport = 1 };
    for (int i = 0; i < R_TICKS; i++)
        p->ops[p->nops++] = (r_op){ "tick", r_op_tick, i };
    p->ops[p->nops++] = (r_op){ "flush", r_op_flush, 0 };
    /* Zones load when first needed: on a warm engine that has only loaded
     * Berlin, a tick enters a wait-until step in New York's time and the
     * gate holds an SMS in Tokyo's quiet hours; few calls, swept densely. */
    p = &ph[n++];
    *p = (r_phase){ .name = "zones", .base = R_INGESTED, .transport = 1 };
    p->warm[p->nwarm++] = (r_op){ "queue", r_op_queue, 0 };
    p->warm[p->nwarm++] = (r_op){ "tick", r_op_tick_at, -20 * 24 + 1 };
    p->ops[p->nops++] = (r_op){ "tick", r_op_tick_at, -19 * 24 + 1 };
    p->ops[p->nops++] = (r_op){ "queue", r_op_queue, 2 };
    p->dense = 1000;
    return n;
}

#endif
