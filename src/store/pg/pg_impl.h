/*
 * pg_impl.h (internal) - the PostgreSQL driver's own structures, shared by
 * conn.c, stmt.c, sql.c and schema.c and seen nowhere else.
 */
#ifndef RT_STORE_PG_IMPL_H
#define RT_STORE_PG_IMPL_H

#include "pg.h"
#include "core/alloc.h"
#include "core/buf.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <strings.h>

/* The engine's connection. */
struct rt_pg {
    PGconn *conn;
    char *conninfo;       /* to reconnect after the server went away */
    unsigned long next_name;  /* prepared statements are named rtN */
    unsigned long generation; /* bumped at each reconnection: prepared names are gone */
    int64_t changes;      /* rows changed by the last INSERT, UPDATE or DELETE */
    int64_t last_id;      /* id of the last row inserted into an identity table */
    bool broken;          /* the connection was lost: reconnect before the next call */
    /* A call's SAVEPOINT and RELEASE inside a host's transaction, not yet
     * sent: they go with the next statement (one round trip, a pipeline)
     * or before the next command; a SAVEPOINT released before anything ran
     * is never sent. */
    const char *pending[4];
    int npending;
    char sqlstate[6];     /* of the last error */
    char errmsg[512];
};

/* Advisory locks. Writers (a host's call, a migration) hold the store
 * lock exclusively; workers (a tick's or a delivery run's transactions)
 * hold it shared, so that they run side by side, and take each customer
 * they touch (rt_claim, rt_lock in schema.c): a customer is worked on by
 * one transaction at a time, whichever host it runs on. Keys are pairs of
 * int4, the first a hash of the store's schema (current_schema(), from
 * the connection's search_path), so that stores in two schemas of one
 * database never wait for each other. */
#define RT_PG_LOCK_SPACE(what) "hashtext(coalesce(current_schema(),'') || '/" what "')"
#define RT_PG_LOCK_STORE RT_PG_LOCK_SPACE("store") ", 1"
#define RT_PG_LOCK_MIGRATE RT_PG_LOCK_SPACE("store") ", 0"
#define RT_PG_LOCK_CUSTOMERS RT_PG_LOCK_SPACE("customers")  /* , customer */
#define RT_PG_LOCK_RESOURCES RT_PG_LOCK_SPACE("resources")  /* , RT_LOCK_* */

/* The type OIDs of the server's results and parameters the driver reads. */
enum { RT_OID_BOOL = 16, RT_OID_INT8 = 20, RT_OID_INT2 = 21, RT_OID_INT4 = 23, RT_OID_TEXT = 25,
       RT_OID_OID = 26, RT_OID_JSON = 114, RT_OID_FLOAT4 = 700, RT_OID_FLOAT8 = 701,
       RT_OID_NUMERIC = 1700, RT_OID_JSONB = 3802 };

/* One statement: the rewritten SQL, its parameters as text, and the rows
 * of its last execution (libpq reads a whole result at once). */
struct rt_pgst {
    retain_engine *e;
    char *sql;            /* PostgreSQL dialect */
    int nparams;
    bool returns_id;      /* RETURNING id was added: keep it, report no row */
    bool begin_write;     /* BEGIN IMMEDIATE: begin, then take the store lock */
    bool begin_worker;    /* BEGIN IMMEDIATE TRANSACTION: begin, take it shared */
    bool control;         /* BEGIN, COMMIT, SAVEPOINT...: run as a plain command */
    bool deferred;        /* a call's SAVEPOINT or RELEASE: sent with what follows */
    char **values;        /* nparams text values (NULL: SQL NULL) */
    char *types;          /* nparams: 'i' int8, 'd' float8, 't' text, 'n' null */
    char name[24];        /* prepared name, "" when not yet prepared */
    unsigned long generation; /* of the connection `name` was prepared on */
    char *prepared_types; /* the type signature `name` was prepared with */
    char *sticky;         /* nparams: the last non-NULL type of each parameter */
    PGresult *res;        /* NULL before the first step */
    int row, nrows, ncols;
    char **conv;          /* per column: text converted for SQLite (bool, json), or NULL */
};

/* sql.c: 0, -1 for want of memory, 1 for unbalanced parentheses. */
int rt_pg_rewrite(const retain_allocator *a, const char *sql, char **out, int *nparams,
                  bool *returns_id);
bool rt_pg_identity_table(const char *name, int n);
/* The index definitions of `ddl` with SQLite's NULL order (ASC columns
 * NULLS FIRST, DESC NULLS LAST), the order rt_pg_rewrite gives ORDER BY,
 * so that an index can deliver rows in it; 0, -1 or 1 as above. */
int rt_pg_index_order(const retain_allocator *a, const char *ddl, char **out);

/* schema.c: bring the database to the current schema version. */
int rt_pg_migrate(retain_engine *e);

/* conn.c */
/* Record the error of `res` (or of the connection when res is NULL) and
 * return the matching SQLite result code. */
int rt_pg_fail(retain_engine *e, const PGresult *res);
/* Run one command without parameters; an SQLite result code. */
int rt_pg_command(retain_engine *e, const char *sql);
/* Defer `sql`, "SAVEPOINT rt_call" or "RELEASE rt_call" (struct rt_pg). */
int rt_pg_defer(retain_engine *e, const char *sql);
/* Run a clean-up command (a rollback) after a failure, keeping the
 * failure's SQLSTATE and message rather than the clean-up's. */
void rt_pg_cleanup(retain_engine *e, const char *sql);
/* Reconnect when the connection was lost; an SQLite result code. */
int rt_pg_ready(retain_engine *e);

#endif
