/*
 * config.c - the policy configuration: the per-engine cache of quiet hours,
 * caps and marketplace profiles, the public functions that change them, and
 * small time helpers shared by the gate and the dispatcher.
 */
#include "policy.h"
#include "core/text.h"
#include "dispatch/state.h"
#include "store/outbox.h"
#include "core/check.h"
#include "retain/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

void rt_fmt_duration(int64_t ms, char *buf, size_t size)
{
    static const struct { int64_t unit; const char *name; } units[] = {
        { 7 * 86400000LL, "w" }, { 86400000LL, "d" }, { 3600000LL, "h" },
        { 60000LL, "m" }, { 1000LL, "s" },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms != 0 && ms % units[i].unit == 0) {
            rt_format(buf, size, "%lld%s", (long long)(ms / units[i].unit), units[i].name);
            return;
        }
    }
    rt_format(buf, size, "%lldms", (long long)ms);
}

bool rt_glob(const char *p, const char *s)
{
    /* Iterative '*' matching with one backtrack point: linear for our inputs. */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* ---- the cache ---------------------------------------------------------- */

static void clear(retain_engine *e, rt_policy *p)
{
    rt_free(&e->alloc, p->quiet);
    rt_free(&e->alloc, p->caps);
    rt_object_free(p->holder);
    memset(p, 0, sizeof *p);
}

typedef struct loader {
    retain_engine *e;
    rt_policy *p;
    int cap_q, cap_c, cap_p;
    rt_arena *ar;
} loader;

static int add_quiet(const char *channel, int start, int end, void *ctx)
{
    loader *L = ctx;
    rt_policy *p = L->p;
    if (p->nquiet == L->cap_q) {
        int n = L->cap_q ? L->cap_q * 2 : 8;
        rt_quiet *q = rt_realloc(&L->e->alloc, p->quiet, (size_t)n * sizeof *q);
        if (!q)
            return rt_nomem(L->e);
        p->quiet = q;
        L->cap_q = n;
    }
    rt_quiet *q = &p->quiet[p->nquiet++];
    rt_copy(q->channel, sizeof q->channel, channel);
    q->start = start;
    q->end = end;
    return RETAIN_OK;
}

static int add_cap(const char *channel, const char *category, int max, int64_t window,
                   void *ctx)
{
    loader *L = ctx;
    rt_policy *p = L->p;
    if (p->ncaps == L->cap_c) {
        int n = L->cap_c ? L->cap_c * 2 : 8;
        rt_cap *c = rt_realloc(&L->e->alloc, p->caps, (size_t)n * sizeof *c);
        if (!c)
            return rt_nomem(L->e);
        p->caps = c;
        L->cap_c = n;
    }
    rt_cap *c = &p->caps[p->ncaps++];
    rt_copy(c->channel, sizeof c->channel, channel);
    rt_copy(c->category, sizeof c->category, category);
    c->max = max;
    c->window = window;
    return RETAIN_OK;
}

static int push_profiles(loader *L, rt_profile **v, int n)
{
    rt_policy *p = L->p;
    if (p->nprofiles + n > L->cap_p) {
        int cap = L->cap_p ? L->cap_p : 8;
        while (cap < p->nprofiles + n)
            cap *= 2;
        rt_profile **np = rt_arena_alloc(L->ar, (size_t)cap * sizeof *np);
        if (!np)
            return rt_nomem(L->e);
        if (p->nprofiles)
            memcpy(np, p->profiles, (size_t)p->nprofiles * sizeof *np);
        p->profiles = np;
        L->cap_p = cap;
    }
    for (int i = 0; i < n; i++)
        p->profiles[p->nprofiles++] = v[i];
    return RETAIN_OK;
}

static int add_stored(const char *name, const char *source, const char *origin, void *ctx)
{
    loader *L = ctx;
    rt_profile **v = NULL;
    int n = 0;
    retain_diag d;
    int rc = rt_profile_parse(L->e, L->ar, source, strlen(source), &v, &n, &d);
    if (rc)
        return rt_error(L->e, RETAIN_EINTERNAL,
                        "stored marketplace profile \"%s\" (%s) no longer parses: %d:%d: %s",
                        name, origin ? origin : "no origin", d.line, d.column, d.message);
    return push_profiles(L, v, n);
}

static int reload(retain_engine *e, rt_policy *p, int64_t gen)
{
    clear(e, p);
    loader L = { e, p, 0, 0, 0, NULL };
    p->holder = rt_object_new(&e->alloc, 1);
    if (!p->holder)
        return rt_nomem(e);
    L.ar = rt_object_arena(p->holder);
    int rc = ob_quiet_each(e, add_quiet, &L);
    if (rc == RETAIN_OK)
        rc = ob_cap_each(e, add_cap, &L);
    if (rc == RETAIN_OK)
        rc = ob_profile_each(e, add_stored, &L);
    /* Built-ins apply unless a stored profile of the same name replaces them. */
    int stored = p->nprofiles;
    for (int b = 0; b < rt_builtin_profile_count && rc == RETAIN_OK; b++) {
        bool replaced = false;
        for (int i = 0; i < stored; i++)
            replaced = replaced || !strcmp(p->profiles[i]->name, rt_builtin_profiles[b].name);
        if (replaced)
            continue;
        rt_profile **v = NULL;
        int n = 0;
        retain_diag d;
        const char *src = rt_builtin_profiles[b].source;
        rc = rt_profile_parse(e, L.ar, src, strlen(src), &v, &n, &d);
        if (rc == RETAIN_ENOMEM) {
            /* Out of memory is no fault of the built-in text. */
            rc = rt_nomem(e);
            break;
        }
        if (rc) {
            rc = rt_error(e, RETAIN_EINTERNAL, "built-in profile %s: %d:%d: %s",
                          rt_builtin_profiles[b].name, d.line, d.column, d.message);
            break;
        }
        for (int i = 0; i < n; i++)
            v[i]->builtin = true;
        rc = push_profiles(&L, v, n);
    }
    if (rc) {
        clear(e, p);
        return rc;
    }
    p->generation = gen;
    p->valid = true;
    return RETAIN_OK;
}

int rt_policy_get(retain_engine *e, const rt_policy **out)
{
    struct rt_dispatch_state *ds = rt_dispatch_state_of(e);
    if (!ds)
        return e->errcode;
    if (!ds->policy) {
        ds->policy = rt_calloc(&e->alloc, 1, sizeof *ds->policy);
        if (!ds->policy)
            return rt_nomem(e);
    }
    rt_policy *p = ds->policy;
    /* Within one write transaction nobody else can change the policy:
     * the generation is read once per transaction. */
    bool in_tx = e->in_host_tx || e->call_depth > 0;
    if (p->valid && in_tx && p->checked_tx == e->tx_serial) {
        *out = p;
        return RETAIN_OK;
    }
    int64_t gen;
    int rc = ob_policy_generation(e, &gen);
    if (rc)
        return rc;
    if (!p->valid || p->generation != gen) {
        if ((rc = reload(e, p, gen)))
            return rc;
    }
    p->checked_tx = in_tx ? e->tx_serial : 0;
    *out = p;
    return RETAIN_OK;
}

void rt_policy_invalidate(retain_engine *e)
{
    if (e->dispatch && e->dispatch->policy)
        e->dispatch->policy->valid = false;
}

void rt_policy_free(retain_engine *e)
{
    if (!e->dispatch || !e->dispatch->policy)
        return;
    clear(e, e->dispatch->policy);
    rt_free(&e->alloc, e->dispatch->policy);
    e->dispatch->policy = NULL;
}

const rt_profile *rt_profile_for(const rt_policy *p, const char *sales_channel)
{
    const rt_profile *best = NULL, *fallback = NULL;
    long best_score = -1;
    for (int i = 0; i < p->nprofiles; i++) {
        const rt_profile *pr = p->profiles[i];
        if (!strcmp(pr->name, "default")) {
            fallback = pr;
            continue;
        }
        for (int k = 0; k < pr->sales_channels.n; k++) {
            const char *g = pr->sales_channels.v[k];
            if (!rt_glob(g, sales_channel))
                continue;
            long score = strchr(g, '*') ? (long)strlen(g) : 100000L;
            if (score > best_score) {
                best = pr;
                best_score = score;
            }
        }
    }
    return best ? best : fallback;
}

/* ---- public configuration ----------------------------------------------- */

/* Run `fn` in a transaction that also bumps the policy generation. */
static int change(retain_engine *e, int rc)
{
    if (rc == RETAIN_OK)
        rc = ob_policy_bump(e);
    rc = rt_tx_end(e, rc);
    rt_policy_invalidate(e);
    return rc;
}

static int check_minute(retain_engine *e, const char *what, int m)
{
    if (m < 0 || m >= 1440)
        return rt_error(e, RETAIN_EINVAL,
                        "%s is %d; give minutes after local midnight, 0 to 1439 (21:00 is 1260)",
                        what, m);
    return RETAIN_OK;
}

int retain_policy_quiet_hours_set(retain_engine *e, const char *channel, int start_minute,
                                  int end_minute)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_name(e, "channel", channel)) ||
        (rc = check_minute(e, "start_minute", start_minute)) ||
        (rc = check_minute(e, "end_minute", end_minute)) || (rc = rt_tx_begin(e)))
        return rc;
    return change(e, ob_quiet_set(e, channel, start_minute, end_minute));
}

int retain_policy_quiet_hours_get(int *start_out, int *end_out, retain_engine *e,
                                  const char *channel)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "start_minute_out", start_out)) ||
        (rc = rt_check_ptr(e, "end_minute_out", end_out)))
        return rc;
    *start_out = *end_out = -1;
    if ((rc = rt_check_name(e, "channel", channel)))
        return rc;
    const rt_policy *p;
    if ((rc = rt_policy_get(e, &p)))
        return rc;
    for (int i = 0; i < p->nquiet; i++) {
        if (!strcmp(p->quiet[i].channel, channel)) {
            *start_out = p->quiet[i].start;
            *end_out = p->quiet[i].end;
        }
    }
    return RETAIN_OK;
}

static int check_cap_args(retain_engine *e, const char *channel, const char *category)
{
    int rc;
    if ((rc = rt_check_name(e, "channel", channel)) ||
        (rc = rt_check_name(e, "category", category)))
        return rc;
    if (!strcmp(category, "transactional"))
        return rt_error(e, RETAIN_EINVAL,
                        "transactional messages are never capped; cap another category or \"all\"");
    return RETAIN_OK;
}

int retain_policy_cap_set(retain_engine *e, const char *channel, const char *category,
                          int max_messages, int64_t window_ms)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = check_cap_args(e, channel, category)))
        return rc;
    if (max_messages < 0 || max_messages > 1000000)
        return rt_error(e, RETAIN_EINVAL, "max_messages is %d; it must be 0 to 1000000",
                        max_messages);
    if (window_ms < 1000 || window_ms > 3660LL * 86400000)
        return rt_error(e, RETAIN_EINVAL,
                        "window_ms is %lld; it must be 1 s to 10 years (7 days is 604800000)",
                        (long long)window_ms);
    if ((rc = rt_tx_begin(e)))
        return rc;
    return change(e, ob_cap_set(e, channel, category, max_messages, window_ms));
}

int retain_policy_cap_get(int *max_out, int64_t *window_out, retain_engine *e,
                          const char *channel, const char *category)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "max_messages_out", max_out)) ||
        (rc = rt_check_ptr(e, "window_ms_out", window_out)))
        return rc;
    *max_out = 0;
    *window_out = 0;
    if ((rc = rt_check_name(e, "channel", channel)) ||
        (rc = rt_check_name(e, "category", category)))
        return rc;
    const rt_policy *p;
    if ((rc = rt_policy_get(e, &p)))
        return rc;
    for (int i = 0; i < p->ncaps; i++) {
        if (!strcmp(p->caps[i].channel, channel) && !strcmp(p->caps[i].category, category)) {
            *max_out = p->caps[i].max;
            *window_out = p->caps[i].window;
            return RETAIN_OK;
        }
    }
    return rt_error(e, RETAIN_ENOTFOUND, "no cap is set for %s/%s", channel, category);
}

int retain_policy_cap_remove(retain_engine *e, const char *channel, const char *category)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = check_cap_args(e, channel, category)) || (rc = rt_tx_begin(e)))
        return rc;
    bool removed = false;
    rc = ob_cap_remove(e, channel, category, &removed);
    if (rc == RETAIN_OK && !removed)
        rc = rt_error(e, RETAIN_ENOTFOUND, "no cap is set for %s/%s", channel, category);
    return change(e, rc);
}

/* Put "origin:line:column: " in front of a parse error for errmsg. */
static int parse_error(retain_engine *e, const retain_diag *d, const char *origin)
{
    return rt_error(e, d->code ? d->code : RETAIN_EPARSE, "%s%s%d:%d: %s",
                    origin ? origin : "", origin ? ":" : "", d->line, d->column, d->message);
}

int retain_policy_profile_load(retain_engine *e, const char *yaml, const char *origin,
                               int64_t now, retain_diag *diag)
{
    retain_diag local;
    if (!diag)
        diag = &local;
    memset(diag, 0, sizeof *diag);
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "yaml", yaml)) ||
        (rc = rt_check_text(e, "origin", origin, 1024)) || (rc = rt_check_time(e, "now", now))) {
        diag->code = rc;
        rt_copy(diag->message, sizeof diag->message, e->errmsg);
        return rc;
    }
    void *holder = rt_object_new(&e->alloc, 1);
    if (!holder)
        return rt_nomem(e);
    rt_profile **v = NULL;
    int n = 0;
    rc = rt_profile_parse(e, rt_object_arena(holder), yaml, strlen(yaml), &v, &n, diag);
    if (rc) {
        rt_object_free(holder);
        return parse_error(e, diag, origin);
    }
    if (n != 1) {
        rt_object_free(holder);
        diag->code = RETAIN_EPARSE;
        diag->line = diag->column = 1;
        if (n)
            rt_format(diag->message, sizeof diag->message,
                      "the text holds %d profiles; load one profile per call", n);
        else
            rt_format(diag->message, sizeof diag->message, "the text holds no profile");
        return parse_error(e, diag, origin);
    }
    if ((rc = rt_tx_begin(e)) == RETAIN_OK)
        rc = change(e, ob_profile_put(e, v[0]->name, yaml, origin, now));
    rt_object_free(holder);
    return rc;
}

int retain_policy_profile_load_file(retain_engine *e, const char *path, int64_t now,
                                    retain_diag *diag)
{
    retain_diag local;
    if (!diag)
        diag = &local;
    memset(diag, 0, sizeof *diag);
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "path", path)))
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rt_error(e, RETAIN_ENOTFOUND, "cannot open profile file \"%s\"", path);
    size_t cap = 4096, len = 0;
    char *text = rt_malloc(&e->alloc, cap);
    while (text) {
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap)
            break;
        if (cap >= (4u << 20)) {
            fclose(f);
            rt_free(&e->alloc, text);
            return rt_error(e, RETAIN_ELIMIT, "profile file \"%s\" is larger than 4 MiB", path);
        }
        char *t = rt_realloc(&e->alloc, text, cap * 2);
        if (!t)
            rt_free(&e->alloc, text);
        text = t;
        cap *= 2;
    }
    bool err = ferror(f);
    fclose(f);
    if (!text)
        return rt_nomem(e);
    if (err) {
        rt_free(&e->alloc, text);
        return rt_error(e, RETAIN_EIO, "cannot read profile file \"%s\"", path);
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        rt_free(&e->alloc, text);
        return rt_error(e, RETAIN_EINVAL, "profile file \"%s\" contains a NUL byte", path);
    }
    const char *base = strrchr(path, '/');
    rc = retain_policy_profile_load(e, text, base ? base + 1 : path, now, diag);
    rt_free(&e->alloc, text);
    return rc;
}

int retain_policy_profile_remove(retain_engine *e, const char *name)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_name(e, "name", name)) || (rc = rt_tx_begin(e)))
        return rc;
    bool removed = false;
    rc = ob_profile_remove(e, name, &removed);
    if (rc == RETAIN_OK && !removed)
        rc = rt_error(e, RETAIN_ENOTFOUND, "no profile named \"%s\" was loaded", name);
    return change(e, rc);
}

int retain_policy_profile_of(char *name_out, size_t name_size, retain_engine *e,
                             const char *sales_channel)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "name_out", name_out)))
        return rc;
    if (name_size == 0)
        return rt_error(e, RETAIN_EINVAL, "name_size is 0");
    name_out[0] = '\0';
    if ((rc = rt_check_name(e, "sales_channel", sales_channel)))
        return rc;
    const rt_policy *p;
    if ((rc = rt_policy_get(e, &p)))
        return rc;
    const rt_profile *pr = rt_profile_for(p, sales_channel);
    if (!pr)
        return rt_error(e, RETAIN_ENOTFOUND, "no profile governs sales channel \"%s\"",
                        sales_channel);
    if (strlen(pr->name) >= name_size)
        return rt_error(e, RETAIN_ELIMIT, "name_size %zu is too small for \"%s\"", name_size,
                        pr->name);
    rt_copy(name_out, name_size, pr->name);
    return RETAIN_OK;
}
