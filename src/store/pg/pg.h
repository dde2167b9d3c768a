/*
 * pg.h (internal) - the PostgreSQL backend of the store (libpq). An engine
 * opened on a "postgresql://..." or "postgres://..." URI, or on a libpq
 * key=value connection string ("host=... dbname=..."), keeps its
 * connection here; db.h routes every statement call to it. Built only when
 * meson finds libpq; otherwise none.c refuses such paths.
 */
#ifndef RT_STORE_PG_H
#define RT_STORE_PG_H

#include "store/db.h"

/* True when `path` names a PostgreSQL database rather than an SQLite file. */
bool rt_pg_is_uri(const char *path);

/* Connect, apply the migrations, and prepare the transaction statements. */
int rt_pg_open(retain_engine *e, const char *conninfo);
/* Close the connection (no-op without one). */
void rt_pg_close(retain_engine *e);

/* Prepare `sql` (SQLite dialect) on the engine's connection: an SQLite
 * result code. */
int rt_pg_prepare(retain_engine *e, const char *sql, rt_pgst **out);
void rt_pg_finalize(rt_pgst *st);

const char *rt_pg_errmsg(retain_engine *e);
int64_t rt_pg_changes(retain_engine *e);
int64_t rt_pg_last_id(retain_engine *e);
bool rt_pg_autocommit(retain_engine *e);
int rt_pg_exec_script(retain_engine *e, const char *sql);
/* retain_engine_backup of a PostgreSQL store: an SQLite file at `dest`. */
int rt_pg_backup(retain_engine *e, const char *dest);

#endif
