/*
 * feedback_store.c - rows of feedback answers and the escalation setting
 * (see feedback_store.h).
 */
#include "feedback_store.h"

#include <string.h>

int fs_config_get(retain_engine *e, fs_config *out)
{
    static const char sql[] =
        "SELECT escalate_at, task_kind, task_note FROM feedback_config WHERE id=1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        out->escalate_at = rt_column_int(st, 0);
        rt_col_copy(out->task_kind, sizeof out->task_kind, st, 1);
        rt_col_copy(out->task_note, sizeof out->task_note, st, 2);
    }
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK
                             : rt_sqlerr(e, src == SQLITE_DONE ? SQLITE_CORRUPT : src,
                                         "reading the feedback settings");
}

int fs_config_put(retain_engine *e, const fs_config *c)
{
    static const char sql[] =
        "UPDATE feedback_config SET escalate_at=?1, task_kind=?2, task_note=?3 WHERE id=1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int(st, 1, c->escalate_at);
    rt_bind_textn(st, 2, c->task_kind, -1, SQLITE_STATIC);
    rt_bind_text(st, 3, c->task_note[0] ? c->task_note : NULL);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "writing the feedback settings");
}

int fs_order_key(retain_engine *e, const char *order_ext, int64_t *key)
{
    static const char sql[] = "SELECT id FROM orders WHERE ext_id=?1";
    rt_st *st;
    int rc = rt_lookup(e, sql, order_ext, "order", &st);
    if (rc)
        return rc;
    *key = rt_column_int64(st, 0);
    rt_reset(st);
    return RETAIN_OK;
}

int fs_attribution(retain_engine *e, int64_t customer, int64_t order_key, int64_t at,
                   char journey[65], char variant[65])
{
    static const char sql[] =
        "SELECT i.journey, i.variant FROM outbox o JOIN journey_instance i ON i.id=o.instance"
        " LEFT JOIN event ev ON ev.id=i.trigger_event"
        " WHERE o.customer=?1 AND o.category='feedback' AND o.due_at<=?3"
        "  AND (?2=0 OR o.order_id=?2)"
        "  AND coalesce(ev.name,'')<>'feedback.received'"
        " ORDER BY o.due_at DESC, o.id DESC LIMIT 1";
    journey[0] = variant[0] = '\0';
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_int64(st, 2, order_key);
    rt_bind_int64(st, 3, at);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        rt_col_copy(journey, 65, st, 0);
        rt_col_copy(variant, 65, st, 1);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE
               ? RETAIN_OK
               : rt_sqlerr(e, src, "finding the feedback request an answer belongs to");
}

int fs_insert(retain_engine *e, const fs_answer *a, int64_t *id)
{
    /* An exact repeat (a retried request, an import run twice) is the same
     * answer: it inserts nothing and *id comes back 0. */
    static const char sql[] =
        "INSERT INTO feedback(customer,order_id,score,scale_min,comment,at,journey,variant,"
        " escalated) SELECT ?1,?2,?3,?4,?5,?6,?7,?8,?9 WHERE NOT EXISTS (SELECT 1 FROM feedback"
        "  WHERE customer=?1 AND at=?6 AND order_id IS ?2 AND score=?3 AND scale_min=?4"
        "  AND comment IS ?5)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, a->customer);
    if (a->order_key)
        rt_bind_int64(st, 2, a->order_key);
    rt_bind_int(st, 3, a->score);
    rt_bind_int(st, 4, a->scale_min);
    rt_bind_text(st, 5, a->comment);
    rt_bind_int64(st, 6, a->at);
    rt_bind_text(st, 7, a->journey[0] ? a->journey : NULL);
    rt_bind_text(st, 8, a->variant[0] ? a->variant : NULL);
    rt_bind_int(st, 9, a->escalated);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "recording feedback");
    *id = rt_changes(e) > 0 ? rt_last_id(e) : 0;
    return RETAIN_OK;
}

int fs_each(retain_engine *e, int by, int64_t since, int64_t as_of, fs_row_fn fn, void *ctx)
{
    static const char by_time[] =
        "SELECT NULL, NULL, at, score, scale_min FROM feedback WHERE at BETWEEN ?1 AND ?2"
        " ORDER BY at, id";
    static const char by_product[] =
        "SELECT l.sku, NULL, f.at, f.score, f.scale_min FROM feedback f"
        " JOIN (SELECT DISTINCT order_id, sku FROM order_line) l ON l.order_id=f.order_id"
        " WHERE f.at BETWEEN ?1 AND ?2 ORDER BY l.sku, f.at, f.id";
    static const char by_variant[] =
        "SELECT journey, variant, at, score, scale_min FROM feedback WHERE at BETWEEN ?1 AND ?2"
        " ORDER BY journey IS NULL, journey, variant IS NULL, variant, at, id";
    const char *sql = by == 1 ? by_time : by == 2 ? by_product : by_variant;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, since);
    rt_bind_int64(st, 2, as_of);
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(ctx, rt_col_text(st, 0), rt_col_text(st, 1), rt_column_int64(st, 2),
                rt_column_int(st, 3), rt_column_int(st, 4));
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading feedback");
    rt_reset(st);
    return rc;
}
