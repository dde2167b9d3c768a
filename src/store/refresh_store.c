/* refresh_store.c - SQL behind retain_model_refresh(); see refresh_store.h. */
#include "refresh_store.h"
#include "store.h"

static int mark_previous(retain_engine *e, const char *currency)
{
    /* expected_90d NULL marks "from an earlier refresh, not yet rewritten";
     * write_rows() stores a finite value for every row it writes, so what
     * is still marked afterwards can be cleared without a temporary table. */
    static const char sql[] =
        "UPDATE customer SET expected_90d=NULL WHERE clv_currency=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_text(st, 1, currency);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "clearing stale predictions");
}

static int clear_stale(retain_engine *e, const char *currency, size_t *cleared)
{
    /* Rows still marked were not rewritten: they are not in rows[]. */
    static const char sql[] =
        "UPDATE customer SET p_alive=NULL, clv=NULL, clv_currency=NULL, expected_90d=NULL"
        " WHERE clv_currency=?1 AND expected_90d IS NULL";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_text(st, 1, currency);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "clearing stale predictions");
    *cleared = (size_t)rt_changes(e);
    return RETAIN_OK;
}

static int write_rows(retain_engine *e, const char *currency, const rt_refresh_row *rows,
                      size_t n, size_t *written)
{
    static const char sql[] =
        "UPDATE customer SET p_alive=?2, expected_90d=?3, clv=?4, clv_currency=?5 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        rt_bind_int64(st, 1, rows[i].key);
        rt_bind_double(st, 2, rows[i].p_alive);
        rt_bind_double(st, 3, rows[i].expected_90d);
        rt_bind_int64(st, 4, rows[i].clv);
        rt_bind_text(st, 5, currency);
        int src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            return rt_sqlerr(e, src, "writing predictions");
        count += (size_t)rt_changes(e);
    }
    *written = count;
    return RETAIN_OK;
}

int rt_refresh_write(retain_engine *e, const char *currency, const rt_refresh_row *rows,
                     size_t n, size_t *written, size_t *cleared)
{
    *written = *cleared = 0;
    int rc = rt_tx_begin(e);
    if (rc)
        return rc;
    if ((rc = mark_previous(e, currency)) == RETAIN_OK &&
        (rc = write_rows(e, currency, rows, n, written)) == RETAIN_OK)
        rc = clear_stale(e, currency, cleared);
    rc = rt_tx_end(e, rc);
    if (rc)
        *written = *cleared = 0;
    return rc;
}
