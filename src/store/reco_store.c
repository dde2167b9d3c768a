/*
 * reco_store.c - the reads and writes behind recommendations: baskets of
 * counting orders, the stored neighbour lists, what a customer owns; and the
 * payload additions that steps such as recommend leave for later sends.
 */
#include "domain_store.h"
#include "outbox.h"

#include <string.h>

int ds_baskets_each(retain_engine *e, int (*fn)(void *ctx, const char *const *skus, int n),
                    void *ctx)
{
    static const char sql[] =
        "SELECT l.order_id, l.sku FROM order_line l JOIN orders o ON o.id=l.order_id"
        " WHERE o.status NOT IN ('cancelled','refunded') ORDER BY l.order_id";
    enum { MAX_BASKET = 256 };
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    /* Column text stays valid only until the next step: copy one basket. */
    char buf[MAX_BASKET][257];
    const char *skus[MAX_BASKET];
    int n = 0, src;
    int64_t cur = 0;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        int64_t id = rt_column_int64(st, 0);
        if (id != cur && n) {
            if ((rc = fn(ctx, skus, n)))
                break;
            n = 0;
        }
        cur = id;
        if (n < MAX_BASKET) { /* the rest of a huge basket adds nothing useful */
            rt_col_copy(buf[n], sizeof buf[n], st, 1);
            skus[n] = buf[n];
            n++;
        }
    }
    rt_reset(st);
    if (rc)
        return rc;
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading baskets");
    return n ? fn(ctx, skus, n) : RETAIN_OK;
}

int ds_neighbors_clear(retain_engine *e)
{
    static const char sql[] = "DELETE FROM reco_neighbor";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    return rc ? rc : ob_step_done(e, st, "clearing recommendations");
}

int ds_neighbor_add(retain_engine *e, const char *sku, int rank, const char *other, double score,
                    int64_t support)
{
    static const char sql[] =
        "INSERT INTO reco_neighbor(sku,rank,other,score,support) VALUES(?,?,?,?,?)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    rt_bind_int(st, 2, rank);
    rt_bind_textn(st, 3, other, -1, SQLITE_STATIC);
    rt_bind_double(st, 4, score);
    rt_bind_int64(st, 5, support);
    return ob_step_done(e, st, "recording a recommendation");
}

int ds_reco_meta_set(retain_engine *e, const char *k, int64_t v)
{
    static const char sql[] = "INSERT OR REPLACE INTO reco_meta(k,v) VALUES(?,?)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, k, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, v);
    return ob_step_done(e, st, "recording recommendation statistics");
}

int ds_reco_meta_get(retain_engine *e, const char *k, int64_t *v, bool *found)
{
    static const char sql[] = "SELECT v FROM reco_meta WHERE k=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, k, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    *v = *found ? rt_column_int64(st, 0) : 0;
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading recommendation statistics");
}

int ds_reco_generations(retain_engine *e, int64_t *build, int64_t *products)
{
    static const char sql[] =
        "SELECT (SELECT v FROM reco_meta WHERE k='generation'),"
        " (SELECT v FROM reco_meta WHERE k='products')";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src = rt_sqlstep(st);
    *build = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    *products = src == SQLITE_ROW ? rt_column_int64(st, 1) : 0;
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "reading recommendation state");
}

int ds_owned_each(retain_engine *e, int64_t customer, int (*fn)(void *ctx, const char *sku),
                  void *ctx)
{
    static const char sql[] =
        "SELECT l.sku FROM orders o JOIN order_line l ON l.order_id=o.id"
        " WHERE o.customer=? AND o.status NOT IN ('cancelled','refunded')";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    int src = SQLITE_DONE;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(ctx, rt_col_text(st, 0));
    rt_reset(st);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading a customer's purchases");
    return rc;
}

int ds_neighbors_all(retain_engine *e,
                     int (*fn)(void *ctx, const char *sku, const char *other, double score,
                               int64_t support),
                     void *ctx)
{
    static const char sql[] =
        "SELECT sku, other, score, support FROM reco_neighbor ORDER BY sku, rank";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src = SQLITE_DONE;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(ctx, rt_col_text(st, 0), rt_col_text(st, 1), rt_column_double(st, 2),
                rt_column_int64(st, 3));
    rt_reset(st);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading recommendations");
    return rc;
}

int ds_instance_payload_merge(retain_engine *e, int64_t instance, const char *json)
{
    static const char sql[] =
        "INSERT INTO instance_payload(instance,payload) VALUES(?1,json(?2))"
        " ON CONFLICT(instance) DO UPDATE SET payload=json_patch(payload,?2)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, instance);
    rt_bind_textn(st, 2, json, -1, SQLITE_STATIC);
    return ob_step_done(e, st, "recording a step's payload");
}

int ds_instance_payload_get(retain_engine *e, int64_t instance, char **out)
{
    static const char sql[] = "SELECT payload FROM instance_payload WHERE instance=?";
    rt_st *st;
    *out = NULL;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, instance);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW && !(*out = rt_strdup(&e->alloc, rt_col_text(st, 0))))
        rc = rt_nomem(e);
    rt_reset(st);
    if (rc == RETAIN_OK && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading a step's payload");
    return rc;
}
