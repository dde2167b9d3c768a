/*
 * test_erasure.c - retain_customer_erase() leaves no personal bytes in the
 * database file or its WAL, keeps the aggregates, and retain_customer_export()
 * shows everything before and nothing personal after.
 */
#include "../delivery/dutil.h"

#include <retain/journey.h>
#include <retain/metrics.h>

#define EMAIL "zelda.quorrington@erasure-test.example"
#define PHONE "+14155559876"
#define NAME "Zelda Quorrington"

/* Does `needle` occur anywhere in the file? A missing file holds nothing. */
static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char *data = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *p = realloc(data, cap);
            if (!p)
                T_FAIL("out of memory reading %s", path);
            data = p;
        }
        memcpy(data + len, chunk, n);
        len += n;
    }
    fclose(f);
    size_t k = strlen(needle);
    bool found = false;
    for (size_t i = 0; len >= k && i <= len - k && !found; i++)
        found = memcmp(data + i, needle, k) == 0;
    free(data);
    return found;
}

static char *summary(retain_engine *e)
{
    char *s = NULL;
    CHECK_OK(e, retain_metrics_summary_json(&s, e, "USD", T0 + 30 * DAY));
    return s;
}

static void load_journey(retain_engine *e)
{
    const char *ex = getenv("RETAIN_EXAMPLES");
    char path[512];
    snprintf(path, sizeof path, "%s/journeys/post-purchase.yaml", ex ? ex : "examples");
    retain_diag d[8];
    size_t nd = 0;
    CHECK_OK(e, retain_journeys_load_file(e, path, T0, d, 8, &nd));
}

/* A customer with contact data in every place the library keeps it. */
static void populate(retain_engine *e, const char *id)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = EMAIL;
    c.phone = PHONE;
    c.name = NAME;
    c.timezone = "Europe/Berlin";
    c.locale = "de-DE";
    c.attrs_json = "{\"backup_email\":\"" EMAIL "\",\"mobile\":\"" PHONE "\"}";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_consent_set(e, id, "email", "all", RETAIN_CONSENT_GRANTED, T0, "checkout"));
    CHECK_OK(e, retain_consent_set(e, id, "sms", "all", RETAIN_CONSENT_GRANTED, T0, "checkout"));
    char oid[64];
    for (int i = 0; i < 3; i++) {
        snprintf(oid, sizeof oid, "%s-o%d", id, i);
        d_order(e, oid, id, "web", T0 + i * DAY);
    }
    CHECK_OK(e, retain_event_track(e, id, "page.viewed", T0 + HOUR,
                                   "{\"contact\":\"" EMAIL "\",\"tel\":\"" PHONE "\"}", NULL));
    /* A feedback comment is personal data too. */
    CHECK_OK(e, retain_feedback_record(e, id, oid, 8, RETAIN_SCALE_0_10, "reply to " EMAIL,
                                       T0 + 2 * HOUR));
    /* Journeys start and queue messages addressed to EMAIL. */
    CHECK_OK(e, retain_engine_tick(e, T0 + 3 * DAY, NULL));
}

static int64_t count(retain_engine *e, const char *sql, int64_t key)
{
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_int64(st, 1, key);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static void basic_path(retain_engine *e, const char *id, const char *path)
{
    populate(e, id);
    int64_t key = d_key(e, id);
    CHECK(count(e, "SELECT count(*) FROM journey_instance WHERE customer=?", key) > 0);
    CHECK(count(e, "SELECT count(*) FROM outbox WHERE customer=? AND recipient IS NOT NULL",
                key) > 0);
    char *before_metrics = summary(e);
    char *exp = NULL;
    CHECK_OK(e, retain_customer_export(&exp, e, id));
    CHECK(exp && strstr(exp, EMAIL) && strstr(exp, PHONE) && strstr(exp, NAME));
    CHECK(exp && strstr(exp, "\"orders\":[{") && strstr(exp, "\"messages\":[{") &&
          strstr(exp, "\"journeys\":[{") && strstr(exp, "\"consents\":[{") &&
          strstr(exp, "\"feedback\":[{\"score\":8"));
    retain_free(e, exp);
    if (path) { /* the bytes are really there before: the scan can fail */
        CHECK_OK(e, retain_engine_tick(e, T0 + 3 * DAY, NULL));
        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", path);
        CHECK(file_has(path, EMAIL) || file_has(wal, EMAIL));
    }

    CHECK_OK(e, retain_customer_erase(e, id, T0 + 4 * DAY));

    char *after_metrics = summary(e);
    if (before_metrics && after_metrics)
        CHECK_STR(after_metrics, before_metrics);
    retain_free(e, before_metrics);
    retain_free(e, after_metrics);
    retain_customer *c = NULL;
    CHECK_OK(e, retain_customer_get(&c, e, id));
    if (c) {
        CHECK_INT(c->orders_count, 3);
        CHECK(c->email == NULL && c->phone == NULL && c->name == NULL);
        CHECK(c->revenue_count == 1 && c->revenue[0].amount == 3 * 2100);
    }
    retain_customer_free(c);
    CHECK_INT(count(e, "SELECT count(*) FROM event WHERE customer=? AND name='customer.erased'"
                       " AND props='{}'", key), 1);
    CHECK_INT(count(e, "SELECT count(*) FROM journey_instance WHERE customer=? AND state='active'",
                    key), 0);
    CHECK_INT(count(e, "SELECT count(*) FROM outbox WHERE customer=? AND state IN"
                       " ('queued','sending')", key), 0);
    exp = NULL;
    CHECK_OK(e, retain_customer_export(&exp, e, id));
    CHECK(exp && !strstr(exp, EMAIL) && !strstr(exp, PHONE) && !strstr(exp, NAME) &&
          !strstr(exp, "Europe/Berlin") && strstr(exp, "customer.erased"));
    retain_free(e, exp);
    /* Erasing again is allowed and changes nothing more. */
    CHECK_OK(e, retain_customer_erase(e, id, T0 + 5 * DAY));

    if (path) {
        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", path);
        static const char *const needles[] = { EMAIL, PHONE, NAME, "erasure-test.example" };
        for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
            CHECK(!file_has(path, needles[i]));
            CHECK(!file_has(wal, needles[i]));
        }
    }
}

static void bad_inputs(retain_engine *e)
{
    char *out = (char *)"untouched";
    CHECK_RC(e, retain_customer_erase(NULL, "x", T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_erase(e, NULL, T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_erase(e, "", T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_erase(e, "bad\xff\xfe", T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_erase(e, "nobody", T0), RETAIN_ENOTFOUND);
    CHECK(strstr(retain_errmsg(e), "nobody") != NULL);
    CHECK_RC(e, retain_customer_export(NULL, e, "x"), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_export(&out, NULL, "x"), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_export(&out, e, NULL), RETAIN_EINVAL);
    CHECK(out == NULL);
    CHECK_RC(e, retain_customer_export(&out, e, "bad\xc3"), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_export(&out, e, "nobody"), RETAIN_ENOTFOUND);
    CHECK(out == NULL);
    /* The engine is still usable. */
    d_customer(e, "after-bad", NULL, T0);
    CHECK_OK(e, retain_customer_export(&out, e, "after-bad"));
    CHECK(out && strstr(out, "after-bad@example.com"));
    retain_free(e, out);
}

/* Inside a host transaction the erase rolls back with the host. */
static void host_tx(retain_engine *e)
{
    d_customer(e, "host-tx", NULL, T0);
    CHECK_OK(e, retain_begin(e));
    CHECK_OK(e, retain_customer_erase(e, "host-tx", T0 + DAY));
    CHECK_OK(e, retain_rollback(e));
    char *out = NULL;
    CHECK_OK(e, retain_customer_export(&out, e, "host-tx"));
    CHECK(out && strstr(out, "host-tx@example.com"));
    retain_free(e, out);
}

int main(void)
{
    char path[512];
    d_tmpdb(path, sizeof path, "erasure");
    retain_engine *e = d_open(path);
    load_journey(e);
    basic_path(e, "zelda", path);
    bad_inputs(e);
    host_tx(e);
    retain_engine_close(e);
    d_rmdb(path);

    e = d_open(":memory:");
    load_journey(e);
    basic_path(e, "zelda-mem", NULL);
    bad_inputs(e);
    host_tx(e);
    retain_engine_close(e);
    return t_report("erasure");
}
