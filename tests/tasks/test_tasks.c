/*
 * test_tasks.c - agents and tasks: routing by skill, working hours (in the
 * agent's zone, DST-correct), load limit and observed conversion; the
 * exploration share; claims, outcomes and their errors; tasks created by a
 * journey's `task:` step and routed by a later tick.
 */
#include "../harness.h"

#include <retain.h>

#define DAY 86400000LL
#define HOUR 3600000LL
/* Monday 2024-01-15 00:00 UTC; Berlin is UTC+1 in January. */
#define MON 1705276800000LL
/* Monday 2024-07-15 00:00 UTC; Berlin is UTC+2 in July. */
#define JUL 1721001600000LL

static retain_engine *e;

static void agent(const char *id, const char *skills, const char *zone, int start, int end,
                  unsigned weekdays, int active)
{
    retain_agent a = RETAIN_AGENT_INIT;
    a.id = id;
    a.name = id;
    a.skills = skills;
    a.timezone = zone;
    a.work_start_minute = start;
    a.work_end_minute = end;
    a.weekdays = weekdays;
    a.active = active;
    CHECK_OK(e, retain_agent_upsert(e, &a, MON));
}

static void customer(const char *id)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.at = MON;
    CHECK_OK(e, retain_customer_upsert(e, &c));
}

/* The agent a task went to ("" when it is still open). */
static const char *holder(int64_t task)
{
    static char who[64];
    who[0] = '\0';
    char *json = NULL;
    CHECK_OK(e, retain_task_list(&json, e, RETAIN_TASK_ANY, NULL));
    char key[40];
    snprintf(key, sizeof key, "{\"id\":%lld,", (long long)task);
    const char *t = json ? strstr(json, key) : NULL;
    const char *a = t ? strstr(t, "\"agent\":") : NULL;
    if (a && a[8] == '"')
        sscanf(a + 9, "%63[^\"]", who);
    retain_free(e, json);
    return who;
}

static int64_t task(const char *kind, int64_t at)
{
    int64_t id = 0;
    CHECK_OK(e, retain_task_create(&id, e, "c1", kind, "call back", NULL, at));
    return id;
}

static void routing(double explore, int max_open)
{
    retain_task_routing r = RETAIN_TASK_ROUTING_INIT;
    r.explore = explore;
    r.max_open_per_agent = max_open;
    CHECK_OK(e, retain_task_routing_set(e, &r));
}

static void test_routing(void)
{
    routing(0, 0);
    /* ann: calls, 09:00-17:00 Berlin, Monday to Friday; bob: anything, any
     * time; cat: chat only. */
    agent("ann", "call", "Europe/Berlin", 9 * 60, 17 * 60, 0x3e, 1);
    agent("bob", "*", NULL, 0, 0, 0, 1);
    agent("cat", "chat", "UTC", 0, 0, 0, 1);
    customer("c1");
    static const struct {
        const char *kind;
        int64_t at;
        const char *want;
    } cases[] = {
        { "call", MON + 9 * HOUR, "ann" },       /* 10:00 Berlin: ann and bob tie; ann is older */
        { "call", MON + 7 * HOUR, "bob" },       /* 08:00 Berlin: ann not yet on shift */
        { "call", MON + 16 * HOUR, "bob" },      /* 17:00 Berlin: ann's shift has ended */
        { "call", MON - DAY + 10 * HOUR, "bob" },/* Sunday: not one of ann's days */
        { "gift", MON + 9 * HOUR, "bob" },       /* only bob has every skill */
        /* 07:30 UTC: 08:30 in Berlin's winter, 09:30 in its summer (CEST). */
        { "call", MON + 7 * HOUR + 30 * 60000, "bob" },
        { "call", JUL + 7 * HOUR + 30 * 60000, "ann" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t id = task(cases[i].kind, cases[i].at);
        CHECK_STR(holder(id), cases[i].want);
    }
    /* cat and bob tie on rate (no history); cat holds fewer tasks. */
    CHECK_STR(holder(task("chat", MON + 9 * HOUR)), "cat");

    /* Outcomes teach the routing: ann converts none of 3, bob 2 of 2, so
     * bob's (2+1)/(2+2) beats ann's (0+1)/(3+2) even inside ann's hours. */
    char *json = NULL;
    CHECK_OK(e, retain_task_list(&json, e, RETAIN_TASK_ASSIGNED, "ann"));
    CHECK(json && strstr(json, "\"state\":\"assigned\""));
    retain_free(e, json);
    agent("bob", "*", NULL, 0, 0, 0, 0);   /* bob away: ann's own history */
    for (int i = 0; i < 3; i++) {
        int64_t id = task("call", MON + 9 * HOUR);
        CHECK_STR(holder(id), "ann");
        CHECK_OK(e, retain_task_complete(e, id, "no answer", 0, MON + 10 * HOUR));
    }
    agent("bob", "*", NULL, 0, 0, 0, 1);
    for (int i = 0; i < 2; i++) {
        int64_t id = task("call", MON + 20 * HOUR);   /* ann is off: bob */
        CHECK_STR(holder(id), "bob");
        CHECK_OK(e, retain_task_complete(e, id, "reached", 1, MON + 21 * HOUR));
    }
    CHECK_STR(holder(task("call", MON + DAY + 9 * HOUR)), "bob");
    CHECK_OK(e, retain_agent_list(&json, e));
    CHECK(json && strstr(json, "\"call\":{\"completed\":3,\"converted\":0}") &&
          strstr(json, "\"call\":{\"completed\":2,\"converted\":2}"));
    retain_free(e, json);

    /* The load limit: with at most 1 task each nobody holding fewer is left. */
    routing(0, 1);
    int64_t waiting = task("call", MON + DAY + 9 * HOUR);
    CHECK_STR(holder(waiting), "");
    /* An inactive agent gets nothing; a tick routes what waited. */
    agent("dan", "call", NULL, 0, 0, 0, 0);
    int64_t n = -1;
    CHECK_OK(e, retain_task_route(&n, e, MON + DAY + 9 * HOUR));
    CHECK_INT(n, 0);
    agent("dan", "call", NULL, 0, 0, 0, 1);
    retain_tick_stats ts;
    CHECK_OK(e, retain_engine_tick(e, MON + DAY + 10 * HOUR, &ts));
    CHECK_STR(holder(waiting), "dan");
}

/* A share `explore` of tasks goes to a uniformly drawn agent instead of the
 * best; the draw is deterministic, so the share is a fixed number. */
static void test_explore(void)
{
    routing(0.3, 0);
    int to_cat = 0, total = 400;
    for (int i = 0; i < total; i++) {
        int64_t id = task("chat", MON + 9 * HOUR);
        if (!strcmp(holder(id), "cat"))
            to_cat++;
        CHECK_OK(e, retain_task_cancel(e, id, MON + 9 * HOUR));
    }
    /* cat and bob tie on rate; bob holds more, so without exploring cat gets
     * them all; exploring hands about half of 30% to bob. */
    CHECK(to_cat < total);
    CHECK(total - to_cat > total * 0.3 / 2 * 0.6 && total - to_cat < total * 0.3 / 2 * 1.4);
}

static void test_errors(void)
{
    int64_t id = task("gift", MON + 9 * HOUR);
    CHECK_STR(holder(id), "bob");   /* the only one with the skill */
    CHECK_RC(e, retain_task_claim(e, id, "nobody", MON), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_task_claim(e, id, "cat", MON), RETAIN_ECONSTRAINT);
    CHECK(strstr(retain_errmsg(e), "no skill \"gift\"") != NULL);
    CHECK_RC(e, retain_task_claim(e, 999999, "bob", MON), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_task_claim(e, id, NULL, MON), RETAIN_EINVAL);
    CHECK_OK(e, retain_task_claim(e, id, "bob", MON));   /* their own: fine */
    CHECK_RC(e, retain_task_complete(e, id, "", 1, MON), RETAIN_EINVAL);
    CHECK_RC(e, retain_task_complete(e, id, NULL, 1, MON), RETAIN_EINVAL);
    CHECK_OK(e, retain_task_complete(e, id, "gift sent", 1, MON + HOUR));
    CHECK_RC(e, retain_task_complete(e, id, "again", 1, MON + HOUR), RETAIN_ECONFLICT);
    CHECK_RC(e, retain_task_cancel(e, id, MON + HOUR), RETAIN_ECONFLICT);
    CHECK_RC(e, retain_task_claim(e, id, "bob", MON), RETAIN_ECONFLICT);
    /* A task another agent holds. */
    int64_t call = task("call", MON + 20 * HOUR);
    const char *other = strcmp(holder(call), "bob") ? "bob" : "dan";
    CHECK(*holder(call));
    CHECK_RC(e, retain_task_claim(e, call, other, MON + 20 * HOUR), RETAIN_ECONFLICT);
    CHECK(strstr(retain_errmsg(e), "another agent") != NULL);
    CHECK_OK(e, retain_task_cancel(e, call, MON + 21 * HOUR));
    CHECK_RC(e, retain_task_create(NULL, e, "nobody", "call", NULL, NULL, MON), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_task_create(NULL, e, "c1", "not a kind!", NULL, NULL, MON), RETAIN_EINVAL);
    CHECK_RC(e, retain_task_create(NULL, e, "c1", "call", NULL, "no-such-order", MON),
             RETAIN_ENOTFOUND);
    char *json = NULL;
    CHECK_RC(e, retain_task_list(&json, e, (retain_task_state)9, NULL), RETAIN_EINVAL);
    CHECK_RC(e, retain_task_list(NULL, e, RETAIN_TASK_ANY, NULL), RETAIN_EINVAL);

    static const struct {
        const char *skills, *zone;
        int start, end;
        unsigned days;
        const char *msg;
    } bad[] = {
        { "", NULL, 0, 0, 0, "required" },
        { ", ,", NULL, 0, 0, 0, "no task kind" },
        { "call,bad kind!", NULL, 0, 0, 0, "skills" },
        { "call", NULL, -1, 60, 0, "minutes of the day" },
        { "call", NULL, 0, 1441, 0, "minutes of the day" },
        { "call", NULL, 0, 0, 0x80, "beyond Saturday" },
        { "call", "Mars/Olympus", 0, 0, 0, "Mars/Olympus" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_agent a = RETAIN_AGENT_INIT;
        a.id = "bad";
        a.skills = bad[i].skills;
        a.timezone = bad[i].zone;
        a.work_start_minute = bad[i].start;
        a.work_end_minute = bad[i].end;
        a.weekdays = bad[i].days;
        CHECK_RC(e, retain_agent_upsert(e, &a, MON), bad[i].zone ? RETAIN_ENOTFOUND : RETAIN_EINVAL);
        if (!strstr(retain_errmsg(e), bad[i].msg))
            T_FAIL("agent case %zu: \"%s\" does not say \"%s\"", i, retain_errmsg(e), bad[i].msg);
    }
    retain_task_routing r = RETAIN_TASK_ROUTING_INIT;
    r.explore = 0.9;
    CHECK_RC(e, retain_task_routing_set(e, &r), RETAIN_EINVAL);
    r.explore = 0.1;
    r.max_open_per_agent = -1;
    CHECK_RC(e, retain_task_routing_set(e, &r), RETAIN_EINVAL);
    CHECK_RC(NULL, retain_task_route(NULL, NULL, MON), RETAIN_EINVAL);
}

/* A journey's `task:` step makes a task that routing picks up. */
static void test_journey_task(void)
{
    static const char yaml[] =
        "journey: vip-call\n"
        "version: 1\n"
        "trigger: { event: order.placed }\n"
        "entry: once_per_order\n"
        "steps:\n"
        "  - id: call\n"
        "    wait: 1d\n"
        "    task: { kind: call, note: \"Thank them personally\" }\n";
    retain_diag d[4];
    size_t nd = 0;
    CHECK_OK(e, retain_journeys_load(e, yaml, "vip.yaml", MON, d, 4, &nd));
    customer("vip");
    retain_order o = RETAIN_ORDER_INIT;
    o.id = "V1";
    o.customer_id = "vip";
    o.channel = "web";
    o.placed_at = MON;
    o.currency = "EUR";
    o.total = 50000;
    CHECK_OK(e, retain_order_record(e, &o));
    retain_tick_stats ts;
    CHECK_OK(e, retain_engine_tick(e, MON + DAY + 9 * HOUR, &ts));
    char *json = NULL;
    CHECK_OK(e, retain_task_list(&json, e, RETAIN_TASK_ANY, NULL));
    CHECK(json && strstr(json, "\"customer\":\"vip\",\"kind\":\"call\","
                               "\"note\":\"Thank them personally\",\"order\":\"V1\","
                               "\"source\":\"journey\""));
    retain_free(e, json);
}

/* An erasure clears task notes and outcomes and withdraws open tasks; an
 * access export lists the customer's tasks. */
static void test_erasure(void)
{
    customer("gone");
    int64_t id = 0;
    CHECK_OK(e, retain_task_create(&id, e, "gone", "call", "ask about her knee surgery", NULL,
                                   MON));
    char *json = NULL;
    CHECK_OK(e, retain_customer_export(&json, e, "gone"));
    CHECK(json && strstr(json, "\"tasks\":[{") && strstr(json, "knee surgery"));
    retain_free(e, json);
    CHECK_OK(e, retain_customer_erase(e, "gone", MON + HOUR));
    CHECK_OK(e, retain_customer_export(&json, e, "gone"));
    CHECK(json && !strstr(json, "knee surgery") && strstr(json, "\"state\":\"cancelled\""));
    retain_free(e, json);
}

int main(void)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    if (retain_engine_open(&e, ":memory:", &o) != RETAIN_OK) {
        fprintf(stderr, "cannot open an engine\n");
        return 1;
    }
    test_routing();
    test_explore();
    test_errors();
    test_journey_task();
    test_erasure();
    retain_engine_close(e);
    return t_report("tasks");
}
