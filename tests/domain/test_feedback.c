/*
 * test_feedback.c - feedback answers on a simulated clock: score ranges,
 * the feedback.received event that acknowledgement journeys trigger on and
 * request journeys wait for, escalation tasks at the threshold and not
 * above, and NPS / average score by period, product and variant checked
 * against a table worked out by hand.
 */
#include "cfutil.h"

#define DAY (24 * HOUR)
#define JAN(d) (T0 + ((d)-1) * DAY)
#define FEB(d) (T0 + (31 + (d)-1) * DAY)

static void test_ranges(void)
{
    retain_engine *e = dom_open();
    dom_customer(e, "c1");
    dom_order(e, "o1", "c1", "web", "TEA", NULL, T0);
    static const struct {
        int score;
        retain_feedback_scale scale;
        int want;
    } cases[] = {
        { -1, RETAIN_SCALE_0_10, RETAIN_EINVAL }, { 0, RETAIN_SCALE_0_10, RETAIN_OK },
        { 10, RETAIN_SCALE_0_10, RETAIN_OK },     { 11, RETAIN_SCALE_0_10, RETAIN_EINVAL },
        { 0, RETAIN_SCALE_1_10, RETAIN_EINVAL },  { 1, RETAIN_SCALE_1_10, RETAIN_OK },
        { 10, RETAIN_SCALE_1_10, RETAIN_OK },     { 11, RETAIN_SCALE_1_10, RETAIN_EINVAL },
        { 5, (retain_feedback_scale)7, RETAIN_EINVAL },
    };
    int ok = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = retain_feedback_record(e, "c1", "o1", cases[i].score, cases[i].scale, NULL,
                                        T0 + (int64_t)i);
        if (rc != cases[i].want)
            T_FAIL("score %d scale %d: %d (%s), expected %d", cases[i].score, (int)cases[i].scale,
                   rc, retain_errmsg(e), cases[i].want);
        else
            t_passed++;
        if (rc == RETAIN_EINVAL && cases[i].scale != 7)
            CHECK(strstr(retain_errmsg(e), "out of range") != NULL);
        ok += rc == RETAIN_OK;
    }
    /* Only the valid answers were stored, each with its event. */
    CHECK_INT(dom_events(e, "c1", "feedback.received", NULL, 0), ok);
    CHECK_RC(e, retain_feedback_record(e, "nobody", NULL, 5, RETAIN_SCALE_0_10, NULL, T0),
             RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_feedback_record(e, "c1", "o404", 5, RETAIN_SCALE_0_10, NULL, T0),
             RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_feedback_record(e, "c1", NULL, 5, RETAIN_SCALE_0_10, "bad \xff utf8", T0),
             RETAIN_EINVAL);
    retain_feedback_config cfg = RETAIN_FEEDBACK_CONFIG_INIT;
    cfg.escalate_at = 11;
    CHECK_RC(e, retain_feedback_configure(e, &cfg), RETAIN_EINVAL);
    cfg.escalate_at = 6;
    cfg.task_kind = "Call Me";
    CHECK_RC(e, retain_feedback_configure(e, &cfg), RETAIN_EINVAL);
    retain_feedback_stats *s = NULL;
    CHECK_RC(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_PERIOD, RETAIN_PERIOD_NONE,
                                        INT64_MIN, T0),
             RETAIN_EINVAL);
    CHECK_RC(e, retain_feedback_metrics(&s, e, (retain_feedback_by)9, RETAIN_PERIOD_DAY,
                                        INT64_MIN, T0),
             RETAIN_EINVAL);
    CHECK(s == NULL);
    retain_engine_close(e);
}

static void test_escalation(void)
{
    retain_engine *e = dom_open();
    retain_agent ag = RETAIN_AGENT_INIT;
    ag.id = "a1";
    ag.skills = "call";
    CHECK_OK(e, retain_agent_upsert(e, &ag, T0));
    static const struct {
        int escalate_at;
        const char *kind;
        int score;
        retain_feedback_scale scale;
        bool task;
    } cases[] = {
        { 6, "call", 6, RETAIN_SCALE_0_10, true },  /* the default: detractors */
        { 6, "call", 7, RETAIN_SCALE_0_10, false },
        { 6, "call", 0, RETAIN_SCALE_0_10, true },
        { 3, "chat", 3, RETAIN_SCALE_1_10, true },
        { 3, "chat", 4, RETAIN_SCALE_1_10, false },
        { -1, "call", 0, RETAIN_SCALE_0_10, false }, /* never */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cust[16], props[1024] = "";
        snprintf(cust, sizeof cust, "e%zu", i);
        dom_customer(e, cust);
        if (i > 0) {
            retain_feedback_config cfg = RETAIN_FEEDBACK_CONFIG_INIT;
            cfg.escalate_at = cases[i].escalate_at;
            cfg.task_kind = cases[i].kind;
            cfg.task_note = "Low score: call back within a day";
            CHECK_OK(e, retain_feedback_configure(e, &cfg));
        }
        CHECK_OK(e, retain_feedback_record(e, cust, NULL, cases[i].score, cases[i].scale,
                                           "arrived broken", T0));
        int n = dom_events(e, cust, "task.created", props, sizeof props);
        if (n != (cases[i].task ? 1 : 0))
            T_FAIL("case %zu (score %d, threshold %d): %d tasks", i, cases[i].score,
                   cases[i].escalate_at, n);
        else
            t_passed++;
        if (cases[i].task) {
            char want[64];
            snprintf(want, sizeof want, "\"kind\":\"%s\"", cases[i].kind);
            CHECK(strstr(props, want) != NULL);
            CHECK(strstr(props, "\"source\":\"feedback\"") && strstr(props, "arrived broken"));
            /* Routed to the agent who takes calls; nobody takes chats. */
            if (!strcmp(cases[i].kind, "call"))
                CHECK(strstr(props, "\"agent\":\"a1\"") != NULL);
            else
                CHECK(strstr(props, "\"agent\"") == NULL);
        }
        dom_events(e, cust, "feedback.received", props, sizeof props);
        CHECK(strstr(props, cases[i].task ? "\"escalated\":true" : "\"escalated\":false") != NULL);
    }
    /* The escalations are tasks of source "feedback" (the chat one still open). */
    char *list = NULL;
    CHECK_OK(e, retain_task_list(&list, e, RETAIN_TASK_OPEN, NULL));
    CHECK(list && strstr(list, "\"kind\":\"chat\"") && strstr(list, "\"source\":\"feedback\""));
    retain_free(e, list);
    retain_engine_close(e);
}

/* An answer recorded twice (a retried request, an import run twice) is one
 * answer: one row, one event, one escalation; answers that differ in any
 * field are each recorded. */
static void test_repeat(void)
{
    retain_engine *e = dom_open();
    dom_customer(e, "r1");
    char props[1024];
    static const struct { int score; const char *comment; int64_t at; int events; } seq[] = {
        { 2, "late", T0, 1 },
        { 2, "late", T0, 1 },         /* exact repeat */
        { 2, "late!", T0, 2 },        /* another comment */
        { 3, "late", T0, 3 },         /* another score */
        { 2, "late", T0 + 1, 4 },     /* another time */
        { 2, NULL, T0, 5 },
        { 2, NULL, T0, 5 },           /* a repeat without a comment */
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        CHECK_OK(e, retain_feedback_record(e, "r1", NULL, seq[i].score, RETAIN_SCALE_0_10,
                                           seq[i].comment, seq[i].at));
        int got = dom_events(e, "r1", "feedback.received", props, sizeof props);
        int tasks = dom_events(e, "r1", "task.created", props, sizeof props);
        if (got != seq[i].events || tasks != seq[i].events)
            T_FAIL("answer %zu: %d feedback.received and %d task.created, expected %d", i, got,
                   tasks, seq[i].events);
        else
            t_passed++;
    }
    retain_feedback_stats *st = NULL;
    CHECK_OK(e, retain_feedback_metrics(&st, e, RETAIN_FEEDBACK_BY_PERIOD, RETAIN_PERIOD_YEAR,
                                        INT64_MIN, T0 + 10));
    if (st)
        CHECK_INT(st->total.responses, 5);
    retain_feedback_stats_free(st);
    retain_engine_close(e);
}

/* Ask after each web order (everyone in variant A), thank every answer,
 * and remind those who do not answer within a week. */
static const char journeys[] =
    "journey: ask\n"
    "trigger: { event: order.placed, when: 'order.channel == \"web\"' }\n"
    "steps:\n"
    "  - id: split\n"
    "    split: { A: 100 }\n"
    "  - id: ask\n"
    "    send: { channel: email, template: feedback_request, category: feedback }\n"
    "  - id: wait\n"
    "    wait_for: { event: feedback.received, timeout: 7d, on_timeout: remind }\n"
    "  - id: answered\n"
    "    exit: true\n"
    "  - id: remind\n"
    "    send: { channel: email, template: feedback_reminder, category: feedback }\n"
    "---\n"
    "journey: thanks\n"
    "trigger: feedback.received\n"
    "entry: always\n"
    "steps:\n"
    "  - id: ack\n"
    "    send: { channel: email, template: thanks_for_feedback, category: feedback }\n";

static int count_template(const inbox *b, const char *t)
{
    int n = 0;
    for (int i = 0; i < b->n; i++)
        n += !strcmp(b->template_id[i], t);
    return n;
}

static const retain_feedback_row *row_sku(const retain_feedback_stats *s, const char *sku)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->rows[i].sku && !strcmp(s->rows[i].sku, sku))
            return &s->rows[i];
    return NULL;
}

static void check_row(const char *what, const retain_feedback_row *r, int64_t n, double avg,
                      int64_t nps_n, int64_t pro, int64_t pas, int64_t det, double nps)
{
    if (!r) {
        T_FAIL("%s: no row", what);
        return;
    }
    CHECK_INT(r->responses, n);
    if (isnan(avg))
        CHECK(isnan(r->average));
    else
        CHECK_NEAR(r->average, avg, 1e-12);
    CHECK_INT(r->nps_responses, nps_n);
    CHECK_INT(r->promoters, pro);
    CHECK_INT(r->passives, pas);
    CHECK_INT(r->detractors, det);
    if (isnan(nps))
        CHECK(isnan(r->nps));
    else
        CHECK_NEAR(r->nps, nps, 1e-12);
}

static void test_program(void)
{
    retain_engine *e = dom_open();
    inbox b;
    memset(&b, 0, sizeof b);
    dom_transport(e, &b);
    size_t nd = 0;
    retain_diag d[4];
    CHECK_OK(e, retain_journeys_load(e, journeys, "feedback.yaml", T0, d, 4, &nd));
    if (nd)
        fprintf(stderr, "%s\n", d[0].message);
    static const struct {
        const char *cust, *order, *channel, *skus;
        int64_t placed;
    } orders[] = {
        { "f1", "o1", "web", "TEA MUG", JAN(5) }, { "f2", "o2", "web", "TEA", JAN(10) },
        { "f3", "o3", "web", "MUG", JAN(15) },    { "f4", "o4", "pos", "TEA", FEB(1) },
        { "f5", "o5", "pos", "POT", FEB(2) },
    };
    /* The hand table: who answered what, when, on which scale. */
    static const struct {
        const char *cust, *order;
        int score;
        retain_feedback_scale scale;
        int64_t at;
    } answers[] = {
        { "f1", "o1", 10, RETAIN_SCALE_0_10, JAN(8) }, { "f2", "o2", 9, RETAIN_SCALE_0_10, JAN(13) },
        { "f3", "o3", 6, RETAIN_SCALE_0_10, JAN(18) }, { "f4", "o4", 3, RETAIN_SCALE_0_10, FEB(4) },
        { "f5", "o5", 8, RETAIN_SCALE_0_10, FEB(5) },  { "f1", "o1", 7, RETAIN_SCALE_1_10, FEB(10) },
    };
    size_t oi = 0;
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        for (; oi < sizeof orders / sizeof orders[0] && orders[oi].placed < answers[i].at; oi++) {
            dom_customer(e, orders[oi].cust);
            dom_order(e, orders[oi].order, orders[oi].cust, orders[oi].channel, orders[oi].skus,
                      NULL, orders[oi].placed);
            CHECK_OK(e, retain_engine_tick(e, orders[oi].placed + HOUR, NULL));
        }
        CHECK_OK(e, retain_feedback_record(e, answers[i].cust, answers[i].order, answers[i].score,
                                           answers[i].scale, "ok", answers[i].at));
        CHECK_OK(e, retain_engine_tick(e, answers[i].at + HOUR, NULL));
    }
    CHECK_OK(e, retain_engine_tick(e, FEB(28), NULL));
    /* Asked after each web order, every answer thanked, nobody reminded:
     * each answered within the week the request waited for. */
    CHECK_INT(count_template(&b, "feedback_request"), 3);
    CHECK_INT(count_template(&b, "thanks_for_feedback"), 6);
    CHECK_INT(count_template(&b, "feedback_reminder"), 0);
    /* Scores 6 and 3 are at or below the default threshold of 6. */
    CHECK_INT(dom_events(e, "f3", "task.created", NULL, 0), 1);
    CHECK_INT(dom_events(e, "f4", "task.created", NULL, 0), 1);
    CHECK_INT(dom_events(e, "f5", "task.created", NULL, 0), 0);
    CHECK_INT(dom_events(e, "f1", "task.created", NULL, 0), 0);

    retain_feedback_stats *s = NULL;
    /* Months: Jan 10, 9, 6 -> P2 D1: NPS 100/3; Feb 3, 8 (and a rating of 7). */
    CHECK_OK(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_PERIOD, RETAIN_PERIOD_MONTH,
                                        INT64_MIN, FEB(28)));
    if (s) {
        check_row("total", &s->total, 6, 43.0 / 6, 5, 2, 1, 2, 0.0);
        CHECK_INT(s->count, 2);
        if (s->count == 2) {
            CHECK_INT(s->rows[0].start, T0);
            CHECK_INT(s->rows[1].start, FEB(1));
            check_row("january", &s->rows[0], 3, 25.0 / 3, 3, 2, 0, 1, 100.0 / 3);
            check_row("february", &s->rows[1], 3, 6.0, 2, 0, 1, 1, -50.0);
        }
    }
    retain_feedback_stats_free(s);
    /* Products: every distinct SKU of the answer's order. */
    CHECK_OK(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_PRODUCT, RETAIN_PERIOD_NONE,
                                        INT64_MIN, FEB(28)));
    if (s) {
        CHECK_INT(s->count, 3);
        CHECK_STR(s->count ? s->rows[0].sku : NULL, "MUG");
        check_row("MUG", row_sku(s, "MUG"), 3, 23.0 / 3, 2, 1, 0, 1, 0.0);
        check_row("POT", row_sku(s, "POT"), 1, 8.0, 1, 0, 1, 0, 0.0);
        check_row("TEA", row_sku(s, "TEA"), 4, 29.0 / 4, 3, 2, 0, 1, 100.0 / 3);
    }
    retain_feedback_stats_free(s);
    /* Variants: the web answers were asked by ask/A; pos answers by no journey. */
    CHECK_OK(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_VARIANT, RETAIN_PERIOD_NONE,
                                        INT64_MIN, FEB(28)));
    if (s) {
        CHECK_INT(s->count, 2);
        if (s->count == 2) {
            CHECK_STR(s->rows[0].journey, "ask");
            CHECK_STR(s->rows[0].variant, "A");
            check_row("ask/A", &s->rows[0], 4, 32.0 / 4, 3, 2, 0, 1, 100.0 / 3);
            CHECK(s->rows[1].journey == NULL);
            check_row("none", &s->rows[1], 2, 5.5, 2, 0, 1, 1, -50.0);
        }
    }
    retain_feedback_stats_free(s);
    /* A window: since February 1 only. No answer at all: NaN, not 0. */
    CHECK_OK(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_PERIOD, RETAIN_PERIOD_WEEK,
                                        FEB(1), FEB(28)));
    if (s)
        check_row("february total", &s->total, 3, 6.0, 2, 0, 1, 1, -50.0);
    retain_feedback_stats_free(s);
    CHECK_OK(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_PERIOD, RETAIN_PERIOD_WEEK,
                                        INT64_MIN, JAN(2)));
    if (s) {
        CHECK_INT(s->count, 0);
        check_row("empty", &s->total, 0, NAN, 0, 0, 0, 0, NAN);
    }
    retain_feedback_stats_free(s);
    char *json = NULL;
    CHECK_OK(e, retain_feedback_metrics_json(&json, e, RETAIN_FEEDBACK_BY_PRODUCT,
                                             RETAIN_PERIOD_NONE, INT64_MIN, FEB(28)));
    CHECK(json && strstr(json, "\"sku\":\"POT\",\"responses\":1,\"average\":8") != NULL);
    retain_free(e, json);
    retain_engine_close(e);
}

int main(void)
{
    test_ranges();
    test_escalation();
    test_repeat();
    test_program();
    return t_report("feedback");
}
