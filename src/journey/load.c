/*
 * load.c - journey YAML to compiled journeys, with every error of a file
 * reported as line:column: message (up to the caller's limit) and nothing
 * installed unless the whole file is valid.
 */
#include "journey.h"
#include "yaml.h"
#include "core/check.h"
#include "core/text.h"
#include "policy/policy.h"
#include "domain/domain.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loader {
    retain_engine *e;
    jr_diags *d;
    rt_arena *ar; /* scratch for the tree; journeys use the engine allocator */
    bool oom;     /* an allocation failed: the file is not judged, ENOMEM is returned */
} loader;

/* Note a failed allocation, so that it is not mistaken for an error in the
 * file (a missing step id, an unchecked graph ...). */
static void *track(loader *L, void *p)
{
    if (!p)
        L->oom = true;
    return p;
}

static void diag(loader *L, const yn *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void diag(loader *L, const yn *at, const char *fmt, ...)
{
    if (L->d->count >= L->d->cap) {
        L->d->count++; /* counted, not stored */
        return;
    }
    retain_diag *g = &L->d->items[L->d->count++];
    memset(g, 0, sizeof *g);
    g->code = RETAIN_EPARSE;
    g->line = at ? at->line : 0;
    g->column = at ? at->column : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->message, sizeof g->message, fmt, ap);
    va_end(ap);
}

static void diag_copy(loader *L, const retain_diag *src)
{
    if (src->code == RETAIN_ENOMEM) {
        L->oom = true;
        return;
    }
    if (L->d->count >= L->d->cap) {
        L->d->count++;
        return;
    }
    L->d->items[L->d->count++] = *src;
}

static const char *suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    int bestd = 3;
    for (size_t i = 0; cands[i]; i++) {
        int d = rt_edit_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    return best;
}

static void check_keys(loader *L, const yn *map, const char *what, const char *const *allowed)
{
    for (int i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->str;
        bool ok = false;
        for (size_t j = 0; allowed[j] && !ok; j++)
            ok = strcmp(allowed[j], k) == 0;
        if (ok)
            continue;
        const char *s = suggest(k, allowed);
        if (s)
            diag(L, map->keys[i], "unknown key \"%s\" in %s (did you mean \"%s\"?)", k, what, s);
        else
            diag(L, map->keys[i], "unknown key \"%s\" in %s", k, what);
    }
}

static char *dup(loader *L, const char *s)
{
    return s ? track(L, rt_strdup(&L->e->alloc, s)) : NULL;
}

static bool is_scalar(loader *L, const yn *n, const char *what)
{
    if (n && n->type == YN_SCALAR && n->len > 0)
        return true;
    diag(L, n, "%s must be a value", what);
    return false;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!(alnum || (i > 0 && (c == '_' || c == '.' || c == '-'))))
            return false;
    }
    return true;
}

static char *name_of(loader *L, const yn *n, const char *what)
{
    if (!is_scalar(L, n, what))
        return NULL;
    if (!valid_name(n->str)) {
        diag(L, n, "%s \"%.60s\" is not a valid name (a-z, 0-9, '_', '.', '-')", what, n->str);
        return NULL;
    }
    return dup(L, n->str);
}

static bool duration_of(loader *L, const yn *n, const char *what, int64_t *out)
{
    if (!is_scalar(L, n, what))
        return false;
    if (!rt_parse_duration(n->str, out)) {
        diag(L, n, "%s \"%.40s\" is not a duration (like 90s, 30m, 2h, 3d, 2w)", what, n->str);
        return false;
    }
    return true;
}

static bool int_of(loader *L, const yn *n, const char *what, long lo, long hi, long *out)
{
    if (!is_scalar(L, n, what))
        return false;
    char *end;
    long v = strtol(n->str, &end, 10);
    if (*end || v < lo || v > hi) {
        diag(L, n, "%s must be a whole number from %ld to %ld", what, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

static jr_cond *cond_of(loader *L, const yn *n, const char *what)
{
    if (!is_scalar(L, n, what))
        return NULL;
    /* Point rule errors into the file: a quoted scalar starts one column
     * after its quote. Block scalars map to their first line. */
    int col = n->column + (n->plain ? 0 : 1);
    jr_cond *c = NULL;
    retain_diag rd;
    memset(&rd, 0, sizeof rd);
    int rc = jr_cond_compile(L->e, n->str, n->line, col, &c, &rd);
    if (rc == RETAIN_ENOMEM)
        L->oom = true;
    else if (rc != RETAIN_OK)
        diag_copy(L, &rd);
    return c;
}

static bool bool_of(const yn *n, bool *out)
{
    if (!n || n->type != YN_SCALAR)
        return false;
    if (!strcmp(n->str, "true") || !strcmp(n->str, "yes")) { *out = true; return true; }
    if (!strcmp(n->str, "false") || !strcmp(n->str, "no")) { *out = false; return true; }
    return false;
}

static rt_on_policy policy_of(loader *L, const yn *n, const char *what)
{
    if (!n)
        return RT_POLICY_DEFER;
    if (n->type == YN_SCALAR && !strcmp(n->str, "defer"))
        return RT_POLICY_DEFER;
    if (n->type == YN_SCALAR && (!strcmp(n->str, "skip") || !strcmp(n->str, "drop")))
        return RT_POLICY_SKIP;
    diag(L, n, "%s must be \"defer\" or \"skip\"", what);
    return RT_POLICY_DEFER;
}

/* Step references are resolved after all ids are known. */
typedef struct ref {
    const yn *at;
    int *slot;
} ref;

typedef struct refs {
    ref *items;
    int n, cap;
    bool failed;
} refs;

static void want_ref(loader *L, refs *r, const yn *at, int *slot)
{
    if (r->n == r->cap) {
        int ncap = r->cap ? r->cap * 2 : 16;
        ref *items = rt_realloc(&L->e->alloc, r->items, (size_t)ncap * sizeof *items);
        if (!items) {
            r->failed = true;
            return;
        }
        r->items = items;
        r->cap = ncap;
    }
    r->items[r->n++] = (ref){ at, slot };
}

static const char *const step_keys[] = {
    "id", "when", "wait", "send", "wait_for", "branch", "split", "goto", "exit", "set", "task",
    "coupon", "recommend", "description", NULL,
};
static const char *const action_keys[] = {
    "send", "wait_for", "branch", "split", "exit", "set", "task", "coupon", "recommend", NULL,
};

static void load_recommend(loader *L, const yn *v, jr_step *s)
{
    static const char *const keys[] = { "count", NULL };
    s->kind = JR_RECOMMEND;
    s->u.recommend.count = 3;
    if (v->type != YN_MAP) {
        diag(L, v, "recommend must be a mapping like { count: 3 }");
        return;
    }
    check_keys(L, v, "recommend", keys);
    const yn *c = yn_get(v, "count");
    long n = 3;
    if (c && int_of(L, c, "recommend.count", 1, 100, &n))
        s->u.recommend.count = (int)n;
}

static void load_coupon(loader *L, const yn *v, jr_step *s, refs *r)
{
    static const char *const keys[] = { "campaign", "on_invalid", NULL };
    s->kind = JR_COUPON;
    s->u.coupon.on_invalid = -1;
    if (v->type != YN_MAP) {
        diag(L, v, "coupon must be a mapping with campaign and on_invalid");
        return;
    }
    check_keys(L, v, "coupon", keys);
    const yn *c = yn_get(v, "campaign"), *inv = yn_get(v, "on_invalid");
    if (!c) diag(L, v, "coupon needs a campaign");
    else s->u.coupon.campaign = name_of(L, c, "coupon.campaign");
    /* Required: a customer must never be told about a code that does not work. */
    if (!inv) diag(L, v, "coupon needs on_invalid: the step to take when no working code can be sent");
    else want_ref(L, r, inv, &s->u.coupon.on_invalid);
}

static void load_wait(loader *L, const yn *w, jr_step *s)
{
    if (w->type == YN_SCALAR) {
        duration_of(L, w, "wait", &s->wait_ms);
        return;
    }
    if (w->type != YN_MAP) {
        diag(L, w, "wait must be a duration or a mapping with for/until");
        return;
    }
    static const char *const keys[] = { "for", "until", NULL };
    check_keys(L, w, "wait", keys);
    const yn *f = yn_get(w, "for"), *u = yn_get(w, "until");
    if (f)
        duration_of(L, f, "wait.for", &s->wait_ms);
    if (u && is_scalar(L, u, "wait.until")) {
        int hh, mm;
        char extra;
        if (sscanf(u->str, "%d:%d%c", &hh, &mm, &extra) != 2 || hh < 0 || hh > 23 || mm < 0 ||
            mm > 59)
            diag(L, u, "wait.until \"%.20s\" must be a local time of day like \"09:00\"", u->str);
        else
            s->wait_until_min = hh * 60 + mm;
    }
    if (!f && !u)
        diag(L, w, "wait needs \"for\" or \"until\"");
}

static void load_send(loader *L, const yn *v, jr_step *s)
{
    static const char *const keys[] = {
        "channel", "template", "category", "fallback", "max_age", "on_quiet", "on_cap",
        "unless_delivered", NULL,
    };
    if (v->type != YN_MAP) {
        diag(L, v, "send must be a mapping with channel, template and category");
        return;
    }
    check_keys(L, v, "send", keys);
    s->kind = JR_SEND;
    const yn *ch = yn_get(v, "channel"), *tp = yn_get(v, "template"), *ca = yn_get(v, "category");
    if (!ch) diag(L, v, "send needs a channel (email, sms, push ...)");
    else s->u.send.channel = name_of(L, ch, "send.channel");
    if (!tp) diag(L, v, "send needs a template");
    else if (is_scalar(L, tp, "send.template")) s->u.send.template_id = dup(L, tp->str);
    if (!ca) diag(L, v, "send needs a category (transactional, marketing, feedback ...)");
    else s->u.send.category = name_of(L, ca, "send.category");
    const yn *fb = yn_get(v, "fallback");
    if (fb)
        s->u.send.fallback = name_of(L, fb, "send.fallback");
    const yn *ma = yn_get(v, "max_age");
    if (ma)
        duration_of(L, ma, "send.max_age", &s->u.send.max_age_ms);
    s->u.send.on_quiet = policy_of(L, yn_get(v, "on_quiet"), "send.on_quiet");
    s->u.send.on_cap = policy_of(L, yn_get(v, "on_cap"), "send.on_cap");
    const yn *ud = yn_get(v, "unless_delivered");
    if (ud && !bool_of(ud, &s->u.send.unless_delivered))
        diag(L, ud, "send.unless_delivered must be true or false");
    s->u.send.unless_delivered_set = ud != NULL;
}

static void load_step(loader *L, const yn *m, jr_step *s, refs *r)
{
    s->line = m->line;
    s->column = m->column;
    s->next = -2; /* resolved later: -2 = the following step */
    s->wait_until_min = -1;
    s->kind = JR_WAIT;
    check_keys(L, m, "a step", step_keys);
    const yn *id = yn_get(m, "id");
    if (!id)
        diag(L, m, "every step needs an id");
    else
        s->id = name_of(L, id, "step id");
    const yn *w = yn_get(m, "when");
    if (w)
        s->when = cond_of(L, w, "when");
    const yn *wt = yn_get(m, "wait");
    if (wt)
        load_wait(L, wt, s);
    int actions = 0;
    for (size_t k = 0; action_keys[k]; k++)
        if (yn_get(m, action_keys[k]))
            actions++;
    if (actions > 1)
        diag(L, m, "a step has one action; this one has %d (split it into steps)", actions);
    const yn *v;
    if ((v = yn_get(m, "send"))) {
        load_send(L, v, s);
    } else if ((v = yn_get(m, "wait_for"))) {
        static const char *const keys[] = { "event", "when", "timeout", "on_timeout", NULL };
        s->kind = JR_WAIT_FOR;
        s->u.wait_for.on_timeout = -1;
        if (v->type != YN_MAP) {
            diag(L, v, "wait_for must be a mapping with event and timeout");
        } else {
            check_keys(L, v, "wait_for", keys);
            const yn *ev = yn_get(v, "event"), *to = yn_get(v, "timeout");
            if (!ev) diag(L, v, "wait_for needs an event");
            else s->u.wait_for.event = name_of(L, ev, "wait_for.event");
            if (!to) diag(L, v, "wait_for needs a timeout (like 3d)");
            else duration_of(L, to, "wait_for.timeout", &s->u.wait_for.timeout_ms);
            if ((w = yn_get(v, "when")))
                s->u.wait_for.when = cond_of(L, w, "wait_for.when");
            if ((w = yn_get(v, "on_timeout")))
                want_ref(L, r, w, &s->u.wait_for.on_timeout);
        }
    } else if ((v = yn_get(m, "branch"))) {
        s->kind = JR_BRANCH;
        if (v->type != YN_SEQ || v->n == 0) {
            diag(L, v, "branch must be a list of { when: RULE, goto: STEP } and { else: STEP }");
        } else {
            s->u.branch.arms = rt_calloc(&L->e->alloc, (size_t)v->n, sizeof(jr_arm));
            if (!s->u.branch.arms) {
                r->failed = true;
                return;
            }
            s->u.branch.narms = v->n;
            for (int i = 0; i < v->n; i++) {
                const yn *a = v->items[i];
                jr_arm *arm = &s->u.branch.arms[i];
                arm->target = -1;
                static const char *const keys[] = { "when", "goto", "else", NULL };
                if (a->type != YN_MAP) {
                    diag(L, a, "a branch arm is { when: RULE, goto: STEP } or { else: STEP }");
                    continue;
                }
                check_keys(L, a, "a branch arm", keys);
                const yn *el = yn_get(a, "else");
                if (el) {
                    if (i != v->n - 1)
                        diag(L, a, "else must be the last arm of a branch");
                    want_ref(L, r, el, &arm->target);
                } else {
                    const yn *cw = yn_get(a, "when"), *g = yn_get(a, "goto");
                    if (!cw || !g)
                        diag(L, a, "a branch arm needs both when and goto");
                    if (cw)
                        arm->when = cond_of(L, cw, "branch.when");
                    if (g)
                        want_ref(L, r, g, &arm->target);
                }
            }
        }
    } else if ((v = yn_get(m, "split"))) {
        s->kind = JR_SPLIT;
        if (v->type != YN_MAP || v->n == 0) {
            diag(L, v, "split must map variant names to weights, like { A: 50, B: 40, holdout: 10 }");
        } else {
            s->u.split.variants = rt_calloc(&L->e->alloc, (size_t)v->n, sizeof(jr_variant));
            if (!s->u.split.variants) {
                r->failed = true;
                return;
            }
            long total = 0;
            for (int i = 0; i < v->n; i++) {
                long wgt = 0;
                int_of(L, v->items[i], "a split weight", 0, 1000000, &wgt);
                total += wgt;
                if (!strcmp(v->keys[i]->str, "holdout")) {
                    s->u.split.holdout = (int)wgt;
                    continue;
                }
                jr_variant *jv = &s->u.split.variants[s->u.split.nvariants++];
                const yn *vk = v->keys[i];
                bool ok = vk->len >= 1 && vk->len <= 32;
                for (size_t c = 0; ok && c < vk->len; c++)
                    ok = isalnum((unsigned char)vk->str[c]) || vk->str[c] == '_' || vk->str[c] == '-';
                if (!ok)
                    diag(L, vk, "variant name \"%.40s\" must be 1 to 32 letters, digits, '_' or '-'",
                         vk->str);
                else
                    jv->name = dup(L, vk->str);
                jv->weight = (int)wgt;
            }
            if (total <= 0)
                diag(L, v, "split weights add up to 0");
        }
    } else if ((v = yn_get(m, "exit"))) {
        bool b = true;
        if (v->len && !bool_of(v, &b))
            diag(L, v, "exit takes true (or nothing)");
        s->kind = JR_EXIT;
    } else if ((v = yn_get(m, "set"))) {
        s->kind = JR_SET;
        if (v->type != YN_MAP || v->n == 0) {
            diag(L, v, "set must map customer attribute names to values");
        } else {
            /* Build the merge patch {"name": value, ...}; plain scalars that
             * look like numbers, true/false or null keep their JSON type. */
            char buf[4096];
            size_t used = 0;
            used += (size_t)snprintf(buf + used, sizeof buf - used, "{");
            for (int i = 0; i < v->n && used < sizeof buf; i++) {
                const yn *val = v->items[i];
                if (val->type != YN_SCALAR) {
                    diag(L, val, "set values must be plain values");
                    continue;
                }
                char *end;
                (void)strtod(val->str, &end);
                bool literal = val->plain && val->len &&
                               (!*end || !strcmp(val->str, "true") ||
                                !strcmp(val->str, "false") || !strcmp(val->str, "null"));
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s\"%s\":", i ? "," : "",
                                         v->keys[i]->str);
                if (literal) {
                    used += (size_t)snprintf(buf + used, sizeof buf - used, "%s", val->str);
                } else {
                    used += (size_t)snprintf(buf + used, sizeof buf - used, "\"");
                    for (const char *c = val->str; *c && used + 8 < sizeof buf; c++) {
                        if (*c == '"' || *c == '\\')
                            buf[used++] = '\\';
                        buf[used++] = *c;
                    }
                    used += (size_t)snprintf(buf + used, sizeof buf - used, "\"");
                }
            }
            if (used + 2 >= sizeof buf)
                diag(L, v, "set is too large");
            else {
                snprintf(buf + used, sizeof buf - used, "}");
                s->u.set.attrs_json = dup(L, buf);
            }
        }
    } else if ((v = yn_get(m, "task"))) {
        static const char *const keys[] = { "kind", "note", NULL };
        s->kind = JR_TASK;
        if (v->type != YN_MAP) {
            diag(L, v, "task must be a mapping with kind (call, chat ...) and note");
        } else {
            check_keys(L, v, "task", keys);
            const yn *k = yn_get(v, "kind"), *n = yn_get(v, "note");
            if (!k) diag(L, v, "task needs a kind (call, chat, gift, review ...)");
            else s->u.task.kind = name_of(L, k, "task.kind");
            if (n && is_scalar(L, n, "task.note"))
                s->u.task.note = dup(L, n->str);
        }
    } else if ((v = yn_get(m, "coupon"))) {
        load_coupon(L, v, s, r);
    } else if ((v = yn_get(m, "recommend"))) {
        load_recommend(L, v, s);
    } else if (yn_get(m, "goto")) {
        s->kind = JR_GOTO;
    } else if (!wt) {
        const char *s2 = NULL;
        for (int i = 0; i < m->n && !s2; i++)
            if (strcmp(m->keys[i]->str, "id") && strcmp(m->keys[i]->str, "when"))
                s2 = suggest(m->keys[i]->str, action_keys);
        if (s2)
            diag(L, m, "step has no action (did you mean \"%s\"?)", s2);
        else
            diag(L, m, "step has no action: use send, wait, wait_for, branch, split, goto, "
                       "exit, set, task, coupon or recommend");
    }
    const yn *g = yn_get(m, "goto");
    if (g) {
        if (s->kind == JR_BRANCH || s->kind == JR_EXIT)
            diag(L, g, "goto cannot follow a %s", s->kind == JR_BRANCH ? "branch" : "exit");
        else
            want_ref(L, r, g, &s->next);
    }
}

static void resolve_refs(loader *L, jr_journey *j, refs *r)
{
    for (int i = 0; i < r->n; i++) {
        const yn *at = r->items[i].at;
        if (at->type != YN_SCALAR) {
            diag(L, at, "a step reference must be a step id");
            continue;
        }
        int idx = jr_step_index(j, at->str);
        if (idx < 0) {
            const char *cands[257];
            int n = 0;
            for (int k = 0; k < j->nsteps && n < 256; k++)
                if (j->steps[k].id)
                    cands[n++] = j->steps[k].id;
            cands[n] = NULL;
            const char *s = suggest(at->str, cands);
            if (s)
                diag(L, at, "no step has the id \"%s\" (did you mean \"%s\"?)", at->str, s);
            else
                diag(L, at, "no step has the id \"%s\"", at->str);
            continue;
        }
        *r->items[i].slot = idx;
    }
    for (int k = 0; k < j->nsteps; k++)
        if (j->steps[k].next == -2)
            j->steps[k].next = k + 1 < j->nsteps ? k + 1 : -1;
}

int jr_successors(const jr_journey *j, int k, int *out)
{
    const jr_step *s = &j->steps[k];
    int n = 0;
    if (s->kind == JR_EXIT)
        return 0;
    if (s->kind == JR_BRANCH) {
        bool has_else = false;
        for (int i = 0; i < s->u.branch.narms; i++) {
            if (s->u.branch.arms[i].target >= 0)
                out[n++] = s->u.branch.arms[i].target;
            has_else |= s->u.branch.arms[i].when == NULL;
        }
        if (!has_else && k + 1 < j->nsteps)
            out[n++] = k + 1;
        return n;
    }
    if (s->next >= 0)
        out[n++] = s->next;
    if (s->when && k + 1 < j->nsteps && s->next != k + 1)
        out[n++] = k + 1; /* a guarded step that is passed over */
    if (s->kind == JR_WAIT_FOR && s->u.wait_for.on_timeout >= 0)
        out[n++] = s->u.wait_for.on_timeout;
    if (s->kind == JR_COUPON && s->u.coupon.on_invalid >= 0)
        out[n++] = s->u.coupon.on_invalid;
    return n;
}

int jr_successors_max(const jr_journey *j)
{
    int most = 0;
    for (int k = 0; k < j->nsteps; k++)
        if (j->steps[k].kind == JR_BRANCH && j->steps[k].u.branch.narms > most)
            most = j->steps[k].u.branch.narms;
    return most + 3;
}

bool jr_step_waits(const jr_step *s)
{
    return s->wait_ms > 0 || s->wait_until_min >= 0 || s->kind == JR_WAIT_FOR;
}

static void check_graph(loader *L, jr_journey *j, const yn *steps_node)
{
    int n = j->nsteps;
    if (n <= 0)
        return;
    char *seen = rt_calloc(&L->e->alloc, (size_t)n, 1);
    int *stack = rt_calloc(&L->e->alloc, (size_t)n * 4 + 8, sizeof(int));
    /* A branch may have any number of arms: size the successor buffer by
     * the widest one, not by the step limit. */
    int *succ = rt_calloc(&L->e->alloc, (size_t)jr_successors_max(j), sizeof(int));
    if (!seen || !stack || !succ) {
        L->oom = true;
        rt_free(&L->e->alloc, seen);
        rt_free(&L->e->alloc, stack);
        rt_free(&L->e->alloc, succ);
        return;
    }
    /* Reachability from the first step. */
    int sp = 0;
    stack[sp++] = 0;
    seen[0] = 1;
    while (sp) {
        int k = stack[--sp];
        int m = jr_successors(j, k, succ);
        for (int i = 0; i < m; i++)
            if (!seen[succ[i]]) {
                seen[succ[i]] = 1;
                stack[sp++] = succ[i];
            }
    }
    for (int k = 0; k < n; k++)
        if (!seen[k])
            diag(L, steps_node->items[k], "step \"%s\" can never be reached",
                 j->steps[k].id ? j->steps[k].id : "?");
    /* Cycles through steps that never wait would spin forever: colour DFS
     * over the steps that do not wait. 0 white, 1 grey, 2 black. */
    memset(seen, 0, (size_t)n);
    for (int root = 0; root < n; root++) {
        if (seen[root] || jr_step_waits(&j->steps[root]))
            continue;
        /* iterative DFS with explicit (node, next-successor) pairs */
        int top = 0;
        stack[0] = root;
        stack[1] = 0;
        top = 1;
        seen[root] = 1;
        while (top > 0) {
            int k = stack[(top - 1) * 2], i = stack[(top - 1) * 2 + 1];
            int m = jr_successors(j, k, succ);
            if (i >= m) {
                seen[k] = 2;
                top--;
                continue;
            }
            stack[(top - 1) * 2 + 1] = i + 1;
            int t = succ[i];
            if (jr_step_waits(&j->steps[t]))
                continue;
            if (seen[t] == 1) {
                diag(L, steps_node->items[t],
                     "steps \"%s\" and \"%s\" form a loop without a wait; add a wait",
                     j->steps[k].id ? j->steps[k].id : "?", j->steps[t].id ? j->steps[t].id : "?");
                top = 0;
                break;
            }
            if (seen[t] == 0 && top < 2 * n) {
                seen[t] = 1;
                stack[top * 2] = t;
                stack[top * 2 + 1] = 0;
                top++;
            }
        }
    }
    rt_free(&L->e->alloc, seen);
    rt_free(&L->e->alloc, stack);
    rt_free(&L->e->alloc, succ);
}

static const char *const journey_keys[] = {
    "journey", "version", "description", "trigger", "entry", "exit_when", "goal",
    "stale_after", "sales_channels", "steps", NULL,
};

static jr_journey *load_journey(loader *L, const yn *m)
{
    jr_journey *j = rt_calloc(&L->e->alloc, 1, sizeof *j);
    if (!j)
        return NULL;
    j->entry = JR_ENTRY_ONCE_PER_ORDER;
    j->stale_after_ms = 3 * 86400000LL;
    check_keys(L, m, "a journey", journey_keys);
    const yn *v = yn_get(m, "journey");
    if (!v)
        diag(L, m, "a journey needs a name: journey: NAME");
    else
        j->name = name_of(L, v, "journey name");
    long ver = 1;
    if ((v = yn_get(m, "version")))
        int_of(L, v, "version", 1, 1000000, &ver);
    j->version = (int)ver;
    if ((v = yn_get(m, "description")) && v->type == YN_SCALAR)
        j->description = dup(L, v->str);
    v = yn_get(m, "trigger");
    if (!v) {
        diag(L, m, "a journey needs a trigger: { event: NAME, when: RULE }");
    } else if (v->type == YN_SCALAR) {
        j->trigger_event = name_of(L, v, "trigger event");
    } else if (v->type == YN_MAP) {
        static const char *const keys[] = { "event", "when", NULL };
        check_keys(L, v, "trigger", keys);
        const yn *ev = yn_get(v, "event"), *w = yn_get(v, "when");
        if (!ev) diag(L, v, "trigger needs an event");
        else j->trigger_event = name_of(L, ev, "trigger.event");
        if (w)
            j->trigger_when = cond_of(L, w, "trigger.when");
    } else {
        diag(L, v, "trigger must be an event name or { event: NAME, when: RULE }");
    }
    if ((v = yn_get(m, "entry"))) {
        if (v->type == YN_SCALAR && !strcmp(v->str, "once")) j->entry = JR_ENTRY_ONCE;
        else if (v->type == YN_SCALAR && !strcmp(v->str, "once_per_order")) j->entry = JR_ENTRY_ONCE_PER_ORDER;
        else if (v->type == YN_SCALAR && !strcmp(v->str, "always")) j->entry = JR_ENTRY_ALWAYS;
        else if (v->type == YN_MAP && yn_get(v, "cooldown")) {
            static const char *const keys[] = { "cooldown", NULL };
            check_keys(L, v, "entry", keys);
            j->entry = JR_ENTRY_COOLDOWN;
            duration_of(L, yn_get(v, "cooldown"), "entry.cooldown", &j->cooldown_ms);
        } else if (v->type == YN_MAP && yn_get(v, "once_per")) {
            const yn *op = yn_get(v, "once_per");
            if (op->type == YN_SCALAR && !strcmp(op->str, "order")) j->entry = JR_ENTRY_ONCE_PER_ORDER;
            else if (op->type == YN_SCALAR && !strcmp(op->str, "customer")) j->entry = JR_ENTRY_ONCE;
            else diag(L, op, "entry.once_per must be order or customer");
        } else {
            diag(L, v, "entry must be once, once_per_order, always or { cooldown: DURATION }");
        }
    }
    if ((v = yn_get(m, "exit_when"))) {
        if (v->type != YN_SEQ) {
            diag(L, v, "exit_when must be a list of { event: NAME, when: RULE }");
        } else if (v->n) {
            j->exits = track(L, rt_calloc(&L->e->alloc, (size_t)v->n, sizeof(jr_exit)));
            for (int i = 0; j->exits && i < v->n; i++) {
                const yn *x = v->items[i];
                static const char *const keys[] = { "event", "when", NULL };
                if (x->type == YN_SCALAR) {
                    j->exits[j->nexits++].event = name_of(L, x, "exit_when event");
                    continue;
                }
                if (x->type != YN_MAP) {
                    diag(L, x, "exit_when entries are { event: NAME, when: RULE }");
                    continue;
                }
                check_keys(L, x, "exit_when", keys);
                jr_exit *je = &j->exits[j->nexits++];
                const yn *ev = yn_get(x, "event"), *w = yn_get(x, "when");
                if (!ev) diag(L, x, "exit_when needs an event");
                else je->event = name_of(L, ev, "exit_when.event");
                if (w)
                    je->when = cond_of(L, w, "exit_when.when");
            }
        }
    }
    if ((v = yn_get(m, "goal"))) {
        static const char *const keys[] = { "event", "within", NULL };
        if (v->type != YN_MAP) {
            diag(L, v, "goal must be { event: NAME, within: DURATION }");
        } else {
            check_keys(L, v, "goal", keys);
            const yn *ev = yn_get(v, "event"), *w = yn_get(v, "within");
            if (!ev) diag(L, v, "goal needs an event");
            else j->goal_event = name_of(L, ev, "goal.event");
            if (!w) diag(L, v, "goal needs within (like 60d)");
            else duration_of(L, w, "goal.within", &j->goal_within_ms);
        }
    }
    if ((v = yn_get(m, "stale_after")))
        duration_of(L, v, "stale_after", &j->stale_after_ms);
    const yn *sc = yn_get(m, "sales_channels");
    if (sc && sc->type != YN_SEQ)
        diag(L, sc, "sales_channels must be a list like [amazon]");
    if (sc && sc->type == YN_SEQ && sc->n) {
        j->sales_channels = track(L, rt_calloc(&L->e->alloc, (size_t)sc->n, sizeof(char *)));
        for (int i = 0; j->sales_channels && i < sc->n; i++) {
            char *c = name_of(L, sc->items[i], "a sales channel");
            if (c)
                j->sales_channels[j->nsales++] = c;
        }
    }
    v = yn_get(m, "steps");
    if (!v || v->type != YN_SEQ || v->n == 0) {
        diag(L, v ? v : m, "a journey needs a non-empty list of steps");
        return j;
    }
    if (v->n > 256) {
        diag(L, v, "a journey has at most 256 steps; this one has %d", v->n);
        return j;
    }
    j->steps = track(L, rt_calloc(&L->e->alloc, (size_t)v->n, sizeof(jr_step)));
    if (!j->steps)
        return j;
    j->nsteps = v->n;
    refs r = { 0 };
    for (int i = 0; i < v->n; i++) {
        if (v->items[i]->type != YN_MAP) {
            diag(L, v->items[i], "a step must be a mapping with an id and an action");
            j->steps[i].next = -2;
            j->steps[i].wait_until_min = -1;
            continue;
        }
        load_step(L, v->items[i], &j->steps[i], &r);
        for (int k = 0; k < i; k++)
            if (j->steps[i].id && j->steps[k].id && !strcmp(j->steps[i].id, j->steps[k].id))
                diag(L, v->items[i], "step id \"%s\" is used twice", j->steps[i].id);
    }
    if (r.failed)
        L->oom = true;
    resolve_refs(L, j, &r);
    rt_free(&L->e->alloc, r.items);
    /* A delay notice must never reach a customer who has the parcel. */
    bool delay_journey = j->trigger_event && !strcmp(j->trigger_event, "shipment.delayed");
    for (int k = 0; k < j->nsteps; k++)
        if (j->steps[k].kind == JR_SEND && !j->steps[k].u.send.unless_delivered_set)
            j->steps[k].u.send.unless_delivered = delay_journey;
    if (L->d->count == 0)
        check_graph(L, j, v);
    /* Marketplace journeys: every send must be possible under the profile. */
    for (int c = 0; sc && sc->type == YN_SEQ && c < sc->n; c++) {
        if (sc->items[c]->type != YN_SCALAR)
            continue;
        for (int k = 0; k < j->nsteps; k++) {
            jr_step *s = &j->steps[k];
            char why[200];
            if (s->kind == JR_COUPON) {
                bool forbidden = false;
                if (rt_coupon_forbidden_channel(L->e, sc->items[c]->str, &forbidden, why,
                                                sizeof why) != RETAIN_OK)
                    diag(L, v->items[k], "checking the %s marketplace policy: %s",
                         sc->items[c]->str, L->e->errmsg);
                else if (forbidden)
                    diag(L, v->items[k], "step \"%s\" can never issue a coupon: %s",
                         s->id ? s->id : "?", why);
                continue;
            }
            if (s->kind != JR_SEND || !s->u.send.category)
                continue;
            why[0] = '\0';
            int ok = rt_policy_marketplace_check(L->e, sc->items[c]->str, s->u.send.category,
                                                 s->u.send.template_id, why, sizeof why);
            if (ok == 0)
                diag(L, v->items[k], "step \"%s\" can never be sent to %s orders: %s",
                     s->id ? s->id : "?", sc->items[c]->str, why);
            else if (ok < 0 && L->e->errcode == RETAIN_ENOMEM)
                L->oom = true;
            else if (ok < 0)
                diag(L, v->items[k], "checking the %s marketplace policy: %s",
                     sc->items[c]->str, L->e->errmsg);
        }
    }
    return j;
}

int jr_parse(retain_engine *e, const char *text, size_t len, jr_diags *d, jr_journey ***out,
             int *nout)
{
    *out = NULL;
    *nout = 0;
    yn_doc *doc = NULL;
    retain_diag pd;
    int rc = yn_parse(e, text, len, &doc, &pd);
    loader L = { e, d, NULL, false };
    if (rc == RETAIN_ENOMEM)
        return rt_nomem(e);
    if (rc) {
        diag_copy(&L, &pd);
        return rc;
    }
    /* Roots: each document is a journey, or holds `journeys: [...]`. */
    int cap = 0, n = 0;
    jr_journey **list = NULL;
    for (int di = 0; di < doc->ndocs; di++) {
        yn *root = doc->docs[di];
        const yn *many = yn_get(root, "journeys");
        int count = many && many->type == YN_SEQ ? many->n : 1;
        for (int k = 0; k < count; k++) {
            const yn *m = many && many->type == YN_SEQ ? many->items[k] : root;
            if (many && root->n != 1)
                diag(&L, root, "a file with \"journeys:\" holds nothing else");
            if (!m || m->type != YN_MAP) {
                diag(&L, m ? m : root, "a journey must be a mapping that starts with journey: NAME");
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                jr_journey **nl = rt_realloc(&e->alloc, list, (size_t)cap * sizeof *nl);
                if (!nl) {
                    rc = rt_nomem(e);
                    break;
                }
                list = nl;
            }
            jr_journey *j = load_journey(&L, m);
            if (!j) {
                rc = rt_nomem(e);
                break;
            }
            for (int p = 0; p < n; p++)
                if (j->name && list[p]->name && !strcmp(j->name, list[p]->name) &&
                    j->version == list[p]->version)
                    diag(&L, m, "journey \"%s\" version %d appears twice in this file", j->name,
                         j->version);
            list[n++] = j;
        }
    }
    if (doc->ndocs == 0)
        diag(&L, NULL, "the file holds no journey");
    rt_object_free(doc);
    if (rc == RETAIN_OK && L.oom)
        rc = rt_nomem(e);
    if (rc == RETAIN_OK && d->count)
        rc = RETAIN_EPARSE;
    if (rc) {
        for (int i = 0; i < n; i++)
            jr_journey_free(e, list[i]);
        rt_free(&e->alloc, list);
        return rc;
    }
    *out = list;
    *nout = n;
    return RETAIN_OK;
}

static void free_step(retain_engine *e, jr_step *s)
{
    rt_free(&e->alloc, s->id);
    jr_cond_free(s->when);
    switch (s->kind) {
    case JR_SEND:
        rt_free(&e->alloc, s->u.send.channel);
        rt_free(&e->alloc, s->u.send.template_id);
        rt_free(&e->alloc, s->u.send.category);
        rt_free(&e->alloc, s->u.send.fallback);
        break;
    case JR_WAIT_FOR:
        rt_free(&e->alloc, s->u.wait_for.event);
        jr_cond_free(s->u.wait_for.when);
        break;
    case JR_BRANCH:
        for (int i = 0; i < s->u.branch.narms; i++)
            jr_cond_free(s->u.branch.arms[i].when);
        rt_free(&e->alloc, s->u.branch.arms);
        break;
    case JR_SPLIT:
        for (int i = 0; i < s->u.split.nvariants; i++)
            rt_free(&e->alloc, s->u.split.variants[i].name);
        rt_free(&e->alloc, s->u.split.variants);
        break;
    case JR_SET:
        rt_free(&e->alloc, s->u.set.attrs_json);
        break;
    case JR_TASK:
        rt_free(&e->alloc, s->u.task.kind);
        rt_free(&e->alloc, s->u.task.note);
        break;
    case JR_COUPON:
        rt_free(&e->alloc, s->u.coupon.campaign);
        break;
    default:
        break;
    }
}

void jr_journey_free(retain_engine *e, jr_journey *j)
{
    if (!j)
        return;
    for (int i = 0; i < j->nsteps; i++)
        free_step(e, &j->steps[i]);
    rt_free(&e->alloc, j->steps);
    for (int i = 0; i < j->nexits; i++) {
        rt_free(&e->alloc, j->exits[i].event);
        jr_cond_free(j->exits[i].when);
    }
    rt_free(&e->alloc, j->exits);
    rt_free(&e->alloc, j->name);
    rt_free(&e->alloc, j->description);
    rt_free(&e->alloc, j->trigger_event);
    jr_cond_free(j->trigger_when);
    rt_free(&e->alloc, j->goal_event);
    for (int i = 0; i < j->nsales; i++)
        rt_free(&e->alloc, j->sales_channels[i]);
    rt_free(&e->alloc, j->sales_channels);
    rt_free(&e->alloc, j);
}

int jr_step_index(const jr_journey *j, const char *id)
{
    for (int i = 0; i < j->nsteps; i++)
        if (j->steps[i].id && !strcmp(j->steps[i].id, id))
            return i;
    return -1;
}
