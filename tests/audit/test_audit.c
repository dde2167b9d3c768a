/*
 * test_audit.c - the post-purchase self-audit: an empty store scores 1 with
 * every practice missing; each fixture (tests/data/audit) turns on exactly
 * its own practice; so does the advice the audit gives; the example journey
 * passes what it has; the score mapping, JSON, argument checks, files
 * audited as if installed, and read-only engines.
 */
#include "harness.h"

#include <retain.h>
#include "audit/audit.h"

#include <sqlite3.h>
#include <unistd.h>

#define DAY 86400000LL
/* 2025-01-01T00:00:00Z */
#define T0 1735689600000LL
#define NOW (T0 + 200 * DAY)

static char data_dir[512], examples_dir[512];

static const char *const keys[] = {
    "confirmation", "shipping", "delay", "care", "feedback", "returns", "replenishment",
    "recommendations", "coupon", "policy", "marketplace", "measured",
};
#define NKEYS (sizeof keys / sizeof keys[0])

static retain_engine *open_mem(void)
{
    retain_engine *e = NULL;
    if (retain_engine_open(&e, ":memory:", NULL) != RETAIN_OK)
        T_FAIL("cannot open an in-memory engine");
    return e;
}

/* The store every fixture starts from: 120 customers buying on the web over
 * 200 days, and a few eBay orders that no profile governs. No journeys, no
 * consent. Nothing of the audit passes in it. */
static void base_store(retain_engine *e, const char *market)
{
    CHECK_OK(e, retain_begin(e));
    for (int i = 0; i < 120; i++) {
        char id[32], oid[32];
        snprintf(id, sizeof id, "c%03d", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.at = T0;
        CHECK_OK(e, retain_customer_upsert(e, &c));
        for (int k = 0; k < 1 + i % 3; k++) {
            snprintf(oid, sizeof oid, "o%03d-%d", i, k);
            retain_order o = RETAIN_ORDER_INIT;
            o.id = oid;
            o.customer_id = id;
            o.channel = i % 40 == 0 ? market : "web";
            o.placed_at = T0 + (int64_t)((i + 50 * k) % 200) * DAY;
            o.currency = "USD";
            o.total = 2500;
            CHECK_OK(e, retain_order_record(e, &o));
        }
    }
    CHECK_OK(e, retain_commit(e));
}

static void path_of(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static void load_journeys(retain_engine *e, const char *path)
{
    retain_diag d[4];
    size_t nd = 0;
    CHECK_OK(e, retain_journeys_load_file(e, path, T0, d, 4, &nd));
    if (nd)
        T_FAIL("%s:%d:%d: %s", path, d[0].line, d[0].column, d[0].message);
}

/* Bit i set when keys[i] passed; fails the test when an item is out of place. */
static unsigned passed_mask(const retain_audit *a)
{
    unsigned m = 0;
    CHECK_INT(retain_audit_count(a), NKEYS);
    for (size_t i = 0; i < retain_audit_count(a) && i < NKEYS; i++) {
        struct retain_audit_item it;
        CHECK_INT(retain_audit_item(a, i, &it), RETAIN_OK);
        CHECK_STR(it.key, keys[i]);
        CHECK(it.title && it.title[0] && it.detail && it.detail[0] && it.advice);
        /* Missing practices always say how to add them; passed ones don't. */
        CHECK(it.passed ? it.advice[0] == '\0' : it.advice[0] != '\0');
        if (it.passed)
            m |= 1u << i;
    }
    return m;
}

static unsigned audit_mask(retain_engine *e, int *score)
{
    retain_audit *a = NULL;
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    unsigned m = a ? passed_mask(a) : ~0u;
    if (score)
        *score = retain_audit_score(a);
    retain_audit_free(a);
    return m;
}

static unsigned bit(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i], key))
            return 1u << i;
    T_FAIL("no key %s", key);
    return 0;
}

static void names(char *buf, size_t size, unsigned m)
{
    buf[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++)
        if (m & (1u << i))
            snprintf(buf + strlen(buf), size - strlen(buf), "%s ", keys[i]);
}

#define CHECK_MASK(what, got, want)                                                     \
    do {                                                                                \
        unsigned g_ = (got), w_ = (want);                                               \
        if (g_ == w_) {                                                                 \
            t_passed++;                                                                 \
        } else {                                                                        \
            char gs_[256], ws_[256];                                                    \
            names(gs_, sizeof gs_, g_);                                                 \
            names(ws_, sizeof ws_, w_);                                                 \
            T_FAIL("%s: passed [%s], expected [%s]", what, gs_, ws_);                   \
        }                                                                               \
    } while (0)

/* ---- the empty store ------------------------------------------------------ */

static void test_empty(void)
{
    retain_engine *e = open_mem();
    int score = 0;
    CHECK_MASK("empty store", audit_mask(e, &score), 0);
    CHECK_INT(score, 1);
    /* The weights are a share of 100. */
    retain_audit *a = NULL;
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    int total = 0;
    for (size_t i = 0; i < retain_audit_count(a); i++) {
        struct retain_audit_item it;
        retain_audit_item(a, i, &it);
        CHECK(it.weight > 0);
        total += it.weight;
    }
    CHECK_INT(total, 100);
    retain_audit_free(a);
    retain_engine_close(e);
}

/* ---- one fixture, one practice -------------------------------------------- */

typedef enum setup { JOURNEYS, PROFILE, CONSENT } setup;

static const struct fixture {
    const char *file; /* in tests/data/audit; NULL for CONSENT */
    setup how;
    const char *flips; /* the key that must pass; NULL: none may */
} fixtures[] = {
    { "confirmation.yaml", JOURNEYS, "confirmation" },
    { "confirmation_wait.yaml", JOURNEYS, NULL },
    { "confirmation_wait_in_step.yaml", JOURNEYS, NULL },
    { "shipping.yaml", JOURNEYS, "shipping" },
    { "delay.yaml", JOURNEYS, "delay" },
    { "care.yaml", JOURNEYS, "care" },
    { "feedback.yaml", JOURNEYS, "feedback" },
    { "feedback_request_only.yaml", JOURNEYS, NULL },
    { "returns.yaml", JOURNEYS, "returns" },
    { "replenishment.yaml", JOURNEYS, "replenishment" },
    { "measured.yaml", JOURNEYS, "measured" },
    { "recommendations.yaml", JOURNEYS, "recommendations" },
    { "coupon.yaml", JOURNEYS, "coupon" },
    { "ebay.yaml", PROFILE, "marketplace" },
    { NULL, CONSENT, "policy" },
};

static void test_fixtures(void)
{
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        const struct fixture *fx = &fixtures[i];
        retain_engine *e = open_mem();
        base_store(e, "ebay");
        CHECK_MASK("base store", audit_mask(e, NULL), 0);
        char path[600];
        if (fx->file)
            path_of(path, sizeof path, data_dir, fx->file);
        if (fx->how == JOURNEYS) {
            load_journeys(e, path);
        } else if (fx->how == PROFILE) {
            retain_diag d;
            CHECK_OK(e, retain_policy_profile_load_file(e, path, T0, &d));
        } else {
            CHECK_OK(e, retain_consent_set(e, "c001", "email", "all", RETAIN_CONSENT_GRANTED, T0,
                                           "checkout"));
        }
        CHECK_MASK(fx->file ? fx->file : "consent", audit_mask(e, NULL),
                   fx->flips ? bit(fx->flips) : 0);
        retain_engine_close(e);
    }
}

/* ---- the advice works ----------------------------------------------------- */

/* Install what the advice of every missing item suggests, when it is a
 * journey file or a profile, in a store that has only that practice missing
 * ... in the base store: it must turn on exactly that item. */
static void test_advice(void)
{
    retain_engine *e0 = open_mem();
    base_store(e0, "ebay");
    retain_audit *a = NULL;
    CHECK_OK(e0, retain_audit_run(&a, e0, NOW));
    int tried = 0;
    for (size_t i = 0; a && i < retain_audit_count(a); i++) {
        struct retain_audit_item it;
        retain_audit_item(a, i, &it);
        const char *snippet = strstr(it.advice, "\n\n");
        if (!snippet)
            continue;
        snippet += 2;
        bool journey = !strncmp(snippet, "journey:", 8), profile = !strncmp(snippet, "profile:", 8);
        if (!journey && !profile)
            continue;
        retain_engine *e = open_mem();
        base_store(e, "ebay");
        retain_diag d[4];
        size_t nd = 0;
        int rc = journey ? retain_journeys_load(e, snippet, it.key, T0, d, 4, &nd)
                         : retain_policy_profile_load(e, snippet, it.key, T0, d);
        if (rc)
            T_FAIL("advice of %s does not load: %s\n%s", it.key, retain_errmsg(e), snippet);
        else
            t_passed++;
        CHECK_MASK(it.key, audit_mask(e, NULL), bit(it.key));
        tried++;
        retain_engine_close(e);
    }
    /* Every practice except policy (calls) and coupon (docs) has an
     * installable snippet. */
    CHECK_INT(tried, 10);
    retain_audit_free(a);
    retain_engine_close(e0);
}

/* ---- the example program -------------------------------------------------- */

static void load_example(retain_engine *e)
{
    char path[600];
    path_of(path, sizeof path, examples_dir, "journeys/post-purchase.yaml");
    load_journeys(e, path);
    static const char *const profiles[] = { "policies/amazon.yaml", "policies/default.yaml" };
    for (size_t i = 0; i < 2; i++) {
        retain_diag d;
        path_of(path, sizeof path, examples_dir, profiles[i]);
        CHECK_OK(e, retain_policy_profile_load_file(e, path, T0, &d));
    }
}

static void test_example(void)
{
    /* Alone: the journey confirms, updates and helps after delivery. */
    retain_engine *e = open_mem();
    load_example(e);
    int score = 0;
    unsigned journeys = bit("confirmation") | bit("shipping") | bit("care");
    CHECK_MASK("post-purchase alone", audit_mask(e, &score), journeys);
    CHECK_INT(score, 1 + 9 * (15 + 10 + 8) / 100);
    retain_engine_close(e);

    /* In a store with history, Amazon orders (built-in profile) and
     * consent: also policy, marketplace and measured (its goal and 10%
     * holdout). The feedback request has no acknowledgement; delay notices
     * come from timeouts, not shipment.delayed. */
    e = open_mem();
    base_store(e, "amazon");
    load_example(e);
    for (int i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof id, "c%03d", i);
        CHECK_OK(e, retain_consent_set(e, id, "email", "all", RETAIN_CONSENT_GRANTED, T0, "test"));
    }
    CHECK_MASK("post-purchase in a store", audit_mask(e, &score),
               journeys | bit("policy") | bit("marketplace") | bit("measured"));
    CHECK_INT(score, 1 + 9 * (15 + 10 + 8 + 8 + 6 + 6) / 100);
    retain_audit *a = NULL;
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    struct retain_audit_item it;
    CHECK_INT(retain_audit_item(a, 2, &it), RETAIN_OK); /* delay */
    CHECK(strstr(it.detail, "post-purchase/delay_notice") != NULL);
    CHECK_INT(retain_audit_item(a, 4, &it), RETAIN_OK); /* feedback */
    CHECK(strstr(it.detail, "post-purchase/feedback") != NULL);
    CHECK(strstr(it.advice, "feedback.received") != NULL);
    CHECK(strstr(it.advice, "journey: feedback-request") == NULL);
    CHECK_INT(retain_audit_item(a, 11, &it), RETAIN_OK); /* measured */
    CHECK(strstr(it.detail, "10% holdout at step split") != NULL);
    retain_audit_free(a);

    /* Revoke-free but consent-less for a category the journey sends:
     * feedback e-mails need email/feedback or email/all. */
    retain_engine_close(e);
    e = open_mem();
    base_store(e, "amazon");
    load_example(e);
    CHECK_OK(e, retain_consent_set(e, "c001", "email", "marketing", RETAIN_CONSENT_GRANTED, T0,
                                   "test"));
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    CHECK_INT(retain_audit_item(a, 9, &it), RETAIN_OK); /* policy */
    CHECK_INT(it.passed, 0);
    CHECK(strstr(it.detail, "nobody has consented to email/feedback") != NULL);
    retain_audit_free(a);
    retain_engine_close(e);
}

/* ---- policy details ------------------------------------------------------- */

static void test_policy_channels(void)
{
    retain_engine *e = open_mem();
    base_store(e, "web");
    CHECK_OK(e, retain_consent_set(e, "c001", "push", "all", RETAIN_CONSENT_GRANTED, T0, "app"));
    const char *yaml = "journey: push-promo\ntrigger: order.placed\nsteps:\n"
                       "  - id: promo\n    wait: 1d\n"
                       "    send: { channel: push, template: promo, category: marketing }\n";
    retain_diag d[2];
    size_t nd;
    CHECK_OK(e, retain_journeys_load(e, yaml, "push", T0, d, 2, &nd));
    retain_audit *a = NULL;
    struct retain_audit_item it;
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    CHECK_INT(retain_audit_item(a, 9, &it), RETAIN_OK);
    CHECK_INT(it.passed, 0);
    CHECK(strstr(it.detail, "push has no quiet hours") != NULL);
    CHECK(strstr(it.detail, "push has no frequency cap") != NULL);
    CHECK(strstr(it.advice, "retain_policy_quiet_hours_set(e, \"push\"") != NULL);
    retain_audit_free(a);
    CHECK_OK(e, retain_policy_quiet_hours_set(e, "push", 1260, 480));
    CHECK_OK(e, retain_policy_cap_set(e, "push", "all", 2, 7 * DAY));
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    CHECK_INT(retain_audit_item(a, 9, &it), RETAIN_OK);
    CHECK_INT(it.passed, 1);
    retain_audit_free(a);
    retain_engine_close(e);
}

/* ---- scores, JSON, arguments ---------------------------------------------- */

static void test_score_mapping(void)
{
    static const struct { int passed, total, score; } cases[] = {
        { 0, 100, 1 }, { 11, 100, 1 }, { 12, 100, 2 }, { 33, 100, 3 }, { 53, 100, 5 },
        { 99, 100, 9 }, { 100, 100, 10 }, { 0, 0, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_INT(au_score(cases[i].passed, cases[i].total), cases[i].score);
}

static bool json_valid(const char *json, int *score, int *items)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return false;
    if (sqlite3_prepare_v2(db,
                           "SELECT json_valid(?1), json_extract(?1,'$.score'),"
                           " json_array_length(?1,'$.items')", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            ok = sqlite3_column_int(st, 0) == 1;
            *score = sqlite3_column_int(st, 1);
            *items = sqlite3_column_int(st, 2);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return ok;
}

static void test_json(void)
{
    retain_engine *e = open_mem();
    base_store(e, "amazon");
    load_example(e);
    retain_audit *a = NULL, *b = NULL;
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    CHECK_OK(e, retain_audit_run(&b, e, NOW));
    char *j1 = NULL, *j2 = NULL;
    CHECK_INT(retain_audit_json(&j1, a), RETAIN_OK);
    CHECK_INT(retain_audit_json(&j2, b), RETAIN_OK);
    int score = 0, items = 0;
    CHECK(j1 && json_valid(j1, &score, &items));
    CHECK_INT(score, retain_audit_score(a));
    CHECK_INT(items, NKEYS);
    CHECK(j1 && j2 && !strcmp(j1, j2)); /* deterministic */
    CHECK(j1 && strstr(j1, "\"key\":\"confirmation\"") != NULL);
    retain_free(e, j1);
    retain_free(e, j2);
    retain_audit_free(a);
    retain_audit_free(b);
    retain_engine_close(e);
}

static void test_args(void)
{
    retain_engine *e = open_mem();
    retain_audit *a = (retain_audit *)&a;
    CHECK_INT(retain_audit_run(&a, NULL, NOW), RETAIN_EINVAL);
    CHECK(a == NULL);
    CHECK_INT(retain_audit_run(NULL, e, NOW), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e), "out") != NULL);
    CHECK_INT(retain_audit_run(&a, e, INT64_MAX), RETAIN_EINVAL);
    CHECK_INT(retain_audit_run_yaml(NULL, e, NULL, NULL, 0, NOW, NULL, 0, NULL), RETAIN_EINVAL);
    CHECK_INT(retain_audit_run_yaml(&a, NULL, NULL, NULL, 0, NOW, NULL, 0, NULL), RETAIN_EINVAL);
    CHECK_INT(retain_audit_run_yaml(&a, e, NULL, NULL, 1, NOW, NULL, 0, NULL), RETAIN_EINVAL);
    const char *one[1] = { NULL };
    CHECK_INT(retain_audit_run_yaml(&a, e, one, NULL, 1, NOW, NULL, 0, NULL), RETAIN_EINVAL);
    CHECK_INT(retain_audit_run_yaml(&a, e, NULL, NULL, 0, NOW, NULL, 3, NULL), RETAIN_EINVAL);
    CHECK_INT(retain_audit_score(NULL), 0);
    CHECK_INT(retain_audit_count(NULL), 0);
    struct retain_audit_item it;
    CHECK_INT(retain_audit_item(NULL, 0, &it), RETAIN_EINVAL);
    char *json = (char *)"x";
    CHECK_INT(retain_audit_json(&json, NULL), RETAIN_EINVAL);
    CHECK(json == NULL);
    CHECK_INT(retain_audit_json(NULL, NULL), RETAIN_EINVAL);
    retain_audit_free(NULL);
    CHECK_OK(e, retain_audit_run(&a, e, NOW));
    CHECK_INT(retain_audit_item(a, NKEYS, &it), RETAIN_EINVAL);
    CHECK_INT(retain_audit_item(a, 0, NULL), RETAIN_EINVAL);
    retain_audit_free(a);
    retain_engine_close(e);
}

/* ---- files audited as if installed ---------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        T_FAIL("cannot open %s", path);
        return NULL;
    }
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void test_yaml(void)
{
    retain_engine *e = open_mem();
    char path[600];
    path_of(path, sizeof path, data_dir, "confirmation.yaml");
    char *confirm = slurp(path);
    path_of(path, sizeof path, data_dir, "delay.yaml");
    char *delay = slurp(path);
    const char *files[2] = { confirm, delay }, *origins[2] = { "confirmation.yaml", NULL };
    retain_audit *a = NULL;
    CHECK_OK(e, retain_audit_run_yaml(&a, e, files, origins, 2, NOW, NULL, 0, NULL));
    CHECK_MASK("two files", a ? passed_mask(a) : 0, bit("confirmation") | bit("delay"));
    retain_audit_free(a);
    /* Nothing was installed. */
    CHECK_MASK("after the files", audit_mask(e, NULL), 0);

    /* A file's journey replaces the installed one of the same name. */
    load_journeys(e, path); /* delay.yaml */
    path_of(path, sizeof path, data_dir, "confirmation.yaml");
    load_journeys(e, path);
    const char *late = "journey: fx-confirm\nversion: 2\ntrigger: order.placed\nsteps:\n"
                       "  - id: confirm\n    wait: 1h\n"
                       "    send: { channel: email, template: c, category: transactional }\n";
    CHECK_OK(e, retain_audit_run_yaml(&a, e, &late, NULL, 1, NOW, NULL, 0, NULL));
    CHECK_MASK("replaced", a ? passed_mask(a) : 0, bit("delay"));
    retain_audit_free(a);
    CHECK_MASK("installed", audit_mask(e, NULL), bit("confirmation") | bit("delay"));

    /* A bad file: EPARSE with its position, nothing audited, engine usable. */
    const char *bad[2] = { confirm, "journey: x\ntrigger: order.placed\nsteps:\n  - id: a\n    sned: {}\n" };
    const char *bad_origins[2] = { "good.yaml", "bad.yaml" };
    retain_diag d[4];
    size_t nd = 0;
    a = (retain_audit *)&a;
    CHECK_INT(retain_audit_run_yaml(&a, e, bad, bad_origins, 2, NOW, d, 4, &nd), RETAIN_EPARSE);
    CHECK(a == NULL);
    CHECK(nd >= 1 && d[0].line == 5);
    CHECK(strstr(retain_errmsg(e), "bad.yaml:5:") != NULL);
    CHECK_MASK("after a bad file", audit_mask(e, NULL), bit("confirmation") | bit("delay"));
    free(confirm);
    free(delay);

    /* A branch of 400 arms to an immediate confirmation: the walk sizes its
     * buffers by the widest branch (ASan would see an overflow). */
    static char wide[64 * 1024];
    size_t used = (size_t)snprintf(wide, sizeof wide, "journey: wide\ntrigger: order.placed\n"
                                                      "steps:\n  - id: b\n    branch:\n");
    for (int i = 0; i < 400; i++)
        used += (size_t)snprintf(wide + used, sizeof wide - used,
                                 "      - when: 'order.total > %d'\n        goto: s\n", i);
    snprintf(wide + used, sizeof wide - used,
             "  - id: s\n    send: { channel: email, template: t, category: transactional }\n");
    const char *w = wide;
    CHECK_OK(e, retain_audit_run_yaml(&a, e, &w, NULL, 1, NOW, NULL, 0, NULL));
    CHECK_MASK("wide branch", a ? passed_mask(a) : 0, bit("confirmation") | bit("delay"));
    retain_audit_free(a);
    retain_engine_close(e);
}

/* ---- a read-only engine --------------------------------------------------- */

static void test_readonly(void)
{
    char path[600];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/retain-audit-%ld.db", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    remove(path);
    retain_engine *e = NULL;
    CHECK_INT(retain_engine_open(&e, path, NULL), RETAIN_OK);
    char yaml[600];
    path_of(yaml, sizeof yaml, data_dir, "shipping.yaml");
    load_journeys(e, yaml);
    retain_engine_close(e);
    retain_options o = RETAIN_OPTIONS_INIT;
    o.flags = RETAIN_OPEN_READONLY;
    CHECK_INT(retain_engine_open(&e, path, &o), RETAIN_OK);
    CHECK_MASK("read-only", audit_mask(e, NULL), bit("shipping"));
    retain_engine_close(e);
    char side[700];
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
}

int main(void)
{
    const char *d = getenv("RETAIN_TEST_DATA"), *x = getenv("RETAIN_EXAMPLES");
    snprintf(data_dir, sizeof data_dir, "%s/audit", d ? d : "tests/data");
    snprintf(examples_dir, sizeof examples_dir, "%s", x ? x : "examples");
    test_empty();
    test_fixtures();
    test_advice();
    test_example();
    test_policy_channels();
    test_score_mapping();
    test_json();
    test_args();
    test_yaml();
    test_readonly();
    return t_report("audit");
}
