/* test_engine.c - opening, options, errors, versions, schema, transactions. */
#include "harness.h"
#include "util.h"

#include <sqlite3.h>

static int counting_mallocs;
static void *cm(void *ctx, size_t n) { (void)ctx; counting_mallocs++; return malloc(n); }
static void *cr(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n); }
static void cf(void *ctx, void *p) { (void)ctx; free(p); }

static void test_open_args(void)
{
    retain_engine *e = (retain_engine *)1;
    char err[256];
    CHECK_INT(retain_engine_open(NULL, ":memory:", NULL), RETAIN_EINVAL);
    CHECK_INT(retain_engine_open_ex(&e, NULL, NULL, err, sizeof err), RETAIN_EINVAL);
    CHECK(e == NULL);
    CHECK(strstr(err, "path is NULL") != NULL);
    CHECK_INT(retain_engine_open_ex(&e, "", NULL, err, sizeof err), RETAIN_EINVAL);
    CHECK(strstr(err, "empty") != NULL);

    retain_options o = RETAIN_OPTIONS_INIT;
    o.version = 0;
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(strstr(err, "RETAIN_OPTIONS_INIT") != NULL);
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.busy_timeout_ms = -1;
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(strstr(err, "busy_timeout_ms") != NULL);
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.allocator.malloc = cm; /* partial allocator */
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.default_timezone = "Mars/Olympus_Mons";
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(strstr(err, "default_timezone") != NULL);
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.vfs = "no-such-vfs";
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(e == NULL);
    CHECK(strstr(err, "options.vfs") != NULL && strstr(err, "no-such-vfs") != NULL);
    o.version = 2; /* a caller built before options.vfs existed: not read */
    CHECK_OK(NULL, retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err));
    retain_engine_close(e);
    e = NULL;
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.mmap_mib = -1;
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(e == NULL);
    CHECK(strstr(err, "options.mmap_mib is -1") != NULL);
    o.mmap_mib = 1048577;
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(strstr(err, "0 to 1048576") != NULL);
    o.version = 3; /* a caller built before options.mmap_mib existed: not read */
    CHECK_OK(NULL, retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err));
    retain_engine_close(e);
    e = NULL;
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.vfs = "unix"; /* SQLite's default VFS, by name */
    CHECK_OK(NULL, retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err));
    retain_engine_close(e);
    e = NULL;
    CHECK_INT(retain_engine_open_ex(&e, "/nonexistent-dir/x/y.db", NULL, err, sizeof err),
              RETAIN_EIO);
    CHECK(strstr(err, "cannot open") != NULL);
    retain_engine_close(NULL); /* harmless */
}

static void test_allocator(void)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.allocator.malloc = cm;
    o.allocator.realloc = cr;
    o.allocator.free = cf;
    retain_engine *e;
    counting_mallocs = 0;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", &o));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "c1";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_customer *got;
    CHECK_OK(e, retain_customer_get(&got, e, "c1"));
    retain_customer_free(got);
    CHECK(counting_mallocs > 0);
    retain_engine_close(e);
}

static void test_errstr_version(void)
{
    static const struct { int code; const char *name; } table[] = {
        { RETAIN_OK, "ok" }, { RETAIN_EINVAL, "invalid argument" },
        { RETAIN_ENOTFOUND, "not found" }, { RETAIN_ECONFLICT, "conflict" },
        { RETAIN_ECONSTRAINT, "constraint violated" }, { RETAIN_ENOMEM, "out of memory" },
        { RETAIN_EIO, "I/O error" }, { RETAIN_EBUSY, "database busy" },
        { RETAIN_EPARSE, "parse error" }, { RETAIN_ELIMIT, "limit exceeded" },
        { RETAIN_EUNSUPPORTED, "unsupported" }, { RETAIN_EINTERNAL, "internal error" },
        { RETAIN_EUSER, "stopped by callback" }, { RETAIN_EMISUSE, "API misuse" },
        { RETAIN_EFULL, "disk full" },
        { RETAIN_ROW, "row" }, { RETAIN_DONE, "done" }, { -9999, "unknown status code" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        CHECK_STR(retain_errstr(table[i].code), table[i].name);
    CHECK_STR(retain_version(), RETAIN_VERSION_STRING);
    CHECK_INT(retain_version_number(), RETAIN_VERSION_NUMBER);
    CHECK_INT(RETAIN_VERSION_NUMBER, 100);
    CHECK(retain_schema_version() >= 1);
    CHECK_STR(retain_errmsg(NULL), "no engine (NULL)");
    CHECK_INT(retain_errcode(NULL), RETAIN_EINVAL);
    CHECK_INT(retain_currency_digits("USD"), 2);
    CHECK_INT(retain_currency_digits("JPY"), 0);
    CHECK_INT(retain_currency_digits("KWD"), 3);
    CHECK_INT(retain_currency_digits("XXX"), -1);
    CHECK_INT(retain_currency_digits(NULL), -1);
}

static void test_newer_schema_refused(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "newer");
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    retain_engine_close(e);
    char err[256];
    if (t_backend_pg()) {
        CHECK_INT(t_backend_sql(path, "UPDATE retain_schema SET version=999"), 0);
        CHECK_INT(retain_engine_open_ex(&e, path, NULL, err, sizeof err), RETAIN_EUNSUPPORTED);
        CHECK(strstr(err, "newer") != NULL);
        /* Untouched: opening again says the same. */
        CHECK_INT(retain_engine_open_ex(&e, path, NULL, err, sizeof err), RETAIN_EUNSUPPORTED);
        t_rmdb(path);
        return;
    }
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "PRAGMA user_version=999", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    CHECK_INT(retain_engine_open_ex(&e, path, NULL, err, sizeof err), RETAIN_EUNSUPPORTED);
    CHECK(strstr(err, "newer") != NULL);
    /* Untouched: the version is still 999. */
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), 999);
    sqlite3_finalize(st);
    sqlite3_close(db);
    t_rmdb(path);

    /* A file that is not a database. */
    t_tmpdb(path, sizeof path, "notadb");
    FILE *f = fopen(path, "wb");
    fputs("this is not a database, it is a text file that is long enough", f);
    fclose(f);
    CHECK_INT(retain_engine_open_ex(&e, path, NULL, err, sizeof err), RETAIN_EIO);
    t_rmdb(path);
}

static void test_wal_and_persistence(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "wal");
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "persist";
    c.email = "A@Example.COM";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_engine_close(e);
    if (!t_backend_pg()) { /* a file database is in WAL mode */
        sqlite3 *db;
        sqlite3_open(path, &db);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
        CHECK_INT(sqlite3_step(st), SQLITE_ROW);
        CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    retain_customer *got = NULL;
    CHECK_OK(e, retain_customer_get(&got, e, "persist"));
    CHECK_STR(got ? got->email : NULL, "A@example.com");
    retain_customer_free(got);
    retain_engine_close(e);

    /* Read-only engines refuse writes with EMISUSE and still read. */
    retain_options o = RETAIN_OPTIONS_INIT;
    o.flags = RETAIN_OPEN_READONLY;
    CHECK_OK(NULL, retain_engine_open(&e, path, &o));
    CHECK_RC(e, retain_customer_upsert(e, &c), RETAIN_EMISUSE);
    CHECK_OK(e, retain_customer_get(&got, e, "persist"));
    retain_customer_free(got);
    retain_engine_close(e);

    /* Reading through a memory map sees the same data, and writes made
     * meanwhile by an engine without one. */
    o = (retain_options)RETAIN_OPTIONS_INIT;
    o.mmap_mib = 16;
    retain_engine *plain;
    CHECK_OK(NULL, retain_engine_open(&e, path, &o));
    CHECK_OK(NULL, retain_engine_open(&plain, path, NULL));
    got = NULL;
    CHECK_OK(e, retain_customer_get(&got, e, "persist"));
    CHECK_STR(got ? got->email : NULL, "A@example.com");
    retain_customer_free(got);
    c.id = "mapped";
    c.email = "m@example.com";
    CHECK_OK(plain, retain_customer_upsert(plain, &c));
    got = NULL;
    CHECK_OK(e, retain_customer_get(&got, e, "mapped"));
    CHECK_STR(got ? got->email : NULL, "m@example.com");
    retain_customer_free(got);
    c.id = "written-mapped";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    got = NULL;
    CHECK_OK(plain, retain_customer_get(&got, plain, "written-mapped"));
    CHECK(got != NULL);
    retain_customer_free(got);
    retain_engine_close(plain);
    retain_engine_close(e);
    t_rmdb(path);
}

/* A web order of 1.00 USD without lines. */
static retain_order web_order(const char *id, const char *customer)
{
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = customer;
    o.channel = "web";
    o.currency = "USD";
    o.total = 100;
    return o;
}

static void test_transactions(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    CHECK_RC(e, retain_commit(e), RETAIN_EMISUSE);
    CHECK_RC(e, retain_rollback(e), RETAIN_EMISUSE);
    CHECK_INT(retain_begin(NULL), RETAIN_EINVAL);
    CHECK_OK(e, retain_begin(e));
    CHECK_RC(e, retain_begin(e), RETAIN_EMISUSE);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "t1";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    /* A failing call inside the group undoes only itself. */
    retain_order o = web_order("o1", "t1");
    CHECK_OK(e, retain_order_record(e, &o));
    o.id = "o2";
    o.customer_id = "nobody";
    CHECK_RC(e, retain_order_record(e, &o), RETAIN_ENOTFOUND);
    CHECK(strstr(retain_errmsg(e), "nobody") != NULL);
    CHECK_INT(retain_errcode(e), RETAIN_ENOTFOUND);
    CHECK_OK(e, retain_commit(e));
    CHECK_STR(retain_errmsg(e), "");
    retain_counts n;
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 1);
    CHECK_INT(n.orders, 1);
    /* Rollback undoes the whole group. */
    CHECK_OK(e, retain_begin(e));
    c.id = "t2";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_rollback(e));
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 1);
    CHECK_RC(e, retain_engine_counts(e, NULL), RETAIN_EINVAL);
    retain_engine_close(e);

    /* Closing with an open group rolls it back. */
    char path[512];
    t_tmpdb(path, sizeof path, "closetx");
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    CHECK_OK(e, retain_begin(e));
    c.id = "lost";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_engine_close(e);
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 0);
    retain_engine_close(e);
    t_rmdb(path);
}

static void test_two_engines_one_file(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "two");
    retain_engine *a, *b;
    CHECK_OK(NULL, retain_engine_open(&a, path, NULL));
    retain_options o = RETAIN_OPTIONS_INIT;
    o.busy_timeout_ms = 50;
    CHECK_OK(NULL, retain_engine_open(&b, path, &o));
    CHECK_OK(a, retain_begin(a));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "x";
    CHECK_OK(a, retain_customer_upsert(a, &c));
    c.id = "y";
    CHECK_RC(b, retain_customer_upsert(b, &c), RETAIN_EBUSY);
    CHECK_OK(a, retain_commit(a));
    CHECK_OK(b, retain_customer_upsert(b, &c));
    retain_counts n;
    CHECK_OK(a, retain_engine_counts(a, &n));
    CHECK_INT(n.customers, 2);
    retain_engine_close(a);
    retain_engine_close(b);
    t_rmdb(path);
}

/* PostgreSQL only: inside a host transaction a call's SAVEPOINT travels
 * with its first statement (one round trip); when that statement fails on
 * the server (here: a table another session has locked, past the lock
 * timeout) the call alone is undone and the group goes on. */
static void test_call_fails_in_group(void)
{
    if (!t_backend_pg())
        return;
    char path[512];
    t_tmpdb(path, sizeof path, "callfail");
    retain_options o = RETAIN_OPTIONS_INIT;
    o.busy_timeout_ms = 200;
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, &o));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    CHECK_OK(e, retain_begin(e));
    /* The group's first call fails at its first statement, which went in
     * one pipeline with the call's SAVEPOINT. */
    CHECK_INT(t_backend_sql(path, "BEGIN; LOCK TABLE customer IN ACCESS EXCLUSIVE MODE"), 0);
    c.id = "blocked";
    CHECK_RC(e, retain_customer_upsert(e, &c), RETAIN_EBUSY);
    CHECK_INT(t_backend_sql(path, "COMMIT"), 0);
    c.id = "kept";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_INT(t_backend_sql(path, "BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"), 0);
    retain_order ord = web_order("o-blocked", "kept");
    CHECK_RC(e, retain_order_record(e, &ord), RETAIN_EBUSY);
    CHECK_INT(t_backend_sql(path, "COMMIT"), 0);
    c.id = "kept-2";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    ord.id = "o-after";
    CHECK_OK(e, retain_order_record(e, &ord));
    CHECK_OK(e, retain_commit(e));
    retain_counts n;
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 2);
    CHECK_INT(n.orders, 1);
    /* A group of calls that read only, and one that is empty. */
    CHECK_OK(e, retain_begin(e));
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_OK(e, retain_commit(e));
    CHECK_OK(e, retain_begin(e));
    CHECK_OK(e, retain_rollback(e));
    retain_engine_close(e);
    t_rmdb(path);
}

/* PostgreSQL only: the server ends the engine's session (a restart, a
 * failover, an administrator). The call fails with RETAIN_EIO and leaves
 * nothing half-written; the next call reconnects; a host transaction that
 * was open is reported lost. */
static void test_connection_lost(void)
{
    if (!t_backend_pg())
        return;
    char path[512];
    t_tmpdb(path, sizeof path, "lost");
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "before";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    static const char kill_others[] =
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'";
    CHECK_INT(t_backend_sql(path, kill_others), 0);
    c.id = "during";
    CHECK_RC(e, retain_customer_upsert(e, &c), RETAIN_EIO);
    CHECK(strstr(retain_errmsg(e), "reconnects") != NULL);
    c.id = "after";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_customer *got = NULL;
    CHECK_RC(e, retain_customer_get(&got, e, "during"), RETAIN_ENOTFOUND);
    CHECK_OK(e, retain_customer_get(&got, e, "before"));
    retain_customer_free(got);

    /* Lost inside retain_begin(): the group is gone, and the engine says so
     * until the host rolls back. */
    CHECK_OK(e, retain_begin(e));
    c.id = "in-group";
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_INT(t_backend_sql(path, kill_others), 0);
    c.id = "in-group-2";
    CHECK_RC(e, retain_customer_upsert(e, &c), RETAIN_EIO);
    CHECK(retain_commit(e) != RETAIN_OK);
    retain_rollback(e);
    CHECK_RC(e, retain_customer_get(&got, e, "in-group"), RETAIN_ENOTFOUND);
    retain_counts n;
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 2);
    retain_engine_close(e);

    /* No server at all: a clear error, no engine. */
    char err[512];
    CHECK_INT((retain_engine_open_ex)(&e, "host=/nonexistent-retain-dir dbname=x", NULL, err,
                                      sizeof err), RETAIN_EIO);
    CHECK(strstr(err, "cannot connect to PostgreSQL") != NULL);
    t_rmdb(path);
}

int main(void)
{
    test_open_args();
    test_allocator();
    test_errstr_version();
    test_newer_schema_refused();
    test_wal_and_persistence();
    test_transactions();
    test_two_engines_one_file();
    test_call_fails_in_group();
    test_connection_lost();
    return t_report("engine");
}
