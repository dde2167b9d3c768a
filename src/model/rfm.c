/*
 * rfm.c - RFM summaries from transactions: retain_rfm_summarize and
 * retain_rfm_split. Transactions are grouped by customer (runs of one id,
 * radix-sorted by id), each customer's purchases are walked in time order,
 * and same-day purchases collapse into one purchase period.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "model.h"
#include "sort.h"

#define MS_PER_DAY INT64_C(86400000)

/* The observation: last calibration day, last holdout day (the same day
 * for a plain summary) and the unit of t_x and T. */
typedef struct summ {
    int64_t end_day, hold_day;
    retain_time_unit unit;
} summ;

static int64_t day_of(const retain_txns *t, int64_t v)
{
    if (t->time_kind == RETAIN_TIME_DAY)
        return v;
    int64_t d = v / MS_PER_DAY;
    if (v % MS_PER_DAY < 0)
        d--;
    return d;
}

static double value_of(const retain_txns *t, size_t i)
{
    if (t->amount)
        return (double)t->amount[i];
    if (t->value)
        return t->value[i];
    return 0.0;
}

/* ---- grouping by customer ----
 * A run is a maximal stretch of consecutive transactions of one customer.
 * Sorting the runs by id (a stable LSD radix sort, 16-bit digits, digits
 * that all keys share skipped) brings each customer's runs together in
 * input order, whatever the input order was; input already grouped by
 * customer has one run per customer, input sorted by id needs no sort. */

/* a run: key = id with the sign bit flipped (unsigned order = signed
 * order), val = start | length << 32 */
static uint64_t id_key(int64_t id)
{
    return (uint64_t)id ^ (UINT64_C(1) << 63);
}

static int64_t key_id(uint64_t key)
{
    uint64_t u = key ^ (UINT64_C(1) << 63);
    int64_t id;
    memcpy(&id, &u, sizeof id); /* two's complement, without implementation-defined casts */
    return id;
}

#define RUN_START(r) ((size_t)((r).val & 0xffffffffu))
#define RUN_LEN(r) ((size_t)((r).val >> 32))

typedef struct dayval {
    int64_t day;
    double v;
} dayval;

/* by day; rt_sort is stable, so same-day values keep their input order */
static int dayval_cmp(const void *pa, const void *pb)
{
    const dayval *a = pa, *b = pb;
    return a->day < b->day ? -1 : a->day > b->day;
}

/* ---- the walk over one customer's purchases ---- */

typedef struct acc {
    double x, tx, T, mon, hx;
    int keep;
} acc;

/* Purchases of one customer as (day, value) in time order. */
static acc walk(const summ *s, const dayval *p, size_t k)
{
    acc r = { 0, 0, 0, 0, 0, 0 };
    int64_t first = p[0].day, last = first, prev = first;
    if (first > s->end_day)
        return r; /* first purchase after calibration: not in this cohort */
    r.keep = 1;
    double period_value = 0.0;
    for (size_t j = 0; j < k; j++) {
        int64_t d = p[j].day;
        if (j > 0 && d != prev) {
            if (prev != first && prev <= s->end_day)
                r.mon += period_value;
            if (d <= s->end_day) {
                r.x += 1.0;
                last = d;
            } else {
                r.hx += 1.0;
            }
            period_value = 0.0;
        }
        period_value += p[j].v;
        prev = d;
    }
    if (prev != first && prev <= s->end_day)
        r.mon += period_value;
    double scale = s->unit == RETAIN_UNIT_WEEK ? 7.0 : 1.0;
    r.tx = (double)(last - first) / scale;
    r.T = (double)(s->end_day - first) / scale;
    r.mon = r.x > 0.0 ? r.mon / r.x : 0.0;
    return r;
}

static int check_txns(const retain_txns *t, retain_time_unit unit, retain_diag *diag)
{
    if (!t)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "txns is NULL");
    int rc = rt_check_input(diag, "txns", t->version, RETAIN_TXNS_VERSION, "RETAIN_TXNS_INIT", t->n,
                            "transactions");
    if (rc)
        return rc;
    if (!t->customer || !t->time)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "txns.%s is NULL", t->customer ? "time" : "customer");
    if (t->time_kind != RETAIN_TIME_MS && t->time_kind != RETAIN_TIME_DAY)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "txns.time_kind must be RETAIN_TIME_MS or RETAIN_TIME_DAY");
    if (t->amount && t->value)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "txns.amount and txns.value are both set; give one of them");
    if (unit != RETAIN_UNIT_DAY && unit != RETAIN_UNIT_WEEK)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "unit must be RETAIN_UNIT_DAY or RETAIN_UNIT_WEEK, not %s", rt_unit_name(unit));
    if (t->value)
        for (size_t i = 0; i < t->n; i++)
            if (!isfinite(t->value[i]))
                return rt_mdiag(diag, RETAIN_EINVAL, i + 1,
                                "transaction %zu: value is not a finite number", i + 1);
    return RETAIN_OK;
}

static int summarize(retain_rfm *out, const retain_txns *t, int64_t end, int64_t hold_end,
                     int split, retain_time_unit unit, const retain_model_options *opts,
                     retain_diag *diag)
{
    retain_model_options o;
    int rc = rt_rfm_begin(out, &o, opts, diag);
    if (rc)
        return rc;
    rc = check_txns(t, unit, diag);
    if (rc)
        return rc;
    const retain_allocator *a = &o.allocator;
    summ s = { day_of(t, end), day_of(t, hold_end), unit };
    if (split && s.hold_day < s.end_day)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "holdout_end is before calibration_end");

    size_t n = t->n, nc = 0, nr = 0;
    rt_kv *runs = NULL;      /* runs, then grouped by customer */
    size_t *group = NULL;    /* customer c owns runs[group[c] .. group[c+1]) */
    int64_t *ids = NULL;     /* customer id by rank */
    dayval *buf = NULL;
    size_t bufcap = 0;

    for (size_t i = 0; i < n; i++)
        nr += i == 0 || t->customer[i] != t->customer[i - 1];
    runs = rt_malloc(a, nr * sizeof *runs);
    if (!runs)
        goto nomem;
    int sorted = 1;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (i == 0 || t->customer[i] != t->customer[i - 1]) {
            runs[k].key = id_key(t->customer[i]);
            runs[k].val = (uint64_t)i;
            if (k > 0 && runs[k].key < runs[k - 1].key)
                sorted = 0;
            k++;
        }
        runs[k - 1].val += UINT64_C(1) << 32;
    }
    if (!sorted && rt_radix_sort_kv(runs, nr, a))
        goto nomem;
    for (size_t i = 0; i < nr; i++)
        nc += i == 0 || runs[i].key != runs[i - 1].key;
    group = rt_malloc(a, (nc + 1) * sizeof *group);
    ids = rt_malloc(a, nc * sizeof *ids);
    if (!group || !ids)
        goto nomem;
    for (size_t i = 0, c = 0; i < nr; i++) {
        if (i == 0 || runs[i].key != runs[i - 1].key) {
            group[c] = i;
            ids[c++] = key_id(runs[i].key);
        }
    }
    group[nc] = nr;

    out->unit = unit;
    out->customer = ids;
    ids = NULL;
    out->x = rt_malloc(a, nc * sizeof(double));
    out->t_x = rt_malloc(a, nc * sizeof(double));
    out->T = rt_malloc(a, nc * sizeof(double));
    if (t->amount || t->value)
        out->monetary = rt_malloc(a, nc * sizeof(double));
    if (split)
        out->holdout_x = rt_malloc(a, nc * sizeof(double));
    if (!out->x || !out->t_x || !out->T || ((t->amount || t->value) && !out->monetary) ||
        (split && !out->holdout_x))
        goto nomem;

    size_t kept = 0;
    for (size_t c = 0; c < nc; c++) {
        size_t k = 0;
        for (size_t g = group[c]; g < group[c + 1]; g++)
            k += RUN_LEN(runs[g]);
        if (k > bufcap) {
            size_t nb = bufcap ? bufcap : 16;
            while (nb < k)
                nb *= 2;
            dayval *b2 = rt_realloc(a, buf, nb * sizeof *buf);
            if (!b2)
                goto nomem;
            buf = b2;
            bufcap = nb;
        }
        size_t m = 0;
        int ordered = 1;
        for (size_t g = group[c]; g < group[c + 1]; g++) {
            for (size_t i = RUN_START(runs[g]); i < RUN_START(runs[g]) + RUN_LEN(runs[g]); i++) {
                int64_t d = day_of(t, t->time[i]);
                if (d > s.hold_day)
                    continue; /* after the observation: not seen */
                buf[m].day = d;
                buf[m].v = value_of(t, i);
                if (m > 0 && d < buf[m - 1].day)
                    ordered = 0;
                m++;
            }
        }
        if (m == 0)
            continue;
        if (!ordered && rt_sort(buf, m, sizeof *buf, dayval_cmp, a))
            goto nomem;
        acc r = walk(&s, buf, m);
        if (!r.keep)
            continue;
        out->customer[kept] = out->customer[c];
        out->x[kept] = r.x;
        out->t_x[kept] = r.tx;
        out->T[kept] = r.T;
        if (out->monetary)
            out->monetary[kept] = r.mon;
        if (out->holdout_x)
            out->holdout_x[kept] = r.hx;
        kept++;
    }
    out->n = kept;
    if (split)
        out->holdout_length = (double)(s.hold_day - s.end_day) / (unit == RETAIN_UNIT_WEEK ? 7.0 : 1.0);
    rt_free(a, buf);
    rt_free(a, runs);
    rt_free(a, group);
    if (kept == 0) {
        retain_rfm_clear(out);
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "no customer made a first purchase on or before the end day");
    }
    rt_mdiag_ok(diag);
    return RETAIN_OK;

nomem:
    rt_free(a, runs);
    rt_free(a, group);
    rt_free(a, ids);
    rt_free(a, buf);
    retain_rfm_clear(out);
    out->allocator = o.allocator;
    return rt_mdiag(diag, RETAIN_ENOMEM, 0, "out of memory summarizing %zu transactions", n);
}

int retain_rfm_summarize(retain_rfm *out, const retain_txns *txns, int64_t end,
                         retain_time_unit unit, const retain_model_options *opts,
                         retain_diag *diag)
{
    return summarize(out, txns, end, end, 0, unit, opts, diag);
}

int retain_rfm_split(retain_rfm *out, const retain_txns *txns, int64_t calibration_end,
                     int64_t holdout_end, retain_time_unit unit,
                     const retain_model_options *opts, retain_diag *diag)
{
    return summarize(out, txns, calibration_end, holdout_end, 1, unit, opts, diag);
}
