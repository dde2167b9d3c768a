/*
 * fuzz_json.c - JSON entering and leaving the library. Every input is
 * used as customer attributes, order attributes, event properties and a
 * message's extra payload; each is accepted or refused with RETAIN_EINVAL,
 * and a refusal leaves the engine usable. What the library then builds
 * from it (transport payloads, the access export, explain output, event
 * properties read back) must be valid JSON. The validator itself is
 * checked against SQLite's json_valid(): whatever it accepts, SQLite's
 * JSON1 (which stores and patches it) must accept too.
 */
#include "fuzz.h"
#include "core/text.h"

#include <sqlite3.h>
#include <string.h>

#define NOW 1710061200000 /* 2024-03-10T09:00Z */
#define REOPEN_AFTER 200  /* inputs */

static retain_engine *engine;
static sqlite3 *db;
static sqlite3_stmt *json_valid;
static long runs;

static const char journey[] =
    "journey: fuzz-json\n"
    "version: 1\n"
    "trigger: { event: fuzz.ev, when: 'event.props.rating != 9 or customer.attr.tier == \"gold\"' }\n"
    "steps:\n"
    "  - id: hello\n"
    "    send: { channel: email, template: t, category: transactional }\n";

static void check_json(const char *what, const char *s)
{
    FUZZ_CHECK(s != NULL, "%s is NULL", what);
    size_t off = 0;
    const char *why = NULL;
    FUZZ_CHECK(rt_json_valid(s, strlen(s), 1000, &off, &why), "%s is not JSON at %zu: %s: %s",
               what, off, why, s);
}

static int send(const retain_message *msg, retain_send_result *res, void *ud)
{
    check_json("payload_json", msg->payload_json);
    return RETAIN_SEND_SENT;
}

static void open_engine(void)
{
    engine = fuzz_engine();
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = send;
    FUZZ_CHECK(retain_transport_register(engine, &t) == RETAIN_OK, "%s", retain_errmsg(engine));
    int rc = retain_journeys_load(engine, journey, "fuzz-json.yaml", NOW, NULL, 0, NULL);
    FUZZ_CHECK(rc == RETAIN_OK, "journey: %s", retain_errmsg(engine));
    runs = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    open_engine();
    FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
    FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &json_valid, NULL) ==
                   SQLITE_OK, "prepare");
    return 0;
}

void fuzz_teardown(void)
{
    retain_engine_close(engine);
    sqlite3_finalize(json_valid);
    sqlite3_close(db);
    engine = NULL;
}

static void differential(const uint8_t *data, size_t size)
{
    size_t off;
    const char *why;
    if (!rt_json_valid((const char *)data, size, 64, &off, &why)) {
        FUZZ_CHECK(off <= size, "error offset %zu past the end (%zu)", off, size);
        FUZZ_CHECK(why && why[0], "no reason");
        return;
    }
    if (memchr(data, '\0', size))
        return;
    sqlite3_bind_text(json_valid, 1, (const char *)data, (int)size, SQLITE_STATIC);
    FUZZ_CHECK(sqlite3_step(json_valid) == SQLITE_ROW, "json_valid step");
    int ok = sqlite3_column_int(json_valid, 0);
    sqlite3_reset(json_valid);
    sqlite3_clear_bindings(json_valid);
    FUZZ_CHECK(ok, "rt_json_valid accepts what SQLite refuses: %.*s", (int)size, data);
}

static int accepted; /* calls of this input that took the JSON */

static void expect(int rc, const char *what)
{
    FUZZ_CHECK(rc == RETAIN_OK || rc == RETAIN_EINVAL, "%s: %d %s", what, rc,
               retain_errmsg(engine));
    if (rc)
        FUZZ_CHECK(retain_errmsg(engine)[0], "%s failed without a message", what);
    else
        accepted++;
}

/* Everything the library builds from what it accepted must be JSON. */
static void read_back(const char *id)
{
    int rc;
    retain_tick_stats st;
    rc = retain_engine_tick(engine, NOW + 3, &st);
    FUZZ_CHECK(rc == RETAIN_OK, "tick: %s", retain_errmsg(engine));

    retain_event_iter *it = NULL;
    FUZZ_CHECK(retain_event_iter_open(&it, engine, id) == RETAIN_OK, "%s", retain_errmsg(engine));
    const retain_event *ev;
    while ((rc = retain_event_iter_next(it, &ev)) == RETAIN_ROW)
        check_json("props_json", ev->props_json);
    FUZZ_CHECK(rc == RETAIN_DONE, "event iterator: %d", rc);
    retain_event_iter_free(it);

    char *out = NULL;
    FUZZ_CHECK(retain_customer_export(&out, engine, id) == RETAIN_OK, "export: %s",
               retain_errmsg(engine));
    check_json("export", out);
    retain_free(engine, out);
    out = NULL;
    FUZZ_CHECK(retain_customer_explain(&out, engine, id, NOW + 4) == RETAIN_OK, "explain: %s",
               retain_errmsg(engine));
    check_json("explain", out);
    retain_free(engine, out);
    out = NULL;

    FUZZ_CHECK(retain_customer_erase(engine, id, NOW + 5) == RETAIN_OK, "erase: %s",
               retain_errmsg(engine));
    FUZZ_CHECK(retain_customer_export(&out, engine, id) == RETAIN_OK, "export after erase: %s",
               retain_errmsg(engine));
    check_json("export after erase", out);
    retain_free(engine, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size > 1 << 16)
        return 0;
    differential(data, size);
    accepted = 0;
    char *json = fuzz_cstr(data, size);
    char id[32], oid[32], hid[32];
    snprintf(id, sizeof id, "fz-%ld", runs);
    snprintf(oid, sizeof oid, "fo-%ld", runs);
    snprintf(hid, sizeof hid, "fm-%ld", runs);

    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = "fuzz@example.com";
    c.attrs_json = json;
    c.at = NOW;
    int rc = retain_customer_upsert(engine, &c);
    expect(rc, "customer attrs");
    if (rc) {
        c.attrs_json = NULL;
        rc = retain_customer_upsert(engine, &c);
        FUZZ_CHECK(rc == RETAIN_OK, "customer after a refusal: %s", retain_errmsg(engine));
    }
    /* Merging the same patch twice must work too. */
    c.attrs_json = json;
    expect(retain_customer_upsert(engine, &c), "customer attrs again");

    retain_order o = RETAIN_ORDER_INIT;
    o.id = oid;
    o.customer_id = id;
    o.channel = "web";
    o.placed_at = NOW;
    o.currency = "EUR";
    o.total = 1999;
    o.attrs_json = json;
    expect(retain_order_record(engine, &o), "order attrs");

    expect(retain_event_track(engine, id, "fuzz.ev", NOW + 1, json, NULL), "event props");

    retain_message_spec m = RETAIN_MESSAGE_SPEC_INIT;
    m.host_id = hid;
    m.customer_id = id;
    m.channel = "email";
    m.category = "transactional";
    m.extra_json = json;
    expect(retain_message_queue(NULL, engine, &m, NOW + 2), "message extra");
    /* Refused everywhere: what the library builds would only see data that
     * the seeds cover already, so save the time. */
    if (accepted)
        read_back(id);
    free(json);
    if (++runs >= REOPEN_AFTER) {
        retain_engine_close(engine);
        open_engine();
    }
    return 0;
}
