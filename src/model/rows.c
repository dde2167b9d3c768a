/*
 * rows.c - validation of per-customer rows and their compression to
 * distinct rows with weights (what every fit runs on), plus the public
 * retain_rfm_compress/view/clear.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "model.h"
#include "sort.h"

int rt_model_needs(retain_model_kind kind)
{
    switch (kind) {
    case RETAIN_MODEL_BGNBD:
    case RETAIN_MODEL_PARETO_NBD:
    case RETAIN_MODEL_MBGNBD: return RT_NEED_TIMES;
    case RETAIN_MODEL_BGBB: return RT_NEED_TIMES | RT_DISCRETE;
    case RETAIN_MODEL_GAMMA_GAMMA: return RT_NEED_MONETARY;
    default: return RT_NEED_TIMES; /* a plain summary */
    }
}

static int whole(double v)
{
    return floor(v) == v;
}

int rt_rows_check(const retain_rfm_data *d, retain_model_kind kind, int need_weight,
                  retain_diag *diag)
{
    int need = rt_model_needs(kind);
    if (!d)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "data is NULL");
    int rc = rt_check_input(diag, "data", d->version, RETAIN_RFM_DATA_VERSION, "RETAIN_RFM_DATA_INIT",
                            d->n, "rows");
    if (rc)
        return rc;
    if (!d->x)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "data.x is NULL");
    if (need & RT_NEED_TIMES) {
        if (!d->t_x || !d->T)
            return rt_mdiag(diag, RETAIN_EINVAL, 0, "data.%s is NULL", d->t_x ? "T" : "t_x");
        if (need & RT_DISCRETE) {
            if (d->unit != RETAIN_UNIT_PERIOD)
                return rt_mdiag(diag, RETAIN_EINVAL, 0,
                                "BG/BB counts discrete opportunities: data.unit must be "
                                "RETAIN_UNIT_PERIOD, not %s", rt_unit_name(d->unit));
        } else if (kind != RETAIN_MODEL_NONE) {
            if (d->unit != RETAIN_UNIT_DAY && d->unit != RETAIN_UNIT_WEEK)
                return rt_mdiag(diag, RETAIN_EINVAL, 0,
                                "data.unit must be RETAIN_UNIT_DAY or RETAIN_UNIT_WEEK for %s, not %s",
                                retain_model_kind_name(kind), rt_unit_name(d->unit));
        } else if (d->unit == RETAIN_UNIT_NONE || rt_unit_factor(d->unit, d->unit) == 0.0) {
            return rt_mdiag(diag, RETAIN_EINVAL, 0, "data.unit is not set");
        }
    }
    if ((need & RT_NEED_MONETARY) && !d->monetary)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "data.monetary is NULL; %s needs it",
                        retain_model_kind_name(kind));

    double wsum = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        size_t row = i + 1;
        double x = d->x[i];
        if (!isfinite(x) || x < 0.0 || !whole(x))
            return rt_mdiag(diag, RETAIN_EINVAL, row,
                            "row %zu: x = %g; it must be a whole number >= 0", row, x);
        double w = d->weight ? d->weight[i] : 1.0;
        if (!isfinite(w) || w < 0.0)
            return rt_mdiag(diag, RETAIN_EINVAL, row, "row %zu: weight = %g; it must be >= 0",
                            row, w);
        if (need & RT_NEED_TIMES) {
            double tx = d->t_x[i], T = d->T[i];
            if (!isfinite(tx) || !isfinite(T))
                return rt_mdiag(diag, RETAIN_EINVAL, row, "row %zu: t_x = %g, T = %g; both must be finite",
                                row, tx, T);
            if (tx < 0.0)
                return rt_mdiag(diag, RETAIN_EINVAL, row, "row %zu: t_x = %g is negative", row, tx);
            if (tx > T)
                return rt_mdiag(diag, RETAIN_EINVAL, row,
                                "row %zu: t_x = %g is greater than T = %g", row, tx, T);
            if (x == 0.0 && tx != 0.0)
                return rt_mdiag(diag, RETAIN_EINVAL, row,
                                "row %zu: t_x = %g but x = 0; with no repeat purchase t_x must be 0",
                                row, tx);
            if (need & RT_DISCRETE) {
                if (!whole(tx) || !whole(T))
                    return rt_mdiag(diag, RETAIN_EINVAL, row,
                                    "row %zu: t_x = %g, n = %g; BG/BB needs whole opportunities",
                                    row, tx, T);
                if (x > tx)
                    return rt_mdiag(diag, RETAIN_EINVAL, row,
                                    "row %zu: x = %g is greater than t_x = %g; at most one "
                                    "transaction per opportunity", row, x, tx);
                if (T > 1e7)
                    return rt_mdiag(diag, RETAIN_EINVAL, row,
                                    "row %zu: n = %g opportunities; at most 1e7 are supported", row, T);
            }
        }
        if ((need & RT_NEED_MONETARY) && x > 0.0) {
            double m = d->monetary[i];
            if (!isfinite(m) || m <= 0.0)
                return rt_mdiag(diag, RETAIN_EINVAL, row,
                                "row %zu: monetary = %g; with x > 0 it must be > 0", row, m);
        }
        if (!(need & RT_NEED_MONETARY) || x > 0.0)
            wsum += w;
    }
    if (need_weight && !(wsum > 0.0)) {
        if (need & RT_NEED_MONETARY)
            return rt_mdiag(diag, RETAIN_EINVAL, 0,
                            "no row with x > 0 and a positive weight; Gamma-Gamma learns from "
                            "repeat purchases only");
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "every weight is 0; nothing to fit");
    }
    return RETAIN_OK;
}

/* ---- compression ---- */

typedef struct drow {
    double x, tx, T, m, w;
} drow;

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t key_hash(const drow *r)
{
    return mix64(rt_double_key(r->x) ^
                 mix64(rt_double_key(r->tx) ^ mix64(rt_double_key(r->T) ^ mix64(rt_double_key(r->m)))));
}

void rt_rows_free(rt_rows *r)
{
    if (!r)
        return;
    const retain_allocator *a = r->alloc;
    rt_free(a, r->x);
    rt_free(a, r->tx);
    rt_free(a, r->T);
    rt_free(a, r->m);
    rt_free(a, r->w);
    rt_free(a, r->vals);
    rt_free(a, r->itx);
    rt_free(a, r->iT);
    rt_free(a, r->row_of);
    memset(r, 0, sizeof *r);
}

/* Distinct rows in first-seen order: ids[i] is input row i's (UINT32_MAX
 * when dropped). */
static int dedupe(drow **rows_out, size_t *nd_out, uint32_t *ids, const retain_rfm_data *d,
                  retain_model_kind kind, double scale, int keep_zero, const retain_allocator *a)
{
    int gg = (rt_model_needs(kind) & RT_NEED_MONETARY) != 0;
    size_t nd = 0, cap = 64, slots = 128;
    /* size the table for all rows distinct (4 bytes a slot) so that it
     * never rehashes; the rows array grows as distinct rows appear */
    while (slots < 2 * d->n + 2 && slots < ((size_t)1 << 33))
        slots *= 2;
    drow *rows = rt_malloc(a, cap * sizeof *rows);
    uint32_t *table = rt_calloc(a, slots, sizeof *table);
    if (!rows || !table)
        goto nomem;
    for (size_t i = 0; i < d->n; i++) {
        double w = d->weight ? d->weight[i] : 1.0;
        drow k = { d->x[i], 0.0, 0.0, 0.0, w };
        if (gg)
            k.m = k.x > 0.0 ? d->monetary[i] : 0.0;
        else {
            k.tx = d->t_x[i] * scale;
            k.T = d->T[i] * scale;
        }
        /* a fit gains nothing from weight-0 rows; keep_zero keeps them */
        if ((w == 0.0 && !keep_zero) || (gg && k.x == 0.0)) {
            if (ids)
                ids[i] = UINT32_MAX;
            continue;
        }
        if (2 * (nd + 1) > slots) { /* load factor under 1/2 */
            size_t ns = slots * 2;
            uint32_t *nt = rt_calloc(a, ns, sizeof *nt);
            if (!nt)
                goto nomem;
            for (size_t j = 0; j < nd; j++) {
                size_t h = (size_t)key_hash(&rows[j]) & (ns - 1);
                while (nt[h])
                    h = (h + 1) & (ns - 1);
                nt[h] = (uint32_t)j + 1;
            }
            rt_free(a, table);
            table = nt;
            slots = ns;
        }
        size_t h = (size_t)key_hash(&k) & (slots - 1);
        for (;;) {
            uint32_t s = table[h];
            if (!s) {
                if (nd == cap) {
                    drow *nr = rt_realloc(a, rows, 2 * cap * sizeof *rows);
                    if (!nr)
                        goto nomem;
                    rows = nr;
                    cap *= 2;
                }
                rows[nd] = k;
                table[h] = (uint32_t)++nd;
                if (ids)
                    ids[i] = (uint32_t)(nd - 1);
                break;
            }
            drow *r = &rows[s - 1];
            if (r->x == k.x && r->tx == k.tx && r->T == k.T && r->m == k.m) {
                r->w += w;
                if (ids)
                    ids[i] = s - 1;
                break;
            }
            h = (h + 1) & (slots - 1);
        }
    }
    rt_free(a, table);
    *rows_out = rows;
    *nd_out = nd;
    return 0;
nomem:
    rt_free(a, rows);
    rt_free(a, table);
    return -1;
}

/* Order of the distinct rows by (x, tx, T, m): stable radix sorts on each
 * column from the last to the first. */
static rt_kv *row_order(const drow *rows, size_t nd, const retain_allocator *a)
{
    rt_kv *kv = rt_malloc(a, (nd ? nd : 1) * sizeof *kv);
    if (!kv)
        return NULL;
    for (size_t j = 0; j < nd; j++)
        kv[j].val = j;
    for (int col = 3; col >= 0; col--) {
        int sorted = 1;
        for (size_t j = 0; j < nd; j++) {
            const drow *r = &rows[kv[j].val];
            double v = col == 0 ? r->x : col == 1 ? r->tx : col == 2 ? r->T : r->m;
            kv[j].key = rt_double_key(v);
            sorted &= j == 0 || kv[j - 1].key <= kv[j].key;
        }
        if (!sorted && rt_radix_sort_kv(kv, nd, a)) {
            rt_free(a, kv);
            return NULL;
        }
    }
    return kv;
}

/* Table of the distinct time values, when there are few of them (at most
 * half the rows): 0 and vals NULL when there are too many to help. */
static int time_table(rt_rows *out, const retain_allocator *a)
{
    size_t n = out->n, limit = n / 2, slots = 64, nv = 0;
    while (slots < 4 * limit)
        slots *= 2;
    if (limit < 8)
        return 0;
    uint32_t *table = rt_calloc(a, slots, sizeof *table);
    double *vals = rt_malloc(a, (limit + 1) * sizeof *vals);
    out->itx = rt_malloc(a, n * sizeof(uint32_t));
    out->iT = rt_malloc(a, n * sizeof(uint32_t));
    if (!table || !vals || !out->itx || !out->iT)
        goto nomem;
    for (size_t j = 0; j < 2 * n; j++) {
        double v = j & 1 ? out->T[j / 2] : out->tx[j / 2];
        size_t h = (size_t)mix64(rt_double_key(v)) & (slots - 1);
        uint32_t s;
        while ((s = table[h]) && vals[s - 1] != v)
            h = (h + 1) & (slots - 1);
        if (!s) {
            if (nv == limit) { /* too many distinct times: no table */
                rt_free(a, table);
                rt_free(a, vals);
                rt_free(a, out->itx);
                rt_free(a, out->iT);
                out->itx = out->iT = NULL;
                return 0;
            }
            vals[nv] = v;
            s = table[h] = (uint32_t)++nv;
        }
        (j & 1 ? out->iT : out->itx)[j / 2] = s - 1;
    }
    rt_free(a, table);
    out->vals = vals;
    out->nv = nv;
    return 0;
nomem:
    rt_free(a, table);
    rt_free(a, vals);
    return -1;
}

int rt_rows_build(rt_rows *out, const retain_rfm_data *d, retain_model_kind kind, double scale,
                  int want_row_of, const retain_allocator *a, retain_diag *diag)
{
    size_t n = d->n, nd = 0;
    drow *rows = NULL;
    uint32_t *ids = NULL;
    rt_kv *order = NULL;

    memset(out, 0, sizeof *out);
    out->alloc = a;
    if (want_row_of && !(ids = rt_malloc(a, n * sizeof *ids)))
        goto nomem;
    if (dedupe(&rows, &nd, ids, d, kind, scale, want_row_of || kind == RETAIN_MODEL_NONE, a))
        goto nomem;
    if (!(order = row_order(rows, nd, a)))
        goto nomem;

    size_t sz = (nd ? nd : 1) * sizeof(double);
    out->n = nd;
    out->x = rt_malloc(a, sz);
    out->tx = rt_malloc(a, sz);
    out->T = rt_malloc(a, sz);
    out->m = rt_malloc(a, sz);
    out->w = rt_malloc(a, sz);
    if (!out->x || !out->tx || !out->T || !out->m || !out->w)
        goto nomem;
    for (size_t j = 0; j < nd; j++) {
        const drow *r = &rows[order[j].val];
        out->x[j] = r->x;
        out->tx[j] = r->tx;
        out->T[j] = r->T;
        out->m[j] = r->m;
        out->w[j] = r->w;
        out->wsum += r->w;
    }
    if (ids) {
        /* first-seen id -> sorted position, reusing order's keys */
        for (size_t j = 0; j < nd; j++)
            order[order[j].val].key = j;
        out->row_of = rt_malloc(a, n * sizeof(size_t));
        if (!out->row_of)
            goto nomem;
        for (size_t i = 0; i < n; i++)
            out->row_of[i] = ids[i] == UINT32_MAX ? SIZE_MAX : (size_t)order[ids[i]].key;
    }
    rt_free(a, rows);
    rt_free(a, ids);
    rt_free(a, order);
    rows = NULL;
    ids = NULL;
    order = NULL;
    if ((kind == RETAIN_MODEL_BGNBD || kind == RETAIN_MODEL_MBGNBD) && time_table(out, a))
        goto nomem;
    return RETAIN_OK;

nomem:
    rt_free(a, rows);
    rt_free(a, ids);
    rt_free(a, order);
    rt_rows_free(out);
    return rt_mdiag(diag, RETAIN_ENOMEM, 0, "out of memory compressing %zu rows", n);
}

/* ---- public ---- */

void retain_rfm_clear(retain_rfm *s)
{
    if (!s)
        return;
    const retain_allocator *a = &s->allocator;
    rt_free(a, s->customer);
    rt_free(a, s->x);
    rt_free(a, s->t_x);
    rt_free(a, s->T);
    rt_free(a, s->monetary);
    rt_free(a, s->holdout_x);
    rt_free(a, s->weight);
    rt_free(a, s->row_of);
    memset(s, 0, sizeof *s);
}

int retain_rfm_view(retain_rfm_data *out, const retain_rfm *s)
{
    if (!out || !s || !s->x)
        return RETAIN_EINVAL;
    retain_rfm_data v = RETAIN_RFM_DATA_INIT;
    v.n = s->n;
    v.x = s->x;
    v.t_x = s->t_x;
    v.T = s->T;
    v.monetary = s->monetary;
    v.weight = s->weight;
    v.unit = s->unit;
    *out = v;
    return RETAIN_OK;
}

int rt_rfm_begin(retain_rfm *out, retain_model_options *o, const retain_model_options *opts,
                 retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    memset(out, 0, sizeof *out);
    int rc = rt_mopts(o, opts, diag);
    if (rc)
        return rc;
    out->allocator = o->allocator;
    return RETAIN_OK;
}

int retain_rfm_compress(retain_rfm *out, const retain_rfm_data *in,
                        const retain_model_options *opts, retain_diag *diag)
{
    retain_model_options o;
    int rc = rt_rfm_begin(out, &o, opts, diag);
    if (rc)
        return rc;
    rc = rt_rows_check(in, RETAIN_MODEL_NONE, 0, diag);
    if (rc)
        return rc;
    rt_rows r;
    rc = rt_rows_build(&r, in, RETAIN_MODEL_NONE, 1.0, 1, &o.allocator, diag);
    if (rc)
        return rc;
    out->n = r.n;
    out->x = r.x;
    out->t_x = r.tx;
    out->T = r.T;
    out->weight = r.w;
    out->row_of = r.row_of;
    out->n_input = in->n;
    out->unit = in->unit;
    r.x = r.tx = r.T = r.w = NULL;
    r.row_of = NULL;
    rt_rows_free(&r);
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}
