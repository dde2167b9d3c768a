/* backup.c - retain_engine_backup(): a consistent copy of a live database.
 *
 * VACUUM INTO reads one snapshot (a read transaction), so writers in other
 * connections keep going while it runs, and the copy is a compact,
 * self-contained database file (no WAL beside it) that opens as it is. */
#include "store.h"
#include "core/check.h"
#include "pg/pg.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int retain_engine_backup(retain_engine *e, const char *dest_path)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "dest_path", dest_path);
    if (rc || (rc = rt_check_text(e, "dest_path", dest_path, 4096)))
        return rc;
    if (!*dest_path || !strcmp(dest_path, ":memory:"))
        return rt_error(e, RETAIN_EINVAL, "dest_path must name a file");
    if (e->in_host_tx)
        return rt_error(e, RETAIN_EMISUSE, "cannot back up inside retain_begin()/retain_commit():"
                                           " commit first");
    struct stat sb;
    if (stat(dest_path, &sb) == 0)
        return rt_error(e, RETAIN_ECONFLICT, "\"%s\" exists; a backup never overwrites a file",
                        dest_path);
    if (e->pg)
        return rt_pg_backup(e, dest_path);
    rt_st *st;
    if ((rc = rt_prepare(e, "VACUUM INTO ?1", &st, "preparing the backup")))
        return rc;
    rt_bind_textn(st, 1, dest_path, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    rt_finalize(e, st);
    if (src != SQLITE_DONE) {
        rc = rt_sqlerr(e, src, "writing the backup");
        /* A half-written copy must not pass for a backup. */
        remove(dest_path);
        return rc;
    }
    return RETAIN_OK;
}
