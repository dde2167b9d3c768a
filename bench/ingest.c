/*
 * ingest.c - orders per second through the public API against the same rows
 * written with hand-prepared SQLite statements into an equivalent bare
 * schema, in the same run, on file databases (WAL, synchronous=NORMAL).
 *
 *   bench_ingest [N orders, default 100000]
 */
#include "bench.h"

#include <retain.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 1000
#define LINES 3

static void rm_db(const char *p)
{
    char s[600];
    unlink(p);
    snprintf(s, sizeof s, "%s-wal", p);
    unlink(s);
    snprintf(s, sizeof s, "%s-shm", p);
    unlink(s);
}

static int customers_for(long n) { return (int)(n / 4 > 0 ? n / 4 : 1); }

static double run_retain(const char *path, long n)
{
    retain_engine *e;
    if (retain_engine_open(&e, path, NULL) != RETAIN_OK)
        return -1;
    int nc = customers_for(n);
    char id[32], oid[32];
    retain_begin(e);
    for (int i = 0; i < nc; i++) {
        snprintf(id, sizeof id, "c%d", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        retain_customer_upsert(e, &c);
    }
    retain_commit(e);
    retain_order_line lines[LINES] = {
        { "SKU-A", "Green tea", 2, 450 }, { "SKU-B", "Mug", 1, 1200 }, { "SKU-C", "Honey", 3, 700 },
    };
    double t0 = bench_now();
    int rc = RETAIN_OK;
    for (long i = 0; i < n && rc == RETAIN_OK; i++) {
        if (i % BATCH == 0)
            rc = retain_begin(e);
        snprintf(id, sizeof id, "c%ld", i % nc);
        snprintf(oid, sizeof oid, "o%ld", i);
        retain_order o = RETAIN_ORDER_INIT;
        o.id = oid;
        o.customer_id = id;
        o.channel = "web";
        o.placed_at = 1700000000000LL + i * 60000;
        o.currency = "USD";
        o.total = 5200;
        o.lines = lines;
        o.lines_count = LINES;
        if (rc == RETAIN_OK)
            rc = retain_order_record(e, &o);
        if (rc == RETAIN_OK && (i % BATCH == BATCH - 1 || i == n - 1))
            rc = retain_commit(e);
    }
    double dt = bench_now() - t0;
    if (rc != RETAIN_OK) {
        fprintf(stderr, "bench_ingest: %s\n", retain_errmsg(e));
        dt = -1;
    }
    retain_engine_close(e);
    return dt;
}

static double run_bare(const char *path, long n)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                 "CREATE TABLE customer(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE);"
                 "CREATE TABLE orders(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE,"
                 " customer INTEGER NOT NULL REFERENCES customer(id), channel TEXT NOT NULL,"
                 " placed_at INTEGER NOT NULL, currency TEXT NOT NULL, total INTEGER NOT NULL);"
                 "CREATE INDEX orders_customer ON orders(customer, placed_at);"
                 "CREATE TABLE order_line(order_id INTEGER NOT NULL REFERENCES orders(id),"
                 " line_no INTEGER NOT NULL, sku TEXT NOT NULL, title TEXT,"
                 " quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,"
                 " PRIMARY KEY(order_id, line_no)) WITHOUT ROWID;",
                 NULL, NULL, NULL);
    int nc = customers_for(n);
    char id[32], oid[32];
    sqlite3_stmt *ic, *find, *io, *il;
    sqlite3_prepare_v2(db, "INSERT INTO customer(ext_id) VALUES(?)", -1, &ic, NULL);
    sqlite3_prepare_v2(db, "SELECT id FROM customer WHERE ext_id=?", -1, &find, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO orders(ext_id,customer,channel,placed_at,currency,total)"
                       " VALUES(?,?,?,?,?,?)", -1, &io, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO order_line VALUES(?,?,?,?,?,?)", -1, &il, NULL);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < nc; i++) {
        snprintf(id, sizeof id, "c%d", i);
        sqlite3_bind_text(ic, 1, id, -1, SQLITE_STATIC);
        sqlite3_step(ic);
        sqlite3_reset(ic);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    static const char *skus[LINES] = { "SKU-A", "SKU-B", "SKU-C" };
    static const char *titles[LINES] = { "Green tea", "Mug", "Honey" };
    static const int qty[LINES] = { 2, 1, 3 }, price[LINES] = { 450, 1200, 700 };
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        if (i % BATCH == 0)
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        snprintf(id, sizeof id, "c%ld", i % nc);
        snprintf(oid, sizeof oid, "o%ld", i);
        sqlite3_bind_text(find, 1, id, -1, SQLITE_STATIC);
        sqlite3_step(find);
        sqlite3_int64 cust = sqlite3_column_int64(find, 0);
        sqlite3_reset(find);
        sqlite3_bind_text(io, 1, oid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(io, 2, cust);
        sqlite3_bind_text(io, 3, "web", -1, SQLITE_STATIC);
        sqlite3_bind_int64(io, 4, 1700000000000LL + i * 60000);
        sqlite3_bind_text(io, 5, "USD", -1, SQLITE_STATIC);
        sqlite3_bind_int64(io, 6, 5200);
        sqlite3_step(io);
        sqlite3_reset(io);
        sqlite3_int64 okey = sqlite3_last_insert_rowid(db);
        for (int k = 0; k < LINES; k++) {
            sqlite3_bind_int64(il, 1, okey);
            sqlite3_bind_int(il, 2, k + 1);
            sqlite3_bind_text(il, 3, skus[k], -1, SQLITE_STATIC);
            sqlite3_bind_text(il, 4, titles[k], -1, SQLITE_STATIC);
            sqlite3_bind_int(il, 5, qty[k]);
            sqlite3_bind_int(il, 6, price[k]);
            sqlite3_step(il);
            sqlite3_reset(il);
        }
        if (i % BATCH == BATCH - 1 || i == n - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double dt = bench_now() - t0;
    sqlite3_finalize(ic);
    sqlite3_finalize(find);
    sqlite3_finalize(io);
    sqlite3_finalize(il);
    sqlite3_close(db);
    return dt;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    char a[256], b[256];
    snprintf(a, sizeof a, "/tmp/bench-ingest-retain-%ld.db", (long)getpid());
    snprintf(b, sizeof b, "/tmp/bench-ingest-bare-%ld.db", (long)getpid());
    rm_db(a);
    rm_db(b);
    /* Alternate the two, twice each, and keep each side's best time: the
     * machine is noisy, and neither side gets the quiet moments alone. */
    double bare = 1e30, lib = 1e30;
    for (int round = 0; round < 2; round++) {
        double tb = run_bare(b, n);
        rm_db(b);
        double tl = run_retain(a, n);
        rm_db(a);
        if (tb <= 0 || tl <= 0) {
            printf("{\"benchmark\":\"ingest\",\"error\":\"run failed\"}\n");
            return 1;
        }
        bare = tb < bare ? tb : bare;
        lib = tl < lib ? tl : lib;
    }
    double lib_rate = n / lib, bare_rate = n / bare;
    printf("{\"benchmark\":\"ingest\",\"orders\":%ld,\"lines_per_order\":%d,\"batch\":%d,"
           "\"retain_orders_per_s\":%.0f,\"bare_sqlite_orders_per_s\":%.0f,\"ratio\":%.3f,"
           "\"floor\":0.3,\"peak_rss_mib\":%.1f}\n",
           n, LINES, BATCH, lib_rate, bare_rate, lib_rate / bare_rate, bench_peak_rss_mib());
    return 0;
}
