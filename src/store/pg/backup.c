/*
 * backup.c - retain_engine_backup() of a PostgreSQL store: an SQLite file.
 *
 * The two schemas match table for table and column for column (schema.c),
 * so the copy is generic: a new SQLite database at the current version,
 * then every one of its tables filled from the same table on the server,
 * read in one REPEATABLE READ snapshot and streamed a row at a time. The
 * result opens with retain_engine_open like any SQLite store (and can be
 * loaded back with the SQL tools of either side).
 */
#include "pg_impl.h"
#include "core/engine.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bind_value(sqlite3_stmt *ins, int col, const PGresult *res)
{
    if (PQgetisnull(res, 0, col)) {
        sqlite3_bind_null(ins, col + 1);
        return;
    }
    const char *v = PQgetvalue(res, 0, col);
    switch (PQftype(res, col)) {
    case RT_OID_BOOL: sqlite3_bind_int(ins, col + 1, v[0] == 't'); break;
    case RT_OID_INT2: case RT_OID_INT4: case RT_OID_INT8:
        sqlite3_bind_int64(ins, col + 1, strtoll(v, NULL, 10));
        break;
    case RT_OID_FLOAT4: case RT_OID_FLOAT8: sqlite3_bind_double(ins, col + 1, strtod(v, NULL)); break;
    default: sqlite3_bind_text(ins, col + 1, v, PQgetlength(res, 0, col), SQLITE_TRANSIENT);
    }
}

/* Copy `table` from the server into `db`; an SQLite result code, and
 * *server set when the server's side failed (its message in e->pg). */
static int copy_table(retain_engine *e, sqlite3 *db, const char *table, bool *server)
{
    PGconn *conn = e->pg->conn;
    char sql[160];
    rt_format(sql, sizeof sql, "SELECT * FROM %s", table);
    if (!PQsendQuery(conn, sql) || !PQsetSingleRowMode(conn)) {
        *server = true;
        rt_pg_fail(e, NULL);
        return SQLITE_IOERR;
    }
    sqlite3_stmt *ins = NULL;
    int src = SQLITE_OK;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_SINGLE_TUPLE && src == SQLITE_OK) {
            int n = PQnfields(res);
            if (!ins) {
                rt_buf b;
                rt_buf_init(&b, &e->alloc);
                rt_buf_printf(&b, "INSERT OR REPLACE INTO %s VALUES(", table);
                for (int i = 0; i < n; i++)
                    rt_buf_puts(&b, i ? ",?" : "?");
                rt_buf_putc(&b, ')');
                char *text = NULL;
                src = rt_buf_finish(&b, &text) ? SQLITE_NOMEM
                                                : sqlite3_prepare_v2(db, text, -1, &ins, NULL);
                rt_free(&e->alloc, text);
            }
            for (int i = 0; src == SQLITE_OK && i < n; i++)
                bind_value(ins, i, res);
            if (src == SQLITE_OK) {
                src = sqlite3_step(ins);
                src = src == SQLITE_DONE ? SQLITE_OK : src;
                sqlite3_reset(ins);
            }
        } else if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK && src == SQLITE_OK) {
            *server = true;
            src = rt_pg_fail(e, res);
        }
        PQclear(res); /* read to the end even after an error */
    }
    sqlite3_finalize(ins);
    return src;
}

int rt_pg_backup(retain_engine *e, const char *dest)
{
    retain_engine *d = NULL;
    char err[512];
    int rc = retain_engine_open_ex(&d, dest, NULL, err, sizeof err);
    if (rc) {
        retain_engine_close(d);
        remove(dest);
        return rt_error(e, rc, "writing the backup: %s", err);
    }
    int src = rt_pg_ready(e);
    if (src == SQLITE_OK)
        src = rt_pg_command(e, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    bool server = src != SQLITE_OK;
    sqlite3_stmt *tables = NULL;
    if (src == SQLITE_OK)
        src = sqlite3_exec(d->db, "PRAGMA foreign_keys=OFF; BEGIN", NULL, NULL, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(d->db,
                                 "SELECT name FROM sqlite_schema WHERE type='table' ORDER BY rowid",
                                 -1, &tables, NULL);
    while (src == SQLITE_OK && (src = sqlite3_step(tables)) == SQLITE_ROW) {
        char name[128];
        rt_copy(name, sizeof name, (const char *)sqlite3_column_text(tables, 0));
        src = copy_table(e, d->db, name, &server);
    }
    sqlite3_finalize(tables);
    if (src == SQLITE_DONE)
        src = sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
    if (PQtransactionStatus(e->pg->conn) != PQTRANS_IDLE)
        rt_pg_command(e, "ROLLBACK"); /* read only: nothing to keep */
    if (src != SQLITE_OK) {
        if (server)
            rc = rt_sqlerr(e, src, "writing the backup");
        else
            rc = rt_error(e, src == SQLITE_FULL ? RETAIN_EFULL : RETAIN_EIO,
                          "writing the backup: %s", sqlite3_errmsg(d->db));
    }
    retain_engine_close(d);
    if (rc) {
        char side[4200];
        remove(dest);
        rt_format(side, sizeof side, "%s-wal", dest);
        remove(side);
        rt_format(side, sizeof side, "%s-shm", dest);
        remove(side);
    }
    return rc;
}
