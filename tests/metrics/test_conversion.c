/*
 * test_conversion.c - journey conversion by variant and against holdout on
 * journey instances written straight into the database (as the journey
 * runner would), with the expected counts derived by hand below.
 */
#include "mtest.h"

#include <math.h>
#include <unistd.h>

static sqlite3 *db;
static int64_t next_id = 1;

/* n instances of journey/variant entered on day `in`, goal on day `goal` (< 0: none). */
static void instances(int n, const char *journey, const char *variant, int in, int goal)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO journey_instance(id,journey,version,customer,state,"
                                "variant,entered_at,updated_at,goal_at) VALUES(?1,?2,1,1,"
                                "'active',?3,?4,?4,?5)",
                                -1, &st, NULL);
    CHECK_INT(rc, SQLITE_OK);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, next_id++);
        sqlite3_bind_text(st, 2, journey, -1, SQLITE_STATIC);
        if (variant)
            sqlite3_bind_text(st, 3, variant, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, in * DAY_MS + 3600000);
        if (goal >= 0)
            sqlite3_bind_int64(st, 5, goal * DAY_MS + 3600000);
        else
            sqlite3_bind_null(st, 5);
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

static const retain_conversion_row *find(const retain_conversion *c, const char *journey,
                                         const char *variant)
{
    for (size_t i = 0; i < c->count; i++) {
        const retain_conversion_row *r = &c->rows[i];
        if (strcmp(r->journey, journey) == 0 &&
            ((!variant && !r->variant) || (variant && r->variant && !strcmp(r->variant, variant))))
            return r;
    }
    return NULL;
}

static void check_row(const retain_conversion *c, const char *journey, const char *variant,
                      int64_t entered, int64_t converted, int64_t pending)
{
    const retain_conversion_row *r = find(c, journey, variant);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_INT(r->entered, entered);
    CHECK_INT(r->converted, converted);
    CHECK_INT(r->pending, pending);
    if (entered - pending > 0)
        CHECK_NEAR(r->rate, (double)converted / (double)(entered - pending), 1e-15);
    else
        CHECK(IS_NAN(r->rate));
    CHECK_INT(r->holdout, variant && !strcmp(variant, "holdout"));
}

int main(void)
{
    char path[512];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/retain-metrics-conv-%ld.db", dir && *dir ? dir : "/tmp",
             (long)getpid());
    unlink(path);
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    retain_customer cu = RETAIN_CUSTOMER_INIT;
    cu.id = "c1";
    CHECK_OK(e, retain_customer_upsert(e, &cu));
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);

    /*
     * Window 7 days, as_of day 100.
     * welcome/a:  6 in d10 goal d12 (converted)      2 in d10 goal d20 (too late)
     *             4 in d10 no goal                    3 in d98 no goal (pending)
     *             1 in d97 goal d99 (converted)       1 in d96 goal d101 (after as_of: pending)
     *             1 in d101 (after as_of: not counted)
     *   -> entered 17, converted 7, pending 4, rate 7/13
     * welcome/b:  5 in d20, 2 of them goal d21      -> 5, 2, 0
     * welcome/holdout: 10 in d10, 2 goal d15, 1 goal d9 (before entering)  -> 10, 2, 0
     * winback (no split): 4 in d50, 1 goal d51      -> 4, 1, 0
     */
    instances(6, "welcome", "a", 10, 12);
    instances(2, "welcome", "a", 10, 20);
    instances(4, "welcome", "a", 10, -1);
    instances(3, "welcome", "a", 98, -1);
    instances(1, "welcome", "a", 97, 99);
    instances(1, "welcome", "a", 96, 101);
    instances(1, "welcome", "a", 101, -1);
    instances(2, "welcome", "b", 20, 21);
    instances(3, "welcome", "b", 20, -1);
    instances(2, "welcome", "holdout", 10, 15);
    instances(1, "welcome", "holdout", 10, 9);
    instances(7, "welcome", "holdout", 10, -1);
    instances(1, "winback", NULL, 50, 51);
    instances(3, "winback", NULL, 50, -1);

    int64_t as_of = 100 * DAY_MS + 3600000, window = 7 * DAY_MS;
    retain_conversion *c = NULL;
    CHECK_OK(e, retain_journey_conversion(&c, e, NULL, INT64_MIN, window, as_of));
    CHECK_INT(c->count, 4);
    check_row(c, "welcome", "a", 17, 7, 4);
    check_row(c, "welcome", "b", 5, 2, 0);
    check_row(c, "welcome", "holdout", 10, 2, 0);
    check_row(c, "winback", NULL, 4, 1, 0);
    CHECK_STR(c->rows[0].variant, "a"); /* ordered by journey, then variant */
    CHECK_STR(c->rows[3].journey, "winback");

    /* Treatment pools a and b: 9 of 18 decided; holdout 2 of 10. */
    CHECK_INT(c->lift_count, 2);
    const retain_conversion_lift *l = &c->lifts[0];
    CHECK_STR(l->journey, "welcome");
    CHECK_INT(l->treatment_decided, 18);
    CHECK_INT(l->treatment_converted, 9);
    CHECK_INT(l->holdout_decided, 10);
    CHECK_INT(l->holdout_converted, 2);
    CHECK_NEAR(l->treatment_rate, 0.5, 1e-15);
    CHECK_NEAR(l->holdout_rate, 0.2, 1e-15);
    CHECK_NEAR(l->lift, 0.3, 1e-15);
    CHECK_NEAR(l->relative_lift, 1.5, 1e-12);
    double pool = 11.0 / 28.0;
    double z = 0.3 / sqrt(pool * (1 - pool) * (1.0 / 18 + 1.0 / 10));
    CHECK_NEAR(l->z, z, 1e-12);
    CHECK_NEAR(l->z, 1.5575, 1e-4);
    /* two-sided p of z = 1.5575 from a normal table: 2 * (1 - 0.94032) */
    CHECK_NEAR(l->p_value, 0.1194, 1e-4);
    const retain_conversion_lift *w = &c->lifts[1];
    CHECK_STR(w->journey, "winback");
    CHECK_INT(w->treatment_decided, 4);
    CHECK_INT(w->holdout_decided, 0);
    CHECK(IS_NAN(w->holdout_rate) && IS_NAN(w->lift) && IS_NAN(w->z) && IS_NAN(w->p_value));
    retain_conversion_free(c);

    /* Entered since day 15: welcome/a keeps the five late ones, holdout none. */
    CHECK_OK(e, retain_journey_conversion(&c, e, NULL, 15 * DAY_MS, window, as_of));
    check_row(c, "welcome", "a", 5, 1, 4);
    check_row(c, "welcome", "b", 5, 2, 0);
    CHECK(find(c, "welcome", "holdout") == NULL);
    CHECK(IS_NAN(c->lifts[0].holdout_rate));
    retain_conversion_free(c);

    /* One journey; a longer window turns the late goals into conversions. */
    CHECK_OK(e, retain_journey_conversion(&c, e, "welcome", INT64_MIN, 30 * DAY_MS, as_of));
    CHECK_INT(c->count, 3);
    check_row(c, "welcome", "a", 17, 9, 4); /* +2 reached on day 20 */
    CHECK_INT(c->lift_count, 1);
    retain_conversion_free(c);

    /* A journey nobody entered. */
    CHECK_OK(e, retain_journey_conversion(&c, e, "nope", INT64_MIN, window, as_of));
    CHECK_INT(c->count, 0);
    CHECK_INT(c->lift_count, 0);
    retain_conversion_free(c);

    char *json = NULL;
    CHECK_OK(e, retain_journey_conversion_json(&json, e, NULL, INT64_MIN, window, as_of));
    CHECK(json && t_json_valid(json));
    char buf[64];
    CHECK_STR(t_json_str(json, "$.rows[3].journey", buf, sizeof buf), "winback");
    CHECK_STR(t_json_str(json, "$.rows[3].variant", buf, sizeof buf), "");
    CHECK_NEAR(t_json_num(json, "$.rows[2].holdout"), 1, 0);
    CHECK_NEAR(t_json_num(json, "$.lifts[0].lift"), 0.3, 1e-12);
    CHECK(IS_NAN(t_json_num(json, "$.lifts[1].p_value")));
    CHECK(IS_NAN(t_json_num(json, "$.since")));
    retain_free(e, json);

    /* A read-only engine on the same file reads the same. */
    retain_options ro = RETAIN_OPTIONS_INIT;
    ro.flags = RETAIN_OPEN_READONLY;
    retain_engine *r = NULL;
    CHECK_OK(NULL, retain_engine_open(&r, path, &ro));
    CHECK_OK(r, retain_journey_conversion(&c, r, "winback", INT64_MIN, window, as_of));
    check_row(c, "winback", NULL, 4, 1, 0);
    retain_conversion_free(c);
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(r, retain_metrics_summary_get(&s, r, "USD", as_of));
    CHECK_INT(s.customers, 0);
    retain_engine_close(r);

    sqlite3_close(db);
    retain_engine_close(e);
    t_json_close();
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return t_report("metrics_conversion");
}
