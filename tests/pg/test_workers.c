/*
 * test_workers.c - on PostgreSQL, ticks and delivery runs are workers that
 * run side by side (store.h, rt_tx_begin_worker): a worker's transaction
 * holds the store's lock shared, so another worker does not wait for it
 * while a host's write does; a customer another worker holds, and a row it
 * has locked, are passed by and picked up once it lets go.
 *
 * "Another worker" is the test's own connection holding the locks a
 * worker's transaction holds (src/store/pg/pg_impl.h), so that each case
 * is exact rather than a race. Stores in two schemas of one database do
 * not share these locks. Runs only against a server (meson's pg
 * suite starts one); without RETAIN_TEST_PG it fails.
 */
#include "../delivery/dutil.h"

#include "store/pg/pg_impl.h"

static const char journey[] =
    "journey: later\nversion: 1\ntrigger: customer.created\nentry: once\nsteps:\n"
    "  - id: later\n    wait: 1d\n"
    "    send: { channel: email, template: later, category: transactional }\n";

static retain_engine *open_quick(const char *path)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.default_country = "US";
    o.busy_timeout_ms = 300; /* a write that waits for a worker gives up soon */
    retain_engine *e = NULL;
    char err[256];
    if (retain_engine_open_ex(&e, path, &o, err, sizeof err))
        T_FAIL("open %s: %s", path, err);
    return e;
}

/* The other worker: `sql` on the test's own connection, in the store's
 * schema. */
static void other(const char *path, const char *sql)
{
    if (t_backend_sql(path, sql))
        T_FAIL("other worker: %s", sql);
}

static void hold_customer(const char *path, retain_engine *e, const char *id)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "BEGIN; SELECT pg_advisory_xact_lock_shared(" RT_PG_LOCK_STORE ");"
             " SELECT pg_advisory_xact_lock(" RT_PG_LOCK_CUSTOMERS ", %lld)",
             (long long)(d_key(e, id) % 2147483647));
    other(path, sql);
}

/* A message for `customer`, for a step of its own (the key is a hash of
 * journey, instance and step). */
static int64_t queue(retain_engine *e, const char *customer, const char *step)
{
    char own[64];
    snprintf(own, sizeof own, "%s-%s", step, customer);
    rt_send_request r = d_req(d_key(e, customer), 0, own, "email", "transactional", T0);
    return d_enqueue(e, &r, T0).message_id;
}

static void workers_share_the_store_lock(const char *path)
{
    retain_engine *e = open_quick(path);
    d_script s = { 0 };
    d_transport(e, "email", &s);
    queue(e, "a", "s1");
    queue(e, "b", "s1");
    other(path, "BEGIN; SELECT pg_advisory_xact_lock_shared(" RT_PG_LOCK_STORE ")");
    /* A worker does not wait for another worker... */
    retain_delivery_stats st = d_deliver(e, T0);
    CHECK_INT(st.sent, 2);
    CHECK_INT(s.calls, 2);
    /* ...a host's write does, and says why it gave up; nothing is written. */
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "c";
    c.email = "c@example.com";
    c.at = T0;
    CHECK_INT(retain_customer_upsert(e, &c), RETAIN_EBUSY);
    CHECK(strstr(retain_errmsg(e), "lock") != NULL);
    other(path, "COMMIT");
    int64_t k = 0;
    CHECK_INT(rt_customer_key(e, "c", &k), RETAIN_ENOTFOUND);
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_engine_close(e);
}

/* A message whose customer another worker holds (by_customer), or whose
 * row it has locked, is passed by, and sent by the next run once it lets
 * go. */
static void a_held_message_is_passed_by(const char *path, const char *step, bool by_customer)
{
    retain_engine *e = open_quick(path);
    d_script s = { 0 };
    d_transport(e, "email", &s);
    int64_t ma = queue(e, "a", step);
    int64_t mb = queue(e, "b", step);
    if (by_customer) {
        hold_customer(path, e, "a");
    } else {
        char sql[200];
        snprintf(sql, sizeof sql, "BEGIN; SELECT id FROM outbox WHERE id=%lld FOR UPDATE",
                 (long long)ma);
        other(path, sql);
    }
    retain_delivery_stats st = d_deliver(e, T0 + MIN);
    CHECK_INT(st.sent, 1);
    CHECK_INT(s.calls, 1);
    CHECK_INT(s.log[0].id, mb);
    CHECK_INT(d_state(e, ma), RETAIN_OUTBOX_QUEUED);
    other(path, "COMMIT");
    st = d_deliver(e, T0 + MIN);
    CHECK_INT(st.sent, 1);
    CHECK_INT(s.log[1].id, ma);
    CHECK_INT(d_state(e, ma), RETAIN_OUTBOX_SENT);
    retain_engine_close(e);
}

/* A tick passes by the journey instances of a customer another worker
 * holds, and advances them at its next run. */
static void a_tick_passes_a_held_customer_by(const char *path)
{
    retain_engine *e = open_quick(path);
    d_script s = { 0 };
    d_transport(e, "email", &s);
    retain_diag d;
    size_t nd = 0;
    if (retain_journeys_load(e, journey, "later.yaml", T0, &d, 1, &nd))
        T_FAIL("load: %d:%d: %s", d.line, d.column, d.message);
    d_customer(e, "t1", NULL, T0);
    d_customer(e, "t2", NULL, T0);
    hold_customer(path, e, "t1");
    retain_tick_stats st;
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY, &st));
    CHECK_INT(st.sent, 1);
    CHECK_INT(s.calls, 1);
    CHECK_STR(s.log[0].customer, "t2");
    other(path, "COMMIT");
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY, &st));
    CHECK_INT(st.sent, 1);
    CHECK_INT(s.calls, 2);
    CHECK_STR(s.log[1].customer, "t1");
    /* Nothing is left to do, for either. */
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY, &st));
    CHECK_INT(st.sent, 0);
    retain_engine_close(e);
}

/* Two stores in two schemas of one database have locks of their own. */
static void stores_apart(const char *path)
{
    char path2[512];
    d_tmpdb(path2, sizeof path2, "workers-2");
    retain_engine *e1 = open_quick(path), *e2 = open_quick(path2);
    other(path, "BEGIN; SELECT pg_advisory_xact_lock(" RT_PG_LOCK_STORE ")");
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "apart";
    c.email = "apart@example.com";
    c.at = T0;
    CHECK_OK(e2, retain_customer_upsert(e2, &c));
    CHECK_INT(retain_customer_upsert(e1, &c), RETAIN_EBUSY);
    other(path, "COMMIT");
    CHECK_OK(e1, retain_customer_upsert(e1, &c));
    retain_engine_close(e1);
    retain_engine_close(e2);
    d_rmdb(path2);
}

int main(void)
{
    if (!t_backend_pg()) {
        T_FAIL("test_workers runs against PostgreSQL: set RETAIN_TEST_PG (tests/pg/with_server.sh)");
        return t_report("pg-workers");
    }
    char path[512];
    d_tmpdb(path, sizeof path, "workers");
    {
        retain_engine *e = d_open(path); /* the store, and two customers */
        d_customer(e, "a", NULL, T0 - DAY);
        d_customer(e, "b", NULL, T0 - DAY);
        retain_engine_close(e);
    }
    workers_share_the_store_lock(path);
    a_held_message_is_passed_by(path, "s2", true);
    a_held_message_is_passed_by(path, "s3", false);
    a_tick_passes_a_held_customer_by(path);
    stores_apart(path);
    d_rmdb(path);
    return t_report("pg-workers");
}
