/*
 * none.c - the PostgreSQL backend of a build without libpq: a PostgreSQL
 * path is refused when the engine opens, so no statement of this backend
 * ever exists and the calls below are never reached.
 */
#include "pg.h"

int rt_pg_open(retain_engine *e, const char *conninfo)
{
    (void)conninfo;
    return rt_error(e, RETAIN_EUNSUPPORTED,
                    "this libretain was built without PostgreSQL support (libpq was not found "
                    "when it was configured); open an SQLite file instead");
}

void rt_pg_close(retain_engine *e) { (void)e; }
int rt_pg_prepare(retain_engine *e, const char *sql, rt_pgst **out)
{
    (void)e, (void)sql, (void)out;
    return SQLITE_MISUSE;
}
void rt_pg_finalize(rt_pgst *st) { (void)st; }
const char *rt_pg_errmsg(retain_engine *e) { (void)e; return "no PostgreSQL support"; }
int64_t rt_pg_changes(retain_engine *e) { (void)e; return 0; }
int64_t rt_pg_last_id(retain_engine *e) { (void)e; return 0; }
bool rt_pg_autocommit(retain_engine *e) { (void)e; return true; }
int rt_pg_backup(retain_engine *e, const char *dest) { (void)dest; return rt_error(e, RETAIN_EINTERNAL, "no PostgreSQL support"); }
int rt_pg_exec_script(retain_engine *e, const char *sql) { (void)e, (void)sql; return SQLITE_MISUSE; }
int rt_pg_bind_int64(rt_pgst *st, int idx, int64_t v) { (void)st, (void)idx, (void)v; return SQLITE_MISUSE; }
int rt_pg_bind_double(rt_pgst *st, int idx, double v) { (void)st, (void)idx, (void)v; return SQLITE_MISUSE; }
int rt_pg_bind_text(rt_pgst *st, int idx, const char *s, int n) { (void)st, (void)idx, (void)s, (void)n; return SQLITE_MISUSE; }
int rt_pg_bind_null(rt_pgst *st, int idx) { (void)st, (void)idx; return SQLITE_MISUSE; }
int rt_pg_step(rt_pgst *st) { (void)st; return SQLITE_MISUSE; }
void rt_pg_reset(rt_pgst *st) { (void)st; }
void rt_pg_clear_bindings(rt_pgst *st) { (void)st; }
int64_t rt_pg_column_int64(rt_pgst *st, int col) { (void)st, (void)col; return 0; }
double rt_pg_column_double(rt_pgst *st, int col) { (void)st, (void)col; return 0; }
int rt_pg_column_type(rt_pgst *st, int col) { (void)st, (void)col; return SQLITE_NULL; }
const char *rt_pg_column_text(rt_pgst *st, int col) { (void)st, (void)col; return NULL; }
