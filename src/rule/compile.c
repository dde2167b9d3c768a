/*
 * compile.c - retain_rule_compile: argument checks and limits, the
 * pipeline (parse, check, gen), diagnostics with a caret snippet, and the
 * compiled rule's accessors and release.
 */
#include "comp.h"
#include "core/text.h"

#include <stdalign.h>
#include <string.h>

/* --- pool ---------------------------------------------------------------- */

struct rt_pool_chunk {
    rt_pool_chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

void rt_pool_init(rt_pool *p, const retain_allocator *a)
{
    p->alloc = a;
    p->head = NULL;
}

void *rt_pool_alloc(rt_pool *p, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    rt_pool_chunk *ch = p->head;
    if (!ch || ch->cap - ch->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        ch = rt_malloc(p->alloc, sizeof *ch + cap);
        if (!ch)
            return NULL;
        ch->cap = cap;
        ch->used = 0;
        ch->next = p->head;
        p->head = ch;
    }
    void *r = ch->data + ch->used;
    ch->used += n;
    return r;
}

void rt_pool_free(rt_pool *p)
{
    rt_pool_chunk *ch = p->head;
    while (ch) {
        rt_pool_chunk *next = ch->next;
        rt_free(p->alloc, ch);
        ch = next;
    }
    p->head = NULL;
}

/* --- compiler utilities -------------------------------------------------- */

int cerr(comp *c, int code, uint32_t pos, const char *fmt, ...)
{
    if (c->err)
        return c->err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->err = code;
    c->err_pos = pos;
    return code;
}

int cnomem(comp *c)
{
    return cerr(c, RETAIN_ENOMEM, 0, "out of memory");
}

bool cgrow(comp *c, void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / size) {
        cnomem(c);
        return false;
    }
    void *p = rt_realloc(&c->rule->alloc, *v, ncap * size);
    if (!p) {
        cnomem(c);
        return false;
    }
    *v = p;
    *cap = ncap;
    return true;
}

/* --- diagnostics --------------------------------------------------------- */

void rt_diag_at(retain_diag *d, int code, const char *src, size_t len, size_t pos, int base_line,
                int base_col, const char *msg)
{
    if (!d)
        return;
    if (pos > len)
        pos = len;
    size_t line_start = 0;
    int line = 1;
    for (size_t i = 0; i < pos; i++)
        if (src[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    /* The line ends at the first break after pos: a lone '\r' before pos
     * does not count as a line break above, so it must not end the line
     * before pos here either. */
    size_t line_end = pos;
    while (line_end < len && src[line_end] != '\n' && src[line_end] != '\r')
        line_end++;
    int col = (int)rt_utf8_len(src + line_start, pos - line_start) + 1;
    d->code = code;
    d->line = line + (base_line > 0 ? base_line - 1 : 0);
    d->column = col + (line == 1 && base_col > 0 ? base_col - 1 : 0);
    snprintf(d->message, sizeof d->message, "%s", msg);

    /* The line (a window of it when long) and a caret under the column. */
    size_t from = line_start, to = line_end;
    bool cut_left = false, cut_right = false;
    if (pos - from > 60) {
        from = pos - 60;
        while (from < pos && ((unsigned char)src[from] & 0xC0) == 0x80)
            from++;
        cut_left = true;
    }
    if (to - from > 110) {
        to = from + 110;
        while (to > pos && ((unsigned char)src[to] & 0xC0) == 0x80)
            to--;
        cut_right = true;
    }
    char *o = d->snippet;
    size_t room = sizeof d->snippet;
    int n = snprintf(o, room, "%s%.*s%s\n", cut_left ? "..." : "", (int)(to - from), src + from,
                     cut_right ? "..." : "");
    if (n < 0 || (size_t)n >= room) {
        d->snippet[0] = '\0';
        return;
    }
    o += n;
    room -= (size_t)n;
    for (int i = 0; i < (cut_left ? 3 : 0); i++, room--)
        *o++ = ' ';
    for (size_t i = from; i < pos; i++) {
        if (((unsigned char)src[i] & 0xC0) == 0x80)
            continue;
        if (room > 2) {
            *o++ = src[i] == '\t' ? '\t' : ' ';
            room--;
        }
    }
    *o++ = '^';
    *o = '\0';
}

/* --- the rule ------------------------------------------------------------ */

void retain_rule_free(retain_rule *r)
{
    if (!r)
        return;
    retain_allocator a = r->alloc;
    for (size_t i = 0; i < r->nregex; i++)
        pcre2_code_free(r->regex[i].code);
    if (r->gctx)
        pcre2_general_context_free(r->gctx);
    rt_free(&a, r->code);
    rt_free(&a, r->locs);
    rt_free(&a, r->consts);
    rt_free(&a, r->regex);
    rt_free(&a, r->dyn);
    rt_free(&a, r->fields);
    rt_pool_free(&r->pool);
    rt_free(&a, r);
}

/* Offset of the first byte that is not valid UTF-8 (or a NUL), or len.
 * Checks character by character so the error points at the culprit. */
static size_t utf8_bad_at(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)s[i];
        size_t n = ch < 0x80 ? 1 : (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3
                             : (ch & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || n > len - i || !rt_utf8_valid(s + i, n))
            return i;
        i += n;
    }
    return len;
}

static bool type_ok(retain_type t)
{
    return t >= RETAIN_TYPE_BOOL && t <= RETAIN_TYPE_ANY;
}

static int check_vars(retain_engine *e, const retain_rule_options *o)
{
    for (size_t i = 0; o->vars && i < o->nvars; i++) {
        const retain_rule_var *v = &o->vars[i];
        const char *n = v->name;
        bool prefix = n && ((!strncmp(n, "vars.", 5) && n[5]) ||
                            (!strncmp(n, "customer.attr.", 14) && n[14]) ||
                            (!strncmp(n, "event.props.", 12) && n[12]));
        if (!prefix)
            return rt_error(e, RETAIN_EINVAL,
                            "options.vars[%zu].name is \"%s\"; declare \"vars.NAME\", "
                            "\"customer.attr.NAME\" or \"event.props.NAME\"",
                            i, n ? n : "(null)");
        if (!type_ok(v->type) || (v->type == RETAIN_TYPE_LIST && v->elem != RETAIN_TYPE_ANY &&
                                  (!type_ok(v->elem) || v->elem == RETAIN_TYPE_LIST)))
            return rt_error(e, RETAIN_EINVAL, "options.vars[%zu] (%s) has an invalid type", i, n);
    }
    return RETAIN_OK;
}

static void release_comp(comp *c)
{
    const retain_allocator *a = &c->rule->alloc;
    rt_free(a, c->nodes);
    rt_free(a, c->args);
    names_free(c);
    retain_eval_ctx_free(c->fold_ctx);
    c->nodes = NULL;
    c->args = NULL;
    c->fold_ctx = NULL;
}

static int fail(comp *c, retain_diag *diag)
{
    retain_rule *r = c->rule;
    retain_diag tmp;
    retain_diag *d = diag ? diag : &tmp;
    int base_line = c->opts && c->opts->line > 0 ? c->opts->line : 1;
    int base_col = c->opts && c->opts->column > 0 ? c->opts->column : 1;
    rt_diag_at(d, c->err, c->src, c->len, c->err_pos, base_line, base_col, c->msg);
    int code = c->err;
    if (code == RETAIN_ENOMEM)
        rt_nomem(c->e);
    else
        rt_error(c->e, code, "%d:%d: %s", d->line, d->column, c->msg);
    release_comp(c);
    /* Hand the partial outputs to the rule so one function frees them. */
    r->code = c->code;
    r->locs = c->locs;
    r->consts = c->consts;
    r->regex = c->regex;
    r->nregex = c->nregex;
    r->dyn = c->dyn;
    r->fields = c->fields;
    retain_rule_free(r);
    return code;
}

/* Out of memory before the compiler is set up: the diag says so too. */
static int nomem(retain_engine *e, retain_diag *diag)
{
    if (diag) {
        diag->code = RETAIN_ENOMEM;
        rt_copy(diag->message, sizeof diag->message, "out of memory");
    }
    return rt_nomem(e);
}

int rt_rule_compile_at(retain_rule **out, retain_engine *e, const char *src, size_t len,
                       int line, int column, const retain_rule_options *opts, retain_diag *diag)
{
    if (!e)
        return RETAIN_EINVAL;
    rt_clear_error(e);
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL; pass the address of a retain_rule pointer");
    *out = NULL;
    if (!src)
        return rt_error(e, RETAIN_EINVAL, "src is NULL");
    if (opts && (opts->version == 0 || opts->version > RETAIN_RULE_OPTIONS_VERSION))
        return rt_error(e, RETAIN_EINVAL,
                        "options.version is %u; initialize options with "
                        "RETAIN_RULE_OPTIONS_INIT (version %d)",
                        opts->version, RETAIN_RULE_OPTIONS_VERSION);
    if (opts && check_vars(e, opts))
        return e->errcode;
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (line > 0)
        o.line = line;
    if (column > 0)
        o.column = column;
    if (len > e->cfg.rule_max_source || len > INT32_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg, "rule is %zu bytes; the limit is %zu (options.rule_max_source)",
                 len, e->cfg.rule_max_source);
        rt_diag_at(diag, RETAIN_ELIMIT, src, len < 4096 ? len : 4096, 0, o.line, o.column, msg);
        return rt_error(e, RETAIN_ELIMIT, "%s", msg);
    }

    retain_rule *r = rt_calloc(&e->alloc, 1, sizeof *r);
    if (!r)
        return nomem(e, diag);
    r->alloc = e->alloc;
    rt_pool_init(&r->pool, &r->alloc);
    r->gctx = pcre2_general_context_create(rt_pcre_malloc, rt_pcre_free, &r->alloc);
    r->src = rt_pool_alloc(&r->pool, len + 1);
    if (!r->gctx || !r->src) {
        retain_rule_free(r);
        return nomem(e, diag);
    }
    if (len)
        memcpy(r->src, src, len);
    r->src[len] = '\0';
    r->src_len = len;
    r->base_line = o.line > 0 ? o.line : 1;
    r->base_col = o.column > 0 ? o.column : 1;

    comp c;
    memset(&c, 0, sizeof c);
    c.e = e;
    c.cfg = &e->cfg;
    c.rule = r;
    c.src = r->src;
    c.len = len;
    c.opts = &o;
    c.root = -1;

    size_t bad = utf8_bad_at(r->src, len);
    if (bad < len) {
        cerr(&c, RETAIN_EPARSE, (uint32_t)bad,
             r->src[bad] ? "the rule is not valid UTF-8" : "the rule contains a NUL byte");
        return fail(&c, diag);
    }
    if (parse(&c) || check(&c))
        return fail(&c, diag);
    rt_node *root = &c.nodes[c.root];
    if (o.flags & RETAIN_RULE_BOOL) {
        if (root->type == RETAIN_TYPE_ANY) {
            int32_t k = node_new(&c, NK_COERCE, 0);
            if (k < 0)
                return fail(&c, diag);
            c.nodes[k].a = c.root;
            c.nodes[k].type = RETAIN_TYPE_BOOL;
            c.nodes[k].flags = NF_CHECKED;
            c.root = k;
        } else if (root->type != RETAIN_TYPE_BOOL && root->type != RETAIN_TYPE_NULL) {
            char t[40];
            cerr(&c, RETAIN_EPARSE, 0, "a condition must be true or false, but this rule gives %s",
                 type_str(root->type, root->elem, t, sizeof t));
            return fail(&c, diag);
        }
    }
    root = &c.nodes[c.root];
    r->type = (retain_type)root->type;
    r->elem = (retain_type)root->elem;
    if (gen(&c))
        return fail(&c, diag);
    release_comp(&c);
    r->code = c.code;
    r->locs = c.locs;
    r->ncode = c.ncode;
    r->consts = c.consts;
    r->nconsts = c.nconsts;
    r->regex = c.regex;
    r->nregex = c.nregex;
    r->dyn = c.dyn;
    r->ndyn = c.ndyn;
    r->fields = c.fields;
    r->nfields = c.nfields;
    r->prog = (rt_prog){ r->code, r->locs, r->consts, r->regex, r->dyn, c.max_depth };
    *out = r;
    return RETAIN_OK;
}

int retain_rule_compile_ex(retain_rule **out, retain_engine *e, const char *src, size_t len,
                           const retain_rule_options *opts, retain_diag *diag)
{
    return rt_rule_compile_at(out, e, src, len, 0, 0, opts, diag);
}

int retain_rule_compile(retain_rule **out, retain_engine *e, const char *src, retain_diag *diag)
{
    if (e && src == NULL) {
        rt_clear_error(e);
        if (out)
            *out = NULL;
        return rt_error(e, RETAIN_EINVAL, "src is NULL");
    }
    return rt_rule_compile_at(out, e, src, src ? strlen(src) : 0, 0, 0, NULL, diag);
}

const char *retain_rule_source(const retain_rule *r)
{
    return r ? r->src : NULL;
}

retain_type retain_rule_type(const retain_rule *r, retain_type *elem)
{
    if (elem)
        *elem = r ? r->elem : RETAIN_TYPE_NULL;
    return r ? r->type : RETAIN_TYPE_NULL;
}

size_t retain_rule_fields(const retain_rule *r, const retain_rule_field **out)
{
    if (out)
        *out = r ? r->fields : NULL;
    return r ? r->nfields : 0;
}

unsigned int retain_rule_needs(const retain_rule *r)
{
    return r ? r->needs : 0;
}

uint64_t rt_rule_field_mask(const retain_rule *r)
{
    return r->field_mask;
}

size_t rt_rule_dyn_count(const retain_rule *r)
{
    return r->ndyn;
}

rt_dyn_ref rt_rule_dyn(const retain_rule *r, size_t i)
{
    static const struct {
        const char *prefix;
        rt_dyn_kind kind;
    } kinds[] = { { "customer.attr.", RT_DYN_ATTR }, { "customer.consent.", RT_DYN_CONSENT },
                  { "event.props.", RT_DYN_PROP }, { "vars.", RT_DYN_VAR } };
    const rt_dyn *d = &r->dyn[i];
    rt_dyn_ref ref = { d->name, d->len, RT_DYN_VAR, d->name, d->len, d->type };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = strlen(kinds[k].prefix);
        if (d->len > n && !memcmp(d->name, kinds[k].prefix, n)) {
            ref.kind = kinds[k].kind;
            ref.key = d->name + n;
            ref.key_len = d->len - n;
            break;
        }
    }
    return ref;
}
