/*
 * profile.c - marketplace profiles: the YAML format, what a profile allows
 * regardless of any order, and the payload rules (removed keys, links off
 * the marketplace).
 */
#include "policy.h"
#include "journey/yaml.h"
#include "store/outbox.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parsing ------------------------------------------------------------ */

typedef struct pctx {
    retain_engine *e;
    rt_arena *ar;
    retain_diag *d;
    const char *text;
    size_t len;
    bool failed;
} pctx;

static void snippet(pctx *P, int line, int column)
{
    const char *s = P->text, *end = P->text + P->len;
    for (int l = 1; l < line && s < end; s++)
        if (*s == '\n')
            l++;
    const char *eol = s;
    while (eol < end && *eol != '\n' && eol - s < 200)
        eol++;
    int caret = column > 1 && column < 200 ? column - 1 : 0;
    rt_format(P->d->snippet, sizeof P->d->snippet, "%.*s\n%*s^", (int)(eol - s), s, caret, "");
}

static bool fail(pctx *P, const yn *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static bool fail(pctx *P, const yn *at, const char *fmt, ...)
{
    if (P->failed)
        return false;
    P->failed = true;
    memset(P->d, 0, sizeof *P->d);
    P->d->code = RETAIN_EPARSE;
    P->d->line = at ? at->line : 1;
    P->d->column = at ? at->column : 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->d->message, sizeof P->d->message, fmt, ap);
    va_end(ap);
    snippet(P, P->d->line, P->d->column);
    return false;
}

/* Every key of `map` must be one of `known`. */
static bool known_keys(pctx *P, const yn *map, const char *what, const char *const *known)
{
    for (int i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->str;
        bool ok = false;
        const char *best = NULL;
        int bd = 3;
        for (int j = 0; known[j]; j++) {
            if (!strcmp(k, known[j]))
                ok = true;
            int d = rt_edit_distance(k, known[j]);
            if (d < bd) {
                bd = d;
                best = known[j];
            }
        }
        if (ok)
            continue;
        if (best)
            return fail(P, map->keys[i], "unknown key \"%.40s\" in %s (did you mean \"%s\"?)", k,
                        what, best);
        return fail(P, map->keys[i], "unknown key \"%.40s\" in %s", k, what);
    }
    return true;
}

static bool valid_name(const char *s, bool star)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (star && c == '*') ||
                  (i > 0 && (c == '_' || c == '.' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

static bool valid_domain(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 253 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static const char *scalar(pctx *P, const yn *n, const char *what)
{
    if (!n || n->type != YN_SCALAR) {
        fail(P, n, "%s must be a single value", what);
        return NULL;
    }
    const char *s = rt_arena_strdup(P->ar, n->str);
    if (!s)
        fail(P, n, "out of memory");
    return s;
}

typedef enum { K_NAME, K_GLOB, K_DOMAIN, K_TEXT } kind;

static bool check_item(pctx *P, const yn *n, const char *what, kind k)
{
    const char *s = n->str;
    switch (k) {
    case K_NAME:
        if (!valid_name(s, false))
            return fail(P, n, "%s \"%.40s\" is not a name (1 to 64 of a-z, 0-9, '_', '.', '-')",
                        what, s);
        break;
    case K_GLOB:
        if (!valid_name(s, true))
            return fail(P, n,
                        "%s \"%.40s\" is not a sales channel or pattern (a-z, 0-9, '_', '.', "
                        "'-', and '*' for any text)",
                        what, s);
        break;
    case K_DOMAIN:
        if (!valid_domain(s))
            return fail(P, n, "%s \"%.40s\" is not a lower-case domain name like amazon.com",
                        what, s);
        break;
    case K_TEXT:
        if (!*s || strlen(s) > 128)
            return fail(P, n, "%s must be 1 to 128 characters", what);
        break;
    }
    return true;
}

static bool list(pctx *P, const yn *n, const char *what, kind k, rt_strs *out)
{
    out->n = -1;
    out->v = NULL;
    if (!n)
        return true;
    if (n->type != YN_SEQ)
        return fail(P, n, "%s must be a list, like [a, b]", what);
    out->v = n->n ? rt_arena_alloc(P->ar, (size_t)n->n * sizeof *out->v) : NULL;
    if (n->n && !out->v)
        return fail(P, n, "out of memory");
    out->n = 0;
    for (int i = 0; i < n->n; i++) {
        const yn *it = n->items[i];
        if (it->type != YN_SCALAR)
            return fail(P, it, "each entry of %s must be a single value", what);
        if (!check_item(P, it, what, k))
            return false;
        out->v[out->n] = rt_arena_strdup(P->ar, it->str);
        if (!out->v[out->n++])
            return fail(P, it, "out of memory");
    }
    return true;
}

static bool duration(pctx *P, const yn *n, const char *what, int64_t *out)
{
    if (!n || n->type != YN_SCALAR || !rt_parse_duration(n->str, out))
        return fail(P, n, "%s \"%.40s\" is not a duration (like 90s, 30m, 2h, 5d, 2w)", what,
                    n && n->type == YN_SCALAR ? n->str : "");
    return true;
}

static bool parse_window(pctx *P, const yn *w, rt_mp_rule *r)
{
    static const char *const keys[] = { "anchor", "from", "to", NULL };
    if (w->type != YN_MAP)
        return fail(P, w, "rule window must be a mapping with anchor, from and to");
    if (!known_keys(P, w, "a rule window", keys))
        return false;
    r->has_window = true;
    r->anchor = RT_ANCHOR_DELIVERED;
    r->from_ms = 0;
    r->to_ms = INT64_MAX;
    const yn *a = yn_get(w, "anchor");
    if (a) {
        const char *s = a->type == YN_SCALAR ? a->str : "";
        if (!strcmp(s, "delivered")) r->anchor = RT_ANCHOR_DELIVERED;
        else if (!strcmp(s, "shipped")) r->anchor = RT_ANCHOR_SHIPPED;
        else if (!strcmp(s, "placed")) r->anchor = RT_ANCHOR_PLACED;
        else
            return fail(P, a, "window anchor \"%.40s\" is unknown; use delivered, shipped or "
                              "placed", s);
    }
    const yn *from = yn_get(w, "from"), *to = yn_get(w, "to");
    if (!from && !to)
        return fail(P, w, "a rule window needs from, to, or both");
    if (from && !duration(P, from, "window from", &r->from_ms))
        return false;
    if (to && !duration(P, to, "window to", &r->to_ms))
        return false;
    if (r->to_ms < r->from_ms)
        return fail(P, to, "window to is before window from: no time would be allowed");
    return true;
}

static bool parse_rule(pctx *P, const yn *n, rt_mp_rule *r, int index)
{
    static const char *const keys[] = { "name", "category", "template", "max_per_order",
                                        "window", NULL };
    memset(r, 0, sizeof *r);
    r->max_per_order = -1;
    if (n->type != YN_MAP)
        return fail(P, n, "each rule must be a mapping (name, category, template, "
                          "max_per_order, window)");
    if (!known_keys(P, n, "a rule", keys))
        return false;
    const yn *v;
    if ((v = yn_get(n, "name"))) {
        if (!(r->name = scalar(P, v, "rule name")))
            return false;
    } else {
        char def[32];
        rt_format(def, sizeof def, "rule-%d", index + 1);
        if (!(r->name = rt_arena_strdup(P->ar, def)))
            return fail(P, n, "out of memory");
    }
    if ((v = yn_get(n, "category"))) {
        if (!(r->category = scalar(P, v, "rule category")) || !check_item(P, v, "category", K_NAME))
            return false;
    }
    if ((v = yn_get(n, "template"))) {
        if (!(r->template_glob = scalar(P, v, "rule template")) ||
            !check_item(P, v, "template", K_TEXT))
            return false;
    }
    if ((v = yn_get(n, "max_per_order"))) {
        const char *s = v->type == YN_SCALAR ? v->str : "";
        char *end;
        long m = strtol(s, &end, 10);
        if (!*s || *end || m < 0 || m > 1000)
            return fail(P, v, "max_per_order \"%.40s\" must be a whole number from 0 to 1000", s);
        r->max_per_order = (int)m;
    }
    if ((v = yn_get(n, "window")) && !parse_window(P, v, r))
        return false;
    if (r->max_per_order < 0 && !r->has_window)
        return fail(P, n, "rule \"%s\" limits nothing: give max_per_order, window, or both",
                    r->name);
    return true;
}

static rt_profile *parse_one(pctx *P, const yn *root)
{
    static const char *const keys[] = { "profile", "description", "sales_channels",
                                        "allow_categories", "deny_categories",
                                        "allow_channels", "payload", "rules", NULL };
    static const char *const pkeys[] = { "remove_keys", "allow_link_domains", NULL };
    if (!root || root->type != YN_MAP) {
        fail(P, root, "a profile must be a mapping that starts with \"profile: <name>\"");
        return NULL;
    }
    if (!known_keys(P, root, "a profile", keys))
        return NULL;
    rt_profile *p = rt_arena_alloc(P->ar, sizeof *p);
    if (!p) {
        fail(P, root, "out of memory");
        return NULL;
    }
    const yn *v = yn_get(root, "profile");
    if (!v) {
        fail(P, root, "the profile has no name: add \"profile: <name>\"");
        return NULL;
    }
    if (!(p->name = scalar(P, v, "profile")) || !check_item(P, v, "profile name", K_NAME))
        return NULL;
    if ((v = yn_get(root, "description")) && !(p->description = scalar(P, v, "description")))
        return NULL;
    bool is_default = !strcmp(p->name, "default");
    v = yn_get(root, "sales_channels");
    if (is_default && v) {
        fail(P, v, "the default profile governs every sales channel no other profile names; "
                   "remove sales_channels");
        return NULL;
    }
    if (!is_default && !v) {
        fail(P, root, "profile \"%s\" names no sales_channels (like [amazon, \"amazon-*\"])",
             p->name);
        return NULL;
    }
    if (!list(P, v, "sales_channels", K_GLOB, &p->sales_channels) ||
        !list(P, yn_get(root, "allow_categories"), "allow_categories", K_NAME,
              &p->allow_categories) ||
        !list(P, yn_get(root, "deny_categories"), "deny_categories", K_NAME,
              &p->deny_categories) ||
        !list(P, yn_get(root, "allow_channels"), "allow_channels", K_NAME, &p->allow_channels))
        return NULL;
    p->remove_keys.n = p->link_domains.n = -1;
    if ((v = yn_get(root, "payload"))) {
        if (v->type != YN_MAP) {
            fail(P, v, "payload must be a mapping (remove_keys, allow_link_domains)");
            return NULL;
        }
        if (!known_keys(P, v, "payload", pkeys) ||
            !list(P, yn_get(v, "remove_keys"), "remove_keys", K_TEXT, &p->remove_keys) ||
            !list(P, yn_get(v, "allow_link_domains"), "allow_link_domains", K_DOMAIN,
                  &p->link_domains))
            return NULL;
    }
    if ((v = yn_get(root, "rules"))) {
        if (v->type != YN_SEQ) {
            fail(P, v, "rules must be a list of rules");
            return NULL;
        }
        p->rules = v->n ? rt_arena_alloc(P->ar, (size_t)v->n * sizeof *p->rules) : NULL;
        if (v->n && !p->rules) {
            fail(P, v, "out of memory");
            return NULL;
        }
        for (int i = 0; i < v->n; i++)
            if (!parse_rule(P, v->items[i], &p->rules[i], i))
                return NULL;
        p->nrules = v->n;
    }
    return p;
}

int rt_profile_parse(retain_engine *e, rt_arena *ar, const char *yaml, size_t len,
                     rt_profile ***out, int *n, retain_diag *diag)
{
    *out = NULL;
    *n = 0;
    memset(diag, 0, sizeof *diag);
    yn_doc *doc = NULL;
    int rc = yn_parse(e, yaml, len, &doc, diag);
    if (rc)
        return rc;
    pctx P = { e, ar, diag, yaml, len, false };
    rt_profile **v = doc->ndocs ? rt_arena_alloc(ar, (size_t)doc->ndocs * sizeof *v) : NULL;
    if (doc->ndocs && !v)
        fail(&P, NULL, "out of memory");
    int count = 0;
    for (int i = 0; i < doc->ndocs && !P.failed; i++) {
        rt_profile *p = parse_one(&P, doc->docs[i]);
        if (p)
            v[count++] = p;
    }
    rt_object_free(doc);
    if (P.failed)
        return diag->code;
    *out = v;
    *n = count;
    return RETAIN_OK;
}

/* ---- what a profile allows ---------------------------------------------- */

static bool in_list(const rt_strs *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

static void join(const rt_strs *l, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n && used + 1 < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", l->v[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

bool rt_rule_matches(const rt_mp_rule *r, const char *category, const char *template_id)
{
    if (r->category && strcmp(r->category, category) != 0)
        return false;
    if (r->template_glob && (!template_id || !rt_glob(r->template_glob, template_id)))
        return false;
    return true;
}

bool rt_profile_allows(const rt_profile *p, const char *channel, const char *category,
                       const char *template_id, char *why, size_t whysz)
{
    char l[120];
    if (channel && p->allow_channels.n >= 0 && !in_list(&p->allow_channels, channel)) {
        join(&p->allow_channels, l, sizeof l);
        rt_format(why, whysz, "marketplace profile %s allows only %s messages, not %s", p->name,
                  l, channel);
        return false;
    }
    if (in_list(&p->deny_categories, category)) {
        rt_format(why, whysz, "marketplace profile %s forbids %s messages", p->name, category);
        return false;
    }
    if (p->allow_categories.n >= 0 && !in_list(&p->allow_categories, category)) {
        join(&p->allow_categories, l, sizeof l);
        rt_format(why, whysz, "marketplace profile %s forbids %s messages (allowed: %s)",
                  p->name, category, l);
        return false;
    }
    for (int i = 0; i < p->nrules; i++) {
        const rt_mp_rule *r = &p->rules[i];
        if (r->max_per_order == 0 && rt_rule_matches(r, category, template_id)) {
            rt_format(why, whysz, "marketplace profile %s, rule %s: no such message is allowed",
                      p->name, r->name);
            return false;
        }
    }
    return true;
}

int rt_policy_marketplace_check(retain_engine *e, const char *sales_channel, const char *category,
                                const char *template_or_kind, char *why, size_t whysz)
{
    if (why && whysz)
        why[0] = '\0';
    if (!sales_channel || !category)
        return rt_error(e, RETAIN_EINVAL, "sales channel and category are required");
    const rt_policy *p;
    int rc = rt_policy_get(e, &p);
    if (rc)
        return rc;
    const rt_profile *pr = rt_profile_for(p, sales_channel);
    if (!pr)
        return 1;
    return rt_profile_allows(pr, NULL, category, template_or_kind, why, whysz) ? 1 : 0;
}

/* ---- payload rules ------------------------------------------------------ */

static bool host_allowed(const rt_strs *domains, const char *host, size_t n)
{
    for (int i = 0; i < domains->n; i++) {
        const char *d = domains->v[i];
        size_t dn = strlen(d);
        if (n == dn && !strncmp(host, d, n))
            return true;
        if (n > dn && host[n - dn - 1] == '.' && !strncmp(host + n - dn, d, dn))
            return true;
    }
    return false;
}

/* Does `s` hold a link (http://, https://, www.) to a host not in `domains`? */
static bool has_foreign_link(const rt_strs *domains, const char *s)
{
    for (const char *p = s; *p; p++) {
        const char *host = NULL;
        if (!strncasecmp(p, "http://", 7))
            host = p + 7;
        else if (!strncasecmp(p, "https://", 8))
            host = p + 8;
        else if (!strncasecmp(p, "www.", 4) && (p == s || !isalnum((unsigned char)p[-1])))
            host = p;
        if (!host)
            continue;
        char h[256];
        size_t n = 0;
        while (host[n] && n + 1 < sizeof h && !strchr("/?#: \t\r\n\"'<>)]}", host[n])) {
            h[n] = (char)tolower((unsigned char)host[n]);
            n++;
        }
        h[n] = '\0';
        if (n == 0 || !host_allowed(domains, h, n))
            return true;
        p = host + n - 1;
    }
    return false;
}

typedef struct filter {
    retain_engine *e;
    const rt_gate_out *g;
    char **paths;
    int n, cap;
    char skip[512]; /* a removed container: its children go with it */
} filter;

static int filter_node(const char *path, const char *key, const char *type, const char *text,
                       void *ctx)
{
    filter *F = ctx;
    size_t sl = strlen(F->skip);
    if (sl && !strncmp(path, F->skip, sl) && (path[sl] == '.' || path[sl] == '['))
        return RETAIN_OK;
    bool remove = false;
    for (int i = 0; i < F->g->nprofiles && !remove; i++) {
        const rt_profile *p = F->g->profiles[i];
        if (key && in_list(&p->remove_keys, key))
            remove = true;
        else if (p->link_domains.n >= 0 && text && !strcmp(type, "text") &&
                 has_foreign_link(&p->link_domains, text))
            remove = true;
    }
    if (!remove)
        return RETAIN_OK;
    if (F->n == F->cap) {
        int cap = F->cap ? F->cap * 2 : 8;
        char **v = rt_realloc(&F->e->alloc, F->paths, (size_t)cap * sizeof *v);
        if (!v)
            return rt_nomem(F->e);
        F->paths = v;
        F->cap = cap;
    }
    if (!(F->paths[F->n] = rt_strdup(&F->e->alloc, path)))
        return rt_nomem(F->e);
    F->n++;
    rt_copy(F->skip, sizeof F->skip, path);
    return RETAIN_OK;
}

int rt_gate_filter_payload(retain_engine *e, const rt_gate_out *g, const char *payload,
                           char **out, char *note, size_t notesz)
{
    *out = NULL;
    if (note && notesz)
        note[0] = '\0';
    bool any = false;
    for (int i = 0; i < g->nprofiles; i++)
        any = any || g->profiles[i]->remove_keys.n > 0 || g->profiles[i]->link_domains.n >= 0;
    if (!any)
        return RETAIN_OK;
    filter F = { e, g, NULL, 0, 0, "" };
    int rc = ob_json_walk(e, payload, filter_node, &F);
    if (rc == RETAIN_OK && F.n) {
        /* Later paths first, so that array indices stay valid. */
        char **rev = rt_calloc(&e->alloc, (size_t)F.n, sizeof *rev);
        if (!rev) {
            rc = rt_nomem(e);
        } else {
            for (int i = 0; i < F.n; i++)
                rev[i] = F.paths[F.n - 1 - i];
            rc = ob_json_remove(e, payload, rev, F.n, out);
            rt_free(&e->alloc, rev);
        }
        size_t used = 0;
        for (int i = 0; i < F.n && note && used + 1 < notesz; i++) {
            int w = snprintf(note + used, notesz - used, "%s%s", i ? ", " : "", F.paths[i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
    }
    for (int i = 0; i < F.n; i++)
        rt_free(&e->alloc, F.paths[i]);
    rt_free(&e->alloc, F.paths);
    return rc;
}
