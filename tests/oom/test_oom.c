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
#include "sweep.h"

#define FAST_DENSE 40
#define FAST_SPARSE 40

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

/* Hold injection off (on = 1) and resume it, for looks at the file made
 * in the middle of an operation. */
static long paused_at;
static void pause_faults(int on)
{
    if (on) {
        paused_at = F.fail_at;
        F.fail_at = 0;
    } else {
        F.fail_at = paused_at;
    }
}

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

/* ---- the injector ------------------------------------------------------- */

static void inj_arm(long n, int persistent) { arm(n, persistent); }
static long inj_injected(void) { return F.injected; }
static long inj_counted(void) { return F.calls; }
static long inj_live(void) { return F.live; }

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
    r_injector inj = { "allocation", inj_arm, disarm, pause_faults, inj_injected, inj_counted,
                       inj_live,
                       RETAIN_ENOMEM, "out of memory", 0, counted_options() };
    int exhaustive = r_long();
    r_pause = pause_faults;
    r_build_bases("oom", &inj);

    static r_phase phases[10];
    int np = r_common_phases(phases);
    r_phase *p = &phases[np++];
    *p = (r_phase){ .name = "rule_compile", .base = R_SCHEMA };
    for (int i = 0; i < (int)(sizeof rules / sizeof rules[0]); i++)
        p->ops[p->nops++] = (r_op){ "rule", op_rule, i };
    p = &phases[np++];
    *p = (r_phase){ .name = "model_fit", .base = R_INGESTED };
    p->ops[p->nops++] = (r_op){ "fit", op_fit, 0 };
    p->ops[p->nops++] = (r_op){ "fit", op_fit, 1 };
    p->ops[p->nops++] = (r_op){ "refresh", r_op_refresh, 0 };

    const char *only = getenv("RETAIN_OOM_PHASE"); /* debugging: one phase */
    const char *one = getenv("RETAIN_OOM_N");      /* debugging: one run */
    long runs = 0;
    for (int i = 0; i < np; i++) {
        p = &phases[i];
        if (only && *only && strcmp(only, p->name) != 0)
            continue;
        if (one && *one) {
            r_run(&inj, p, LONG_MAX, 0);
            r_run(&inj, p, atol(one), getenv("RETAIN_OOM_PERSISTENT") != NULL);
            continue;
        }
        r_sweep("oom", &inj, p, 0, exhaustive, FAST_DENSE, FAST_SPARSE, &runs);
        r_sweep("oom", &inj, p, 1, exhaustive, FAST_DENSE, FAST_SPARSE, &runs);
    }
    printf("oom: %ld runs, %s form; %ld host transactions rolled back as a whole\n", runs,
           exhaustive ? "long" : "fast", r_whole_rollbacks);
    r_remove_bases();
    CHECK_INT(F.live, 0);
    return t_report("oom");
}
