/*
 * api.c - the public audit functions: gathering the audited program (the
 * installed journeys, or files audited as if installed), running every
 * check, and the result as items or JSON.
 */
#include "audit.h"
#include "core/arena.h"
#include "core/check.h"
#include "retain/audit.h"

#include <string.h>

struct retain_audit {
    retain_allocator alloc; /* the engine's, for the JSON text (retain_free) */
    int score, passed_weight, total_weight;
    int64_t now;
    size_t count;
    struct retain_audit_item *items;
};

/* ---- the audited journeys ------------------------------------------------ */

typedef struct jlist {
    au_facts *f;
    int cap;
} jlist;

static int jlist_add(jlist *l, const jr_journey *j)
{
    au_facts *f = l->f;
    for (int i = 0; i < f->njourneys; i++) {
        if (strcmp(f->journeys[i]->name, j->name))
            continue;
        if (j->version > f->journeys[i]->version)
            f->journeys[i] = j; /* a file may hold several versions: the newest counts */
        return RETAIN_OK;
    }
    const jr_journey **v = rt_grow(&f->e->alloc, (void *)f->journeys, &l->cap, f->njourneys, 8,
                                   sizeof *v);
    if (!v)
        return rt_nomem(f->e);
    f->journeys = v;
    f->journeys[f->njourneys++] = j;
    return RETAIN_OK;
}

static int add_installed(const jr_journey *j, void *ctx)
{
    return jlist_add(ctx, j);
}

/* ---- running the checks -------------------------------------------------- */

static const char *keep(rt_arena *ar, rt_buf *b, bool *ok)
{
    rt_buf_putc(b, '\0');
    if (b->failed) {
        *ok = false;
        return NULL;
    }
    return rt_arena_str(ar, b->data, ok);
}

static int run_checks(retain_audit **out, au_facts *f)
{
    retain_engine *e = f->e;
    retain_audit *a = rt_object_new(&e->alloc, sizeof *a);
    if (!a)
        return rt_nomem(e);
    rt_arena *ar = rt_object_arena(a);
    a->alloc = e->alloc;
    a->now = f->now;
    a->items = rt_arena_alloc(ar, (size_t)au_ncheck * sizeof *a->items);
    bool ok = a->items != NULL;
    int rc = RETAIN_OK;
    rt_buf d, adv;
    rt_buf_init(&d, &e->alloc);
    rt_buf_init(&adv, &e->alloc);
    for (int i = 0; ok && rc == RETAIN_OK && i < au_ncheck; i++) {
        const au_check *c = &au_checks[i];
        rt_buf_reset(&d);
        rt_buf_reset(&adv);
        int r = c->run(f, &d, &adv);
        if (r < 0) {
            rc = r;
            break;
        }
        struct retain_audit_item *it = &a->items[a->count++];
        it->key = c->key;
        it->title = c->title;
        it->weight = c->weight;
        it->passed = r > 0;
        if (r > 0)
            rt_buf_reset(&adv);
        it->detail = keep(ar, &d, &ok);
        it->advice = keep(ar, &adv, &ok);
        a->total_weight += c->weight;
        a->passed_weight += r > 0 ? c->weight : 0;
    }
    rt_buf_free(&d);
    rt_buf_free(&adv);
    if (rc == RETAIN_OK && !ok)
        rc = rt_nomem(e);
    if (rc) {
        rt_object_free(a);
        return rc;
    }
    a->score = au_score(a->passed_weight, a->total_weight);
    *out = a;
    return RETAIN_OK;
}

static int audit(retain_audit **out, au_facts *f, jlist *l)
{
    int rc = jr_each_current(f->e, add_installed, l);
    if (rc == RETAIN_OK)
        rc = rt_policy_get(f->e, &f->policy);
    if (rc == RETAIN_OK)
        rc = as_order_history(f->e, f->now, &f->history);
    if (rc == RETAIN_OK)
        rc = au_facts_journeys(f);
    if (rc == RETAIN_OK)
        rc = run_checks(out, f);
    return rc;
}

static int check_args(retain_audit **out, retain_engine *e, int64_t now)
{
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    return rt_check_time(e, "now", now);
}

int retain_audit_run(retain_audit **out, retain_engine *e, int64_t now)
{
    if (out)
        *out = NULL;
    RT_ENGINE_GUARD(e);
    int rc = check_args(out, e, now);
    if (rc)
        return rc;
    au_facts f = { .e = e, .now = now };
    jlist l = { &f, 0 };
    rc = audit(out, &f, &l);
    au_facts_free(&f);
    return rc;
}

/* Parse one file; on error set the engine's message as the loader does. */
static int parse_file(retain_engine *e, const char *yaml, const char *origin, jr_diags *d,
                      jr_journey ***list, int *n)
{
    int rc = jr_parse(e, yaml, strlen(yaml), d, list, n);
    if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT) {
        const retain_diag *g = d->count ? &d->items[0] : NULL;
        rt_error(e, rc, "%s:%d:%d: %s%s", origin ? origin : "<journeys>", g ? g->line : 0,
                 g ? g->column : 0, g ? g->message : "invalid journey file",
                 d->count > 1 ? " (and more errors)" : "");
    }
    return rc;
}

int retain_audit_run_yaml(retain_audit **out, retain_engine *e, const char *const *yaml,
                          const char *const *origins, size_t count, int64_t now,
                          retain_diag *diags, size_t diag_cap, size_t *diag_count)
{
    if (out)
        *out = NULL;
    if (diag_count)
        *diag_count = 0;
    RT_ENGINE_GUARD(e);
    int rc = check_args(out, e, now);
    if (rc)
        return rc;
    if (count && !yaml)
        return rt_error(e, RETAIN_EINVAL, "yaml is NULL but count is %zu", count);
    if (diag_cap && !diags)
        return rt_error(e, RETAIN_EINVAL, "diags is NULL but diag_cap is %zu", diag_cap);
    for (size_t i = 0; i < count; i++) {
        char what[32];
        rt_format(what, sizeof what, "yaml[%zu]", i);
        if ((rc = rt_check_ptr(e, what, yaml[i])))
            return rc;
    }
    au_facts f = { .e = e, .now = now };
    jlist l = { &f, 0 };
    jr_journey **parsed = NULL; /* every journey of every file, owned here */
    int nparsed = 0, capparsed = 0;
    retain_diag scratch[1];
    for (size_t i = 0; rc == RETAIN_OK && i < count; i++) {
        jr_diags d = { diags ? diags : scratch, diags ? diag_cap : 1, 0,
                       origins ? origins[i] : NULL };
        jr_journey **list = NULL;
        int n = 0;
        rc = parse_file(e, yaml[i], d.origin, &d, &list, &n);
        if (diag_count && rc)
            *diag_count = d.count;
        if (rc == RETAIN_OK && nparsed + n > capparsed) {
            int ncap = (nparsed + n) * 2;
            jr_journey **v = rt_realloc(&e->alloc, parsed, (size_t)ncap * sizeof *v);
            if (!v)
                rc = rt_nomem(e);
            else {
                parsed = v;
                capparsed = ncap;
            }
        }
        for (int k = 0; k < n; k++) {
            if (rc == RETAIN_OK)
                parsed[nparsed++] = list[k];
            else
                jr_journey_free(e, list[k]);
        }
        rt_free(&e->alloc, list);
    }
    /* The files' journeys first, so an installed journey of the same name
     * is the one left out. */
    for (int k = 0; rc == RETAIN_OK && k < nparsed; k++)
        rc = jlist_add(&l, parsed[k]);
    if (rc == RETAIN_OK)
        rc = audit(out, &f, &l);
    au_facts_free(&f);
    for (int k = 0; k < nparsed; k++)
        jr_journey_free(e, parsed[k]);
    rt_free(&e->alloc, parsed);
    return rc;
}

/* ---- reading the result -------------------------------------------------- */

int retain_audit_score(const retain_audit *a)
{
    return a ? a->score : 0;
}

size_t retain_audit_count(const retain_audit *a)
{
    return a ? a->count : 0;
}

int retain_audit_item(const retain_audit *a, size_t i, struct retain_audit_item *out)
{
    if (!a || !out || i >= a->count)
        return RETAIN_EINVAL;
    *out = a->items[i];
    return RETAIN_OK;
}

int retain_audit_json(char **json, const retain_audit *a)
{
    if (!json)
        return RETAIN_EINVAL;
    *json = NULL;
    if (!a)
        return RETAIN_EINVAL;
    rt_buf b;
    rt_buf_init(&b, &a->alloc);
    rt_buf_printf(&b, "{\"score\":%d,\"passed_weight\":%d,\"total_weight\":%d,\"now\":%lld,"
                  "\"items\":[", a->score, a->passed_weight, a->total_weight, (long long)a->now);
    for (size_t i = 0; i < a->count; i++) {
        const struct retain_audit_item *it = &a->items[i];
        rt_buf_puts(&b, i ? ",{\"key\":" : "{\"key\":");
        rt_buf_json_str(&b, it->key);
        rt_buf_puts(&b, ",\"title\":");
        rt_buf_json_str(&b, it->title);
        rt_buf_printf(&b, ",\"passed\":%s,\"weight\":%d,\"detail\":",
                      it->passed ? "true" : "false", it->weight);
        rt_buf_json_str(&b, it->detail);
        rt_buf_puts(&b, ",\"advice\":");
        rt_buf_json_str(&b, it->advice);
        rt_buf_putc(&b, '}');
    }
    rt_buf_puts(&b, "]}");
    return rt_buf_finish(&b, json);
}

void retain_audit_free(retain_audit *a)
{
    rt_object_free(a);
}
