/*
 * test_hostile.c - hostile input through the public API: YAML bombs for
 * journeys and marketplace profiles, malformed and malicious strings in
 * every field that enters the store, times at the int64 limits, money that
 * overflows, and rules built to exhaust the compiler. Each case must return
 * (no wall-clock limit is asserted) with a clear error, write nothing, and
 * leave the engine usable.
 */
#include "harness.h"
#include "../unit/util.h"

#include <stdarg.h>

#define T0 (1700000000000LL) /* 2023-11-14 */

static retain_engine *E;
static retain_counts before_counts;
static int alive_seq;

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static char *xmalloc(size_t n)
{
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* A growable string for building big inputs. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
}

static void sb_repeat(sbuf *b, const char *s, size_t times)
{
    for (size_t i = 0; i < times; i++)
        sb_puts(b, s);
}

/* Remember the store's counts before a hostile call. */
static void snap(void)
{
    memset(&before_counts, 0, sizeof before_counts);
    if (retain_engine_counts(E, &before_counts))
        T_FAIL("retain_engine_counts: %s", retain_errmsg(E));
}

/* Nothing was written since snap(), and an ordinary upsert still works. */
static void unchanged_and_usable(const char *what)
{
    retain_counts c;
    memset(&c, 0, sizeof c);
    CHECK_OK(E, retain_engine_counts(E, &c));
    if (memcmp(&c, &before_counts, sizeof c) != 0)
        T_FAIL("%s: the store changed: customers %" PRId64 "->%" PRId64 ", orders %" PRId64
               "->%" PRId64 ", lines %" PRId64 "->%" PRId64 ", shipments %" PRId64 "->%" PRId64
               ", events %" PRId64 "->%" PRId64,
               what, before_counts.customers, c.customers, before_counts.orders, c.orders,
               before_counts.order_lines, c.order_lines, before_counts.shipments, c.shipments,
               before_counts.events, c.events);
    else
        t_passed++;
    retain_customer cu = RETAIN_CUSTOMER_INIT;
    char name[32];
    snprintf(name, sizeof name, "Alive %d", ++alive_seq);
    cu.id = "alive";
    cu.name = name;
    cu.at = T0 + alive_seq;
    int rc = retain_customer_upsert(E, &cu);
    if (rc)
        T_FAIL("%s: a normal upsert afterwards failed: %d %s", what, rc, retain_errmsg(E));
    else
        t_passed++;
}

/* rc is one of the accepted codes, the engine says why, nothing changed. */
static void expect_refused(const char *what, int rc, int want1, int want2)
{
    if (rc == want1 || rc == want2)
        t_passed++;
    else
        T_FAIL("%s: returned %d (%s: %s), expected %d (%s)", what, rc, retain_errstr(rc),
               retain_errmsg(E), want1, retain_errstr(want1));
    if (rc && retain_errmsg(E)[0] == '\0')
        T_FAIL("%s: no error message", what);
    unchanged_and_usable(what);
}

static void setup(void)
{
    int rc = retain_engine_open(&E, ":memory:", NULL);
    if (rc) {
        fprintf(stderr, "cannot open an engine: %d\n", rc);
        exit(1);
    }
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "alive";
    c.email = "alive@example.com";
    c.at = T0;
    CHECK_OK(E, retain_customer_upsert(E, &c));
    retain_order_line line = { "sku-1", "Thing", 1, 1000 };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = "o-alive";
    o.customer_id = "alive";
    o.channel = "web";
    o.placed_at = T0;
    o.currency = "USD";
    o.total = 1000;
    o.lines = &line;
    o.lines_count = 1;
    CHECK_OK(E, retain_order_record(E, &o));
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = "s-alive";
    s.order_id = "o-alive";
    s.carrier = "ups";
    s.at = T0 + 1;
    CHECK_OK(E, retain_shipment_record(E, &s));
}

/* ------------------------------------------------------------------------
 * YAML bombs, shared by journeys and profiles
 * ------------------------------------------------------------------------ */

typedef struct ycase {
    const char *what;
    char *text;     /* malloc'd */
    int code1, code2; /* accepted status codes */
    const char *msg;  /* a substring of the first diagnostic, or NULL */
} ycase;

static size_t ycases_n;
static ycase ycases[32];

static void yadd(const char *what, sbuf *b, int c1, int c2, const char *msg)
{
    ycases[ycases_n++] = (ycase){ what, b->p, c1, c2, msg };
    memset(b, 0, sizeof *b);
}

static void yadd_str(const char *what, const char *s, int c1, int c2, const char *msg)
{
    sbuf b = { 0 };
    sb_add(&b, s, strlen(s));
    yadd(what, &b, c1, c2, msg);
}

/* `head` starts a document ("journey: j\n" or "profile: p\n..."); `nul_cut`
 * (with its length) is valid only if read past its NUL byte. */
static void build_ycases(const char *head, const char *nul_cut, size_t nul_len)
{
    sbuf b = { 0 };
    ycases_n = 0;

    /* Billion laughs: 9 levels of 9 aliases each. */
    sb_puts(&b, head);
    sb_puts(&b, "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char c = 'b'; c <= 'j'; c++) {
        sb_printf(&b, "%c: &%c [", c, c);
        for (int i = 0; i < 9; i++)
            sb_printf(&b, "%s*%c", i ? ", " : "", c - 1);
        sb_puts(&b, "]\n");
    }
    yadd("billion laughs", &b, RETAIN_EPARSE, RETAIN_EPARSE, "aliases");

    /* Anchors and a merge key. */
    sb_puts(&b, head);
    sb_puts(&b, "base: &b { x: 1 }\nother:\n  <<: *b\n");
    yadd("merge key alias", &b, RETAIN_EPARSE, RETAIN_EPARSE, "aliases");

    /* Nesting 10^4 deep, flow and block. */
    sb_puts(&b, head);
    sb_puts(&b, "x: ");
    sb_repeat(&b, "[", 10000);
    sb_repeat(&b, "]", 10000);
    sb_puts(&b, "\n");
    yadd("10^4 nested flow lists", &b, RETAIN_ELIMIT, RETAIN_ELIMIT, "deeper than 64");
    sb_puts(&b, head);
    sb_puts(&b, "x: ");
    sb_repeat(&b, "{a: ", 10000);
    sb_puts(&b, "1");
    sb_repeat(&b, "}", 10000);
    sb_puts(&b, "\n");
    yadd("10^4 nested flow maps", &b, RETAIN_ELIMIT, RETAIN_ELIMIT, "deeper than 64");
    sb_puts(&b, head);
    sb_puts(&b, "x:\n");
    for (int i = 1; i <= 200; i++) {
        sb_repeat(&b, " ", (size_t)i);
        sb_puts(&b, "- \n");
    }
    yadd("200 nested block lists", &b, RETAIN_ELIMIT, RETAIN_ELIMIT, "deeper than 64");

    /* A 100 MB scalar. */
    {
        size_t big = 100u << 20;
        size_t hl = strlen(head);
        char *s = xmalloc(hl + 3 + big + 2);
        memcpy(s, head, hl);
        memcpy(s + hl, "x: ", 3);
        memset(s + hl + 3, 'x', big);
        memcpy(s + hl + 3 + big, "\n", 2);
        ycases[ycases_n++] = (ycase){ "100 MB scalar", s, RETAIN_ELIMIT, RETAIN_ELIMIT, "4 MiB" };
    }

    /* 10^6 keys in one mapping: over the size limit. */
    sb_puts(&b, head);
    for (int i = 0; i < 1000000; i++)
        sb_printf(&b, "k%d: 1\n", i);
    yadd("10^6 keys", &b, RETAIN_ELIMIT, RETAIN_EPARSE, NULL);

    /* Many keys in one flow mapping, within the size limit: refused by the
     * per-mapping key limit (4096), which keeps duplicate checks cheap
     * (80,000 keys used to cost ~15 s of CPU). */
    sb_puts(&b, head);
    sb_puts(&b, "x: {");
    for (int i = 0; i < 80000; i++)
        sb_printf(&b, "%s%x: 1", i ? ", " : "", i);
    sb_puts(&b, "}\n");
    yadd("80000 keys", &b, RETAIN_ELIMIT, RETAIN_ELIMIT, "more than 4096 keys");

    /* Invalid UTF-8 in several forms. */
    sb_puts(&b, head);
    sb_puts(&b, "x: \xff\xfe\n");
    yadd("invalid UTF-8", &b, RETAIN_EPARSE, RETAIN_EPARSE, "UTF-8");
    sb_puts(&b, head);
    sb_puts(&b, "x: \xc0\xaf\n");
    yadd("overlong UTF-8", &b, RETAIN_EPARSE, RETAIN_EPARSE, "UTF-8");
    sb_puts(&b, head);
    sb_puts(&b, "x: \xed\xa0\x80\n");
    yadd("surrogate in UTF-8", &b, RETAIN_EPARSE, RETAIN_EPARSE, "UTF-8");
    sb_puts(&b, head);
    sb_puts(&b, "x: \xe2\x82");
    yadd("truncated UTF-8 at the end", &b, RETAIN_EPARSE, RETAIN_EPARSE, "UTF-8");

    /* NUL bytes: a C string ends at the first one, so what follows is never
     * seen; an escaped NUL inside a quoted scalar is refused. */
    {
        char *s = xmalloc(nul_len + 1);
        memcpy(s, nul_cut, nul_len);
        s[nul_len] = '\0';
        ycases[ycases_n++] = (ycase){ "NUL byte cuts the text", s, RETAIN_EPARSE, RETAIN_EPARSE,
                                      NULL };
    }
    sb_puts(&b, head);
    sb_puts(&b, "x: \"a\\0b\"\n");
    yadd("escaped NUL in a scalar", &b, RETAIN_EPARSE, RETAIN_EPARSE, "NUL");
    sb_puts(&b, head);
    sb_puts(&b, "x: \"a\\x01b\\u202e\\ud800\"\n");
    yadd("escaped control and surrogate", &b, RETAIN_EPARSE, RETAIN_EPARSE, NULL);

    /* Tabs as indentation. */
    sb_puts(&b, head);
    sb_puts(&b, "x:\n\t- a\n\t- b\n");
    yadd("tab indentation", &b, RETAIN_EPARSE, RETAIN_EPARSE, NULL);

    /* Documents that are not a mapping. */
    yadd_str("empty document", "", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("only whitespace", "   \n\n\t\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("only comments", "# one\n# two\n   # three\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("empty documents", "---\n...\n---\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("scalar document", "just a string\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("list document", "- a\n- b\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("null document", "~\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("tagged binary", "!!binary aGVsbG8=\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("unterminated quote", "journey: \"abc\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
    yadd_str("complex key", "? [a, b]\n: c\n", RETAIN_EPARSE, RETAIN_EPARSE, NULL);
}

static void free_ycases(void)
{
    for (size_t i = 0; i < ycases_n; i++)
        free(ycases[i].text);
    ycases_n = 0;
}

static bool diag_ok(const char *what, const retain_diag *d, int rc, const char *msg)
{
    bool ok = d->message[0] != '\0' && (!msg || strstr(d->message, msg) != NULL);
    if (!ok)
        T_FAIL("%s: first diagnostic %d:%d \"%s\" (rc %d), expected it to mention \"%s\"", what,
               d->line, d->column, d->message, rc, msg ? msg : "(anything)");
    return ok;
}

static void test_journey_yaml(void)
{
    static const char cut[] = "journey: j\0\ntrigger: order.placed\nsteps:\n"
                              "  - id: a\n    exit: true\n";
    build_ycases("journey: j\n", cut, sizeof cut - 1);
    for (size_t i = 0; i < ycases_n; i++) {
        ycase *c = &ycases[i];
        retain_diag d[4];
        memset(d, 0, sizeof d);
        size_t n = 0;
        snap();
        int rc = retain_journeys_load(E, c->text, "hostile.yaml", T0, d, 4, &n);
        char what[96];
        snprintf(what, sizeof what, "journey: %s", c->what);
        if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT) {
            CHECK(n >= 1);
            if (n >= 1 && diag_ok(what, &d[0], rc, c->msg))
                t_passed++;
        }
        expect_refused(what, rc, c->code1, c->code2);
    }
    free_ycases();

    /* No journey was installed by any of them: a new customer enters none. */
    snap();
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "journey-probe";
    c.at = T0 + 10;
    CHECK_OK(E, retain_customer_upsert(E, &c));
    char *json = NULL;
    CHECK_OK(E, retain_customer_explain(&json, E, "journey-probe", T0 + 10));
    CHECK(json && strstr(json, "\"instances\":[]") != NULL);
    retain_free(E, json);
    CHECK_OK(E, retain_customer_delete(E, "journey-probe"));

    /* A good journey still loads. */
    const char *good = "journey: hostile-ok\ntrigger: review.clicked\nsteps:\n"
                       "  - id: a\n    exit: true\n";
    retain_diag d[2];
    size_t n = 0;
    CHECK_OK(E, retain_journeys_load(E, good, "good.yaml", T0, d, 2, &n));
    CHECK_INT(n, 0);
}

static void check_profiles_unchanged(const char *what)
{
    char name[64] = "";
    int rc = retain_policy_profile_of(name, sizeof name, E, "web");
    if (rc || strcmp(name, "default") != 0)
        T_FAIL("%s: the profile of \"web\" is now \"%s\" (rc %d)", what, name, rc);
    else
        t_passed++;
    rc = retain_policy_profile_of(name, sizeof name, E, "amazon");
    if (rc || strcmp(name, "amazon") != 0)
        T_FAIL("%s: the profile of \"amazon\" is now \"%s\" (rc %d)", what, name, rc);
    else
        t_passed++;
}

static void test_profile_yaml(void)
{
    static const char cut[] = "profile: evil\nsales_channels: [web,\0 amazon]\n";
    build_ycases("profile: evil\nsales_channels: [web, amazon]\n", cut, sizeof cut - 1);
    for (size_t i = 0; i < ycases_n; i++) {
        ycase *c = &ycases[i];
        retain_diag d;
        memset(&d, 0, sizeof d);
        snap();
        int rc = retain_policy_profile_load(E, c->text, "evil.yaml", T0, &d);
        char what[96];
        snprintf(what, sizeof what, "profile: %s", c->what);
        if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT) {
            CHECK_INT(d.code, rc);
            if (diag_ok(what, &d, rc, c->msg))
                t_passed++;
        }
        expect_refused(what, rc, c->code1, c->code2);
        check_profiles_unchanged(what);
        if (rc == RETAIN_OK) /* keep one mistake from failing every later case */
            retain_policy_profile_remove(E, "evil");
    }
    free_ycases();
    CHECK_RC(E, retain_policy_profile_remove(E, "evil"), RETAIN_ENOTFOUND);
    /* NULL diag is allowed. */
    CHECK_RC(E, retain_policy_profile_load(E, "profile: [", NULL, T0, NULL), RETAIN_EPARSE);
    /* A good profile still loads and can be removed. */
    CHECK_OK(E, retain_policy_profile_load(E, "profile: hostile-ok\nsales_channels: [hostile]\n",
                                           "ok.yaml", T0, NULL));
    char name[64] = "";
    CHECK_OK(E, retain_policy_profile_of(name, sizeof name, E, "hostile"));
    CHECK_STR(name, "hostile-ok");
    CHECK_OK(E, retain_policy_profile_remove(E, "hostile-ok"));
}

/* ------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------ */

/* json_ok: JSON allows it unescaped inside a string (RFC 8259 only forbids < 0x20). */
static const struct {
    const char *what, *s;
    bool json_ok;
} bad_strings[] = {
    { "invalid byte", "ab\xff" "cd", false },
    { "lone continuation", "\x80", false },
    { "overlong slash", "a\xc0\xaf", false },
    { "overlong NUL", "a\xc0\x80z", false },
    { "overlong 3-byte", "\xe0\x80\xaf", false },
    { "overlong 4-byte", "\xf0\x80\x80\xaf", false },
    { "high surrogate", "\xed\xa0\x80", false },
    { "low surrogate", "x\xed\xbf\xbf", false },
    { "above U+10FFFF", "\xf4\x90\x80\x80", false },
    { "truncated sequence", "ab\xe2\x82", false },
    { "control character", "a\x01" "b", false },
    { "escape sequence", "\x1b[31mred", false },
    { "DEL", "a\x7f", true },
    { "carriage return", "a\rb", false },
};
#define N_BAD (sizeof bad_strings / sizeof bad_strings[0])

static char json_buf[256];
static const char *json_with(const char *s)
{
    snprintf(json_buf, sizeof json_buf, "{\"k\":\"%s\"}", s);
    return json_buf;
}

static void test_bad_customer_strings(void)
{
    for (size_t i = 0; i < N_BAD; i++) {
        const char *s = bad_strings[i].s;
        for (int field = 0; field < 7; field++) {
            static const char *const names[] = { "id", "email", "name", "locale",
                                                 "timezone", "attrs", "phone" };
            retain_customer c = RETAIN_CUSTOMER_INIT;
            c.id = "victim";
            c.at = T0;
            switch (field) {
            case 0: c.id = s; break;
            case 1: c.email = s; break;
            case 2: c.name = s; break;
            case 3: c.locale = s; break;
            case 4: c.timezone = s; break;
            case 5:
                if (bad_strings[i].json_ok)
                    continue;
                c.attrs_json = json_with(s);
                break;
            case 6: c.phone = s; break;
            }
            char what[96];
            snprintf(what, sizeof what, "customer.%s: %s", names[field], bad_strings[i].what);
            snap();
            expect_refused(what, retain_customer_upsert(E, &c), RETAIN_EINVAL, RETAIN_EINVAL);
        }
        /* Updating an existing customer with it changes nothing. */
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = "alive";
        c.name = s;
        c.at = T0 + 5;
        snap();
        expect_refused("customer.name update", retain_customer_upsert(E, &c), RETAIN_EINVAL,
                       RETAIN_EINVAL);
        retain_customer *got = NULL;
        CHECK_OK(E, retain_customer_get(&got, E, "alive"));
        CHECK(got && got->name && strncmp(got->name, "Alive ", 6) == 0);
        retain_customer_free(got);
        /* Lookups with it are refused or find nothing, never crash. */
        int rc = retain_customer_get(&got, E, s);
        CHECK(rc == RETAIN_EINVAL || rc == RETAIN_ENOTFOUND);
        CHECK(got == NULL);
        char *id = NULL;
        rc = retain_customer_find(&id, E, s, NULL);
        CHECK(rc == RETAIN_EINVAL || rc == RETAIN_ENOTFOUND);
        retain_free(E, id);
    }
}

static void test_bad_order_strings(void)
{
    for (size_t i = 0; i < N_BAD; i++) {
        const char *s = bad_strings[i].s;
        for (int field = 0; field < 7; field++) {
            static const char *const names[] = { "id", "customer_id", "channel", "coupon",
                                                 "lines.sku", "lines.title", "attrs" };
            retain_order_line line = { "sku-1", "Title", 1, 500 };
            retain_order o = RETAIN_ORDER_INIT;
            o.id = "o-victim";
            o.customer_id = "alive";
            o.channel = "web";
            o.placed_at = T0;
            o.currency = "USD";
            o.total = 500;
            o.lines = &line;
            o.lines_count = 1;
            switch (field) {
            case 0: o.id = s; break;
            case 1: o.customer_id = s; break;
            case 2: o.channel = s; break;
            case 3: o.coupon = s; break;
            case 4: line.sku = s; break;
            case 5: line.title = s; break;
            case 6:
                if (bad_strings[i].json_ok)
                    continue;
                o.attrs_json = json_with(s);
                break;
            }
            char what[96];
            snprintf(what, sizeof what, "order.%s: %s", names[field], bad_strings[i].what);
            snap();
            int rc = retain_order_record(E, &o);
            /* An unknown customer id may also be reported as not found. */
            expect_refused(what, rc, RETAIN_EINVAL, field == 1 ? RETAIN_ENOTFOUND : RETAIN_EINVAL);
        }
        snap();
        expect_refused("order status", retain_order_set_status(E, "o-alive", s, T0 + 1),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        int rc = retain_order_set_status(E, s, "paid", T0 + 1);
        CHECK(rc == RETAIN_EINVAL || rc == RETAIN_ENOTFOUND);
    }
}

static void test_bad_event_strings(void)
{
    for (size_t i = 0; i < N_BAD; i++) {
        const char *s = bad_strings[i].s;
        char what[96];
        snprintf(what, sizeof what, "event.name: %s", bad_strings[i].what);
        snap();
        expect_refused(what, retain_event_track(E, "alive", s, T0, NULL, NULL), RETAIN_EINVAL,
                       RETAIN_EINVAL);
        snprintf(what, sizeof what, "event.props: %s", bad_strings[i].what);
        snap();
        if (!bad_strings[i].json_ok)
            expect_refused(what,
                           retain_event_track(E, "alive", "review.clicked", T0, json_with(s), NULL),
                           RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "event.host_event_id: %s", bad_strings[i].what);
        snap();
        expect_refused(what, retain_event_track(E, "alive", "review.clicked", T0, NULL, s),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "event.customer_id: %s", bad_strings[i].what);
        snap();
        expect_refused(what, retain_event_track(E, s, "review.clicked", T0, NULL, NULL),
                       RETAIN_EINVAL, RETAIN_ENOTFOUND);
    }
    /* Hostile JSON: deep nesting, a JSON array, trailing garbage. */
    sbuf b = { 0 };
    sb_puts(&b, "{\"a\":");
    sb_repeat(&b, "[", 100000);
    sb_repeat(&b, "]", 100000);
    sb_puts(&b, "}");
    static const char *const bad_json[] = { "[1,2]", "{\"a\":1} x", "{\"a\":", "{'a':1}",
                                            "{\"a\":NaN}", "" };
    snap();
    expect_refused("event.props: 10^5 nested arrays",
                   retain_event_track(E, "alive", "review.clicked", T0, b.p, NULL), RETAIN_EINVAL,
                   RETAIN_EINVAL);
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "event.props \"%s\"", bad_json[i]);
        snap();
        expect_refused(what, retain_event_track(E, "alive", "review.clicked", T0, bad_json[i], NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);
    }
    free(b.p);
}

static void test_bad_consent_strings(void)
{
    for (size_t i = 0; i < N_BAD; i++) {
        const char *s = bad_strings[i].s;
        for (int field = 0; field < 4; field++) {
            static const char *const names[] = { "customer_id", "channel", "category", "source" };
            const char *args[4] = { "alive", "email", "marketing", "checkout" };
            args[field] = s;
            char what[96];
            snprintf(what, sizeof what, "consent.%s: %s", names[field], bad_strings[i].what);
            snap();
            int rc = retain_consent_set(E, args[0], args[1], args[2], RETAIN_CONSENT_GRANTED,
                                        T0 + 100, args[3]);
            expect_refused(what, rc, RETAIN_EINVAL, field == 0 ? RETAIN_ENOTFOUND : RETAIN_EINVAL);
        }
    }
    retain_consent_state st = RETAIN_CONSENT_GRANTED;
    CHECK_OK(E, retain_consent_get(&st, NULL, E, "alive", "email", "marketing"));
    CHECK_INT(st, RETAIN_CONSENT_UNKNOWN);
}

static void test_bad_shipment_strings(void)
{
    for (size_t i = 0; i < N_BAD; i++) {
        const char *s = bad_strings[i].s;
        for (int field = 0; field < 5; field++) {
            static const char *const names[] = { "id", "order_id", "carrier", "tracking",
                                                 "tracking_url" };
            retain_shipment sh = RETAIN_SHIPMENT_INIT;
            sh.id = "s-victim";
            sh.order_id = "o-alive";
            sh.carrier = "dhl";
            sh.at = T0 + 2;
            switch (field) {
            case 0: sh.id = s; break;
            case 1: sh.order_id = s; break;
            case 2: sh.carrier = s; break;
            case 3: sh.tracking = s; break;
            case 4: sh.tracking_url = s; break;
            }
            char what[96];
            snprintf(what, sizeof what, "shipment.%s: %s", names[field], bad_strings[i].what);
            snap();
            expect_refused(what, retain_shipment_record(E, &sh), RETAIN_EINVAL,
                           field == 1 ? RETAIN_ENOTFOUND : RETAIN_EINVAL);
        }
        char what[96];
        snprintf(what, sizeof what, "shipment detail: %s", bad_strings[i].what);
        snap();
        expect_refused(what,
                       retain_shipment_update(E, "s-alive", "exception", T0 + 3, INT64_MIN, s),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "shipment status: %s", bad_strings[i].what);
        snap();
        expect_refused(what, retain_shipment_update(E, "s-alive", s, T0 + 3, INT64_MIN, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);
    }
    retain_shipment *got = NULL;
    CHECK_OK(E, retain_shipment_get(&got, E, "s-alive"));
    CHECK(got && got->history_count == 1 && got->exception == NULL);
    retain_shipment_free(got);
}

/* SQL and format metacharacters that are valid text are stored verbatim. */
static const char *const sql_strings[] = {
    "'; DROP TABLE customer;--",
    "%s%n%x%p",
    "\" OR 1=1 --",
    "Robert'); DROP TABLE orders;--",
    "a' || (SELECT sqlite_version()) || '",
    "\\x00\\'",
    "?1 ?2 :name @p $x",
    "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%s%s%s%s%n%n%n",
};
#define N_SQL (sizeof sql_strings / sizeof sql_strings[0])

static void test_sql_strings(void)
{
    retain_counts c0;
    CHECK_OK(E, retain_engine_counts(E, &c0));
    for (size_t i = 0; i < N_SQL; i++) {
        const char *s = sql_strings[i];
        char oid[128], sid[128], hid[128];
        snprintf(oid, sizeof oid, "o:%s", s);
        snprintf(sid, sizeof sid, "s:%s", s);
        snprintf(hid, sizeof hid, "h:%s", s);

        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = s;
        c.name = s;
        c.at = T0;
        char attrs[256];
        snprintf(attrs, sizeof attrs, "{\"note\":\"%s\"}",
                 strchr(s, '"') || strchr(s, '\\') ? "plain" : s);
        c.attrs_json = attrs;
        if (retain_customer_upsert(E, &c)) {
            T_FAIL("customer id \"%s\": %s", s, retain_errmsg(E));
            continue;
        }
        t_passed++;
        retain_customer *got = NULL;
        CHECK_OK(E, retain_customer_get(&got, E, s));
        if (got) {
            CHECK_STR(got->id, s);
            CHECK_STR(got->name, s);
        }
        retain_customer_free(got);

        /* Formatted fields refuse it. */
        retain_customer bad = RETAIN_CUSTOMER_INIT;
        bad.id = s;
        bad.at = T0 + 1;
        bad.email = s;
        snap();
        expect_refused("sql email", retain_customer_upsert(E, &bad), RETAIN_EINVAL, RETAIN_EINVAL);
        bad.email = NULL;
        bad.locale = s;
        snap();
        expect_refused("sql locale", retain_customer_upsert(E, &bad), RETAIN_EINVAL, RETAIN_EINVAL);
        bad.locale = NULL;
        bad.timezone = s;
        snap();
        expect_refused("sql timezone", retain_customer_upsert(E, &bad), RETAIN_EINVAL,
                       RETAIN_EINVAL);
        snap();
        expect_refused("sql event name", retain_event_track(E, s, s, T0, NULL, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        snap();
        expect_refused("sql consent channel",
                       retain_consent_set(E, s, s, "marketing", RETAIN_CONSENT_GRANTED, T0, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);

        /* Free-text and id fields keep it. */
        retain_order_line line = { s, s, 2, 250 };
        retain_order o = RETAIN_ORDER_INIT;
        o.id = oid;
        o.customer_id = s;
        o.channel = "web";
        o.placed_at = T0 + 10;
        o.currency = "USD";
        o.total = 500;
        o.coupon = s;
        o.lines = &line;
        o.lines_count = 1;
        CHECK_OK(E, retain_order_record(E, &o));
        retain_order *og = NULL;
        CHECK_OK(E, retain_order_get(&og, E, oid));
        if (og) {
            CHECK_STR(og->id, oid);
            CHECK_STR(og->customer_id, s);
            CHECK_STR(og->coupon, s);
            CHECK_INT(og->lines_count, 1);
            if (og->lines_count == 1) {
                CHECK_STR(og->lines[0].sku, s);
                CHECK_STR(og->lines[0].title, s);
            }
        }
        retain_order_free(og);

        retain_shipment sh = RETAIN_SHIPMENT_INIT;
        sh.id = sid;
        sh.order_id = oid;
        sh.carrier = s;
        sh.tracking = s;
        sh.at = T0 + 20;
        CHECK_OK(E, retain_shipment_record(E, &sh));
        CHECK_OK(E, retain_shipment_update(E, sid, "exception", T0 + 30, INT64_MIN, s));
        retain_shipment *sg = NULL;
        CHECK_OK(E, retain_shipment_get(&sg, E, sid));
        if (sg) {
            CHECK_STR(sg->id, sid);
            CHECK_STR(sg->carrier, s);
            CHECK_STR(sg->tracking, s);
            CHECK_STR(sg->exception, s);
        }
        retain_shipment_free(sg);

        CHECK_OK(E, retain_event_track(E, s, "review.clicked", T0 + 40, NULL, hid));
        CHECK_OK(E, retain_event_track(E, s, "review.clicked", T0 + 40, NULL, hid)); /* no-op */
        retain_event_iter *it = NULL;
        CHECK_OK(E, retain_event_iter_open(&it, E, s));
        const retain_event *ev;
        int found = 0, rc;
        while (it && (rc = retain_event_iter_next(it, &ev)) == RETAIN_ROW)
            if (ev->host_event_id && strcmp(ev->host_event_id, hid) == 0) {
                found++;
                CHECK_STR(ev->customer_id, s);
            }
        CHECK_INT(found, 1);
        retain_event_iter_free(it);

        CHECK_OK(E, retain_consent_set(E, s, "email", "marketing", RETAIN_CONSENT_GRANTED,
                                       T0 + 50, s));
        retain_consent_state st = RETAIN_CONSENT_UNKNOWN;
        CHECK_OK(E, retain_consent_get(&st, NULL, E, s, "email", "marketing"));
        CHECK_INT(st, RETAIN_CONSENT_GRANTED);

        char *found_id = NULL;
        CHECK_RC(E, retain_customer_find(&found_id, E, s, NULL), RETAIN_EINVAL);
        retain_free(E, found_id);
    }
    /* The tables are all still there and hold exactly what was added. */
    retain_counts c1;
    CHECK_OK(E, retain_engine_counts(E, &c1));
    CHECK_INT(c1.customers, c0.customers + (int64_t)N_SQL);
    CHECK_INT(c1.orders, c0.orders + (int64_t)N_SQL);
    CHECK_INT(c1.order_lines, c0.order_lines + (int64_t)N_SQL);
    CHECK_INT(c1.shipments, c0.shipments + (int64_t)N_SQL);
    for (size_t i = 0; i < N_SQL; i++)
        CHECK_OK(E, retain_customer_delete(E, sql_strings[i]));
    retain_counts c2;
    CHECK_OK(E, retain_engine_counts(E, &c2));
    CHECK_INT(c2.customers, c0.customers);
    CHECK_INT(c2.orders, c0.orders);
    CHECK_INT(c2.shipments, c0.shipments);
    before_counts = c0;
    unchanged_and_usable("after SQL strings");
}

/* ------------------------------------------------------------------------
 * Times and money
 * ------------------------------------------------------------------------ */

static const int64_t bad_times[] = { INT64_MAX, INT64_MIN + 1, INT64_MAX - 1,
                                     253402300800000LL /* year 10000 */,
                                     -62135596800001LL /* before year 1 */ };
#define N_TIMES (sizeof bad_times / sizeof bad_times[0])

static void test_times(void)
{
    for (size_t i = 0; i < N_TIMES; i++) {
        int64_t t = bad_times[i];
        char what[96];
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = "t-victim";
        c.at = t;
        snprintf(what, sizeof what, "customer.at %" PRId64, t);
        snap();
        expect_refused(what, retain_customer_upsert(E, &c), RETAIN_EINVAL, RETAIN_EINVAL);

        retain_order_line line = { "sku", NULL, 1, 100 };
        retain_order o = RETAIN_ORDER_INIT;
        o.id = "o-t";
        o.customer_id = "alive";
        o.channel = "web";
        o.placed_at = t;
        o.currency = "USD";
        o.total = 100;
        o.lines = &line;
        o.lines_count = 1;
        snprintf(what, sizeof what, "order.placed_at %" PRId64, t);
        snap();
        expect_refused(what, retain_order_record(E, &o), RETAIN_EINVAL, RETAIN_EINVAL);
        o.placed_at = T0;
        o.status = "paid";
        o.status_at = t;
        snprintf(what, sizeof what, "order.status_at %" PRId64, t);
        snap();
        expect_refused(what, retain_order_record(E, &o), RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "order_set_status at %" PRId64, t);
        snap();
        expect_refused(what, retain_order_set_status(E, "o-alive", "paid", t), RETAIN_EINVAL,
                       RETAIN_EINVAL);

        snprintf(what, sizeof what, "event.at %" PRId64, t);
        snap();
        expect_refused(what, retain_event_track(E, "alive", "review.clicked", t, NULL, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "consent.at %" PRId64, t);
        snap();
        expect_refused(what,
                       retain_consent_set(E, "alive", "sms", "marketing", RETAIN_CONSENT_GRANTED,
                                          t, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);

        retain_shipment sh = RETAIN_SHIPMENT_INIT;
        sh.id = "s-t";
        sh.order_id = "o-alive";
        sh.at = t;
        snprintf(what, sizeof what, "shipment.at %" PRId64, t);
        snap();
        expect_refused(what, retain_shipment_record(E, &sh), RETAIN_EINVAL, RETAIN_EINVAL);
        sh.at = T0;
        sh.promised_at = t;
        snprintf(what, sizeof what, "shipment.promised_at %" PRId64, t);
        snap();
        expect_refused(what, retain_shipment_record(E, &sh), RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "shipment_update at %" PRId64, t);
        snap();
        expect_refused(what, retain_shipment_update(E, "s-alive", "in_transit", t, INT64_MIN, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "shipment_update eta %" PRId64, t);
        snap();
        expect_refused(what, retain_shipment_update(E, "s-alive", "in_transit", T0 + 5, t, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);

        retain_diag d[2];
        size_t n = 0;
        snprintf(what, sizeof what, "journeys_load now %" PRId64, t);
        snap();
        expect_refused(what,
                       retain_journeys_load(E, "journey: j\ntrigger: x\nsteps:\n  - id: a\n    exit: true\n",
                                            NULL, t, d, 2, &n),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        snprintf(what, sizeof what, "profile_load now %" PRId64, t);
        snap();
        expect_refused(what, retain_policy_profile_load(E, "profile: tp\n", NULL, t, NULL),
                       RETAIN_EINVAL, RETAIN_EINVAL);
        /* BUG 2 (see test_tick_bug): retain_engine_tick does not check `now`. */
        retain_tick_stats ts;
        int rc = retain_engine_tick(E, t, &ts);
        if (rc != RETAIN_EINVAL)
            T_FAIL("BUG: retain_engine_tick(now = %" PRId64 ") returned %d, expected "
                   "RETAIN_EINVAL like every other time argument",
                   t, rc);
        else
            t_passed++;
    }
    CHECK_RC(E, retain_policy_profile_remove(E, "tp"), RETAIN_ENOTFOUND);

    /* -1 is 1969-12-31T23:59:59.999Z: a valid time, stored as given. */
    snap();
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "t-minus-one";
    c.at = -1;
    CHECK_OK(E, retain_customer_upsert(E, &c));
    retain_customer *got = NULL;
    CHECK_OK(E, retain_customer_get(&got, E, "t-minus-one"));
    CHECK(got && got->created_at == -1);
    retain_customer_free(got);
    CHECK_OK(E, retain_event_track(E, "t-minus-one", "review.clicked", -1, NULL, NULL));
    CHECK_OK(E, retain_customer_delete(E, "t-minus-one"));
    unchanged_and_usable("time -1");
}

static void test_money(void)
{
    static const struct {
        const char *what;
        int64_t q1, p1, q2, p2;
        size_t nlines;
        int64_t total;
    } cases[] = {
        { "quantity x price overflows", INT64_MAX, 2, 0, 0, 1, 0 },
        { "2^32 x 2^32", 4294967296LL, 4294967296LL, 0, 0, 1, 0 },
        { "lines sum past INT64_MAX", 1, INT64_MAX / 2 + 1, 1, INT64_MAX / 2 + 1, 2, 0 },
        { "quantity INT64_MAX x 1 plus one more", INT64_MAX, 1, 1, 1, 2, 0 },
        { "negative price", 1, -1, 0, 0, 1, 0 },
        { "INT64_MIN price", 1, INT64_MIN, 0, 0, 1, 0 },
        { "zero quantity", 0, 100, 0, 0, 1, 0 },
        { "negative quantity", -1, 100, 0, 0, 1, 0 },
        { "negative total", 1, 100, 0, 0, 1, -1 },
        { "INT64_MIN total", 1, 100, 0, 0, 1, INT64_MIN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        retain_order_line lines[2] = { { "a", NULL, cases[i].q1, cases[i].p1 },
                                       { "b", NULL, cases[i].q2, cases[i].p2 } };
        retain_order o = RETAIN_ORDER_INIT;
        o.id = "o-money";
        o.customer_id = "alive";
        o.channel = "web";
        o.placed_at = T0;
        o.currency = "USD";
        o.total = cases[i].total;
        o.lines = lines;
        o.lines_count = cases[i].nlines;
        snap();
        expect_refused(cases[i].what, retain_order_record(E, &o), RETAIN_EINVAL, RETAIN_EINVAL);
    }
    /* Many lines summing past INT64_MAX. */
    size_t nl = 1000;
    retain_order_line *many = calloc(nl, sizeof *many);
    char (*skus)[16] = calloc(nl, 16);
    if (many && skus) {
        for (size_t i = 0; i < nl; i++) {
            snprintf(skus[i], 16, "sku-%zu", i);
            many[i] = (retain_order_line){ skus[i], NULL, 1, INT64_MAX / 500 };
        }
        retain_order o = RETAIN_ORDER_INIT;
        o.id = "o-many";
        o.customer_id = "alive";
        o.channel = "web";
        o.placed_at = T0;
        o.currency = "USD";
        o.lines = many;
        o.lines_count = nl;
        snap();
        expect_refused("1000 lines summing past INT64_MAX", retain_order_record(E, &o),
                       RETAIN_EINVAL, RETAIN_EINVAL);
    }
    free(many);
    free(skus);

    /* BUG 1: two orders whose totals sum past INT64_MAX in the customer's
     * revenue. The second is accepted; SQLite turns the integer sum into a
     * REAL and the revenue reads back saturated at INT64_MAX (the metrics
     * summary, by contrast, reports RETAIN_ELIMIT). Minimal reproducer:
     * record two orders of total INT64_MAX for one customer. */
    retain_counts money_start;
    CHECK_OK(E, retain_engine_counts(E, &money_start));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "rich";
    c.at = T0;
    CHECK_OK(E, retain_customer_upsert(E, &c));
    retain_order o = RETAIN_ORDER_INIT;
    o.id = "o-rich-1";
    o.customer_id = "rich";
    o.channel = "web";
    o.placed_at = T0;
    o.currency = "USD";
    o.total = INT64_MAX;
    int rc1 = retain_order_record(E, &o);
    CHECK(rc1 == RETAIN_OK || rc1 == RETAIN_EINVAL);
    o.id = "o-rich-2";
    o.total = INT64_MAX;
    o.placed_at = T0 + 1;
    snap();
    int rc2 = retain_order_record(E, &o);
    if (rc1 == RETAIN_OK && rc2 != RETAIN_EINVAL && rc2 != RETAIN_ELIMIT)
        T_FAIL("BUG: a second order of INT64_MAX for one customer returned %d; its revenue "
               "overflows int64 and must be refused (RETAIN_EINVAL or RETAIN_ELIMIT)",
               rc2);
    else
        t_passed++;
    retain_customer *got = NULL;
    CHECK_OK(E, retain_customer_get(&got, E, "rich"));
    if (got) {
        int64_t want = rc1 == RETAIN_OK ? INT64_MAX : 0;
        int64_t have = got->revenue_count ? got->revenue[0].amount : 0;
        if (got->revenue_count > 1 || have != want || (rc2 == RETAIN_OK && rc1 == RETAIN_OK))
            T_FAIL("BUG: revenue of \"rich\" is %" PRId64 " after orders of INT64_MAX and "
                   "INT64_MAX (a sum int64 cannot hold)",
                   have);
        else
            t_passed++;
    }
    retain_customer_free(got);
    CHECK_OK(E, retain_customer_delete(E, "rich"));
    before_counts = money_start;
    unchanged_and_usable("after money");
}

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

static void expect_rule(const char *what, const char *src, int c1, int c2)
{
    retain_rule *r = (retain_rule *)1;
    retain_diag d;
    memset(&d, 0, sizeof d);
    snap();
    int rc = retain_rule_compile(&r, E, src, &d);
    if (rc != RETAIN_OK) {
        CHECK(r == NULL);
        if (d.message[0] == '\0')
            T_FAIL("rule %s: no diagnostic", what);
        else
            t_passed++;
    } else {
        retain_rule_free(r);
    }
    char w[96];
    snprintf(w, sizeof w, "rule: %s", what);
    expect_refused(w, rc, c1, c2);
}

static void test_rules(void)
{
    sbuf b = { 0 };
    /* 1 MB source. */
    sb_puts(&b, "true");
    while (b.len < (1u << 20))
        sb_puts(&b, " and true");
    expect_rule("1 MB source", b.p, RETAIN_ELIMIT, RETAIN_ELIMIT);
    free(b.p);
    memset(&b, 0, sizeof b);
    /* A 1 MB string literal. */
    sb_puts(&b, "customer.email == \"");
    sb_repeat(&b, "a", 1u << 20);
    sb_puts(&b, "\"");
    expect_rule("1 MB string literal", b.p, RETAIN_ELIMIT, RETAIN_ELIMIT);
    free(b.p);
    memset(&b, 0, sizeof b);
    /* 10^5 nesting. */
    sb_repeat(&b, "(", 100000);
    sb_puts(&b, "true");
    sb_repeat(&b, ")", 100000);
    expect_rule("10^5 parentheses", b.p, RETAIN_ELIMIT, RETAIN_ELIMIT);
    free(b.p);
    memset(&b, 0, sizeof b);
    sb_repeat(&b, "not ", 100000);
    sb_puts(&b, "true");
    expect_rule("10^5 nots", b.p, RETAIN_ELIMIT, RETAIN_ELIMIT);
    free(b.p);
    memset(&b, 0, sizeof b);
    sb_repeat(&b, "[", 100000);
    sb_repeat(&b, "]", 100000);
    expect_rule("10^5 nested lists", b.p, RETAIN_ELIMIT, RETAIN_ELIMIT);
    free(b.p);
    memset(&b, 0, sizeof b);
    /* Catastrophic regex, folded at compile time. */
    sb_puts(&b, "\"");
    sb_repeat(&b, "a", 3000);
    sb_puts(&b, "!\" =~ \"(a|aa)+$\"");
    expect_rule("constant catastrophic regex", b.p, RETAIN_ELIMIT, RETAIN_ELIMIT);
    free(b.p);
    memset(&b, 0, sizeof b);
    expect_rule("unbalanced regex", "customer.email =~ \"(a\"", RETAIN_EPARSE, RETAIN_EPARSE);
    expect_rule("invalid UTF-8 in a rule", "customer.email == \"\xff\"", RETAIN_EPARSE,
                RETAIN_EPARSE);
    expect_rule("surrogate in a rule", "customer.email == \"\xed\xa0\x80\"", RETAIN_EPARSE,
                RETAIN_EPARSE);
    expect_rule("SQL in a rule", "'; DROP TABLE customer;--", RETAIN_EPARSE, RETAIN_EPARSE);
    expect_rule("format string in a rule", "%s%n", RETAIN_EPARSE, RETAIN_EPARSE);
    expect_rule("empty rule", "", RETAIN_EPARSE, RETAIN_EPARSE);
    /* A rule still compiles. */
    retain_rule *r = NULL;
    retain_diag d;
    CHECK_OK(E, retain_rule_compile(&r, E, "customer.email =~ \"^a\" and 1 + 1 == 2", &d));
    retain_rule_free(r);
}

/* BUG 2: retain_engine_tick accepts a `now` outside years 1..9999 (every
 * other time argument is refused with RETAIN_EINVAL). With INT64_MAX it
 * runs every waiting instance to its end: a pending transactional send is
 * skipped as "past stale_after" and the instance is done, irreversibly. */
static void test_tick_bug(void)
{
    retain_engine *e = NULL;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    const char *j = "journey: waits\ntrigger: customer.created\nsteps:\n"
                    "  - id: a\n    wait: 3d\n"
                    "  - id: b\n    send: { channel: email, template: t, category: transactional }\n";
    retain_diag d[2];
    size_t n = 0;
    CHECK_OK(e, retain_journeys_load(e, j, "waits.yaml", T0, d, 2, &n));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "c";
    c.email = "c@example.com";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_tick_stats st;
    memset(&st, 0, sizeof st);
    int rc = retain_engine_tick(e, INT64_MAX, &st);
    if (rc != RETAIN_EINVAL || st.steps != 0)
        T_FAIL("BUG: retain_engine_tick(e, INT64_MAX) returned %d after %" PRId64
               " steps; expected RETAIN_EINVAL and no step",
               rc, st.steps);
    else
        t_passed++;
    char *json = NULL;
    CHECK_OK(e, retain_customer_explain(&json, e, "c", T0 + 1));
    if (!json || strstr(json, "\"state\":\"done\"") != NULL)
        T_FAIL("BUG: after a tick at INT64_MAX the instance is finished: %.300s",
               json ? json : "(null)");
    else
        t_passed++;
    retain_free(e, json);
    retain_engine_close(e);
}

int main(void)
{
    setup();
    test_journey_yaml();
    test_profile_yaml();
    test_bad_customer_strings();
    test_bad_order_strings();
    test_bad_event_strings();
    test_bad_consent_strings();
    test_bad_shipment_strings();
    test_sql_strings();
    test_times();
    test_money();
    test_tick_bug();
    test_rules();
    retain_engine_close(E);
    return t_report("hostile");
}
