/*
 * test_hostile.c - input meant to hurt: 10^5 nested parentheses, a 1 MB
 * rule, catastrophic regexes, oversized lists and strings, random bytes.
 * Each must end quickly with a clear error (or a result) and leave the
 * engine and the context usable. Also: allocation failures at every
 * point of compiling, no allocation at all during evaluation, and one
 * rule evaluated by several threads at once.
 */
#include "util.h"

#include <pthread.h>

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Something ordinary still works. */
static void still_usable(retain_engine *e, retain_eval_ctx *ctx)
{
    retain_rule *r = NULL;
    retain_diag d;
    retain_value v;
    CHECK_OK(e, retain_rule_compile(&r, e, "len(\"ok\") + 40 == 42 and \"abc\" =~ \"b\"", &d));
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_BOOL && v.u.b);
    retain_rule_free(r);
}

/* Every test ends by checking the engine and context still work. */
static void finish(retain_engine *e, retain_eval_ctx *ctx)
{
    still_usable(e, ctx);
    retain_eval_ctx_free(ctx);
    retain_engine_close(e);
}

static retain_eval_ctx *new_ctx(retain_engine *e)
{
    retain_eval_ctx *ctx = NULL;
    if (retain_eval_ctx_new(&ctx, e)) {
        fprintf(stderr, "no context: %s\n", retain_errmsg(e));
        exit(1);
    }
    return ctx;
}

static void append(char *s, size_t *at, const char *part)
{
    size_t n = strlen(part);
    memcpy(s + *at, part, n);
    *at += n;
}

/* head unit*n mid tail_unit*n tail */
static char *repeat(const char *head, const char *unit, size_t n, const char *mid,
                    const char *tail_unit, const char *tail)
{
    size_t len = strlen(head) + n * strlen(unit) + strlen(mid) + n * strlen(tail_unit) +
                 strlen(tail) + 1;
    char *s = malloc(len);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    size_t at = 0;
    append(s, &at, head);
    for (size_t i = 0; i < n; i++)
        append(s, &at, unit);
    append(s, &at, mid);
    for (size_t i = 0; i < n; i++)
        append(s, &at, tail_unit);
    append(s, &at, tail);
    s[at] = '\0';
    return s;
}

/* Compile; expect `code` at line:col (col 0: any), within `secs` of CPU. */
static void expect(retain_engine *e, const char *what, const char *src, size_t len, int code,
                   int line, int col, double secs)
{
    retain_rule *r = NULL;
    retain_diag d;
    double t0 = cpu_seconds();
    int rc = retain_rule_compile_ex(&r, e, src, len, NULL, &d);
    double dt = cpu_seconds() - t0;
    if (rc != code || (code && (d.line != line || (col && d.column != col))))
        T_FAIL("%s: got %s %d:%d \"%s\", expected %s %d:%d", what, t_status_name(rc), d.line,
               d.column, d.message, t_status_name(code), line, col);
    else
        t_passed++;
    if (dt > secs)
        T_FAIL("%s: took %.3f s (limit %.1f)", what, dt, secs);
    else
        t_passed++;
    if (code)
        CHECK(d.message[0] != '\0' && d.snippet[0] != '\0');
    retain_rule_free(r);
}

/* unit*n mid tail*n, expected status and column (0: any) at line 1. */
static const struct nesting {
    const char *what, *unit;
    size_t n;
    const char *mid, *tail;
    int code, col;
} nestings[] = {
    { "1e5 nested parentheses", "(", 100000, "1", ")", RETAIN_ELIMIT, 201 },
    { "1e5 nots", "not ", 100000, "true", "", RETAIN_ELIMIT, 801 },
    { "1e5 minus signs", "-", 100000, "1", "", RETAIN_ELIMIT, 201 },
    { "1e5 nested lists", "[", 100000, "1", "]", RETAIN_ELIMIT, 201 },
    { "1e5 nested calls", "abs(", 100000, "1", ")", RETAIN_ELIMIT, 801 },
    { "1e5 right-nested ??", "1 ?? ", 100000, "1", "", RETAIN_ELIMIT, 1003 },
    { "1e5 right-nested sums", "(1 + ", 100000, "1", ")", RETAIN_ELIMIT, 501 },
    { "199 parentheses", "(", 199, "1", ")", RETAIN_OK, 0 },
    { "200 parentheses", "(", 200, "1", ")", RETAIN_OK, 0 },
    { "201 parentheses", "(", 201, "1", ")", RETAIN_ELIMIT, 201 },
};

static void test_nesting(void)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.rule_max_source = 8u << 20;
    retain_engine *e = t_engine(&o);
    retain_eval_ctx *ctx = new_ctx(e);
    size_t n = 100000;
    char *s;
    for (size_t i = 0; i < sizeof nestings / sizeof nestings[0]; i++) {
        const struct nesting *t = &nestings[i];
        s = repeat("", t->unit, t->n, t->mid, t->tail, "");
        expect(e, t->what, s, strlen(s), t->code, 1, t->col, 1.0);
        if (t->code == RETAIN_ELIMIT)
            CHECK(strstr(retain_errmsg(e), "rule_max_depth") != NULL);
        free(s);
    }
    /* Long flat chains are not nesting: they compile and run. */
    s = repeat("1", " + 1", n, "", "", "");
    expect(e, "1e5 terms", s, strlen(s), RETAIN_OK, 0, 0, 2.0);
    retain_rule *r;
    retain_diag d;
    retain_value v;
    CHECK_OK(e, retain_rule_compile(&r, e, s, &d));
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_INT && v.u.i == 100001);
    retain_rule_free(r);
    free(s);
    finish(e, ctx);

    /* The limit is configurable, up to 10000 (the stack stays the parser's own). */
    o.rule_max_depth = 10000;
    e = t_engine(&o);
    ctx = new_ctx(e);
    s = repeat("", "(", n, "1", ")", "");
    expect(e, "1e5 parentheses, depth 10000", s, strlen(s), RETAIN_ELIMIT, 1, 10001, 1.0);
    free(s);
    s = repeat("", "(1 + ", 4000, "1", ")", "");
    expect(e, "4000 nested sums", s, strlen(s), RETAIN_OK, 0, 0, 1.0);
    CHECK_OK(e, retain_rule_compile(&r, e, s, &d));
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_INT && v.u.i == 4001);
    retain_rule_free(r);
    free(s);
    s = repeat("order.lines_count", " + (order.lines_count", 4000, "", ")", "");
    CHECK_OK(e, retain_rule_compile(&r, e, s, &d));
    retain_value two = retain_value_int(2);
    retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_LINES_COUNT, &two);
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_INT && v.u.i == 8002);
    retain_rule_free(r);
    free(s);
    finish(e, ctx);
}

static void test_size(void)
{
    retain_engine *e = t_engine(NULL);
    retain_eval_ctx *ctx = new_ctx(e);
    /* 1 MB against the default limit of 64 KiB. */
    size_t mb = 1u << 20;
    char *s = malloc(mb + 1);
    if (!s)
        return;
    memset(s, ' ', mb);
    memcpy(s, "1 == 1", 6);
    s[mb] = '\0';
    expect(e, "1 MB rule, default limit", s, mb, RETAIN_ELIMIT, 1, 1, 0.5);
    CHECK(strstr(retain_errmsg(e), "rule_max_source") != NULL);
    finish(e, ctx);

    /* With the limit raised, a real 1 MB rule compiles and runs. */
    retain_options o = RETAIN_OPTIONS_INIT;
    o.rule_max_source = 2u << 20;
    e = t_engine(&o);
    ctx = new_ctx(e);
    size_t len = 0;
    int k = 0;
    while (len + 40 < mb)
        len += (size_t)sprintf(s + len, "%sorder.lines_count == %d", k ? " or " : "", k), k++;
    double t0 = cpu_seconds();
    retain_rule *r;
    retain_diag d;
    CHECK_OK(e, retain_rule_compile_ex(&r, e, s, len, NULL, &d));
    double dt = cpu_seconds() - t0;
    CHECK(dt < 3.0);
    retain_value v = retain_value_int(k - 1);
    retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_LINES_COUNT, &v);
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_BOOL && v.u.b);
    v = retain_value_int(-1);
    retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_LINES_COUNT, &v);
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_BOOL && !v.u.b);
    retain_rule_free(r);
    printf("hostile: a %zu-byte rule of %d clauses compiled in %.3f s\n", len, k, dt);
    /* 1 MB naming tens of thousands of distinct attributes: linear time. */
    len = 0;
    k = 0;
    while (len + 40 < mb)
        len += (size_t)sprintf(s + len, "%scustomer.attr.a%d == %d", k ? " or " : "", k, k), k++;
    t0 = cpu_seconds();
    CHECK_OK(e, retain_rule_compile_ex(&r, e, s, len, NULL, &d));
    dt = cpu_seconds() - t0;
    CHECK(dt < 3.0);
    const retain_rule_field *fl;
    CHECK_INT(retain_rule_fields(r, &fl), k);
    char name[64];
    snprintf(name, sizeof name, "customer.attr.a%d", k - 1);
    v = retain_value_int(k - 1);
    CHECK_OK(e, retain_eval_ctx_bind(ctx, name, &v));
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_BOOL && v.u.b);
    retain_rule_free(r);
    printf("hostile: a rule naming %d attributes compiled in %.3f s\n", k, dt);
    /* A 1 MB string literal. */
    s[0] = '"';
    memset(s + 1, 'x', mb - 2);
    s[mb - 1] = '"';
    CHECK_OK(e, retain_rule_compile_ex(&r, e, s, mb, NULL, &d));
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_STRING && v.u.str.len == mb - 2);
    retain_rule_free(r);
    /* 1 MB of blanks and comments is an empty rule. */
    memset(s, ' ', mb);
    s[10] = '#';
    expect(e, "1 MB of blanks", s, mb, RETAIN_EPARSE, 1, 0, 0.5);
    /* An unterminated 1 MB string. */
    s[0] = '"';
    memset(s + 1, 'y', mb - 1);
    expect(e, "unterminated 1 MB string", s, mb, RETAIN_EPARSE, 1, 1, 0.5);
    free(s);

    /* Lists and calls longer than rule_max_list (1024). */
    char *l = repeat("[", "1, ", 2000, "1]", "", "");
    expect(e, "2001-element list", l, strlen(l), RETAIN_ELIMIT, 1, 1, 0.5);
    free(l);
    l = repeat("min(", "1, ", 2000, "1)", "", "");
    expect(e, "2001-argument call", l, strlen(l), RETAIN_ELIMIT, 1, 1, 0.5);
    free(l);
    l = repeat("[", "1, ", 1023, "1]", "", "");
    expect(e, "1024-element list", l, strlen(l), RETAIN_OK, 0, 0, 0.5);
    free(l);
    /* A list of run-time values, near the limit. */
    l = repeat("order.lines_count in [", "order.lines_count, ", 1000, "0]", "", "");
    CHECK_OK(e, retain_rule_compile(&r, e, l, &d));
    v = retain_value_int(5);
    retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_LINES_COUNT, &v);
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_BOOL && v.u.b);
    retain_rule_free(r);
    free(l);
    /* Bytes that are not UTF-8, and NUL. */
    expect(e, "invalid UTF-8", "\"a\xc3\x28\"", 5, RETAIN_EPARSE, 1, 3, 0.1);
    expect(e, "NUL byte", "1 +\0 1", 6, RETAIN_EPARSE, 1, 4, 0.1);
    expect(e, "overlong UTF-8", "\"\xc0\xaf\"", 4, RETAIN_EPARSE, 1, 2, 0.1);
    finish(e, ctx);
}

static void test_regex(void)
{
    retain_engine *e = t_engine(NULL);
    retain_eval_ctx *ctx = new_ctx(e);
    static const char *const bad[] = {
        "customer.email =~ \"(a+)+$\"",
        "customer.email =~ \"(a|a)*$\"",
        "customer.email =~ \"^(a|aa)+$\"",
        "customer.email =~ \"(.*a){20}\"",
        "customer.email !~ \"(a*)*$\"",
    };
    char *subject = malloc(5001);
    if (!subject)
        return;
    memset(subject, 'a', 5000);
    subject[4999] = '!';
    subject[5000] = '\0';
    retain_value sv = retain_value_string(subject);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_rule *r;
        retain_diag d;
        CHECK_OK(e, retain_rule_compile(&r, e, bad[i], &d));
        CHECK_OK(e, retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_EMAIL, &sv));
        retain_value v;
        double t0 = cpu_seconds();
        int rc = retain_rule_eval(r, ctx, &v);
        double dt = cpu_seconds() - t0;
        const retain_diag *ed = retain_eval_ctx_diag(ctx);
        if (rc != RETAIN_ELIMIT || ed->line != 1 || ed->column != 16)
            T_FAIL("`%s`: rc %s at %d:%d (%s)", bad[i], t_status_name(rc), ed->line, ed->column,
                   retain_eval_ctx_errmsg(ctx));
        else
            t_passed++;
        CHECK(dt < 1.0);
        CHECK(v.type == RETAIN_TYPE_NULL);
        CHECK(strstr(retain_eval_ctx_errmsg(ctx), "1:16: regex exceeded") != NULL);
        CHECK(strstr(ed->snippet, "^") != NULL);
        /* The same rule and context work on a harmless subject. */
        retain_value ok = retain_value_string("aab");
        retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_EMAIL, &ok);
        CHECK_OK(e, retain_rule_eval(r, ctx, &v));
        CHECK(v.type == RETAIN_TYPE_BOOL);
        retain_rule_free(r);
    }
    free(subject);
    /* Subjects longer than regex_max_subject. */
    retain_rule *r;
    retain_diag d;
    CHECK_OK(e, retain_rule_compile(&r, e, "true and\n  customer.email =~ \"x\"", &d));
    size_t big = 70000;
    char *s = malloc(big + 1);
    if (!s)
        return;
    memset(s, 'b', big);
    s[big] = '\0';
    retain_value v = retain_value_string(s);
    retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_EMAIL, &v);
    CHECK_INT(retain_rule_eval(r, ctx, &v), RETAIN_ELIMIT);
    CHECK_INT(retain_eval_ctx_diag(ctx)->line, 2);
    CHECK_INT(retain_eval_ctx_diag(ctx)->column, 18);
    CHECK(strstr(retain_eval_ctx_errmsg(ctx), "regex_max_subject") != NULL);
    retain_rule_free(r);
    /* Short-circuit: the regex is never reached. */
    CHECK_OK(e, retain_rule_compile(&r, e, "false and customer.email =~ \"(a+)+$\"", &d));
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_BOOL && !v.u.b);
    retain_rule_free(r);
    /* lower() of a string larger than the scratch memory. */
    CHECK_OK(e, retain_rule_compile(&r, e, "len(lower(customer.email)) + len(upper(customer.email)) + len(lower(customer.email))", &d));
    CHECK_INT(retain_rule_eval(r, ctx, &v), RETAIN_ELIMIT);
    CHECK(strstr(retain_eval_ctx_errmsg(ctx), "scratch") != NULL);
    v = retain_value_string("Short");
    retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_EMAIL, &v);
    CHECK_OK(e, retain_rule_eval(r, ctx, &v));
    CHECK(v.type == RETAIN_TYPE_INT && v.u.i == 15);
    retain_rule_free(r);
    free(s);
    /* Folding a constant regex match applies the limits at compile time. */
    char *src = repeat("\"", "a", 3000, "!\" =~ \"(a|aa)+$\"", "", "");
    expect(e, "constant catastrophic regex", src, strlen(src), RETAIN_ELIMIT, 1, 0, 1.0);
    free(src);
    /* Bad patterns are compile errors at the pattern. */
    expect(e, "bad pattern", "customer.email =~ \"[z-a]\"", 25, RETAIN_EPARSE, 1, 0, 0.1);
    expect(e, "\\C refused", "customer.email =~ \"\\\\C\"", 23, RETAIN_EPARSE, 1, 0, 0.1);
    finish(e, ctx);
}

/* Random bytes and random token soups never crash the compiler. */
static void test_fuzz(void)
{
    retain_engine *e = t_engine(NULL);
    retain_eval_ctx *ctx = new_ctx(e);
    static const char *const toks[] = {
        "(", ")", "[", "]", ",", ".", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=",
        "=~", "!~", "??", "and", "or", "not", "in", "true", "false", "null", "1", "2.5", "0",
        "50.00 EUR", "3d", "\"a\"", "'x'", "r\"\\d\"", "order.total", "customer.email",
        "customer.attr.x", "event.props.y", "order.skus", "now()", "days_since", "min", "max",
        "len", "lower", "round", "any", "abs", "contains", " ", "\n", "\"", "\\", "#",
        "\xc3\xa9", "9223372036854775807", "-", "1e308", "customer.consent.sms",
    };
    uint64_t x = 88172645463325252ull;
    int compiled = 0;
    for (int i = 0; i < 30000; i++) {
        char buf[512];
        size_t n = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (i % 3 == 0) {
            size_t len = x % 64;
            for (size_t k = 0; k < len; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf[n++] = (char)(x & 0xFF);
            }
        } else {
            int count = (int)(x % 24) + 1;
            for (int k = 0; k < count; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                const char *t = toks[x % (sizeof toks / sizeof toks[0])];
                size_t tl = strlen(t);
                if (n + tl + 1 >= sizeof buf)
                    break;
                memcpy(buf + n, t, tl);
                n += tl;
                buf[n++] = (x >> 20) % 3 ? ' ' : '\0';
                if (!buf[n - 1])
                    n--;
            }
        }
        retain_rule *r = NULL;
        retain_diag d;
        int rc = retain_rule_compile_ex(&r, e, buf, n, NULL, &d);
        if (rc == RETAIN_OK) {
            compiled++;
            retain_value v;
            rc = retain_rule_eval(r, ctx, &v);
            if (rc != RETAIN_OK && rc != RETAIN_ELIMIT)
                T_FAIL("fuzz: eval returned %d for `%.*s`", rc, (int)n, buf);
        } else if (rc != RETAIN_EPARSE && rc != RETAIN_ELIMIT) {
            T_FAIL("fuzz: compile returned %d for `%.*s`", rc, (int)n, buf);
        } else if (d.line < 1 || d.column < 1 || !d.message[0]) {
            T_FAIL("fuzz: no location for `%.*s`: %d:%d %s", (int)n, buf, d.line, d.column,
                   d.message);
        }
        retain_rule_free(r);
    }
    printf("hostile: fuzz compiled %d of 30000 inputs\n", compiled);
    CHECK(compiled > 100);
    finish(e, ctx);
}

/* --- allocation accounting ------------------------------------------------ */

typedef struct counting {
    long calls;     /* allocations so far */
    long fail_at;   /* fail the allocation with this number (0: never) */
} counting;

static void *c_malloc(void *ctx, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at)
        return NULL;
    return malloc(n);
}

static void *c_realloc(void *ctx, void *p, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at)
        return NULL;
    return realloc(p, n);
}

static void c_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static const char *const typical[] = {
    "order.total >= 50.00 and customer.orders_count == 1",
    "days_since(shipment.promised_at) > 2 and shipment.status != \"delivered\"",
    "order.channel in [\"web\", \"pos\", \"app\"]",
    "customer.email =~ \"@example\\\\.com$\"",
    "lower(customer.email) == \"ada@example.com\" and local_hour(now()) < 22",
    "[order.channel, lower(order.channel)] == null or any([order.channel, \"x\"], \"web\")",
    "customer.attr.tier ?? \"none\" != \"gold\" or min(order.total, 10.00) < 5",
};

static void test_alloc_failures(void)
{
    counting cnt = { 0, 0 };
    retain_options o = RETAIN_OPTIONS_INIT;
    o.allocator.malloc = c_malloc;
    o.allocator.realloc = c_realloc;
    o.allocator.free = c_free;
    o.allocator.ctx = &cnt;
    retain_engine *e = t_engine(&o);
    int failures = 0;
    for (size_t i = 0; i < sizeof typical / sizeof typical[0]; i++) {
        for (long k = 1;; k++) {
            cnt.calls = 0;
            cnt.fail_at = k;
            retain_rule *r = NULL;
            retain_diag d;
            int rc = retain_rule_compile(&r, e, typical[i], &d);
            cnt.fail_at = 0;
            if (rc == RETAIN_OK) {
                retain_rule_free(r);
                break;
            }
            failures++;
            if (rc != RETAIN_ENOMEM || r != NULL) {
                T_FAIL("rule %zu, failing allocation %ld: rc %d (%s)", i, k, rc, d.message);
                break;
            }
        }
        for (long k = 1;; k++) {
            cnt.calls = 0;
            cnt.fail_at = k;
            retain_eval_ctx *ctx = NULL;
            int rc = retain_eval_ctx_new(&ctx, e);
            cnt.fail_at = 0;
            if (rc == RETAIN_OK) {
                retain_eval_ctx_free(ctx);
                break;
            }
            CHECK(rc == RETAIN_ENOMEM && ctx == NULL);
        }
    }
    printf("hostile: %d injected allocation failures, all reported as RETAIN_ENOMEM\n",
           failures);
    CHECK(failures > 20);
    retain_engine_close(e);
}

static void test_no_alloc_in_eval(void)
{
    counting cnt = { 0, 0 };
    retain_options o = RETAIN_OPTIONS_INIT;
    o.allocator.malloc = c_malloc;
    o.allocator.realloc = c_realloc;
    o.allocator.free = c_free;
    o.allocator.ctx = &cnt;
    retain_engine *e = t_engine(&o);
    retain_eval_ctx *ctx = new_ctx(e);
    retain_eval_ctx_set_now(ctx, 1717416000000LL);
    retain_eval_ctx_set_timezone(ctx, e, "Europe/Berlin");
    retain_value v = retain_value_money(6400, "EUR");
    retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_TOTAL, &v);
    v = retain_value_string("Ada@Example.com");
    retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_EMAIL, &v);
    v = retain_value_string("web");
    retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_CHANNEL, &v);
    v = retain_value_time(1717416000000LL - 4 * 86400000LL);
    retain_eval_ctx_set(ctx, RETAIN_FIELD_SHIPMENT_PROMISED_AT, &v);
    v = retain_value_string("gold");
    retain_eval_ctx_bind(ctx, "customer.attr.tier", &v);
    retain_rule *rules[sizeof typical / sizeof typical[0]];
    for (size_t i = 0; i < sizeof typical / sizeof typical[0]; i++) {
        retain_diag d;
        CHECK_OK(e, retain_rule_compile(&rules[i], e, typical[i], &d));
    }
    long before = cnt.calls;
    for (int round = 0; round < 1000; round++)
        for (size_t i = 0; i < sizeof typical / sizeof typical[0]; i++)
            CHECK_INT(retain_rule_eval(rules[i], ctx, &v), RETAIN_OK);
    CHECK_INT(cnt.calls - before, 0);
    for (size_t i = 0; i < sizeof typical / sizeof typical[0]; i++)
        retain_rule_free(rules[i]);
    retain_eval_ctx_free(ctx);
    retain_engine_close(e);
}

/* --- one rule, several threads ----------------------------------------------- */

typedef struct worker {
    const retain_rule *rule;
    retain_eval_ctx *ctx;
    int id;
    long mismatches;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 20000; i++) {
        /* each thread binds its own values: the answer depends on the thread */
        int64_t count = (w->id + i) % 4;
        retain_value v = retain_value_int(count);
        retain_eval_ctx_set(w->ctx, RETAIN_FIELD_CUSTOMER_ORDERS_COUNT, &v);
        retain_value out;
        int rc = retain_rule_eval(w->rule, w->ctx, &out);
        bool want = count >= 2;
        if (rc || out.type != RETAIN_TYPE_BOOL || (out.u.b != 0) != want)
            w->mismatches++;
    }
    return NULL;
}

static void test_threads(void)
{
    retain_engine *e = t_engine(NULL);
    retain_rule *r;
    retain_diag d;
    CHECK_OK(e, retain_rule_compile(&r, e,
                                    "customer.orders_count >= 2 and customer.email =~ "
                                    "\"(?i)@example\\\\.com$\" and upper(order.channel) == \"WEB\"",
                                    &d));
    enum { N = 4 };
    worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i].rule = r;
        w[i].id = i;
        w[i].mismatches = 0;
        retain_eval_ctx_new(&w[i].ctx, e);
        retain_value v = retain_value_string(i % 2 ? "bo@EXAMPLE.com" : "al@example.com");
        retain_eval_ctx_set(w[i].ctx, RETAIN_FIELD_CUSTOMER_EMAIL, &v);
        v = retain_value_string("web");
        retain_eval_ctx_set(w[i].ctx, RETAIN_FIELD_ORDER_CHANNEL, &v);
    }
    for (int i = 0; i < N; i++)
        pthread_create(&th[i], NULL, work, &w[i]);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].mismatches, 0);
        retain_eval_ctx_free(w[i].ctx);
    }
    retain_rule_free(r);
    retain_engine_close(e);
}

int main(void)
{
    test_nesting();
    test_size();
    test_regex();
    test_fuzz();
    test_alloc_failures();
    test_no_alloc_in_eval();
    test_threads();
    return t_report("rule-hostile");
}
