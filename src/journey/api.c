/*
 * api.c - the public journey functions: loading files, next touchpoint and
 * explain.
 */
#include "journey.h"
#include "core/buf.h"
#include "core/check.h"
#include "store/journey_store.h"
#include "retain/journey.h"

#include <stdio.h>
#include <string.h>

static int install(retain_engine *e, jr_journey **list, int n, const char *text,
                   const char *origin, int64_t now, jr_diags *d, bool *taken)
{
    int rc = RETAIN_OK;
    for (int i = 0; i < n && rc == RETAIN_OK; i++) {
        jr_journey *j = list[i];
        char *old = NULL;
        if ((rc = js_def_source(e, j->name, j->version, &old)))
            break;
        if (old) {
            bool same = !strcmp(old, text);
            rt_free(&e->alloc, old);
            if (same) {
                /* Already installed (maybe by another engine a moment
                 * ago): a no-op, but this engine must know it too. */
                if (!jr_find(e, j->name, j->version)) {
                    rc = jr_set_add(e, j);
                    taken[i] = rc == RETAIN_OK;
                }
                continue;
            }
            rc = rt_error(e, RETAIN_ECONFLICT,
                          "journey \"%s\" version %d is already installed with different "
                          "content; give the new content a higher version",
                          j->name, j->version);
            break;
        }
        const jr_journey *cur = jr_current(e, j->name);
        if (cur && cur->version > j->version) {
            rc = rt_error(e, RETAIN_ECONFLICT,
                          "journey \"%s\" version %d is older than the installed version %d",
                          j->name, j->version, cur->version);
            break;
        }
        rc = js_def_insert(e, j->name, j->version, text, origin, now);
        if (rc == RETAIN_OK) {
            rc = jr_set_add(e, j);
            taken[i] = rc == RETAIN_OK;
        }
    }
    if (rc && rc != RETAIN_ENOMEM && d->count < d->cap) {
        retain_diag *g = &d->items[d->count++];
        memset(g, 0, sizeof *g);
        g->code = rc;
        rt_copy(g->message, sizeof g->message, e->errmsg);
    }
    return rc;
}

int retain_journeys_load(retain_engine *e, const char *yaml, const char *origin, int64_t now,
                         retain_diag *diags, size_t diag_cap, size_t *diag_count)
{
    RT_ENGINE_GUARD(e);
    if (diag_count)
        *diag_count = 0;
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "yaml", yaml)) || (rc = rt_check_time(e, "now", now)))
        return rc;
    if (diag_cap && !diags)
        return rt_error(e, RETAIN_EINVAL, "diags is NULL but diag_cap is %zu", diag_cap);
    if ((rc = jr_ensure_loaded(e)))
        return rc;
    retain_diag scratch[1];
    jr_diags d = { diags ? diags : scratch, diags ? diag_cap : 1, 0, origin };
    jr_journey **list = NULL;
    int n = 0;
    rc = jr_parse(e, yaml, strlen(yaml), &d, &list, &n);
    if (rc == RETAIN_OK) {
        bool taken[256] = { false };
        if (n > 256) {
            rc = rt_error(e, RETAIN_ELIMIT, "a file holds at most 256 journeys");
        } else if ((rc = rt_tx_begin(e)) == RETAIN_OK) {
            rc = rt_tx_end(e, install(e, list, n, yaml, origin, now, &d, taken));
            if (rc) {
                /* The transaction rolled back: drop the set (it owns what was
                 * taken) and reload it from the store on next use. */
                rt_journeys_free(e);
            }
        }
        for (int i = 0; i < n; i++)
            if (!taken[i])
                jr_journey_free(e, list[i]);
    } else if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT) {
        const retain_diag *first = d.count ? &d.items[0] : NULL;
        rt_error(e, rc, "%s:%d:%d: %s%s", origin ? origin : "<journeys>", first ? first->line : 0,
                 first ? first->column : 0, first ? first->message : "invalid journey file",
                 d.count > 1 ? " (and more errors)" : "");
    }
    rt_free(&e->alloc, list);
    if (diag_count)
        *diag_count = d.count;
    return rc;
}

int retain_journeys_load_file(retain_engine *e, const char *path, int64_t now, retain_diag *diags,
                              size_t diag_cap, size_t *diag_count)
{
    RT_ENGINE_GUARD(e);
    if (diag_count)
        *diag_count = 0;
    int rc = rt_check_ptr(e, "path", path);
    if (rc)
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rt_error(e, RETAIN_EIO, "cannot open journey file \"%s\"", path);
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (8u << 20))
        rt_buf_append(&b, chunk, got);
    bool err = ferror(f);
    fclose(f);
    char *text = NULL;
    if (rt_buf_finish(&b, &text))
        return rt_nomem(e);
    if (err) {
        rt_free(&e->alloc, text);
        return rt_error(e, RETAIN_EIO, "cannot read journey file \"%s\"", path);
    }
    rc = retain_journeys_load(e, text, path, now, diags, diag_cap, diag_count);
    rt_free(&e->alloc, text);
    return rc;
}
