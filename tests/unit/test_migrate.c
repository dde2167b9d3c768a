/*
 * test_migrate.c - a database written by an older libretain (schema 5,
 * tests/data/schema5.sql) opens, migrates to the current schema, and its
 * data still works: the index changes of migrations 7 and 8 are in place
 * and the queued message is delivered with the payload built back then;
 * step histories written under the key (instance, seq) become the chains
 * of migration 11, and go with their customer.
 */
#include "harness.h"
#include "util.h"

#include <retain/transport.h>
#include <sqlite3.h>

#define T0 1705320000000LL

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static int int_query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int sent;
static char payload[4096];

static int keep_send(const retain_message *m, retain_send_result *r, void *ud)
{
    (void)r;
    (void)ud;
    sent++;
    snprintf(payload, sizeof payload, "%s", m->payload_json);
    return RETAIN_SEND_SENT;
}

int main(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "migrate");
    char *dump = slurp(t_data("schema5.sql"));
    CHECK(dump != NULL);
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, dump ? dump : "", NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(int_query(db, "PRAGMA user_version"), 5);
    /* Two finished instances of ann's, their entries written out of order. */
    static const char history[] =
        "INSERT INTO journey_instance(id,journey,version,customer,state,step,entered_at,"
        " updated_at) VALUES (7,'welcome',1,1,'done',NULL,1,1), (9,'winback',2,1,'done',NULL,1,1);"
        "INSERT INTO journey_step_log VALUES (9,1,'a',10,'send','queued',NULL),"
        " (7,2,'wait',20,'wait','done',NULL), (7,1,'hello',10,'send','queued','{\"x\":1}'),"
        " (9,2,'b',30,'exit','done',NULL), (7,3,'bye',30,'send','queued',NULL);";
    CHECK_INT(sqlite3_exec(db, history, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    free(dump);

    retain_engine *e = NULL;
    CHECK_INT(retain_engine_open(&e, path, NULL), RETAIN_OK);
    if (!e)
        return t_report("migrate");
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = keep_send;
    CHECK_OK(e, retain_transport_register(e, &t));
    retain_delivery_stats st;
    CHECK_OK(e, retain_outbox_deliver(&st, e, T0));
    CHECK_INT(st.sent, 1);
    CHECK_INT(sent, 1);
    CHECK(strstr(payload, "\"shipment\":{\"id\":\"s1\"") != NULL);
    /* A new message for the order finds its latest shipment through the
     * index migration 7 created. */
    retain_message_spec m = RETAIN_MESSAGE_SPEC_INIT;
    m.host_id = "m2";
    m.customer_id = "ann";
    m.channel = "email";
    m.category = "transactional";
    m.template_id = "order-update";
    m.order_id = "o1";
    retain_queue_result q;
    CHECK_OK(e, retain_message_queue(&q, e, &m, T0 + 1000));
    CHECK_INT(q.decision, RETAIN_GATE_QUEUED);
    CHECK_OK(e, retain_outbox_deliver(&st, e, T0 + 1000));
    CHECK_INT(sent, 2);
    CHECK(strstr(payload, "\"shipment\":{\"id\":\"s1\"") != NULL);
    char *json = NULL;
    CHECK_OK(e, retain_customer_explain(&json, e, "ann", T0 + 2000));
    CHECK(json != NULL);
    retain_free(e, json);
    retain_engine_close(e);

    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(int_query(db, "PRAGMA user_version"), retain_schema_version());
    CHECK_INT(int_query(db, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND"
                            " name='shipment_order_latest'"), 1);
    CHECK_INT(int_query(db, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND name IN"
                            " ('shipment_order','outbox_instance','outbox_order')"), 0);
    CHECK_INT(int_query(db, "SELECT count(*) FROM outbox WHERE state='sent'"), 2);
    /* Each instance names its newest entry and its count; each entry the
     * one before it, down to the first. */
    static const char chain[] =
        "WITH RECURSIVE c(id, n) AS (SELECT log_head, 0 FROM journey_instance WHERE id=%d"
        " UNION ALL SELECT l.prev, n + 1 FROM journey_step_log l JOIN c ON l.id=c.id"
        " WHERE l.prev IS NOT NULL) SELECT sum(l.seq * (n = %d - l.seq) * (l.instance = %d))"
        " = %d AND count(*) = %d FROM c JOIN journey_step_log l ON l.id=c.id";
    char cq[600];
    snprintf(cq, sizeof cq, chain, 7, 3, 7, 6, 3);
    CHECK_INT(int_query(db, cq), 1);
    snprintf(cq, sizeof cq, chain, 9, 2, 9, 3, 2);
    CHECK_INT(int_query(db, cq), 1);
    CHECK_INT(int_query(db, "SELECT log_seq FROM journey_instance WHERE id=7"), 3);
    CHECK_INT(int_query(db, "SELECT log_seq FROM journey_instance WHERE id=9"), 2);
    sqlite3_close(db);

    /* The migrated history reads back in order, and is erased and deleted
     * with its customer. */
    CHECK_INT(retain_engine_open(&e, path, NULL), RETAIN_OK);
    if (!e)
        return t_report("migrate");
    json = NULL;
    CHECK_OK(e, retain_customer_explain(&json, e, "ann", T0 + 3000));
    const char *h = json ? strstr(json, "\"step\":\"hello\"") : NULL;
    CHECK(h != NULL && strstr(h, "\"step\":\"wait\"") != NULL &&
          strstr(strstr(h, "\"step\":\"wait\""), "\"step\":\"bye\"") != NULL);
    retain_free(e, json);
    CHECK_OK(e, retain_customer_erase(e, "ann", T0 + 4000));
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(int_query(db, "SELECT count(*) FROM journey_step_log WHERE detail IS NULL"), 5);
    sqlite3_close(db);
    CHECK_OK(e, retain_customer_delete(e, "ann"));
    retain_engine_close(e);
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(int_query(db, "SELECT count(*) FROM journey_step_log"), 0);
    CHECK_INT(int_query(db, "SELECT count(*) FROM journey_instance"), 0);
    sqlite3_close(db);
    t_rmdb(path);
    return t_report("migrate");
}
