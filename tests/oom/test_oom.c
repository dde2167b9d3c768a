/*
 * test_oom.c - the whole library under allocation failure. One counter
 * serves both the engine's allocator option and SQLite's own allocator
 * (sqlite3_config(SQLITE_CONFIG_MALLOC), lookaside off so that every small
 * allocation is counted too). For each phase (opening a new and an existing
 * file database, ingest, rule compile, journey load, ticks with a
 * transport, model fits) a run without failures counts the phase's
 * allocations and records what the database holds; then the Nth allocation
 * of the phase fails, for N = 1, 2, ... until a run gets through without
 * meeting an injected failure. Two kinds: transient (only the Nth fails)
 * and persistent (the Nth and every later one fail until the call returns).
 *
 * Every failing call must return RETAIN_ENOMEM with "out of memory" in its
 * message, leave *out NULL, and free what it allocated (the live block
 * count returns to where it was; LeakSanitizer checks the rest). The
 * committed database must pass integrity_check and the invariants of
 * reliability.h right after the failure; the engine must then do the same
 * call again successfully, and at the end of the run the database must hold
 * what the run without failures left.
 *
 * The fast form sweeps every N up to FAST_DENSE, then about FAST_SPARSE
 * more spread up to the end of the phase; the long form (RETAIN_LONG=1,
 * meson -Dlong_tests=true) sweeps every N.
 */
#include "reliability.h"

#include <limits.h>

#define FAST_DENSE 120
#define FAST_SPARSE 120

/* ---- one failing counter for every allocator ---------------------------- */

typedef struct fault {
    long calls;     /* allocations counted since arm() */
    long fail_at;   /* 0: disarmed */
    int persistent; /* fail from fail_at on, not only at it */
    long injected;  /* failures returned since arm() */
    long live;      /* blocks allocated and not yet freed, both allocators */
} fault;

static fault F;

static int fail_now(void)
{
    if (!F.fail_at)
        return 0;
    long c = ++F.calls;
    if (c == F.fail_at || (F.persistent && c > F.fail_at)) {
        F.injected++;
        return 1;
    }
    return 0;
}

static void arm(long n, int persistent)
{
    F.calls = 0;
    F.injected = 0;
    F.persistent = persistent;
    F.fail_at = n;
}

static void disarm(void) { F.fail_at = 0; }

/* A size header in front of each block, for SQLite's xSize. */
#define HDR 16

static void *raw_alloc(size_t n)
{
    if (fail_now())
        return NULL;
    char *p = malloc(n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    F.live++;
    return p + HDR;
}

static void raw_free(void *p)
{
    if (!p)
        return;
    F.live--;
    free((char *)p - HDR);
}

static void *raw_realloc(void *p, size_t n)
{
    if (!p)
        return raw_alloc(n);
    if (fail_now())
        return NULL;
    char *q = realloc((char *)p - HDR, n + HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    return q + HDR;
}

static void *sq_malloc(int n) { return raw_alloc((size_t)n); }
static void sq_free(void *p) { raw_free(p); }
static void *sq_realloc(void *p, int n) { return raw_realloc(p, (size_t)n); }
static int sq_size(void *p)
{
    size_t n = 0;
    if (p)
        memcpy(&n, (char *)p - HDR, sizeof n);
    return (int)n;
}
static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *ctx) { (void)ctx; return SQLITE_OK; }
static void sq_shutdown(void *ctx) { (void)ctx; }

static void *lib_malloc(void *ctx, size_t n) { (void)ctx; return raw_alloc(n); }
static void *lib_realloc(void *ctx, void *p, size_t n) { (void)ctx; return raw_realloc(p, n); }
static void lib_free(void *ctx, void *p) { (void)ctx; raw_free(p); }

static retain_options counted_options(void)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.allocator.malloc = lib_malloc;
    o.allocator.realloc = lib_realloc;
    o.allocator.free = lib_free;
    o.allocator.ctx = &F;
    o.default_country = "US";
    return o;
}

/* ---- operations only this suite needs ------------------------------------- */

static const char *const rules[] = {
    "order.total >= 50.00 and customer.orders_count == 1",
    "order.channel in [\"web\", \"pos\"] and not customer.consent.sms",
    "customer.email =~ \"@example\\\\.com$\" or customer.p_alive < 0.3",
    "days_since(customer.last_order_at) > 90 and customer.orders_count >= 2",
};

static int op_rule(retain_engine *e, int i)
{
    retain_rule *r = (retain_rule *)&F; /* must come back NULL on failure */
    retain_diag d;
    int rc = retain_rule_compile(&r, e, rules[i], &d);
    if (rc != RETAIN_OK && r != NULL) {
        T_FAIL("rule %d: failed with %d but *out is not NULL", i, rc);
        r = NULL;
    }
    if (rc != RETAIN_OK && d.code != rc)
        T_FAIL("rule %d: diag.code %d, returned %d", i, d.code, rc);
    retain_rule_free(r);
    return rc;
}

/* BG/NBD and Gamma-Gamma fits on a small synthetic summary, with the
 * counted allocator in the model options. */
static int op_fit(retain_engine *e, int i)
{
    (void)e;
    enum { ROWS = 60 };
    double x[ROWS], tx[ROWS], T[ROWS], m[ROWS];
    for (int k = 0; k < ROWS; k++) {
        x[k] = k % 7;
        T[k] = 20 + k % 17;
        tx[k] = x[k] ? T[k] * (k % 5 + 1) / 6.0 : 0;
        m[k] = x[k] ? 10 + k % 9 : 0;
    }
    retain_rfm_data d = RETAIN_RFM_DATA_INIT;
    d.n = ROWS;
    d.x = x;
    d.t_x = tx;
    d.T = T;
    d.monetary = m;
    d.unit = RETAIN_UNIT_WEEK;
    retain_model_options o = RETAIN_MODEL_OPTIONS_INIT;
    o.allocator.malloc = lib_malloc;
    o.allocator.realloc = lib_realloc;
    o.allocator.free = lib_free;
    o.max_iterations = 40;
    retain_model mod;
    retain_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = retain_model_fit(&mod, i ? RETAIN_MODEL_GAMMA_GAMMA : RETAIN_MODEL_BGNBD, &d, &o,
                              &diag);
    if (rc)
        r_copy_msg(diag.message);
    return rc;
}

/* ---- phases --------------------------------------------------------------- */

typedef enum base_kind { B_NONE, B_SCHEMA, B_JOURNEY, B_INGESTED } base_kind;

typedef struct phase {
    const char *name;
    base_kind base;
    int open;       /* the engine open is what is swept */
    int transport;  /* register a transport first (swept too) and flush at the end */
    r_op ops[64];
    int nops;
    char ref[4096]; /* fingerprint of the run without failures */
    r_receiver ref_rcv;
    long total;     /* allocations of the phase in that run */
} phase;

static char BASE[4][512];
static char WORK[512];

typedef struct outcome {
    int injected; /* a failure was met */
    int failed;   /* a call returned an error */
    int bad;      /* wrong code, leak, inconsistency, unusable engine */
} outcome;

static int open_plain(retain_engine **e, const char *path)
{
    retain_options o = counted_options();
    char err[512];
    int rc = retain_engine_open_ex(e, path, &o, err, sizeof err);
    if (rc)
        T_FAIL("opening %s: %s", path, err);
    return rc;
}

static int check_failure(const char *ctx, const char *what, int rc, const char *msg)
{
    if (rc == RETAIN_ENOMEM && msg && strstr(msg, "out of memory"))
        return 0;
    T_FAIL("%s: %s returned %d (%s) with message \"%s\"; expected RETAIN_ENOMEM, "
           "\"out of memory\"",
           ctx, what, rc, retain_errstr(rc), msg ? msg : "(null)");
    return 1;
}

/* One run with the Nth allocation failing (n = LONG_MAX: none). */
static outcome run(phase *p, long n, int persistent)
{
    outcome out = { 0, 0, 0 };
    char ctx[160];
    snprintf(ctx, sizeof ctx, "%s %s N=%ld", p->name, persistent ? "persistent" : "transient", n);
    r_copy(p->base == B_NONE ? NULL : BASE[p->base], WORK);
    r_receiver rcv;
    memset(&rcv, 0, sizeof rcv);
    long live0 = F.live;
    retain_engine *e = NULL;
    int bad0 = t_failed;
    if (p->open) {
        retain_options o = counted_options();
        char err[512] = "";
        e = (retain_engine *)&F;
        arm(n, persistent);
        int rc = retain_engine_open_ex(&e, WORK, &o, err, sizeof err);
        disarm();
        out.injected = F.injected > 0;
        if (rc != RETAIN_OK) {
            out.failed = 1;
            check_failure(ctx, "retain_engine_open_ex", rc, err);
            if (e != NULL)
                T_FAIL("%s: failed open left *out set", ctx);
            e = NULL;
            if (F.live != live0)
                T_FAIL("%s: failed open leaked %ld blocks", ctx, F.live - live0);
            r_check_db(WORK, ctx);
            /* The next open must finish what this one started. */
            open_plain(&e, WORK);
        }
    } else if (open_plain(&e, WORK)) {
        out.bad = 1;
        return out;
    }
    if (e && p->transport && r_op_transport(e, &rcv))
        T_FAIL("%s: registering the transport: %s", ctx, retain_errmsg(e));
    if (e && !p->open)
        arm(n, persistent);
    for (int i = 0; e && i < p->nops; i++) {
        r_msg[0] = '\0';
        int rc = p->ops[i].fn(e, p->ops[i].arg);
        if (rc == RETAIN_OK)
            continue;
        disarm();
        out.failed = 1;
        char what[64];
        snprintf(what, sizeof what, "%s %d", p->ops[i].name, p->ops[i].arg);
        check_failure(ctx, what, rc, r_msg[0] ? r_msg : retain_errmsg(e));
        char ctx2[256];
        snprintf(ctx2, sizeof ctx2, "%s, after %s failed", ctx, what);
        r_check_db(WORK, ctx2);
        /* the engine is usable: the same call now succeeds */
        r_msg[0] = '\0';
        rc = p->ops[i].fn(e, p->ops[i].arg);
        if (rc != RETAIN_OK)
            T_FAIL("%s: retrying %s: %d %s", ctx, what, rc,
                   r_msg[0] ? r_msg : retain_errmsg(e));
    }
    if (!out.injected)
        out.injected = F.injected > 0;
    if (p->total < F.calls)
        p->total = F.calls;
    disarm();
    if (e && p->transport) {
        retain_tick_stats st;
        int rc = retain_engine_tick(e, R_FLUSH_AT, &st);
        if (rc)
            T_FAIL("%s: flush tick: %s", ctx, retain_errmsg(e));
    }
    retain_engine_close(e);
    if (F.live != live0)
        T_FAIL("%s: %ld blocks leaked", ctx, F.live - live0);
    r_check_db(WORK, ctx);
    char fp[4096];
    r_fingerprint(WORK, fp, sizeof fp);
    if (n == LONG_MAX) {
        snprintf(p->ref, sizeof p->ref, "%s", fp);
        p->ref_rcv = rcv;
    } else {
        if (strcmp(fp, p->ref) != 0)
            T_FAIL("%s: the database differs from the run without failures:\n  got  %s\n"
                   "  want %s",
                   ctx, fp, p->ref);
        if (p->transport && !r_same_messages(&rcv, &p->ref_rcv))
            T_FAIL("%s: the transport received %d distinct messages, %d without failures",
                   ctx, rcv.distinct, p->ref_rcv.distinct);
    }
    if (rcv.conflicts)
        T_FAIL("%s: %d idempotency keys came with different content", ctx, rcv.conflicts);
    out.bad = t_failed != bad0;
    return out;
}

/* Sweep one phase in one mode; prints the counts. */
static void sweep(phase *p, int persistent, int exhaustive, long *runs_total)
{
    long runs = 0, failed = 0, absorbed = 0, bad = 0, last = 0;
    long step = 1;
    if (!exhaustive && p->total > FAST_DENSE)
        step = (p->total - FAST_DENSE) / FAST_SPARSE + 1;
    for (long n = 1;; ) {
        outcome o = run(p, n, persistent);
        runs++;
        last = n;
        failed += o.failed;
        absorbed += o.injected && !o.failed;
        bad += o.bad;
        if (!o.injected)
            break; /* the phase got through: N is past its last allocation */
        if (bad > 20) {
            T_FAIL("%s: stopping the sweep after %ld bad runs", p->name, bad);
            break;
        }
        if (n < FAST_DENSE || exhaustive)
            n++;
        else if (n < p->total && n + step > p->total)
            n = p->total; /* always try the very last allocation */
        else
            n += step;
    }
    printf("oom %-14s %-10s allocations %6ld  runs %5ld  N up to %6ld  failed %5ld"
           "  absorbed %4ld  bad %ld\n",
           p->name, persistent ? "persistent" : "transient", p->total, runs, last, failed,
           absorbed, bad);
    fflush(stdout);
    *runs_total += runs;
    if (!bad)
        t_passed++;
}

static void build_base(base_kind k)
{
    r_path(BASE[k], sizeof BASE[k], "oom", k == B_SCHEMA ? "schema" : k == B_JOURNEY ? "journey"
                                                                                    : "ingested");
    r_rmdb(BASE[k]);
    retain_engine *e = NULL;
    if (open_plain(&e, BASE[k]))
        exit(1);
    if (k >= B_JOURNEY)
        CHECK_OK(e, r_op_journey(e, 0));
    if (k >= B_INGESTED) {
        r_op ops[64];
        int n = r_ingest_ops(ops);
        for (int i = 0; i < n; i++)
            CHECK_OK(e, ops[i].fn(e, ops[i].arg));
    }
    retain_engine_close(e);
    r_check_db(BASE[k], BASE[k]);
}

int main(void)
{
    static const sqlite3_mem_methods methods = {
        sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL
    };
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) != SQLITE_OK ||
        sqlite3_initialize() != SQLITE_OK) {
        fprintf(stderr, "cannot install the counting allocator in SQLite\n");
        return 1;
    }
    int exhaustive = r_long();
    r_path(WORK, sizeof WORK, "oom", "work");
    build_base(B_SCHEMA);
    build_base(B_JOURNEY);
    build_base(B_INGESTED);

    static phase phases[8];
    int np = 0;
    phases[np++] = (phase){ .name = "open_new", .base = B_NONE, .open = 1 };
    phases[np++] = (phase){ .name = "open_existing", .base = B_INGESTED, .open = 1 };
    phase *ingest = &phases[np++];
    *ingest = (phase){ .name = "ingest", .base = B_JOURNEY };
    ingest->nops = r_ingest_ops(ingest->ops);
    phase *rule = &phases[np++];
    *rule = (phase){ .name = "rule_compile", .base = B_SCHEMA };
    for (int i = 0; i < (int)(sizeof rules / sizeof rules[0]); i++)
        rule->ops[rule->nops++] = (r_op){ "rule", op_rule, i };
    phase *jl = &phases[np++];
    *jl = (phase){ .name = "journey_load", .base = B_SCHEMA };
    jl->ops[jl->nops++] = (r_op){ "journey", r_op_journey, 0 };
    phase *tick = &phases[np++];
    *tick = (phase){ .name = "tick", .base = B_INGESTED, .transport = 1 };
    for (int i = 0; i < R_TICKS; i++)
        tick->ops[tick->nops++] = (r_op){ "tick", r_op_tick, i };
    phase *model = &phases[np++];
    *model = (phase){ .name = "model_fit", .base = B_INGESTED };
    model->ops[model->nops++] = (r_op){ "fit", op_fit, 0 };
    model->ops[model->nops++] = (r_op){ "fit", op_fit, 1 };
    model->ops[model->nops++] = (r_op){ "refresh", r_op_refresh, 0 };

    const char *only = getenv("RETAIN_OOM_PHASE");
    long runs = 0;
    for (int i = 0; i < np; i++) {
        phase *p = &phases[i];
        if (only && *only && strcmp(only, p->name) != 0)
            continue;
        outcome ref = run(p, LONG_MAX, 0);
        if (ref.failed || ref.bad) {
            T_FAIL("%s: the run without failures failed", p->name);
            continue;
        }
        if (p->transport && p->ref_rcv.distinct == 0)
            T_FAIL("%s: the run without failures sent nothing", p->name);
        sweep(p, 0, exhaustive, &runs);
        sweep(p, 1, exhaustive, &runs);
    }
    printf("oom: %ld runs, %s form\n", runs, exhaustive ? "long" : "fast");
    for (int k = B_SCHEMA; k <= B_INGESTED; k++)
        r_rmdb(BASE[k]);
    r_rmdb(WORK);
    return t_report("oom");
}
