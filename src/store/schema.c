/*
 * schema.c - the database schema as an ordered list of migrations.
 * PRAGMA user_version holds the number of migrations applied. Opening a
 * database whose user_version is newer than this library knows is refused
 * before anything is written.
 */
#include "store.h"
#include "pg/pg.h"
#include "core/check.h"

#include <string.h>

/* Append new migrations at the end; never edit one that has shipped. */
static const char *const migrations[] = {
    /* 1: customers, consent, orders, shipments, events. */
    "CREATE TABLE customer ("
    "  id INTEGER PRIMARY KEY,"
    "  ext_id TEXT NOT NULL UNIQUE,"
    "  email TEXT, phone TEXT, name TEXT, timezone TEXT, locale TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  orders_count INTEGER NOT NULL DEFAULT 0,"
    "  first_order_at INTEGER, last_order_at INTEGER,"
    "  p_alive REAL, clv INTEGER, clv_currency TEXT, expected_90d REAL"
    ");"
    "CREATE INDEX customer_email ON customer(email) WHERE email IS NOT NULL;"
    "CREATE INDEX customer_phone ON customer(phone) WHERE phone IS NOT NULL;"
    "CREATE TABLE customer_revenue ("
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  currency TEXT NOT NULL, amount INTEGER NOT NULL,"
    "  PRIMARY KEY (customer, currency)) WITHOUT ROWID;"
    "CREATE TABLE consent ("
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  channel TEXT NOT NULL, category TEXT NOT NULL,"
    "  granted INTEGER NOT NULL, at INTEGER NOT NULL, source TEXT,"
    "  PRIMARY KEY (customer, channel, category)) WITHOUT ROWID;"
    "CREATE TABLE orders ("
    "  id INTEGER PRIMARY KEY,"
    "  ext_id TEXT NOT NULL UNIQUE,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  channel TEXT NOT NULL, placed_at INTEGER NOT NULL,"
    "  currency TEXT NOT NULL, total INTEGER NOT NULL,"
    "  coupon TEXT, status TEXT NOT NULL, status_at INTEGER NOT NULL,"
    "  attrs TEXT NOT NULL DEFAULT '{}'"
    ");"
    "CREATE INDEX orders_customer ON orders(customer, placed_at);"
    "CREATE TABLE order_line ("
    "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
    "  line_no INTEGER NOT NULL, sku TEXT NOT NULL, title TEXT,"
    "  quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,"
    "  PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;"
    "CREATE TABLE order_status ("
    "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, status TEXT NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (order_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE shipment ("
    "  id INTEGER PRIMARY KEY,"
    "  ext_id TEXT NOT NULL UNIQUE,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
    "  carrier TEXT, tracking TEXT, tracking_url TEXT,"
    "  promised_at INTEGER, eta INTEGER, status TEXT NOT NULL,"
    "  status_at INTEGER NOT NULL, delivered_at INTEGER, exception TEXT"
    ");"
    "CREATE INDEX shipment_order ON shipment(order_id);"
    "CREATE TABLE shipment_event ("
    "  shipment INTEGER NOT NULL REFERENCES shipment(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, status TEXT NOT NULL, at INTEGER NOT NULL,"
    "  eta INTEGER, detail TEXT,"
    "  PRIMARY KEY (shipment, seq)) WITHOUT ROWID;"
    "CREATE TABLE event ("
    "  id INTEGER PRIMARY KEY,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, at INTEGER NOT NULL,"
    "  props TEXT NOT NULL DEFAULT '{}',"
    "  host_event_id TEXT,"
    "  order_id INTEGER, shipment INTEGER"
    ");"
    "CREATE INDEX event_customer ON event(customer, at);"
    "CREATE UNIQUE INDEX event_host_id ON event(host_event_id) WHERE host_event_id IS NOT NULL;",

    /* 2: journeys, their instances and step history. */
    "CREATE TABLE journey_def ("
    "  name TEXT NOT NULL, version INTEGER NOT NULL,"
    "  source TEXT NOT NULL, origin TEXT, loaded_at INTEGER NOT NULL,"
    "  active INTEGER NOT NULL,"
    "  PRIMARY KEY (name, version)) WITHOUT ROWID;"
    "CREATE TABLE journey_instance ("
    "  id INTEGER PRIMARY KEY,"
    "  journey TEXT NOT NULL, version INTEGER NOT NULL,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  order_id INTEGER, shipment INTEGER, trigger_event INTEGER,"
    "  entry_key TEXT UNIQUE,"
    "  state TEXT NOT NULL,"       /* active, done, exited */
    "  step TEXT, phase INTEGER NOT NULL DEFAULT 0, step_at INTEGER, due_at INTEGER,"
    "  wait_event TEXT, wait_deadline INTEGER, wait_matched INTEGER,"
    "  variant TEXT, entered_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  goal_at INTEGER, exit_reason TEXT"
    ");"
    "CREATE INDEX journey_instance_due ON journey_instance(due_at, id) WHERE state='active';"
    "CREATE INDEX journey_instance_customer ON journey_instance(customer, journey);"
    "CREATE INDEX journey_instance_waiting ON journey_instance(customer, wait_event)"
    "  WHERE wait_event IS NOT NULL;"
    "CREATE TABLE journey_step_log ("
    "  instance INTEGER NOT NULL REFERENCES journey_instance(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, step TEXT NOT NULL, at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT,"
    "  PRIMARY KEY (instance, seq)) WITHOUT ROWID;",

    /* 3: delivery: the outbox, transport attempts, policy decisions, receipts,
     * and the policy configuration (quiet hours, caps, marketplace profiles). */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  idem_key TEXT NOT NULL UNIQUE,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  instance INTEGER, journey TEXT, version INTEGER, step TEXT, host_id TEXT,"
    "  channel TEXT NOT NULL, category TEXT NOT NULL, template TEXT,"
    "  fallback TEXT, fallback_of INTEGER,"
    "  order_id INTEGER, shipment INTEGER,"
    "  recipient TEXT,"
    "  state TEXT NOT NULL," /* queued, sending, sent, dead, skipped, cancelled */
    "  due_at INTEGER NOT NULL, expires_at INTEGER, not_before INTEGER NOT NULL,"
    "  on_quiet INTEGER NOT NULL, on_cap INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, attempt_base INTEGER NOT NULL DEFAULT 0,"
    "  attempted_at INTEGER, sent_at INTEGER, provider_id TEXT,"
    "  last_reason TEXT, delivery TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX outbox_due ON outbox(channel, not_before, id)"
    "  WHERE state IN ('queued','sending');"
    "CREATE INDEX outbox_customer ON outbox(customer, channel, category);"
    "CREATE INDEX outbox_order ON outbox(order_id) WHERE order_id IS NOT NULL;"
    "CREATE INDEX outbox_instance ON outbox(instance) WHERE instance IS NOT NULL;"
    "CREATE INDEX outbox_provider ON outbox(channel, provider_id) WHERE provider_id IS NOT NULL;"
    /* The payload is written once and read once: kept apart, the rows that
     * every claim and result rewrites stay small. */
    "CREATE TABLE outbox_payload ("
    "  message INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,"
    "  payload TEXT NOT NULL);"
    "CREATE TABLE outbox_attempt ("
    "  message INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
    "  attempt INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL," /* sent, retry, failed, garbage */
    "  provider_id TEXT, retry_at INTEGER, reason TEXT,"
    "  PRIMARY KEY (message, attempt)) WITHOUT ROWID;"
    "CREATE TABLE delivery_decision ("
    "  id INTEGER PRIMARY KEY,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  message INTEGER REFERENCES outbox(id) ON DELETE CASCADE,"
    "  instance INTEGER, idem_key TEXT NOT NULL, step TEXT, channel TEXT,"
    "  at INTEGER NOT NULL, stage TEXT NOT NULL, decision TEXT NOT NULL,"
    "  until INTEGER, rule TEXT, reason TEXT NOT NULL"
    ");"
    "CREATE INDEX delivery_decision_message ON delivery_decision(message)"
    "  WHERE message IS NOT NULL;"
    "CREATE INDEX delivery_decision_instance ON delivery_decision(instance)"
    "  WHERE instance IS NOT NULL;"
    "CREATE INDEX delivery_decision_customer ON delivery_decision(customer, at);"
    "CREATE TABLE delivery_receipt ("
    "  message INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
    "  status TEXT NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (message, status, at)) WITHOUT ROWID;"
    "CREATE TABLE policy_quiet ("
    "  channel TEXT PRIMARY KEY, start_min INTEGER NOT NULL, end_min INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO policy_quiet VALUES ('sms', 1260, 480), ('call', 1260, 480);"
    "CREATE TABLE policy_cap ("
    "  channel TEXT NOT NULL, category TEXT NOT NULL,"
    "  max INTEGER NOT NULL, window_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (channel, category)) WITHOUT ROWID;"
    "INSERT INTO policy_cap VALUES ('email', 'marketing', 3, 604800000),"
    "  ('sms', 'all', 1, 86400000);"
    "CREATE TABLE policy_profile ("
    "  name TEXT PRIMARY KEY, source TEXT NOT NULL, origin TEXT, loaded_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE policy_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO policy_meta VALUES ('generation', 1);",

    /* 4: identity: ids merged into another customer, and the record of
     * every merge. */
    "CREATE TABLE customer_alias ("
    "  ext_id TEXT PRIMARY KEY,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX customer_alias_customer ON customer_alias(customer);"
    "CREATE TABLE customer_merge ("
    "  id INTEGER PRIMARY KEY,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  from_ext_id TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,"
    "  orders INTEGER NOT NULL, events INTEGER NOT NULL);"
    "CREATE INDEX customer_merge_customer ON customer_merge(customer, at);"
    "CREATE INDEX customer_email_lower ON customer(lower(email));",

    /* 5: agents and the tasks they work. */
    "CREATE TABLE agent ("
    "  id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE, name TEXT,"
    "  skills TEXT NOT NULL," /* ",call,chat," or "*" */
    "  timezone TEXT, work_start INTEGER NOT NULL, work_end INTEGER NOT NULL,"
    "  weekdays INTEGER NOT NULL, active INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE task ("
    "  id INTEGER PRIMARY KEY,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL, note TEXT, order_id INTEGER, instance INTEGER, source TEXT NOT NULL,"
    "  state TEXT NOT NULL," /* open, assigned, done, cancelled */
    "  agent INTEGER REFERENCES agent(id),"
    "  created_at INTEGER NOT NULL, assigned_at INTEGER, done_at INTEGER,"
    "  outcome TEXT, converted INTEGER, explored INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX task_open ON task(state, created_at, id) WHERE state IN ('open','assigned');"
    "CREATE INDEX task_agent ON task(agent, kind, state);"
    "CREATE INDEX task_customer ON task(customer, created_at);"
    "CREATE TABLE task_routing (id INTEGER PRIMARY KEY CHECK (id=1),"
    "  explore REAL NOT NULL, max_open INTEGER NOT NULL);"
    "INSERT INTO task_routing VALUES (1, 0.1, 20);",

    /* 6: post-purchase domain: shipment delays detected (once per cause),
     * carrier tracking URL templates, delivery guards on queued messages,
     * products, consumption cycles and replenishment per purchase, and the
     * item-to-item co-purchase neighbours behind recommendations. */
    "CREATE TABLE shipment_delay ("
    "  shipment INTEGER NOT NULL REFERENCES shipment(id) ON DELETE CASCADE,"
    "  cause TEXT NOT NULL," /* late, exception, eta_slip */
    "  at INTEGER NOT NULL, detected_at INTEGER NOT NULL,"
    "  PRIMARY KEY (shipment, cause)) WITHOUT ROWID;"
    "CREATE INDEX shipment_open ON shipment(promised_at) WHERE delivered_at IS NULL;"
    "CREATE TABLE carrier ("
    "  name TEXT PRIMARY KEY COLLATE NOCASE, tracking_url TEXT NOT NULL, updated_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE outbox_guard ("
    "  message INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,"
    "  shipment INTEGER NOT NULL);"
    "CREATE TABLE product ("
    "  sku TEXT PRIMARY KEY, title TEXT, price INTEGER, currency TEXT,"
    "  attrs TEXT NOT NULL DEFAULT '{}', updated_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE sku_cycle ("
    "  sku TEXT PRIMARY KEY,"
    "  configured_ms INTEGER, learned_ms INTEGER, samples INTEGER NOT NULL DEFAULT 0,"
    "  learned_at INTEGER"
    ") WITHOUT ROWID;"
    /* Orders not yet looked at by replenishment: filled by a trigger so that
     * no import path can bypass it. */
    "CREATE TABLE replenish_todo (order_id INTEGER PRIMARY KEY);"
    "INSERT INTO replenish_todo SELECT id FROM orders;"
    "CREATE TRIGGER orders_replenish AFTER INSERT ON orders"
    "  BEGIN INSERT OR IGNORE INTO replenish_todo VALUES (new.id); END;"
    "CREATE TABLE replenish ("
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  sku TEXT NOT NULL,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
    "  placed_at INTEGER NOT NULL, quantity INTEGER NOT NULL,"
    "  due_at INTEGER, runout_at INTEGER,"
    "  state TEXT NOT NULL," /* pending, fired, reordered, lapsed, void */
    "  PRIMARY KEY (order_id, sku)) WITHOUT ROWID;"
    "CREATE INDEX replenish_customer ON replenish(customer, sku, placed_at);"
    "CREATE INDEX replenish_due ON replenish(due_at) WHERE state='pending';"
    "CREATE INDEX replenish_sku ON replenish(sku) WHERE state='pending';"
    "CREATE TABLE reco_neighbor ("
    "  sku TEXT NOT NULL, rank INTEGER NOT NULL, other TEXT NOT NULL,"
    "  score REAL NOT NULL, support INTEGER NOT NULL,"
    "  PRIMARY KEY (sku, rank)) WITHOUT ROWID;"
    "CREATE TABLE reco_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
    /* Titles, prices and learning look order lines up by SKU. */
    "CREATE INDEX order_line_sku ON order_line(sku);"
    /* What steps such as recommend add to the payload of an instance's later
     * sends: one JSON object, merged as a patch. */
    "CREATE TABLE instance_payload ("
    "  instance INTEGER PRIMARY KEY REFERENCES journey_instance(id) ON DELETE CASCADE,"
    "  payload TEXT NOT NULL);",

    /* 7: an order's latest shipment (every message payload looks it up)
     * read from an index instead of sorted in a temporary b-tree; it also
     * serves every look-up by order_id that shipment_order did. */
    "CREATE INDEX shipment_order_latest ON shipment(order_id, status_at, id);"
    "DROP INDEX shipment_order;",

    /* 8: fewer outbox indexes. A message's instance and order belong to its
     * customer, so explain and the per-order marketplace count find them
     * through outbox_customer (a customer has few messages); every queued
     * message then writes two index entries fewer, each on a page of its
     * own (instance and order ids are scattered). */
    "DROP INDEX outbox_instance;"
    "DROP INDEX outbox_order;",

    /* 9: coupons (campaigns, issued codes, redemptions) and feedback answers
     * with the escalation setting. A campaign's `drawn` counts the random
     * draws made for it, so a seeded generator never repeats a draw. */
    "CREATE TABLE coupon_campaign ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL, code_length INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL, percent INTEGER, amount INTEGER, currency TEXT,"
    "  min_total INTEGER NOT NULL, min_currency TEXT,"
    "  expires_at INTEGER, valid_for_ms INTEGER NOT NULL,"
    "  max_uses INTEGER NOT NULL, per_customer INTEGER NOT NULL,"
    "  channels TEXT NOT NULL," /* ",web,pos," or "" for any */
    "  drawn INTEGER NOT NULL DEFAULT 0, defined_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE coupon ("
    "  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,"
    "  campaign INTEGER NOT NULL REFERENCES coupon_campaign(id) ON DELETE CASCADE,"
    "  customer INTEGER REFERENCES customer(id) ON DELETE CASCADE,"
    "  issued_at INTEGER NOT NULL, expires_at INTEGER,"
    "  uses INTEGER NOT NULL DEFAULT 0,"
    "  revoked_at INTEGER, revoke_reason TEXT,"
    "  instance INTEGER, step TEXT,"
    "  dropped_at INTEGER" /* the instance gave it up: it stopped working before it was sent */
    ");"
    "CREATE INDEX coupon_instance ON coupon(instance) WHERE instance IS NOT NULL;"
    "CREATE INDEX coupon_customer ON coupon(customer, campaign);"
    "CREATE TABLE coupon_redemption ("
    "  coupon INTEGER NOT NULL REFERENCES coupon(id) ON DELETE CASCADE,"
    "  order_ext TEXT NOT NULL,"
    "  customer INTEGER REFERENCES customer(id) ON DELETE CASCADE,"
    "  campaign INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (coupon, order_ext)) WITHOUT ROWID;"
    "CREATE INDEX coupon_redemption_customer ON coupon_redemption(customer, campaign);"
    /* Messages queued with a code in their payload: checked again before sending. */
    "CREATE TABLE coupon_message ("
    "  message INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,"
    "  coupon INTEGER NOT NULL REFERENCES coupon(id) ON DELETE CASCADE);"
    "CREATE INDEX coupon_message_coupon ON coupon_message(coupon);"
    "CREATE TABLE feedback ("
    "  id INTEGER PRIMARY KEY,"
    "  customer INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,"
    "  order_id INTEGER REFERENCES orders(id) ON DELETE SET NULL,"
    "  score INTEGER NOT NULL, scale_min INTEGER NOT NULL, comment TEXT,"
    "  at INTEGER NOT NULL, journey TEXT, variant TEXT,"
    "  escalated INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX feedback_at ON feedback(at);"
    "CREATE INDEX feedback_customer ON feedback(customer, at);"
    "CREATE TABLE feedback_config ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  escalate_at INTEGER NOT NULL, task_kind TEXT NOT NULL, task_note TEXT"
    ");"
    "INSERT INTO feedback_config VALUES (1, 6, 'call', 'Low feedback score: call the customer');",
    /* 10: the customer's orders index also holds the status, so that the
     * SKUs a customer owns (recommendations, src/store/reco_store.c) are
     * read without visiting an order row. */
    "DROP INDEX orders_customer;"
    "CREATE INDEX orders_customer ON orders(customer, placed_at, status);",

    /* 11: a journey's step history is a chain, newest first: each entry
     * names the one before it (prev) and the instance its newest
     * (log_head) and how many it has (log_seq). Entries are appended in
     * the order they happen, on the table's last page, where a key of
     * (instance, seq) put each on a page of its own (a tick advances
     * instances scattered across the table). Nothing indexes entries by
     * instance: history is read along the chain, and the entries of a
     * deleted customer are deleted along it (src/store/customer.c). */
    "ALTER TABLE journey_step_log RENAME TO journey_step_log_10;"
    "CREATE TABLE journey_step_log ("
    "  id INTEGER PRIMARY KEY,"
    "  instance INTEGER NOT NULL, prev INTEGER,"
    "  seq INTEGER NOT NULL, step TEXT NOT NULL, at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT"
    ");"
    "INSERT INTO journey_step_log(id,instance,prev,seq,step,at,kind,outcome,detail)"
    " SELECT n, instance, CASE WHEN before = instance THEN n - 1 END, seq, step, at, kind,"
    "  outcome, detail FROM (SELECT row_number() OVER w AS n, lag(instance) OVER w AS before, *"
    "  FROM journey_step_log_10 WINDOW w AS (ORDER BY instance, seq));"
    "DROP TABLE journey_step_log_10;"
    "ALTER TABLE journey_instance ADD COLUMN log_head INTEGER;"
    "ALTER TABLE journey_instance ADD COLUMN log_seq INTEGER NOT NULL DEFAULT 0;"
    "UPDATE journey_instance SET log_head=h.id, log_seq=h.seq"
    " FROM (SELECT instance, max(id) AS id, max(seq) AS seq FROM journey_step_log"
    "       GROUP BY instance) AS h WHERE h.instance=journey_instance.id;",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int retain_schema_version(void)
{
    return N_MIGRATIONS;
}

static int user_version(retain_engine *e, int *v)
{
    rt_st *st;
    int rc = rt_prepare(e, "PRAGMA user_version", &st, "reading the schema version");
    if (rc)
        return rc;
    rc = rt_sqlstep(st);
    *v = rc == SQLITE_ROW ? rt_column_int(st, 0) : 0;
    rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
    rt_finalize(e, st);
    return rc == SQLITE_OK ? RETAIN_OK : rt_sqlerr(e, rc, "reading the schema version");
}

static int migrate(retain_engine *e)
{
    int v, rc = user_version(e, &v);
    if (rc)
        return rc;
    if (v > N_MIGRATIONS)
        return rt_error(e, RETAIN_EUNSUPPORTED,
                        "database schema version %d is newer than this libretain %s "
                        "understands (%d); upgrade libretain to open it",
                        v, RETAIN_VERSION_STRING, N_MIGRATIONS);
    if (v == N_MIGRATIONS)
        return RETAIN_OK;
    if (e->cfg.flags & RETAIN_OPEN_READONLY)
        return rt_error(e, RETAIN_EUNSUPPORTED,
                        "database schema version %d needs migrating to %d, "
                        "which a read-only engine cannot do", v, N_MIGRATIONS);
    rc = sqlite3_exec(e->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rt_sqlerr(e, rc, "starting the schema migration");
    /* Re-read inside the lock: another process may have migrated meanwhile. */
    rc = user_version(e, &v);
    for (; rc == RETAIN_OK && v < N_MIGRATIONS; v++) {
        int src = sqlite3_exec(e->db, migrations[v], NULL, NULL, NULL);
        if (src != SQLITE_OK)
            rc = rt_sqlerr(e, src, "applying a schema migration");
    }
    if (rc == RETAIN_OK) {
        char pragma[64];
        rt_format(pragma, sizeof pragma, "PRAGMA user_version=%d", N_MIGRATIONS);
        int src = sqlite3_exec(e->db, pragma, NULL, NULL, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_exec(e->db, "COMMIT", NULL, NULL, NULL);
        if (src != SQLITE_OK)
            rc = rt_sqlerr(e, src, "committing the schema migration");
    }
    if (rc != RETAIN_OK)
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void claim_all(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int(c, 1);
}

int rt_store_open(retain_engine *e, const char *path)
{
    if (rt_pg_is_uri(path))
        return rt_pg_open(e, path);
    bool memory = strcmp(path, ":memory:") == 0;
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    flags |= (e->cfg.flags & RETAIN_OPEN_READONLY) ? SQLITE_OPEN_READONLY
                                                   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &e->db, flags, e->cfg.vfs);
    if (rc != SQLITE_OK) {
        char doing[600];
        rt_format(doing, sizeof doing, "cannot open database \"%.500s\"", path);
        int code = rt_sqlerr(e, rc, doing);
        if (code == RETAIN_EINTERNAL) /* whatever else keeps a file from opening */
            e->errcode = code = RETAIN_EIO;
        return code;
    }
    sqlite3_busy_timeout(e->db, e->cfg.busy_timeout_ms);
    sqlite3_extended_result_codes(e->db, 1);
    /* Savepoint and statement journals in memory: one public call inside a
     * host transaction is a savepoint, and a temporary file per call would
     * cost a write system call for every page it touches. */
    char pragmas[200];
    rt_format(pragmas, sizeof pragmas,
              "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%d;"
              " PRAGMA mmap_size=%lld",
              e->cfg.cache_kib, (long long)e->cfg.mmap_mib << 20);
    rc = sqlite3_exec(e->db, pragmas, NULL, NULL, NULL);
    if (rc == SQLITE_OK && !memory && !(e->cfg.flags & RETAIN_OPEN_READONLY)) {
        /* WAL lets readers and one writer proceed together across engines.
         * Switching a new file to WAL while another process does the same
         * can fail with SQLITE_BUSY without SQLite's busy handler being
         * asked (it would deadlock), so wait here, within the timeout. */
        for (int waited = 0;; waited += 10) {
            sqlite3_stmt *st = NULL;
            rc = sqlite3_prepare_v2(e->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
            if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
            }
            sqlite3_finalize(st);
            if ((rc & 0xFF) != SQLITE_BUSY || waited >= e->cfg.busy_timeout_ms)
                break;
            sqlite3_sleep(10);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(e->db, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=16384", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK)
        return rt_sqlerr(e, rc, "configuring the database");
    /* rt_claim(customer) chooses the rows a worker claims (store.h): on
     * SQLite, where a writer is alone, every row. */
    rc = sqlite3_create_function(e->db, "rt_claim", 1,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                 claim_all, NULL, NULL);
    if (rc != SQLITE_OK)
        return rt_sqlerr(e, rc, "configuring the database");
    /* Reject files that are not SQLite databases before migrating. */
    rc = sqlite3_exec(e->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rt_sqlerr(e, rc, "reading the database");
    if ((rc = migrate(e)))
        return rc;
    return rt_tx_prepare(e);
}

int retain_engine_counts(retain_engine *e, retain_counts *out)
{
    static const char sql[] =
        "SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM orders),"
        " (SELECT count(*) FROM order_line), (SELECT count(*) FROM shipment),"
        " (SELECT count(*) FROM event)";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    memset(out, 0, sizeof *out);
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        out->customers = rt_column_int64(st, 0);
        out->orders = rt_column_int64(st, 1);
        out->order_lines = rt_column_int64(st, 2);
        out->shipments = rt_column_int64(st, 3);
        out->events = rt_column_int64(st, 4);
        rc = RETAIN_OK;
    } else {
        rc = rt_sqlerr(e, src, "counting objects");
    }
    rt_reset(st);
    return rc;
}
