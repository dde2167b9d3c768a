/*
 * test_load.c - journey files that must be refused, each with the exact
 * line:column and message a person needs to fix it; and files that load.
 */
#include "harness.h"
#include "../unit/util.h"

static const struct {
    const char *name;
    const char *yaml;
    int line, column;
    const char *message; /* a substring of the first error */
    int count;           /* expected number of errors (0: don't check) */
} bad[] = {
    { "typo in step type",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    sned: { channel: email }\n",
      5, 5, "unknown key \"sned\" in a step (did you mean \"send\"?)", 2 },
    { "unknown top-level key",
      "journey: j\ntrigger: order.placed\nstpes:\n  - id: a\n    exit: true\n",
      3, 1, "unknown key \"stpes\" in a journey (did you mean \"steps\"?)", 0 },
    { "dangling goto",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    goto: nowhere\n",
      5, 11, "no step has the id \"nowhere\"", 1 },
    { "goto suggestion",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    goto: fedback\n  - id: feedback\n    exit: true\n",
      5, 11, "(did you mean \"feedback\"?)", 1 },
    { "unreachable step",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    exit: true\n  - id: b\n    exit: true\n",
      6, 5, "step \"b\" can never be reached", 1 },
    { "loop without wait",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    goto: b\n  - id: b\n    goto: a\n",
      4, 5, "form a loop without a wait", 1 },
    { "bad duration",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    wait: 3 days\n",
      5, 11, "\"3 days\" is not a duration", 1 },
    { "send without template",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    send: { channel: email, category: marketing }\n",
      5, 11, "send needs a template", 1 },
    { "duplicate step id",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    wait: 1d\n  - id: a\n    exit: true\n",
      6, 5, "step id \"a\" is used twice", 0 },
    { "two actions",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    exit: true\n    task: { kind: call }\n",
      4, 5, "a step has one action", 1 },
    { "yaml syntax",
      "journey: j\ntrigger: [order.placed\nsteps: []\n",
      3, 6, "", 1 },
    { "alias refused",
      "journey: &n j\ntrigger: *n\nsteps:\n  - id: a\n    exit: true\n",
      2, 10, "aliases", 1 },
    { "no steps",
      "journey: j\ntrigger: order.placed\nsteps: []\n",
      3, 8, "non-empty list of steps", 1 },
    { "bad journey name",
      "journey: Post Purchase\ntrigger: order.placed\nsteps:\n  - id: a\n    exit: true\n",
      1, 10, "is not a valid name", 1 },
    { "split weights",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    split: { A: lots }\n",
      5, 17, "a split weight must be a whole number", 0 },
    { "else not last",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    branch:\n      - else: b\n      - when: 'true'\n        goto: b\n  - id: b\n    exit: true\n",
      6, 9, "else must be the last arm", 1 },
    { "wait until",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    wait: { until: \"25:00\" }\n",
      5, 20, "local time of day", 1 },
    { "duplicate key",
      "journey: j\njourney: k\ntrigger: order.placed\nsteps:\n  - id: a\n    exit: true\n",
      2, 1, "duplicate key \"journey\"", 1 },
    { "entry",
      "journey: j\ntrigger: order.placed\nentry: sometimes\nsteps:\n  - id: a\n    exit: true\n",
      3, 8, "entry must be once", 1 },
    { "on_quiet",
      "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    send: { channel: sms, template: t, category: marketing, on_quiet: later }\n",
      5, 71, "must be \"defer\" or \"skip\"", 1 },
    { "rule type error",
      "journey: j\ntrigger: { event: order.placed, when: 'order.total > \"abc\"' }\nsteps:\n  - id: a\n    exit: true\n",
      2, 0, "", 1 },
};

static void test_bad(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_diag d[8];
        size_t n = 0;
        int rc = retain_journeys_load(e, bad[i].yaml, "bad.yaml", 0, d, 8, &n);
        if (rc != RETAIN_EPARSE || n == 0) {
            T_FAIL("%s: rc %d, %zu diagnostics", bad[i].name, rc, n);
            continue;
        }
        bool ok = d[0].line == bad[i].line &&
                  (bad[i].column == 0 || d[0].column == bad[i].column) &&
                  strstr(d[0].message, bad[i].message) != NULL &&
                  (bad[i].count == 0 || (int)n == bad[i].count);
        if (ok)
            t_passed++;
        else
            T_FAIL("%s: got %zu errors, first %d:%d: %s", bad[i].name, n, d[0].line, d[0].column,
                   d[0].message);
        /* The engine's message names the file and position. */
        CHECK(strncmp(retain_errmsg(e), "bad.yaml:", 9) == 0);
    }
    /* Nothing was installed by any of them. */
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "x";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    char *json = NULL;
    CHECK_OK(e, retain_customer_explain(&json, e, "x", 0));
    CHECK(json && strstr(json, "\"instances\":[]") != NULL);
    retain_free(e, json);
    retain_engine_close(e);
}

static void test_limits_and_args(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    size_t n = 99;
    CHECK_RC(e, retain_journeys_load(e, NULL, NULL, 0, NULL, 0, &n), RETAIN_EINVAL);
    CHECK_INT(n, 0);
    retain_diag d[2];
    CHECK_RC(e, retain_journeys_load(e, "journey: j", NULL, 0, NULL, 2, &n), RETAIN_EINVAL);
    /* Deep nesting is refused by our own limit, not by a stack overflow. */
    size_t depth = 10000;
    char *deep = malloc(depth * 2 + 1);
    for (size_t i = 0; i < depth; i++) {
        deep[i] = '[';
        deep[depth + i] = ']';
    }
    deep[2 * depth] = '\0';
    CHECK_RC(e, retain_journeys_load(e, deep, "deep.yaml", 0, d, 2, &n), RETAIN_ELIMIT);
    CHECK(strstr(d[0].message, "deeper than 64") != NULL);
    free(deep);
    /* Invalid UTF-8 */
    CHECK_RC(e, retain_journeys_load(e, "journey: \xff\n", "u.yaml", 0, d, 2, &n), RETAIN_EPARSE);
    CHECK(strstr(d[0].message, "UTF-8") != NULL);
    /* Many errors: all counted, only cap stored. */
    char many[8192] = "journey: j\ntrigger: order.placed\nsteps:\n";
    for (int i = 0; i < 20; i++) {
        char line[80];
        snprintf(line, sizeof line, "  - id: s%d\n    wait: bogus%d\n", i, i);
        strcat(many, line);
    }
    CHECK_RC(e, retain_journeys_load(e, many, "m.yaml", 0, d, 2, &n), RETAIN_EPARSE);
    CHECK_INT(n, 20);
    CHECK_RC(e, retain_journeys_load_file(e, "/nonexistent/j.yaml", 0, d, 2, &n), RETAIN_EIO);
    /* A branch with more arms than the graph check's old fixed successor
     * buffer (260) held: loads, and ASan sees no overflow. */
    size_t cap = 64 * 1024;
    char *wide = malloc(cap);
    size_t used = (size_t)snprintf(wide, cap, "journey: wide\ntrigger: order.placed\nsteps:\n"
                                              "  - id: b\n    branch:\n");
    for (int i = 0; i < 400; i++)
        used += (size_t)snprintf(wide + used, cap - used,
                                 "      - when: 'order.total > %d'\n        goto: s\n", i);
    snprintf(wide + used, cap - used,
             "  - id: s\n    send: { channel: email, template: t, category: transactional }\n");
    CHECK_OK(e, retain_journeys_load(e, wide, "wide.yaml", 0, d, 2, &n));
    free(wide);
    retain_engine_close(e);
}

static void test_load_versions(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "jload");
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    const char *v1 = "journey: hello\nversion: 1\ntrigger: customer.created\nsteps:\n"
                     "  - id: welcome\n    send: { channel: email, template: welcome, category: transactional }\n";
    const char *v1b = "journey: hello\nversion: 1\ntrigger: customer.created\nsteps:\n"
                      "  - id: welcome\n    send: { channel: email, template: welcome2, category: transactional }\n";
    retain_diag d[4];
    size_t n;
    CHECK_OK(e, retain_journeys_load(e, v1, "v1.yaml", 1000, d, 4, &n));
    CHECK_OK(e, retain_journeys_load(e, v1, "v1.yaml", 2000, d, 4, &n)); /* same text: no-op */
    CHECK_RC(e, retain_journeys_load(e, v1b, "v1b.yaml", 3000, d, 4, &n), RETAIN_ECONFLICT);
    CHECK(strstr(retain_errmsg(e), "higher version") != NULL);
    /* The examples directory loads. */
    char ex[600];
    const char *dir = getenv("RETAIN_EXAMPLES");
    snprintf(ex, sizeof ex, "%s/journeys/post-purchase.yaml", dir ? dir : "examples");
    int rc = retain_journeys_load_file(e, ex, 4000, d, 4, &n);
    if (rc)
        T_FAIL("post-purchase.yaml: %d:%d: %s", n ? d[0].line : 0, n ? d[0].column : 0,
               n ? d[0].message : retain_errmsg(e));
    else
        t_passed++;
    retain_engine_close(e);
    /* Reopen: the stored definitions compile again. */
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "new";
    c.at = 5000;
    CHECK_OK(e, retain_customer_upsert(e, &c)); /* enrolls in hello v1 */
    char *json = NULL;
    CHECK_OK(e, retain_customer_explain(&json, e, "new", 5000));
    CHECK(json && strstr(json, "\"journey\":\"hello\"") != NULL);
    retain_free(e, json);
    retain_engine_close(e);
    t_rmdb(path);
}

int main(void)
{
    test_bad();
    test_limits_and_args();
    test_load_versions();
    return t_report("journey-load");
}
