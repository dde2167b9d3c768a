/*
 * db.h (internal) - the driver under the store: one statement handle over
 * the two backends, SQLite (in-process, the default) and PostgreSQL (libpq,
 * src/store/pg). The store's files speak SQLite's vocabulary (result codes
 * SQLITE_ROW, SQLITE_DONE, ...; column types SQLITE_INTEGER, ...) whatever
 * the backend, so that their code reads as one program; the PostgreSQL
 * driver translates its results into those codes. Only src/store (and the
 * engine's own transaction calls in src/core/engine.c, through store.h)
 * include this header.
 *
 * SQL is written once, in the subset both dialects share; the PostgreSQL
 * driver rewrites what is mechanical (parameters, INSERT OR IGNORE, the
 * id of an inserted row) when it prepares a statement (pg_sql.c).
 */
#ifndef RT_STORE_DB_H
#define RT_STORE_DB_H

#include "core/engine.h"

#include <sqlite3.h>

typedef struct rt_pgst rt_pgst;

/* A prepared statement of either backend: exactly one member is set. */
typedef struct rt_st {
    sqlite3_stmt *lite;
    rt_pgst *pg;
} rt_st;

/* The PostgreSQL driver's side of the calls below (pg/stmt.c). */
int rt_pg_bind_int64(rt_pgst *st, int idx, int64_t v);
int rt_pg_bind_double(rt_pgst *st, int idx, double v);
int rt_pg_bind_text(rt_pgst *st, int idx, const char *s, int n);
int rt_pg_bind_null(rt_pgst *st, int idx);
int rt_pg_step(rt_pgst *st);
void rt_pg_reset(rt_pgst *st);
void rt_pg_clear_bindings(rt_pgst *st);
int64_t rt_pg_column_int64(rt_pgst *st, int col);
double rt_pg_column_double(rt_pgst *st, int col);
int rt_pg_column_type(rt_pgst *st, int col);
const char *rt_pg_column_text(rt_pgst *st, int col);

static inline int rt_bind_int64(rt_st *st, int idx, int64_t v)
{
    return st->pg ? rt_pg_bind_int64(st->pg, idx, v) : sqlite3_bind_int64(st->lite, idx, v);
}

static inline int rt_bind_int(rt_st *st, int idx, int v)
{
    return rt_bind_int64(st, idx, v);
}

static inline int rt_bind_double(rt_st *st, int idx, double v)
{
    return st->pg ? rt_pg_bind_double(st->pg, idx, v) : sqlite3_bind_double(st->lite, idx, v);
}

/* Text of n bytes (n < 0: up to the NUL). The PostgreSQL driver always
 * copies; `destructor` is SQLite's (SQLITE_STATIC or SQLITE_TRANSIENT). */
static inline int rt_bind_textn(rt_st *st, int idx, const char *s, int n,
                                void (*destructor)(void *))
{
    return st->pg ? rt_pg_bind_text(st->pg, idx, s, n)
                  : sqlite3_bind_text(st->lite, idx, s, n, destructor);
}

static inline int rt_bind_null(rt_st *st, int idx)
{
    return st->pg ? rt_pg_bind_null(st->pg, idx) : sqlite3_bind_null(st->lite, idx);
}

/* SQLITE_ROW, SQLITE_DONE or an SQLite error code (see rt_step in store.h
 * for the form that records the error). */
static inline int rt_sqlstep(rt_st *st)
{
    return st->pg ? rt_pg_step(st->pg) : sqlite3_step(st->lite);
}

static inline void rt_reset(rt_st *st)
{
    if (st->pg)
        rt_pg_reset(st->pg);
    else
        sqlite3_reset(st->lite);
}

static inline void rt_clear_bindings(rt_st *st)
{
    if (st->pg)
        rt_pg_clear_bindings(st->pg);
    else
        sqlite3_clear_bindings(st->lite);
}

static inline int64_t rt_column_int64(rt_st *st, int col)
{
    return st->pg ? rt_pg_column_int64(st->pg, col) : sqlite3_column_int64(st->lite, col);
}

static inline int rt_column_int(rt_st *st, int col)
{
    return (int)rt_column_int64(st, col);
}

static inline double rt_column_double(rt_st *st, int col)
{
    return st->pg ? rt_pg_column_double(st->pg, col) : sqlite3_column_double(st->lite, col);
}

/* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT. */
static inline int rt_column_type(rt_st *st, int col)
{
    return st->pg ? rt_pg_column_type(st->pg, col) : sqlite3_column_type(st->lite, col);
}

/* NULL for SQL NULL (or, with SQLite, for want of memory: see rt_col_str). */
static inline const char *rt_column_text(rt_st *st, int col)
{
    return st->pg ? rt_pg_column_text(st->pg, col)
                  : (const char *)sqlite3_column_text(st->lite, col);
}

/* Prepare a statement that is not cached (an iterator's, a one-off);
 * free it with rt_finalize. */
int rt_prepare(retain_engine *e, const char *sql, rt_st **out, const char *doing);
/* Free a statement from rt_prepare or rt_iter_prepare; NULL is a no-op. */
void rt_finalize(retain_engine *e, rt_st *st);

/* Rows changed by the last INSERT, UPDATE or DELETE of this connection. */
int64_t rt_changes(retain_engine *e);
/* The id of the last row inserted into a table with an id column. */
int64_t rt_last_id(retain_engine *e);
/* True when no transaction is open on the engine's connection. */
bool rt_autocommit(retain_engine *e);
/* Run several statements separated by semicolons, without parameters;
 * an SQLite result code. */
int rt_exec_script(retain_engine *e, const char *sql);

#endif
