/*
 * conn.c - the engine's PostgreSQL connection: connecting, errors in
 * SQLite's result codes, transactions' state, reconnecting after the server
 * went away.
 */
#include "pg_impl.h"
#include "core/engine.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The server's notices (NOTICE, WARNING) would go to stderr: a library
 * keeps quiet. */
static void no_notices(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static void set_msg(struct rt_pg *pg, const char *msg)
{
    rt_copy(pg->errmsg, sizeof pg->errmsg, msg && *msg ? msg : "unknown PostgreSQL error");
    /* libpq's messages end with a newline; an engine's do not. */
    size_t n = strlen(pg->errmsg);
    while (n > 0 && (pg->errmsg[n - 1] == '\n' || pg->errmsg[n - 1] == ' '))
        pg->errmsg[--n] = '\0';
}

/* SQLSTATE classes to SQLite's codes, which rt_sqlerr maps on. */
static int code_of(const char *state)
{
    if (!state || strlen(state) != 5)
        return SQLITE_IOERR;
    if (strncmp(state, "23", 2) == 0)
        return SQLITE_CONSTRAINT;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return SQLITE_BUSY;
    if (strncmp(state, "08", 2) == 0 || !strncmp(state, "57P", 3) || !strcmp(state, "53300"))
        return SQLITE_IOERR;
    if (!strcmp(state, "53100"))
        return SQLITE_FULL;
    if (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0)
        return SQLITE_IOERR;
    if (strncmp(state, "54", 2) == 0)
        return SQLITE_TOOBIG;
    if (!strcmp(state, "25006"))
        return SQLITE_READONLY;
    return SQLITE_ERROR;
}

int rt_pg_fail(retain_engine *e, const PGresult *res)
{
    struct rt_pg *pg = e->pg;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        pg->broken = true;
        rt_copy(pg->sqlstate, sizeof pg->sqlstate, "08006");
        char msg[512];
        rt_format(msg, sizeof msg, "the connection to PostgreSQL was lost (%s); the next call "
                  "reconnects", PQerrorMessage(pg->conn));
        set_msg(pg, msg);
        return SQLITE_IOERR;
    }
    rt_copy(pg->sqlstate, sizeof pg->sqlstate, state ? state : "");
    set_msg(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
    if (!res && !state)
        return SQLITE_NOMEM; /* libpq returns no result only when it could not allocate one */
    return code_of(state);
}

static const char sql_savepoint[] = "SAVEPOINT rt_call", sql_release[] = "RELEASE rt_call";

int rt_pg_defer(retain_engine *e, const char *sql)
{
    struct rt_pg *pg = e->pg;
    bool release = !strcmp(sql, sql_release);
    if (release && pg->npending > 0 && pg->pending[pg->npending - 1] == sql_savepoint) {
        pg->npending--; /* a call that ran no statement */
        return SQLITE_OK;
    }
    if (pg->npending == (int)(sizeof pg->pending / sizeof pg->pending[0]))
        return rt_pg_command(e, release ? sql_release : sql_savepoint);
    pg->pending[pg->npending++] = release ? sql_release : sql_savepoint;
    return SQLITE_OK;
}

/* PQexec of the deferred commands and `sql` in one round trip. A full
 * ROLLBACK makes the deferred ones moot: they are dropped. */
static PGresult *exec_with_pending(struct rt_pg *pg, const char *sql)
{
    bool rollback = !strncmp(sql, "ROLLBACK", 8) && strncmp(sql, "ROLLBACK TO", 11) != 0;
    int n = rollback ? 0 : pg->npending;
    pg->npending = 0;
    if (n == 0)
        return PQexec(pg->conn, sql);
    char buf[512];
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s; ", pg->pending[i]);
    if (len + strlen(sql) >= sizeof buf) { /* a long command: the deferred ones first */
        buf[len - 2] = '\0';
        PGresult *first = PQexec(pg->conn, buf);
        if (PQresultStatus(first) != PGRES_COMMAND_OK)
            return first;
        PQclear(first);
        return PQexec(pg->conn, sql);
    }
    snprintf(buf + len, sizeof buf - len, "%s", sql);
    return PQexec(pg->conn, buf);
}

int rt_pg_command(retain_engine *e, const char *sql)
{
    PGresult *res = exec_with_pending(e->pg, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? SQLITE_OK : rt_pg_fail(e, res);
    PQclear(res);
    return rc;
}

void rt_pg_cleanup(retain_engine *e, const char *sql)
{
    struct rt_pg *pg = e->pg;
    char state[sizeof pg->sqlstate], msg[sizeof pg->errmsg];
    memcpy(state, pg->sqlstate, sizeof state);
    memcpy(msg, pg->errmsg, sizeof msg);
    PQclear(exec_with_pending(pg, sql));
    memcpy(pg->sqlstate, state, sizeof state);
    memcpy(pg->errmsg, msg, sizeof msg);
}

static int session_setup(retain_engine *e)
{
    /* UTC and SQLite's string semantics; a lock wait gives up after the
     * busy timeout, as SQLite's does; a read-only engine's sessions cannot
     * write. */
    char sql[160];
    rt_format(sql, sizeof sql, "SET client_min_messages=warning; SET TIME ZONE 'UTC';"
              " SET standard_conforming_strings=on; SET lock_timeout=%d",
              e->cfg.busy_timeout_ms > 0 ? e->cfg.busy_timeout_ms : 1);
    int rc = rt_pg_command(e, sql);
    if (rc == SQLITE_OK && (e->cfg.flags & RETAIN_OPEN_READONLY))
        rc = rt_pg_command(e, "SET default_transaction_read_only=on");
    return rc;
}

int rt_pg_ready(retain_engine *e)
{
    struct rt_pg *pg = e->pg;
    if (!pg->broken && PQstatus(pg->conn) == CONNECTION_OK)
        return SQLITE_OK;
    PQreset(pg->conn);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        char msg[512];
        rt_format(msg, sizeof msg, "cannot reconnect to PostgreSQL: %s", PQerrorMessage(pg->conn));
        set_msg(pg, msg);
        pg->broken = true;
        return SQLITE_IOERR;
    }
    PQsetNoticeProcessor(pg->conn, no_notices, NULL);
    pg->broken = false;
    pg->npending = 0; /* the transaction they belonged to is gone */
    pg->generation++; /* the server forgot every prepared statement */
    return session_setup(e);
}

int rt_pg_open(retain_engine *e, const char *conninfo)
{
    struct rt_pg *pg = rt_calloc(&e->alloc, 1, sizeof *pg);
    if (!pg)
        return rt_nomem(e);
    e->pg = pg;
    pg->generation = 1;
    pg->conn = PQconnectdb(conninfo);
    if (!pg->conn)
        return rt_nomem(e);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        set_msg(pg, PQerrorMessage(pg->conn));
        return rt_error(e, RETAIN_EIO, "cannot connect to PostgreSQL: %s", pg->errmsg);
    }
    PQsetNoticeProcessor(pg->conn, no_notices, NULL);
    if (PQserverVersion(pg->conn) < 120000)
        return rt_error(e, RETAIN_EUNSUPPORTED,
                        "PostgreSQL %d.%d is too old: libretain needs 12 or later",
                        PQserverVersion(pg->conn) / 10000, PQserverVersion(pg->conn) % 10000);
    int src = session_setup(e);
    if (src != SQLITE_OK)
        return rt_sqlerr(e, src, "configuring the PostgreSQL session");
    int rc = rt_pg_migrate(e);
    return rc ? rc : rt_tx_prepare(e);
}

void rt_pg_close(retain_engine *e)
{
    struct rt_pg *pg = e->pg;
    if (!pg)
        return;
    PQfinish(pg->conn);
    rt_free(&e->alloc, pg);
    e->pg = NULL;
}

const char *rt_pg_errmsg(retain_engine *e)
{
    return e->pg->errmsg;
}

int64_t rt_pg_changes(retain_engine *e)
{
    return e->pg->changes;
}

int64_t rt_pg_last_id(retain_engine *e)
{
    return e->pg->last_id;
}

bool rt_pg_autocommit(retain_engine *e)
{
    PGTransactionStatusType s = PQtransactionStatus(e->pg->conn);
    return s == PQTRANS_IDLE || s == PQTRANS_UNKNOWN;
}

int rt_pg_exec_script(retain_engine *e, const char *sql)
{
    int rc = rt_pg_ready(e);
    return rc == SQLITE_OK ? rt_pg_command(e, sql) : rc;
}
