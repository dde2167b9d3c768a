/*
 * test_replenish.c - consumption cycles and replenishment reminders: cycles
 * learned from hand-made purchase histories (median of interval / quantity,
 * minimum samples, fallback, what is left out), reminders fired once at
 * run-out minus lead time and cancelled by a reorder, on a simulated clock
 * with restarts; and bad inputs.
 */
#include "dom.h"

#include <retain/replenish.h>

/* ---- learning ------------------------------------------------------------ */

typedef struct hist {
    const char *customer;
    const char *items; /* "day:qty day:qty ..." of the SKU under test */
} hist;

typedef struct learn_case {
    const char *name;
    hist h[8];
    int min_samples;      /* 0: default (5) */
    double fallback_days; /* 0: none */
    retain_cycle_source want_source;
    double want_days;     /* the cycle in use */
    int64_t want_samples;
} learn_case;

static const learn_case learn_cases[] = {
    /* a: 30/1, 60/2; b: 20/1; c: 50/2; d: 40/1, 40/1 -> 20 25 30 30 40 40 */
    { "median of six per-unit intervals",
      { { "a", "0:1 30:2 90:1" }, { "b", "0:1 20:1" }, { "c", "0:2 50:1" },
        { "d", "0:1 40:1 80:1" } },
      0, 0, RETAIN_CYCLE_LEARNED, 30, 6 },
    /* a's split order (half a day) is no interval; the next one starts from
     * its second part: 29.5 20 25 40 40 -> 29.5 */
    { "odd count; split orders left out",
      { { "a", "0:1 0.5:1 30:1" }, { "b", "0:1 20:1" }, { "c", "0:2 50:1" },
        { "d", "0:1 40:1 80:1" } },
      0, 0, RETAIN_CYCLE_LEARNED, 29.5, 5 },
    { "quantity scales: 3 units over 45 days is 15 a unit",
      { { "a", "0:3 45:3 90:3" }, { "b", "0:3 45:1" } },
      3, 0, RETAIN_CYCLE_LEARNED, 15, 3 },
    { "too few samples, no fallback: none",
      { { "a", "0:1 30:1" }, { "b", "0:1 20:1" } },
      0, 0, RETAIN_CYCLE_NONE, 0, 2 },
    { "too few samples: the fallback",
      { { "a", "0:1 30:1" }, { "b", "0:1 20:1" } },
      0, 45, RETAIN_CYCLE_FALLBACK, 45, 2 },
    { "min_samples 2 makes two enough",
      { { "a", "0:1 30:1" }, { "b", "0:1 20:1" } },
      2, 45, RETAIN_CYCLE_LEARNED, 25, 2 },
    { "one purchase each: no intervals",
      { { "a", "0:1" }, { "b", "3:1" }, { "c", "9:4" } },
      1, 0, RETAIN_CYCLE_NONE, 0, 0 },
};

static void order_items(retain_engine *e, const char *cust, const char *sku, const char *items,
                        int *seq)
{
    const char *p = items;
    while (*p) {
        char *end;
        double day = strtod(p, &end);
        long q = strtol(end + 1, &end, 10);
        p = *end ? end + 1 : end;
        char oid[32], line[64];
        snprintf(oid, sizeof oid, "o%d", ++*seq);
        snprintf(line, sizeof line, "%s:%ld OTHER:1", sku, q);
        dom_order(e, oid, cust, T0 + (int64_t)(day * DAY), line);
    }
}

static void run_learn_case(const learn_case *c)
{
    dom_opts o = { 0 };
    o.min_samples = c->min_samples;
    o.fallback = (int64_t)(c->fallback_days * DAY);
    retain_engine *e = dom_open(":memory:", &o);
    if (!e)
        return;
    int seq = 0;
    for (int i = 0; i < 8 && c->h[i].customer; i++) {
        dom_customer(e, c->h[i].customer, NULL);
        order_items(e, c->h[i].customer, "SOAP", c->h[i].items, &seq);
    }
    /* A cancelled repurchase is no interval. */
    dom_customer(e, "z", NULL);
    dom_order(e, "zx1", "z", T0, "SOAP:1");
    dom_order(e, "zx2", "z", T0 + 2 * DAY, "SOAP:1");
    CHECK_OK(e, retain_order_set_status(e, "zx2", "cancelled", T0 + 3 * DAY));
    int64_t skus = -1;
    CHECK_OK(e, retain_replenish_learn(&skus, e, T0 + 100 * DAY));
    retain_sku_cycle cy;
    CHECK_OK(e, retain_sku_cycle_get(&cy, e, "SOAP"));
    if (cy.source != c->want_source || cy.cycle_ms != (int64_t)(c->want_days * DAY) ||
        cy.samples != c->want_samples)
        T_FAIL("%s: source %d, cycle %.3f days, %lld samples; expected %d, %g, %lld", c->name,
               (int)cy.source, (double)cy.cycle_ms / DAY, (long long)cy.samples,
               (int)c->want_source, c->want_days, (long long)c->want_samples);
    else
        t_passed++;
    /* A configured cycle beats whatever was learned. */
    CHECK_OK(e, retain_sku_cycle_set(e, "SOAP", 7 * DAY));
    CHECK_OK(e, retain_sku_cycle_get(&cy, e, "SOAP"));
    CHECK_INT(cy.source, RETAIN_CYCLE_CONFIGURED);
    CHECK_INT(cy.cycle_ms, 7 * DAY);
    CHECK_OK(e, retain_sku_cycle_set(e, "SOAP", 0));
    CHECK_OK(e, retain_sku_cycle_get(&cy, e, "SOAP"));
    CHECK_INT(cy.source, c->want_source);
    retain_engine_close(e);
}

/* ---- reminders ----------------------------------------------------------- */

typedef struct step {
    char kind;       /* o: order, c: cancel order, s: set cycle, t: tick, 0: end */
    double day;
    const char *arg; /* o: "ID ITEMS", c: order id, s: cycle days */
} step;

typedef struct remind_case {
    const char *name;
    step steps[10];
    const char *want;   /* order_id@day of replenishment.due events */
    int want_sends;
} remind_case;

/* TEA lasts 10 days a unit; reminders come 3 days before the run-out. */
static const remind_case remind_cases[] = {
    { "fires once, lead time before run-out",
      { { 'o', 0, "o1 TEA:2" }, { 't', 16, 0 }, { 't', 17.5, 0 }, { 't', 18, 0 }, { 't', 30, 0 } },
      "o1@17", 1 },
    { "a reorder first cancels it",
      { { 'o', 0, "o1 TEA:1" }, { 't', 1, 0 }, { 'o', 5, "o2 TEA:1 MUG:1" }, { 't', 6, 0 },
        { 't', 8, 0 }, { 't', 13, 0 } },
      "o2@12", 1 },
    { "a reorder in the same tick still cancels it",
      { { 'o', 0, "o1 TEA:1" }, { 'o', 6, "o2 TEA:1" }, { 't', 7.5, 0 }, { 't', 13, 0 } },
      "o2@13", 1 },
    { "a reorder of another SKU does not",
      { { 'o', 0, "o1 TEA:1" }, { 'o', 5, "o2 MUG:1" }, { 't', 8, 0 } },
      "o1@7", 1 },
    { "a cancelled order is never reminded",
      { { 'o', 0, "o1 TEA:1" }, { 't', 1, 0 }, { 'c', 2, "o1" }, { 't', 8, 0 } }, "", 0 },
    { "far too late a tick drops it",
      { { 'o', 0, "o1 TEA:1" }, { 't', 40, 0 } }, "", 0 },
    { "a cycle set later reschedules pending purchases",
      { { 'o', 0, "o1 JAM:1" }, { 't', 1, 0 }, { 's', 2, "JAM 20" }, { 't', 16, 0 },
        { 't', 17, 0 } },
      "o1@17", 1 },
    { "no cycle, no reminder",
      { { 'o', 0, "o1 JAM:3" }, { 't', 50, 0 }, { 't', 90, 0 } }, "", 0 },
};

static const char reminder_journey[] =
    "journey: replenishment-reminder\n"
    "trigger: replenishment.due\n"
    "entry: always\n"
    "steps:\n"
    "  - id: remind\n"
    "    send: { channel: email, template: running-low, category: marketing }\n";

static void run_remind_case(const remind_case *c)
{
    char path[512];
    t_tmpdb(path, sizeof path, "remind");
    dom_opts o = { 0 };
    o.lead = 3 * DAY;
    o.grace = 5 * DAY;
    retain_engine *e = dom_open(path, &o);
    if (!e)
        return;
    dom_rec rec;
    memset(&rec, 0, sizeof rec);
    dom_load(e, reminder_journey);
    dom_customer(e, "c1", NULL);
    dom_order(e, "seed", "c1", T0 - 400 * DAY, "TEA:1 JAM:1"); /* makes the SKUs known */
    CHECK_OK(e, retain_sku_cycle_set(e, "TEA", 10 * DAY));
    for (const step *s = c->steps; s->kind; s++) {
        int64_t at = T0 + (int64_t)(s->day * DAY);
        if (s->kind == 'o') {
            char id[16];
            int n = 0;
            sscanf(s->arg, "%15s %n", id, &n);
            dom_order(e, id, "c1", at, s->arg + n);
        } else if (s->kind == 'c') {
            CHECK_OK(e, retain_order_set_status(e, s->arg, "cancelled", at));
        } else if (s->kind == 's') {
            char sku[16];
            double d = 0;
            sscanf(s->arg, "%15s %lf", sku, &d);
            CHECK_OK(e, retain_sku_cycle_set(e, sku, (int64_t)(d * DAY)));
        } else {
            retain_engine_close(e);
            e = dom_open(path, &o);
            if (!e)
                return;
            dom_transport(e, "email", &rec);
            CHECK_OK(e, retain_engine_tick(e, at, NULL));
        }
    }
    char got[256];
    dom_events(e, "c1", "replenishment.due", "order_id", got, sizeof got);
    if (strcmp(got, c->want))
        T_FAIL("%s: reminders \"%s\", expected \"%s\"", c->name, got, c->want);
    else
        t_passed++;
    if (rec.calls != c->want_sends)
        T_FAIL("%s: %d sends, expected %d", c->name, rec.calls, c->want_sends);
    else
        t_passed++;
    retain_engine_close(e);
    t_rmdb(path);
}

/* The states a host can read back. */
static void test_states(void)
{
    dom_opts o = { 0 };
    o.lead = 3 * DAY;
    retain_engine *e = dom_open(":memory:", &o);
    if (!e)
        return;
    dom_customer(e, "c1", NULL);
    dom_order(e, "o1", "c1", T0, "TEA:1");
    CHECK_OK(e, retain_sku_cycle_set(e, "TEA", 10 * DAY));
    retain_replenish_state st;
    int64_t due;
    CHECK_OK(e, retain_replenish_get(&st, &due, e, "o1", "TEA"));
    CHECK_INT(st, RETAIN_REPLENISH_NONE); /* the next tick takes it in */
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY, NULL));
    CHECK_OK(e, retain_replenish_get(&st, &due, e, "o1", "TEA"));
    CHECK_INT(st, RETAIN_REPLENISH_PENDING);
    CHECK_INT(due, T0 + 7 * DAY);
    dom_order(e, "o2", "c1", T0 + 2 * DAY, "TEA:1");
    CHECK_OK(e, retain_engine_tick(e, T0 + 2 * DAY, NULL));
    CHECK_OK(e, retain_replenish_get(&st, &due, e, "o1", "TEA"));
    CHECK_INT(st, RETAIN_REPLENISH_REORDERED);
    CHECK_OK(e, retain_engine_tick(e, T0 + 9 * DAY, NULL));
    CHECK_OK(e, retain_replenish_get(&st, &due, e, "o2", "TEA"));
    CHECK_INT(st, RETAIN_REPLENISH_FIRED);
    CHECK_INT(due, T0 + 9 * DAY);
    CHECK_OK(e, retain_replenish_get(&st, &due, e, "o2", "NOPE"));
    CHECK_INT(st, RETAIN_REPLENISH_NONE);
    CHECK_INT(due, RETAIN_TIME_NONE);
    retain_engine_close(e);
}

/* Two ids of one person, each with a pending reminder of the same SKU:
 * after the merge only the latest purchase is reminded of, once, both when
 * the survivor or the merged-away customer bought last. */
static void test_merge(void)
{
    static const struct { const char *into, *later_by; const char *want; } cases[] = {
        { "web", "guest", "o_guest@5" },
        { "web", "web", "o_web@5" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dom_opts o = { 0 };
        o.lead = 3 * DAY;
        retain_engine *e = dom_open(":memory:", &o);
        if (!e)
            return;
        dom_rec rec;
        memset(&rec, 0, sizeof rec);
        dom_load(e, reminder_journey);
        dom_transport(e, "email", &rec);
        dom_customer(e, "web", NULL);
        dom_customer(e, "guest", NULL);
        const char *first = strcmp(cases[i].later_by, "web") ? "web" : "guest";
        char id1[16], id2[16];
        snprintf(id1, sizeof id1, "o_%s", first);
        snprintf(id2, sizeof id2, "o_%s", cases[i].later_by);
        dom_order(e, id1, first, T0, "TEA:1");
        dom_order(e, id2, cases[i].later_by, T0 + 2 * DAY, "TEA:1");
        CHECK_OK(e, retain_sku_cycle_set(e, "TEA", 6 * DAY));
        CHECK_OK(e, retain_engine_tick(e, T0 + 2 * DAY, NULL)); /* both pending */
        const char *from = strcmp(cases[i].into, "web") ? "web" : "guest";
        CHECK_OK(e, retain_customer_merge(e, cases[i].into, from, T0 + 2 * DAY));
        retain_replenish_state st;
        int64_t due;
        CHECK_OK(e, retain_replenish_get(&st, &due, e, id1, "TEA"));
        CHECK_INT(st, RETAIN_REPLENISH_REORDERED);
        for (int day = 3; day <= 20; day++)
            CHECK_OK(e, retain_engine_tick(e, T0 + day * DAY, NULL));
        char got[256];
        dom_events(e, cases[i].into, "replenishment.due", "order_id", got, sizeof got);
        if (strcmp(got, cases[i].want))
            T_FAIL("merge into %s, later order by %s: reminders \"%s\", expected \"%s\"",
                   cases[i].into, cases[i].later_by, got, cases[i].want);
        else
            t_passed++;
        CHECK_INT(rec.calls, 1);
        retain_engine_close(e);
    }
}

/* ---- bad input ---------------------------------------------------------- */

static void test_bad_input(void)
{
    retain_engine *e = dom_open(":memory:", NULL);
    if (!e)
        return;
    dom_customer(e, "c1", NULL);
    dom_order(e, "o1", "c1", T0, "TEA:1");
    retain_sku_cycle cy;
    static const struct { const char *sku; int64_t ms; int want; } bad[] = {
        { "UNKNOWN", DAY, RETAIN_ENOTFOUND },
        { NULL, DAY, RETAIN_EINVAL },
        { "", DAY, RETAIN_EINVAL },
        { "TEA", -1, RETAIN_EINVAL },
        { "TEA", 3661LL * DAY, RETAIN_EINVAL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(e, retain_sku_cycle_set(e, bad[i].sku, bad[i].ms), bad[i].want);
        CHECK(retain_errmsg(e)[0] != '\0');
    }
    CHECK_RC(e, retain_sku_cycle_get(&cy, e, "UNKNOWN"), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_sku_cycle_get(NULL, e, "TEA"), RETAIN_EINVAL);
    CHECK_RC(e, retain_replenish_learn(NULL, e, RETAIN_TIME_NONE), RETAIN_EINVAL);
    retain_replenish_state st;
    int64_t due;
    CHECK_RC(e, retain_replenish_get(&st, &due, e, NULL, "TEA"), RETAIN_EINVAL);
    CHECK_RC(e, retain_replenish_get(NULL, &due, e, "o1", "TEA"), RETAIN_EINVAL);
    /* Still usable. */
    CHECK_OK(e, retain_sku_cycle_set(e, "TEA", DAY));
    CHECK_OK(e, retain_sku_cycle_get(&cy, e, "TEA"));
    CHECK_INT(cy.cycle_ms, DAY);
    retain_engine_close(e);
    static const struct { int64_t lead, fallback, grace; int min; const char *what; } opts[] = {
        { -DAY, 0, 0, 0, "replenish_lead_ms" },
        { 0, -1, 0, 0, "replenish_fallback_cycle_ms" },
        { 0, 0, -5, 0, "replenish_grace_ms" },
        { 0, 0, 0, -1, "replenish_min_samples" },
        { 3661LL * DAY, 0, 0, 0, "replenish_lead_ms" },
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        retain_options o = RETAIN_OPTIONS_INIT;
        o.replenish_lead_ms = opts[i].lead;
        o.replenish_fallback_cycle_ms = opts[i].fallback;
        o.replenish_grace_ms = opts[i].grace;
        o.replenish_min_samples = opts[i].min;
        retain_engine *x = NULL;
        char err[256] = "";
        CHECK_INT(retain_engine_open_ex(&x, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
        if (!strstr(err, opts[i].what))
            T_FAIL("option %s: message \"%s\"", opts[i].what, err);
        else
            t_passed++;
    }
}

int main(void)
{
    for (size_t i = 0; i < sizeof learn_cases / sizeof learn_cases[0]; i++)
        run_learn_case(&learn_cases[i]);
    for (size_t i = 0; i < sizeof remind_cases / sizeof remind_cases[0]; i++)
        run_remind_case(&remind_cases[i]);
    test_states();
    test_merge();
    test_bad_input();
    return t_report("replenish");
}
