/*
 * reliability.h - what the oom and io suites share: a store workload split
 * into small operations (customers, orders, events, shipments, a host
 * transaction, journey load, ticks with a transport, a model refresh), and
 * the checks run on the database file after an injected failure: SQLite's
 * integrity_check and foreign_key_check, the library's own invariants, and
 * a fingerprint of the data to compare with a run without failures.
 *
 * The checks open the file with a plain sqlite3 connection, so they see
 * only what was committed.
 */
#ifndef RT_TEST_RELIABILITY_H
#define RT_TEST_RELIABILITY_H

#include "harness.h"

#include <retain.h>
#include <retain/refresh.h>
#include <retain/transport.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define R_DAY 86400000LL
#define R_HOUR 3600000LL
/* 2024-03-04T10:00:00Z, a Monday. */
#define R_T0 1709546400000LL

/* ---- files --------------------------------------------------------------- */

/* Thousands of databases are created per run: in memory-backed /dev/shm
 * when there is one, since an fsync there costs nothing. */
static inline void r_path(char *buf, size_t size, const char *suite, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(buf, size, "%s/retain-%s-%s-%ld.db", dir, suite, tag, (long)getpid());
}

static inline void r_rmdb(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

/* Copy a closed database (no WAL left) over dst; src NULL: just remove dst. */
static inline int r_copy(const char *src, const char *dst)
{
    r_rmdb(dst);
    if (!src)
        return 0;
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    if (!out) {
        if (in)
            fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out))
        rc = -1;
    return rc;
}

/* ---- a transport that remembers what it was given ------------------------- */

/* Keys and a hash of the content of every distinct message received; no
 * allocation, so it never disturbs an allocation count. */
typedef struct r_receiver {
    int calls;
    int distinct;
    int conflicts; /* same key, different content */
    char keys[256][65];
    uint64_t hash[256];
    char payload[256][1024]; /* the start of each, for failure reports */
} r_receiver;

static inline uint64_t r_fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static inline int r_send(const retain_message *m, retain_send_result *res, void *ud)
{
    r_receiver *r = ud;
    r->calls++;
    uint64_t h = 1469598103934665603ull;
    h = r_fnv(h, m->customer_id);
    h = r_fnv(h, m->channel);
    h = r_fnv(h, m->template_id);
    h = r_fnv(h, m->recipient);
    h = r_fnv(h, m->payload_json);
    for (int i = 0; i < r->distinct; i++)
        if (strcmp(r->keys[i], m->idempotency_key) == 0) {
            r->conflicts += r->hash[i] != h;
            return RETAIN_SEND_SENT;
        }
    if (r->distinct < 256) {
        snprintf(r->keys[r->distinct], sizeof r->keys[0], "%s", m->idempotency_key);
        snprintf(r->payload[r->distinct], sizeof r->payload[0], "%s %s",
                 m->recipient ? m->recipient : "-", m->payload_json ? m->payload_json : "-");
        r->hash[r->distinct++] = h;
    }
    snprintf(res->provider_id, sizeof res->provider_id, "p-%lld", (long long)m->id);
    return RETAIN_SEND_SENT;
}

/* Two receivers hold the same messages (order does not matter). */
static inline int r_same_messages(const r_receiver *a, const r_receiver *b)
{
    if (a->distinct != b->distinct)
        return 0;
    for (int i = 0; i < a->distinct; i++) {
        int found = 0;
        for (int j = 0; j < b->distinct && !found; j++)
            found = strcmp(a->keys[i], b->keys[j]) == 0 && a->hash[i] == b->hash[j];
        if (!found)
            return 0;
    }
    return 1;
}

/* ---- the workload --------------------------------------------------------- */

/* The message of an operation's failure when it is not the engine's last
 * one (an operation that cleans up after itself); "" otherwise. */
static char r_msg[1024];

/* Host transactions that SQLite had to roll back as a whole (the library
 * must say so in the failing call's message). */
static long r_whole_rollbacks;

static inline void r_copy_msg(const char *m)
{
    snprintf(r_msg, sizeof r_msg, "%s", m);
}

#define R_CUSTOMERS 6

static inline int r_op_customer(retain_engine *e, int i)
{
    char id[16], email[48];
    snprintf(id, sizeof id, "c%d", i);
    snprintf(email, sizeof email, "c%d@example.com", i);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.phone = "+14155550100";
    c.name = "Ada Lovelace";
    static const char *const zones[] = { "Europe/Berlin", "America/New_York", "Asia/Tokyo" };
    c.timezone = zones[i % 3];
    c.locale = "en-US";
    c.attrs_json = "{\"tier\":\"gold\",\"tags\":[\"a\",\"b\"]}";
    c.at = R_T0 - 30 * R_DAY;
    int rc = retain_customer_upsert(e, &c);
    if (rc == RETAIN_OK)
        rc = retain_consent_set(e, id, "email", "all", RETAIN_CONSENT_GRANTED, c.at, "signup");
    if (rc == RETAIN_OK)
        rc = retain_consent_set(e, id, "sms", "all", RETAIN_CONSENT_GRANTED, c.at, "signup");
    return rc;
}

/* Orders: customer i%R_CUSTOMERS, two lines each; every fifth through Amazon
 * (which the post-purchase journey does not enroll). */
static inline int r_order(retain_engine *e, int i)
{
    char id[16], cust[16];
    snprintf(id, sizeof id, "o%d", i);
    snprintf(cust, sizeof cust, "c%d", i % R_CUSTOMERS);
    retain_order_line lines[2] = { { "SKU-TEA", "Green tea", 1 + i % 3, 450 },
                                   { "SKU-MUG", "Mug", 1, 1200 } };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = i % 5 == 4 ? "amazon" : "web";
    o.placed_at = R_T0 - (20 - i) * R_DAY;
    o.currency = "USD";
    o.total = lines[0].quantity * 450 + 1200;
    o.lines = lines;
    o.lines_count = 2;
    return retain_order_record(e, &o);
}

#define R_ORDERS 14

static inline int r_op_order(retain_engine *e, int i) { return r_order(e, i); }

static inline int r_op_event(retain_engine *e, int i)
{
    char cust[16], hid[16];
    snprintf(cust, sizeof cust, "c%d", i % R_CUSTOMERS);
    snprintf(hid, sizeof hid, "ev%d", i);
    return retain_event_track(e, cust, "page.viewed", R_T0 - (10 - i) * R_DAY,
                              "{\"url\":\"/tea\",\"ref\":\"mail\"}", hid);
}

/* A shipment for order i: its label, then (separate calls, so that a host
 * retries only the one that failed) in transit, and for even i delivered. */
static inline int r_op_shipment(retain_engine *e, int i)
{
    char sid[16], oid[16];
    snprintf(sid, sizeof sid, "s%d", i);
    snprintf(oid, sizeof oid, "o%d", i);
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = sid;
    s.order_id = oid;
    s.carrier = "ups";
    s.tracking = "1Z999";
    s.promised_at = R_T0 + 3 * R_DAY;
    s.at = R_T0 - (20 - i) * R_DAY + R_HOUR;
    return retain_shipment_record(e, &s);
}

static inline int r_op_shipment_status(retain_engine *e, int i)
{
    char sid[16];
    snprintf(sid, sizeof sid, "s%d", i / 2);
    int64_t at = R_T0 - (20 - i / 2) * R_DAY + R_HOUR + (1 + i % 2) * R_DAY;
    return retain_shipment_update(e, sid, i % 2 ? "delivered" : "in_transit", at,
                                  RETAIN_TIME_NONE, NULL);
}

/* A host transaction with three orders. A call that fails inside it must
 * undo only its own changes, or, when SQLite had to roll the whole
 * transaction back, say so; either way the host rolls back and reports. */
static inline int r_op_host_tx(retain_engine *e, int i)
{
    (void)i;
    int rc = retain_begin(e);
    if (rc)
        return rc;
    for (int k = R_ORDERS; k < R_ORDERS + 3 && rc == RETAIN_OK; k++)
        rc = r_order(e, k);
    if (rc == RETAIN_OK)
        rc = retain_commit(e);
    if (rc != RETAIN_OK) {
        /* The first error is what the caller sees; the rollback may say
         * EMISUSE when the failed commit already ended the transaction. */
        r_copy_msg(retain_errmsg(e));
        r_whole_rollbacks += strstr(r_msg, "rolled back as a whole") != NULL;
        retain_rollback(e);
    }
    return rc;
}

/* Set by the suite: the database file, and a switch that holds injected
 * failures off while an operation looks at what was committed. */
static const char *r_db_path;
static void (*r_pause)(int on);

/* Whether order i is committed, seen through a connection of its own. */
static inline int r_order_committed(int i)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM orders WHERE ext_id='o%d'", i);
    sqlite3 *db = NULL;
    int n = -1;
    if (sqlite3_open_v2(r_db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* A host transaction that goes on after a call in it fails, as the API
 * allows: the commit must then keep exactly the calls that succeeded, or,
 * when SQLite rolled the whole transaction back, fail and keep none. */
static inline int r_op_host_tx_continue(retain_engine *e, int i)
{
    (void)i;
    int rc = retain_begin(e);
    if (rc)
        return rc;
    int first = RETAIN_OK, ok[3];
    for (int k = 0; k < 3; k++) {
        int orc = r_order(e, R_ORDERS + 3 + k);
        ok[k] = orc == RETAIN_OK;
        if (orc && !first) {
            first = orc;
            r_copy_msg(retain_errmsg(e));
        }
    }
    int crc = retain_commit(e);
    if (crc != RETAIN_OK) {
        if (!first) {
            first = crc;
            r_copy_msg(retain_errmsg(e));
        }
        retain_rollback(e);
    }
    if (r_pause)
        r_pause(1);
    for (int k = 0; k < 3; k++) {
        int want = crc == RETAIN_OK && ok[k];
        int got = r_order_committed(R_ORDERS + 3 + k);
        if (got != want)
            T_FAIL("host transaction: order o%d committed %d times, expected %d (call %s, "
                   "commit %d: %s)",
                   R_ORDERS + 3 + k, got, want, ok[k] ? "succeeded" : "failed", crc, r_msg);
    }
    if (r_pause)
        r_pause(0);
    return first;
}

/* Journey 0: examples/journeys/post-purchase.yaml (email); journey 1:
 * tests/data/journey-sms-morning.yaml (an SMS at 09:00 local time). */
static inline int r_op_journey(retain_engine *e, int i)
{
    const char *dir = getenv(i ? "RETAIN_TEST_DATA" : "RETAIN_EXAMPLES");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : i ? "tests/data" : "examples",
             i ? "journey-sms-morning.yaml" : "journeys/post-purchase.yaml");
    retain_diag d[4];
    size_t nd = 0;
    return retain_journeys_load_file(e, path, R_T0 - 40 * R_DAY, d, 4, &nd);
}

static inline int r_op_transport(retain_engine *e, r_receiver *rcv)
{
    static const char *const channels[] = { "email", "sms" };
    int rc = RETAIN_OK;
    for (int i = 0; i < 2 && rc == RETAIN_OK; i++) {
        retain_transport t = RETAIN_TRANSPORT_INIT;
        t.channel = channels[i];
        t.send = r_send;
        t.userdata = rcv;
        t.batch = 4;
        rc = retain_transport_register(e, &t);
    }
    return rc;
}

/* Tick times: confirmations, shipping, tips, the 5-day wait, feedback. */
static const int64_t r_ticks[] = { R_T0, R_T0 + 2 * R_DAY, R_T0 + 9 * R_DAY, R_T0 + 20 * R_DAY };
#define R_TICKS ((int)(sizeof r_ticks / sizeof r_ticks[0]))
/* Far enough after the last tick that messages whose result a failure kept
 * from being recorded are handed over again (their lease ran out). */
#define R_FLUSH_AT (R_T0 + 40 * R_DAY)

static inline int r_op_tick(retain_engine *e, int i)
{
    retain_tick_stats st;
    return retain_engine_tick(e, r_ticks[i], &st);
}

static inline int r_op_flush(retain_engine *e, int i)
{
    (void)i;
    retain_tick_stats st;
    return retain_engine_tick(e, R_FLUSH_AT, &st);
}

/* An SMS the host queues for customer i at 2024-02-14 14:00 UTC: 15:00 in
 * Berlin, 09:00 in New York, but 23:00 in Tokyo, in the quiet hours
 * (21:00-08:00) that would not apply in UTC. */
#define R_QUEUE_AT (R_T0 - 19 * R_DAY + 4 * R_HOUR)

static inline int r_op_queue(retain_engine *e, int i)
{
    char cust[16], hid[16];
    snprintf(cust, sizeof cust, "c%d", i);
    snprintf(hid, sizeof hid, "q%d", i);
    retain_message_spec m = RETAIN_MESSAGE_SPEC_INIT;
    m.host_id = hid;
    m.customer_id = cust;
    m.channel = "sms";
    m.category = "transactional";
    m.template_id = "pickup_ready";
    retain_queue_result res;
    return retain_message_queue(&res, e, &m, R_QUEUE_AT);
}

static inline int r_op_tick_at(retain_engine *e, int i)
{
    retain_tick_stats st;
    return retain_engine_tick(e, R_T0 + (int64_t)i * R_HOUR, &st);
}

static inline int r_op_refresh(retain_engine *e, int i)
{
    (void)i;
    retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
    o.currency = "USD";
    o.unit = RETAIN_UNIT_DAY;
    o.tolerance = 1e-4; /* six customers: a loose fit is enough to write predictions */
    retain_model_refresh_result res = RETAIN_MODEL_REFRESH_RESULT_INIT;
    return retain_model_refresh(&res, e, R_T0 + 21 * R_DAY, &o);
}

typedef int (*r_op_fn)(retain_engine *e, int i);

typedef struct r_op {
    const char *name;
    r_op_fn fn;
    int arg;
} r_op;

/* The ingest workload: customers, orders, events, shipments, a host
 * transaction. Returns the number of operations written to ops. */
static inline int r_ingest_ops(r_op *ops)
{
    int n = 0;
    for (int i = 0; i < R_CUSTOMERS; i++)
        ops[n++] = (r_op){ "customer", r_op_customer, i };
    for (int i = 0; i < R_ORDERS; i++)
        ops[n++] = (r_op){ "order", r_op_order, i };
    for (int i = 0; i < 4; i++)
        ops[n++] = (r_op){ "event", r_op_event, i };
    for (int i = 0; i < 6; i++) {
        ops[n++] = (r_op){ "shipment", r_op_shipment, i };
        ops[n++] = (r_op){ "in_transit", r_op_shipment_status, 2 * i };
        if (i % 2 == 0)
            ops[n++] = (r_op){ "delivered", r_op_shipment_status, 2 * i + 1 };
    }
    ops[n++] = (r_op){ "host_tx", r_op_host_tx, 0 };
    ops[n++] = (r_op){ "host_tx_continue", r_op_host_tx_continue, 0 };
    return n;
}

/* ---- checks on the file --------------------------------------------------- */

/* Each query counts violations of one invariant; all must be 0. */
static const struct {
    const char *what;
    const char *sql;
} r_invariants[] = {
    { "order without its lines",
      "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM order_line l"
      " WHERE l.order_id=o.id) != 2" },
    { "order without exactly one order.placed event",
      "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM event v"
      " WHERE v.order_id=o.id AND v.name='order.placed') != 1" },
    { "order without its status history",
      "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_status s"
      " WHERE s.order_id=o.id)" },
    { "web order placed after the journey loaded but not enrolled",
      "SELECT count(*) FROM orders o WHERE o.channel='web'"
      " AND EXISTS (SELECT 1 FROM journey_def d WHERE d.loaded_at <= o.placed_at)"
      " AND NOT EXISTS (SELECT 1 FROM journey_instance i WHERE i.order_id=o.id)" },
    { "customer.orders_count differs from its orders",
      "SELECT count(*) FROM customer c WHERE c.orders_count != (SELECT count(*) FROM orders o"
      " WHERE o.customer=c.id AND o.status != 'cancelled')" },
    { "customer revenue differs from its orders",
      "SELECT count(*) FROM customer c WHERE coalesce((SELECT sum(amount) FROM customer_revenue r"
      " WHERE r.customer=c.id),0) != coalesce((SELECT sum(total) FROM orders o"
      " WHERE o.customer=c.id AND o.status NOT IN ('cancelled','refunded')),0)" },
    { "shipment without its history",
      "SELECT count(*) FROM shipment s WHERE NOT EXISTS (SELECT 1 FROM shipment_event v"
      " WHERE v.shipment=s.id)" },
    { "shipment without its label event",
      "SELECT count(*) FROM shipment s WHERE NOT EXISTS (SELECT 1 FROM event v"
      " WHERE v.shipment=s.id AND v.name='shipment.label_created')" },
    { "step history entry without its instance",
      "SELECT count(*) FROM journey_step_log l WHERE NOT EXISTS (SELECT 1 FROM journey_instance i"
      " WHERE i.id=l.instance)" },
    { "step history chain broken (head, count, or a link to another instance)",
      "SELECT count(*) FROM journey_instance i WHERE i.log_seq != (SELECT count(*) FROM"
      " journey_step_log l WHERE l.instance=i.id) OR i.log_head IS NOT (SELECT max(id) FROM"
      " journey_step_log l WHERE l.instance=i.id) OR EXISTS (SELECT 1 FROM journey_step_log l"
      " JOIN journey_step_log p ON p.id=l.prev WHERE l.instance=i.id AND (p.instance != i.id"
      " OR p.seq != l.seq - 1))" },
    { "journey outbox row without its instance step",
      "SELECT count(*) FROM outbox m WHERE m.instance IS NOT NULL AND NOT EXISTS (SELECT 1"
      " FROM journey_step_log l WHERE l.instance=m.instance AND l.step=m.step AND l.kind='send')" },
    { "queued send step without its outbox row",
      "SELECT count(*) FROM journey_step_log l WHERE l.kind='send'"
      " AND l.outcome IN ('queued','deferred') AND NOT EXISTS (SELECT 1 FROM outbox m"
      " WHERE m.instance=l.instance AND m.step=l.step)" },
    { "outbox row without its payload",
      "SELECT count(*) FROM outbox m WHERE m.state != 'skipped' AND NOT EXISTS (SELECT 1"
      " FROM outbox_payload p WHERE p.message=m.id)" },
    { "sent message without its attempt",
      "SELECT count(*) FROM outbox m WHERE m.state='sent' AND NOT EXISTS (SELECT 1"
      " FROM outbox_attempt a WHERE a.message=m.id AND a.outcome='sent')" },
    { "active instance that is never due",
      "SELECT count(*) FROM journey_instance WHERE state='active' AND due_at IS NULL" },
    { "journey instance of a journey not installed",
      "SELECT count(*) FROM journey_instance i WHERE NOT EXISTS (SELECT 1 FROM journey_def d"
      " WHERE d.name=i.journey AND d.version=i.version)" },
};

static inline int64_t r_scalar(sqlite3 *db, const char *sql, int *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        *ok = 0;
    sqlite3_finalize(st);
    return v;
}

/* The database at `path` passes integrity_check, foreign_key_check and the
 * invariants, and has either no schema or the whole current one. Failures
 * are reported with `ctx` (phase, N). Returns 1 when consistent. */
static inline int r_check_db(const char *path, const char *ctx)
{
    if (access(path, F_OK) != 0)
        return 1; /* never created: consistent */
    sqlite3 *db = NULL;
    int good = 1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        T_FAIL("%s: cannot reopen %s: %s", ctx, path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return 0;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (!res || strcmp(res, "ok") != 0) {
            T_FAIL("%s: integrity_check: %s", ctx, res ? res : "(null)");
            good = 0;
        }
    } else {
        T_FAIL("%s: integrity_check did not run: %s", ctx, sqlite3_errmsg(db));
        good = 0;
    }
    sqlite3_finalize(st);
    int ok = 1;
    int64_t version = r_scalar(db, "PRAGMA user_version", &ok);
    int64_t tables = r_scalar(db, "SELECT count(*) FROM sqlite_schema WHERE type='table'", &ok);
    if (version == 0 && tables == 0) {
        sqlite3_close(db);
        return good; /* created, nothing migrated: a later open starts over */
    }
    if (version != retain_schema_version()) {
        T_FAIL("%s: user_version %lld with %lld tables: a half-applied migration", ctx,
               (long long)version, (long long)tables);
        sqlite3_close(db);
        return 0;
    }
    int64_t fk = r_scalar(db, "SELECT count(*) FROM pragma_foreign_key_check", &ok);
    if (fk != 0) {
        T_FAIL("%s: %lld foreign key violations", ctx, (long long)fk);
        good = 0;
    }
    for (size_t i = 0; i < sizeof r_invariants / sizeof r_invariants[0]; i++) {
        int64_t bad = r_scalar(db, r_invariants[i].sql, &ok);
        if (bad != 0) {
            T_FAIL("%s: %lld x %s", ctx, (long long)bad, r_invariants[i].what);
            good = 0;
        }
    }
    if (!ok) {
        T_FAIL("%s: an invariant query failed: %s", ctx, sqlite3_errmsg(db));
        good = 0;
    }
    sqlite3_close(db);
    return good;
}

/* A text that changes when any committed data the workload makes differs:
 * counts of every table, instance states, outbox states. Row ids are left
 * out, since a rolled-back insert may leave a gap. */
static inline void r_fingerprint(const char *path, char *out, size_t size)
{
    static const char sql[] =
        "SELECT (SELECT count(*) FROM customer) || ' ' || (SELECT count(*) FROM consent)"
        " || ' ' || (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM order_line)"
        " || ' ' || (SELECT count(*) FROM order_status) || ' ' || (SELECT count(*) FROM shipment)"
        " || ' ' || (SELECT count(*) FROM shipment_event) || ' ' || (SELECT count(*) FROM event)"
        " || ' ' || (SELECT count(*) FROM journey_def) || ' ' || (SELECT count(*) FROM outbox)"
        " || ' ' || (SELECT count(*) FROM journey_step_log)"
        " || ' p' || (SELECT count(*) FROM customer WHERE p_alive IS NOT NULL)"
        " || ' i:' || coalesce((SELECT group_concat(x, ',') FROM (SELECT c.ext_id || '/'"
        "    || i.journey || '/' || i.state || '/' || coalesce(i.step, '') || '@'"
        "    || coalesce(i.due_at, '') AS x"
        "    FROM journey_instance i JOIN customer c ON c.id=i.customer"
        "    ORDER BY c.ext_id, i.entered_at, i.order_id)), '')"
        " || ' m:' || coalesce((SELECT group_concat(x, ',') FROM (SELECT substr(idem_key,1,8)"
        "    || '/' || state || '@' || due_at AS x FROM outbox ORDER BY idem_key)), '')"
        " || ' d:' || coalesce((SELECT group_concat(x, ',') FROM (SELECT DISTINCT"
        "    substr(idem_key,1,8) || '/' || stage || '/' || decision || '@' || coalesce(until, '')"
        "    AS x FROM delivery_decision ORDER BY 1)), '')";
    out[0] = '\0';
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
        else
            snprintf(out, size, "(fingerprint failed: %s)", sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

/* Long forms: meson -Dlong_tests=true, or RETAIN_LONG=1. */
static inline int r_long(void)
{
    const char *v = getenv("RETAIN_LONG");
    return v && *v && strcmp(v, "0") != 0;
}

#endif
