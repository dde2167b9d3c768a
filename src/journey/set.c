/*
 * set.c - the engine's loaded journeys: every stored version, compiled once,
 * and the newest version of each name marked current.
 */
#include "journey.h"
#include "store/journey_store.h"
#include "retain/rule.h"

#include <string.h>

jr_journey *jr_find(retain_engine *e, const char *name, int version)
{
    rt_journey_set *s = e->journeys;
    for (int i = 0; s && i < s->count; i++)
        if (s->items[i]->version == version && !strcmp(s->items[i]->name, name))
            return s->items[i];
    return NULL;
}

jr_journey *jr_current(retain_engine *e, const char *name)
{
    rt_journey_set *s = e->journeys;
    for (int i = 0; s && i < s->count; i++)
        if (s->items[i]->current && !strcmp(s->items[i]->name, name))
            return s->items[i];
    return NULL;
}

int jr_set_add(retain_engine *e, jr_journey *j)
{
    rt_journey_set *s = e->journeys;
    if (s->count == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 8;
        jr_journey **items = rt_realloc(&e->alloc, s->items, (size_t)ncap * sizeof *items);
        if (!items)
            return rt_nomem(e);
        s->items = items;
        s->cap = ncap;
    }
    s->items[s->count++] = j;
    for (int k = 0; k < j->nsteps; k++)
        s->any_recommend |= j->steps[k].kind == JR_RECOMMEND;
    /* The highest version of a name is the one customers enter. */
    int best = -1;
    for (int i = 0; i < s->count; i++) {
        if (strcmp(s->items[i]->name, j->name))
            continue;
        s->items[i]->current = false;
        if (best < 0 || s->items[i]->version > s->items[best]->version)
            best = i;
    }
    s->items[best]->current = true;
    return RETAIN_OK;
}

int jr_each_current(retain_engine *e, int (*fn)(const jr_journey *j, void *ctx), void *ctx)
{
    int rc = jr_ensure_loaded(e);
    rt_journey_set *s = e->journeys;
    for (int i = 0; rc == RETAIN_OK && i < s->count; i++)
        if (s->items[i]->current)
            rc = fn(s->items[i], ctx);
    return rc;
}

void rt_journeys_free(retain_engine *e)
{
    rt_journey_set *s = e->journeys;
    if (!s)
        return;
    for (int i = 0; i < s->count; i++)
        jr_journey_free(e, s->items[i]);
    rt_free(&e->alloc, s->items);
    retain_eval_ctx_free(s->ctx);
    rt_free(&e->alloc, s->scratch);
    rt_free(&e->alloc, s);
    e->journeys = NULL;
}

static int load_one(retain_engine *e, const char *name, int version, const char *source, void *ctx)
{
    (*(int64_t *)ctx)++;
    if (jr_find(e, name, version))
        return RETAIN_OK; /* loaded before, or installed by this engine */
    retain_diag d[4];
    jr_diags diags = { d, 4, 0, name };
    jr_journey **list = NULL;
    int n = 0;
    int rc = jr_parse(e, source, strlen(source), &diags, &list, &n);
    if (rc == RETAIN_ENOMEM)
        return rc;
    if (rc)
        return rt_error(e, RETAIN_EINTERNAL,
                        "stored journey \"%s\" version %d no longer compiles: %d:%d: %s", name,
                        version, d[0].line, d[0].column, d[0].message);
    for (int i = 0; i < n; i++) {
        if (rc == RETAIN_OK && !strcmp(list[i]->name, name) && list[i]->version == version) {
            rc = jr_set_add(e, list[i]);
            if (rc)
                jr_journey_free(e, list[i]);
        } else {
            jr_journey_free(e, list[i]);
        }
    }
    rt_free(&e->alloc, list);
    return rc;
}

int jr_ensure_loaded(retain_engine *e)
{
    /* Other engines on the same file install journeys too: an engine that
     * kept the set it read first would neither enroll customers into them
     * nor advance the instances others enrolled (it ended those as "journey
     * version not loaded", and their messages were lost). */
    int rc;
    /* Within one write transaction no other engine installs any. */
    bool in_tx = e->in_host_tx || e->call_depth > 0;
    if (e->journeys && in_tx && e->journeys->checked_tx == e->tx_serial)
        return RETAIN_OK;
    if (e->journeys) {
        int64_t n;
        if ((rc = js_def_count(e, &n)))
            return rc;
        if (n == e->journeys->stored) {
            e->journeys->checked_tx = in_tx ? e->tx_serial : 0;
            return RETAIN_OK;
        }
    } else {
        e->journeys = rt_calloc(&e->alloc, 1, sizeof *e->journeys);
        if (!e->journeys)
            return rt_nomem(e);
    }
    int64_t seen = 0;
    rc = js_def_each(e, load_one, &seen);
    if (rc == RETAIN_OK) {
        e->journeys->stored = seen;
        e->journeys->checked_tx = in_tx ? e->tx_serial : 0;
    }
    else if (e->journeys->count == 0)
        rt_journeys_free(e);
    return rc;
}
