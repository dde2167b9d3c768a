/*
 * sql.c - SQLite's dialect to PostgreSQL's, for the statements of src/store.
 *
 * The store writes each statement once, in the subset of SQL both engines
 * share; what differs only mechanically is rewritten here, token by token,
 * when a statement is first prepared:
 *
 *   ?NNN, ?                     $NNN, $k (SQLite's numbering: one past the
 *                               largest so far)
 *   INSERT OR IGNORE ...        INSERT ... ON CONFLICT DO NOTHING
 *   INSERT INTO t ...           ... RETURNING id, when t has an identity id
 *                               (the driver keeps it for rt_last_id and
 *                               reports SQLITE_DONE, as SQLite would)
 *   max(a,b,...), min(a,b,...)  GREATEST(...), LEAST(...)
 *   json_object(               json_build_object(
 *   json_group_array(x)         coalesce(json_agg(x),'[]')
 *   json_group_object(k,v)      coalesce(json_object_agg(k,v),'{}')
 *   instr(                      strpos(
 *   random()                    rt_random() (a 64-bit integer, schema.c)
 *   0x3f...                     its decimal value
 *   REAL (in CAST)              float8
 *   a IS b, a IS NOT b          IS [NOT] DISTINCT FROM, unless b is NULL,
 *                               TRUE or FALSE
 *   NOT INDEXED                 (dropped)
 *   ORDER BY x [ASC|DESC]       ... NULLS FIRST|LAST (SQLite sorts NULL
 *                               lowest, PostgreSQL highest)
 *   FROM (SELECT ...)           FROM (SELECT ...) AS rt_sN (an alias is
 *                               required before PostgreSQL 16)
 *   a comment "pg: clause"      clause (what only PostgreSQL needs, such as
 *   (slash-star pg: ...)        a claim's FOR UPDATE SKIP LOCKED; to SQLite
 *                               it is a comment); other comments are dropped
 *
 * The schema's index definitions get the same NULL order
 * (rt_pg_index_order), so that such an ORDER BY can be read off an index
 * rather than sorted (a claim's LIMIT then stops the scan early).
 *
 * Anything else is passed through; a statement that needs more than this
 * is written in the shared subset instead (see docs/operations.md).
 */
#include "pg_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_SPACE, T_WORD, T_NUM, T_STR, T_QUOTED, T_PARAM, T_PUNCT, T_COMMENT };

typedef struct tok tok;
struct tok {
    const char *s;
    int n;
    int kind;
    int depth;        /* parenthesis depth before the token */
    int match;        /* for '(' and ')': the index of the other one */
    const char *repl; /* replacement text, or NULL */
    const char *post; /* text after the token, or NULL */
    const tok *pre;   /* a table name and a dot to write before the token, or NULL */
    char own[24];     /* storage for a replacement made here */
};

typedef struct lexed {
    tok *t;
    int n;
} lexed;

static bool is_word(const tok *t, const char *w)
{
    return t->kind == T_WORD && (int)strlen(w) == t->n && strncasecmp(t->s, w, (size_t)t->n) == 0;
}

static bool is_punct(const tok *t, char c)
{
    return t->kind == T_PUNCT && t->n == 1 && t->s[0] == c;
}

/* Tokens of `sql` into out (free out->t); -1 for want of memory, 1 for
 * unbalanced parentheses (nothing to free). */
static int lex(const retain_allocator *a, const char *sql, lexed *out)
{
    size_t len = strlen(sql);
    tok *t = rt_calloc(a, len + 1, sizeof *t);
    if (!t)
        return -1;
    int n = 0, depth = 0;
    int stack[256], sp = 0;
    const char *p = sql;
    while (*p) {
        tok *k = &t[n];
        memset(k, 0, sizeof *k);
        k->s = p;
        k->depth = depth;
        k->match = -1;
        if (isspace((unsigned char)*p)) {
            while (isspace((unsigned char)*p))
                p++;
            k->kind = T_SPACE;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
            k->kind = T_COMMENT;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            k->kind = T_WORD;
        } else if (isdigit((unsigned char)*p)) {
            while (isalnum((unsigned char)*p) || *p == '.')
                p++;
            k->kind = T_NUM;
        } else if (*p == '\'' || *p == '"') {
            char q = *p++;
            for (;;) {
                if (!*p)
                    break;
                if (*p == q && p[1] == q) {
                    p += 2;
                    continue;
                }
                if (*p++ == q)
                    break;
            }
            k->kind = q == '\'' ? T_STR : T_QUOTED;
        } else if (*p == '?') {
            p++;
            while (isdigit((unsigned char)*p))
                p++;
            k->kind = T_PARAM;
        } else {
            if ((p[0] == '|' && p[1] == '|') || (p[0] == '<' && (p[1] == '=' || p[1] == '>')) ||
                (p[0] == '>' && p[1] == '=') || (p[0] == '!' && p[1] == '='))
                p += 2;
            else
                p++;
            k->kind = T_PUNCT;
        }
        k->n = (int)(p - k->s);
        if (is_punct(k, '(')) {
            if (sp < (int)(sizeof stack / sizeof stack[0]))
                stack[sp] = n;
            sp++;
            depth++;
        } else if (is_punct(k, ')') && sp > 0) {
            sp--;
            depth--;
            k->depth = depth;
            if (sp < (int)(sizeof stack / sizeof stack[0])) {
                k->match = stack[sp];
                t[stack[sp]].match = n;
            }
        }
        n++;
    }
    if (sp != 0) {
        rt_free(a, t);
        return 1;
    }
    out->t = t;
    out->n = n;
    return 0;
}

/* The next token after i that is not white space, or -1. */
static int next_tok(const lexed *L, int i)
{
    for (i++; i < L->n; i++)
        if (L->t[i].kind != T_SPACE)
            return i;
    return -1;
}

/* Top-level commas inside the parentheses opened at `open`. */
static int commas_in(const lexed *L, int open)
{
    int n = 0, close = L->t[open].match;
    for (int i = open + 1; i < close; i++)
        if (L->t[i].depth == L->t[open].depth + 1 && is_punct(&L->t[i], ','))
            n++;
    return n;
}

static bool ends_order_by(const tok *t, int depth)
{
    if (t->depth < depth || (t->depth == depth && is_punct(t, ')')))
        return true;
    if (t->depth != depth)
        return false;
    return is_word(t, "LIMIT") || is_word(t, "OFFSET") || is_punct(t, ';') ||
           is_word(t, "UNION") || is_word(t, "EXCEPT") || is_word(t, "INTERSECT") ||
           is_word(t, "RANGE") || is_word(t, "ROWS") || is_word(t, "GROUPS");
}

/* ORDER BY at token `by`: give each term the NULL ordering of SQLite. */
static void order_by(lexed *L, int by)
{
    int depth = L->t[by].depth, last = -1;
    bool has_nulls = false, desc = false;
    for (int i = by + 1;; i++) {
        bool end = i >= L->n || ends_order_by(&L->t[i], depth);
        bool comma = !end && L->t[i].depth == depth && is_punct(&L->t[i], ',');
        if (end || comma) {
            if (last >= 0 && !has_nulls)
                L->t[last].post = desc ? " NULLS LAST" : " NULLS FIRST";
            if (end)
                return;
            last = -1;
            has_nulls = desc = false;
            continue;
        }
        tok *t = &L->t[i];
        if (t->kind == T_SPACE)
            continue;
        last = i;
        if (t->depth == depth) {
            if (is_word(t, "NULLS"))
                has_nulls = true;
            desc = is_word(t, "DESC") ? true : is_word(t, "ASC") ? false : desc;
        }
    }
}

static bool is_keyword(const tok *t)
{
    static const char *const words[] = {
        "CASE", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "NULL", "IS", "IN",
        "DISTINCT", "FROM", "TRUE", "FALSE", "LIKE", "BETWEEN", "EXISTS", "SELECT", "AS",
        "WHERE", "RETURNING", "excluded",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (is_word(t, words[i]))
            return true;
    return false;
}

/* ON CONFLICT ... DO UPDATE SET a=b+1: PostgreSQL finds a bare column on
 * the right ambiguous (the row, or excluded?) where SQLite takes the row;
 * qualify such columns with the table. `set` is the SET token. */
static void qualify_upsert(lexed *L, int set, const tok *table)
{
    bool lhs = true, where = false;
    for (int i = set + 1; i < L->n; i++) {
        tok *t = &L->t[i];
        if (t->depth == 0 && is_word(t, "RETURNING"))
            return;
        if (t->depth == 0 && is_word(t, "WHERE"))
            where = true, lhs = false; /* no more assignments */
        else if (t->depth == 0 && is_punct(t, ',') && !where)
            lhs = true;
        else if (t->depth == 0 && is_punct(t, '=') && lhs)
            lhs = false;
        if (lhs || t->kind != T_WORD || is_keyword(t))
            continue;
        int nx = next_tok(L, i), pv = i - 1;
        while (pv >= 0 && L->t[pv].kind == T_SPACE)
            pv--;
        if ((nx >= 0 && (is_punct(&L->t[nx], '(') || is_punct(&L->t[nx], '.'))) ||
            (pv >= 0 && is_punct(&L->t[pv], '.')))
            continue;
        t->pre = table;
    }
}

bool rt_pg_identity_table(const char *name, int n)
{
    static const char *const tables[] = {
        "customer", "orders",  "shipment", "event", "journey_instance", "outbox",
        "delivery_decision", "customer_merge", "agent", "task", "coupon_campaign", "coupon",
        "feedback", "journey_step_log",
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if ((int)strlen(tables[i]) == n && strncmp(tables[i], name, (size_t)n) == 0)
            return true;
    return false;
}

/* Write L's tokens (their replacements, and what goes before and after
 * them) into b. */
static void emit(const lexed *L, rt_buf *b)
{
    for (int i = 0; i < L->n; i++) {
        const tok *t = &L->t[i];
        if (t->kind == T_COMMENT) {
            if (t->n > 7 && !strncmp(t->s, "/*pg:", 5))
                rt_buf_append(b, t->s + 5, (size_t)t->n - 7);
            continue;
        }
        if (t->pre) {
            rt_buf_append(b, t->pre->s, (size_t)t->pre->n);
            rt_buf_putc(b, '.');
        }
        if (t->repl)
            rt_buf_puts(b, t->repl);
        else
            rt_buf_append(b, t->s, (size_t)t->n);
        if (t->post)
            rt_buf_puts(b, t->post);
    }
}

int rt_pg_index_order(const retain_allocator *a, const char *ddl, char **out)
{
    lexed L;
    *out = NULL;
    int rc = lex(a, ddl, &L);
    if (rc)
        return rc;
    for (int i = 0; i < L.n; i++) {
        if (!is_word(&L.t[i], "INDEX"))
            continue;
        int on = next_tok(&L, i); /* the index's name, then ON */
        on = on >= 0 ? next_tok(&L, on) : -1;
        int table = on >= 0 && is_word(&L.t[on], "ON") ? next_tok(&L, on) : -1;
        int open = table >= 0 ? next_tok(&L, table) : -1;
        if (open < 0 || !is_punct(&L.t[open], '(') || L.t[open].match < 0)
            continue;
        int depth = L.t[open].depth + 1, last = -1;
        bool has_nulls = false, desc = false;
        for (int k = open + 1; k <= L.t[open].match; k++) {
            tok *t = &L.t[k];
            if (k == L.t[open].match || (t->depth == depth && is_punct(t, ','))) {
                if (last >= 0 && !has_nulls)
                    L.t[last].post = desc ? " NULLS LAST" : " NULLS FIRST";
                last = -1;
                has_nulls = desc = false;
                continue;
            }
            if (t->kind == T_SPACE)
                continue;
            if (t->depth == depth) {
                has_nulls |= is_word(t, "NULLS");
                desc = is_word(t, "DESC") ? true : is_word(t, "ASC") ? false : desc;
            }
            if (t->depth == depth) /* not inside an expression's parentheses */
                last = k;
        }
        i = L.t[open].match;
    }
    rt_buf b;
    rt_buf_init(&b, a);
    emit(&L, &b);
    rt_free(a, L.t);
    return rt_buf_finish(&b, out) == RETAIN_OK ? 0 : -1;
}

int rt_pg_rewrite(const retain_allocator *a, const char *sql, char **out, int *nparams,
                  bool *returns_id)
{
    lexed L;
    *out = NULL;
    *nparams = 0;
    *returns_id = false;
    int rc = lex(a, sql, &L);
    if (rc)
        return rc;
    int maxp = 0, subq = 0;
    bool ignore = false, has_returning = false, insert_id = false;
    const tok *table = NULL; /* of INSERT INTO */
    for (int i = 0; i < L.n; i++) {
        tok *t = &L.t[i];
        int nx = next_tok(&L, i);
        tok *n = nx >= 0 ? &L.t[nx] : NULL;
        if (t->kind == T_PARAM) {
            int v = t->n > 1 ? atoi(t->s + 1) : maxp + 1;
            if (v > maxp)
                maxp = v;
            snprintf(t->own, sizeof t->own, "$%d", v);
            t->repl = t->own;
        } else if (t->kind == T_NUM && t->n > 2 && t->s[0] == '0' &&
                   (t->s[1] == 'x' || t->s[1] == 'X')) {
            snprintf(t->own, sizeof t->own, "%llu", strtoull(t->s + 2, NULL, 16));
            t->repl = t->own;
        } else if (t->kind != T_WORD) {
            continue;
        } else if (is_word(t, "INSERT") && n && is_word(n, "OR")) {
            int w = next_tok(&L, nx);
            if (w >= 0 && is_word(&L.t[w], "IGNORE")) {
                ignore = true;
                n->repl = "";
                L.t[w].repl = "";
                L.t[nx + 1].repl = ""; /* the spaces after OR and IGNORE */
                if (w + 1 < L.n && L.t[w + 1].kind == T_SPACE)
                    L.t[w + 1].repl = "";
            }
        } else if (is_word(t, "INSERT") && n && is_word(n, "INTO") && t->depth == 0) {
            int w = next_tok(&L, nx);
            if (w >= 0 && rt_pg_identity_table(L.t[w].s, L.t[w].n))
                insert_id = true;
            table = w >= 0 ? &L.t[w] : NULL;
        } else if (is_word(t, "DO") && n && is_word(n, "UPDATE") && table && t->depth == 0) {
            int w = next_tok(&L, nx);
            if (w >= 0 && is_word(&L.t[w], "SET"))
                qualify_upsert(&L, w, table);
        } else if (is_word(t, "RETURNING")) {
            has_returning = true;
        } else if (n && is_punct(n, '(') && (is_word(t, "max") || is_word(t, "min"))) {
            if (commas_in(&L, nx) > 0)
                t->repl = is_word(t, "max") ? "GREATEST" : "LEAST";
        } else if (n && is_punct(n, '(') && is_word(t, "json_object")) {
            t->repl = "json_build_object";
        } else if (n && is_punct(n, '(') && is_word(t, "json_group_array")) {
            t->repl = "coalesce(json_agg";
            L.t[n->match].post = ",'[]')";
        } else if (n && is_punct(n, '(') && is_word(t, "json_group_object")) {
            t->repl = "coalesce(json_object_agg";
            L.t[n->match].post = ",'{}')";
        } else if (n && is_punct(n, '(') && is_word(t, "instr")) {
            t->repl = "strpos";
        } else if (n && is_punct(n, '(') && is_word(t, "random")) {
            t->repl = "rt_random";
        } else if (is_word(t, "REAL")) {
            t->repl = "float8";
        } else if (is_word(t, "IS") && n) {
            bool neg = is_word(n, "NOT");
            int w = neg ? next_tok(&L, nx) : nx;
            tok *b = w >= 0 ? &L.t[w] : NULL;
            if (b && !is_word(b, "NULL") && !is_word(b, "TRUE") && !is_word(b, "FALSE") &&
                !is_word(b, "DISTINCT")) {
                t->repl = neg ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM";
                if (neg) {
                    n->repl = "";
                    L.t[nx - 1].repl = L.t[nx - 1].kind == T_SPACE ? "" : NULL;
                }
            }
        } else if (is_word(t, "NOT") && n && is_word(n, "INDEXED")) {
            t->repl = "";
            n->repl = "";
        } else if (is_word(t, "ORDER") && n && is_word(n, "BY")) {
            order_by(&L, nx);
        } else if ((is_word(t, "FROM") || is_word(t, "JOIN")) && n && is_punct(n, '(')) {
            int after = next_tok(&L, n->match);
            tok *al = after >= 0 ? &L.t[after] : NULL;
            bool aliased = al && (is_word(al, "AS") ||
                                  (al->kind == T_WORD && !is_word(al, "WHERE") &&
                                   !is_word(al, "GROUP") && !is_word(al, "ORDER") &&
                                   !is_word(al, "LIMIT") && !is_word(al, "JOIN") &&
                                   !is_word(al, "LEFT") && !is_word(al, "INNER") &&
                                   !is_word(al, "CROSS") && !is_word(al, "UNION") &&
                                   !is_word(al, "ON") && !is_word(al, "WINDOW")));
            if (!aliased) {
                tok *close = &L.t[n->match];
                snprintf(close->own, sizeof close->own, " AS rt_s%d", ++subq);
                close->post = close->own;
            }
        }
    }
    rt_buf b;
    rt_buf_init(&b, a);
    emit(&L, &b);
    /* Trailing clauses go before a final semicolon or RETURNING. */
    if (ignore || (insert_id && !has_returning)) {
        size_t end = b.len;
        while (end > 0 && (isspace((unsigned char)b.data[end - 1]) || b.data[end - 1] == ';'))
            end--;
        b.len = end;
        if (ignore)
            rt_buf_puts(&b, " ON CONFLICT DO NOTHING");
        if (insert_id && !has_returning) {
            rt_buf_puts(&b, " RETURNING id");
            *returns_id = true;
        }
    }
    rt_free(a, L.t);
    *nparams = maxp;
    return rt_buf_finish(&b, out) == RETAIN_OK ? 0 : -1;
}
