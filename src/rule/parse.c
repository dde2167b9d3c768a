/*
 * parse.c - operator precedence parsing with explicit stacks (no recursion,
 * so 10^5 nested parentheses meet the depth limit, not the C stack).
 *
 * Precedence, loosest first:
 *   or < and < not < comparisons (== != < <= > >= in, not in, =~, !~;
 *   not chainable) < ?? (right-associative) < + - < * / % < unary -
 */
#include "comp.h"

#include <string.h>

enum { O_BIN, O_PREFIX, O_PAREN, O_CALL, O_LIST };

typedef struct opent {
    uint8_t kind;
    uint8_t op;    /* B_* for O_BIN, NK_NEG / NK_NOT for O_PREFIX, F_* for O_CALL */
    uint8_t prec;
    uint32_t pos;
    size_t base;   /* operand stack height when a group opened */
} opent;

typedef struct pstate {
    opent *ops;
    size_t nops, ops_cap;
    int32_t *vals;
    size_t nvals, vals_cap;
} pstate;

#define PREC_CMP 4
#define PREC_COALESCE 5

static int bin_prec(int op)
{
    switch (op) {
    case B_OR: return 1;
    case B_AND: return 2;
    case B_COALESCE: return PREC_COALESCE;
    case B_ADD: case B_SUB: return 6;
    case B_MUL: case B_DIV: case B_MOD: return 7;
    default: return PREC_CMP;
    }
}

static int bin_of(tok_kind k)
{
    switch (k) {
    case T_OR: return B_OR;
    case T_AND: return B_AND;
    case T_EQ: return B_EQ;
    case T_NE: return B_NE;
    case T_LT: return B_LT;
    case T_LE: return B_LE;
    case T_GT: return B_GT;
    case T_GE: return B_GE;
    case T_IN: return B_IN;
    case T_MATCH: return B_MATCH;
    case T_NMATCH: return B_NMATCH;
    case T_COALESCE: return B_COALESCE;
    case T_PLUS: return B_ADD;
    case T_MINUS: return B_SUB;
    case T_STAR: return B_MUL;
    case T_SLASH: return B_DIV;
    case T_PERCENT: return B_MOD;
    default: return -1;
    }
}

int32_t node_new(comp *c, int kind, uint32_t pos)
{
    if (!cgrow(c, (void **)&c->nodes, &c->nodes_cap, c->nnodes + 1, sizeof *c->nodes))
        return -1;
    rt_node *n = &c->nodes[c->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->pos = pos;
    n->a = n->b = n->k = -1;
    return (int32_t)c->nnodes++;
}

int32_t const_add(comp *c, const retain_value *v)
{
    if (!cgrow(c, (void **)&c->consts, &c->consts_cap, c->nconsts + 1, sizeof *c->consts))
        return -1;
    c->consts[c->nconsts] = *v;
    return (int32_t)c->nconsts++;
}

static bool push_val(comp *c, pstate *s, int32_t n)
{
    if (n < 0)
        return false;
    if (!cgrow(c, (void **)&s->vals, &s->vals_cap, s->nvals + 1, sizeof *s->vals))
        return false;
    s->vals[s->nvals++] = n;
    return true;
}

static bool push_op(comp *c, pstate *s, opent o)
{
    if (s->nops >= (size_t)c->cfg->rule_max_depth) {
        cerr(c, RETAIN_ELIMIT, o.pos,
             "expression nested deeper than %d levels (options.rule_max_depth)",
             c->cfg->rule_max_depth);
        return false;
    }
    if (!cgrow(c, (void **)&s->ops, &s->ops_cap, s->nops + 1, sizeof *s->ops))
        return false;
    s->ops[s->nops++] = o;
    return true;
}

/* A literal node from the current token. */
static int32_t literal(comp *c, const token *t)
{
    retain_value v = retain_value_null();
    int flags = 0;
    switch (t->kind) {
    case T_INT:
        v = retain_value_int(t->i);
        flags = NF_INTLIT;
        break;
    case T_DEC:
        v = retain_value_float(t->f);
        flags = NF_DECLIT;
        break;
    case T_FLOAT:
        v = retain_value_float(t->f);
        break;
    case T_MONEY:
        v.type = RETAIN_TYPE_MONEY;
        v.u.money.amount = t->i;
        memcpy(v.u.money.currency, t->cur, 4);
        v.u.money.scale = t->scale;
        break;
    case T_DURATION:
        v = retain_value_duration(t->i);
        break;
    case T_STRING:
        v = retain_value_stringn(t->s, t->slen);
        break;
    case T_TRUE:
    case T_FALSE:
        v = retain_value_bool(t->kind == T_TRUE);
        break;
    default:
        break;
    }
    int32_t k = const_add(c, &v);
    int32_t n = k < 0 ? -1 : node_new(c, NK_LIT, t->pos);
    if (n < 0)
        return cnomem(c), -1;
    rt_node *nd = &c->nodes[n];
    nd->k = k;
    nd->type = (uint8_t)v.type;
    nd->flags = (uint8_t)(NF_CONST | NF_CHECKED | flags |
                          (v.type != RETAIN_TYPE_NULL ? NF_NOTNULL : 0));
    nd->mant = t->i;
    nd->scale = t->scale;
    return n;
}

static bool is_name_tok(tok_kind k)
{
    return k == T_IDENT || (k >= T_AND && k <= T_NULL);
}

/* customer.email, customer.attr.tier, event.props["gift-wrap"] ... */
static int32_t field_path(comp *c)
{
    char path[512];
    uint32_t pos = c->tok.pos;
    size_t n = 0;
    memcpy(path, c->src + c->tok.pos, c->tok.len);
    n = c->tok.len;
    while (lex_peek(c)->kind == T_DOT) {
        lex_next(c);
        lex_next(c);
        if (c->err)
            return -1;
        if (!is_name_tok(c->tok.kind)) {
            cerr(c, RETAIN_EPARSE, c->tok.pos, "expected a name after '.', found %s",
                 tok_name(c->tok.kind));
            return -1;
        }
        if (n + 1 + c->tok.len >= sizeof path - 1) {
            cerr(c, RETAIN_EPARSE, pos, "name is too long");
            return -1;
        }
        path[n++] = '.';
        memcpy(path + n, c->src + c->tok.pos, c->tok.len);
        n += c->tok.len;
    }
    path[n] = '\0';
    if (lex_peek(c)->kind == T_LBRACK &&
        (!strcmp(path, "customer.attr") || !strcmp(path, "event.props") ||
         !strcmp(path, "customer.consent") || !strcmp(path, "vars"))) {
        lex_next(c);
        lex_next(c);
        if (c->err)
            return -1;
        if (c->tok.kind != T_STRING) {
            cerr(c, RETAIN_EPARSE, c->tok.pos, "expected a quoted name inside [ ], found %s",
                 tok_name(c->tok.kind));
            return -1;
        }
        if (c->tok.slen == 0 || n + 1 + c->tok.slen >= sizeof path - 1) {
            cerr(c, RETAIN_EPARSE, c->tok.pos, c->tok.slen ? "name is too long" : "name is empty");
            return -1;
        }
        path[n++] = '.';
        memcpy(path + n, c->tok.s, c->tok.slen);
        n += c->tok.slen;
        path[n] = '\0';
        lex_next(c);
        if (c->err)
            return -1;
        if (c->tok.kind != T_RBRACK) {
            cerr(c, RETAIN_EPARSE, c->tok.pos, "expected ']', found %s", tok_name(c->tok.kind));
            return -1;
        }
    }
    return resolve_path(c, path, n, pos);
}

/* Pop one operator into a node. */
static bool reduce(comp *c, pstate *s)
{
    opent o = s->ops[--s->nops];
    if (o.kind == O_PREFIX) {
        int32_t x = s->vals[s->nvals - 1];
        rt_node *xn = &c->nodes[x];
        /* -5, -2.5, -50.00 EUR, -3d are literals, not negations. */
        if (o.op == NK_NEG && xn->kind == NK_LIT &&
            (xn->type == RETAIN_TYPE_INT || xn->type == RETAIN_TYPE_FLOAT ||
             xn->type == RETAIN_TYPE_MONEY || xn->type == RETAIN_TYPE_DURATION)) {
            retain_value *v = &c->consts[xn->k];
            if (v->type == RETAIN_TYPE_FLOAT)
                v->u.f = -v->u.f;
            else if (v->type == RETAIN_TYPE_MONEY)
                v->u.money.amount = -v->u.money.amount;
            else
                v->u.i = -v->u.i; /* int and duration: never INT64_MIN here */
            xn->mant = -xn->mant;
            xn->pos = o.pos;
            return true;
        }
        int32_t n = node_new(c, o.op, o.pos);
        if (n < 0)
            return cnomem(c), false;
        c->nodes[n].a = x;
        s->vals[s->nvals - 1] = n;
        return true;
    }
    int32_t r = s->vals[--s->nvals];
    int32_t l = s->vals[s->nvals - 1];
    int32_t n = node_new(c, NK_BIN, o.pos);
    if (n < 0)
        return cnomem(c), false;
    c->nodes[n].op = o.op;
    c->nodes[n].a = l;
    c->nodes[n].b = r;
    s->vals[s->nvals - 1] = n;
    return true;
}

/* Reduce operators down to the innermost open group; returns its index in
 * the op stack or -1 when none is open. */
static long reduce_to_group(comp *c, pstate *s)
{
    while (s->nops && (s->ops[s->nops - 1].kind == O_BIN || s->ops[s->nops - 1].kind == O_PREFIX))
        if (!reduce(c, s))
            return -2;
    return s->nops ? (long)s->nops - 1 : -1;
}

/* Close a call or list whose marker is on top: its items become args. */
static bool close_group(comp *c, pstate *s, int kind)
{
    opent o = s->ops[--s->nops];
    size_t count = s->nvals - o.base;
    if (count > c->cfg->rule_max_list) {
        cerr(c, RETAIN_ELIMIT, o.pos, "%s has %zu %s; the limit is %zu (options.rule_max_list)",
             kind == NK_LIST ? "list" : "call", count,
             kind == NK_LIST ? "elements" : "arguments", c->cfg->rule_max_list);
        return false;
    }
    if (!cgrow(c, (void **)&c->args, &c->args_cap, c->nargs + count, sizeof *c->args))
        return false;
    int32_t n = node_new(c, kind, o.pos);
    if (n < 0)
        return cnomem(c), false;
    if (count)
        memcpy(c->args + c->nargs, s->vals + o.base, count * sizeof *c->args);
    c->nodes[n].op = o.op;
    c->nodes[n].a = (int32_t)c->nargs;
    c->nodes[n].b = (int32_t)count;
    c->nargs += count;
    s->nvals = o.base;
    return push_val(c, s, n);
}

static const char *group_close(int kind)
{
    return kind == O_LIST ? "']'" : "')'";
}

static int run(comp *c, pstate *s)
{
    bool want_operand = true;
    tok_kind prev = T_EOF;
    for (lex_next(c);; prev = c->tok.kind, lex_next(c)) {
        if (c->err)
            return c->err;
        const token *t = &c->tok;
        if (want_operand) {
            switch (t->kind) {
            case T_INT: case T_DEC: case T_FLOAT: case T_MONEY: case T_DURATION:
            case T_STRING: case T_TRUE: case T_FALSE: case T_NULL:
                if (!push_val(c, s, literal(c, t)))
                    return c->err ? c->err : cnomem(c);
                want_operand = false;
                break;
            case T_IDENT:
                if (lex_peek(c)->kind == T_LPAREN) {
                    int f = builtin_find(c->src + t->pos, t->len);
                    if (f < 0) {
                        size_t nb;
                        const char *const *names = builtin_names(&nb);
                        char name[64];
                        snprintf(name, sizeof name, "%.*s", (int)(t->len < 60 ? t->len : 60),
                                 c->src + t->pos);
                        const char *sug = suggest_name(c, name, strlen(name), names, nb);
                        if (sug)
                            return cerr(c, RETAIN_EPARSE, t->pos,
                                        "unknown function %s() (did you mean %s()?)", name, sug);
                        return cerr(c, RETAIN_EPARSE, t->pos, "unknown function %s()", name);
                    }
                    opent o = { O_CALL, (uint8_t)f, 0, t->pos, s->nvals };
                    if (!push_op(c, s, o))
                        return c->err;
                    lex_next(c); /* the '(' */
                    if (lex_peek(c)->kind == T_RPAREN) {
                        lex_next(c);
                        if (!close_group(c, s, NK_CALL))
                            return c->err ? c->err : cnomem(c);
                        want_operand = false;
                    }
                    break;
                }
                if (!push_val(c, s, field_path(c)))
                    return c->err ? c->err : cnomem(c);
                want_operand = false;
                break;
            case T_MINUS:
            case T_NOT: {
                opent o = { O_PREFIX, (uint8_t)(t->kind == T_MINUS ? NK_NEG : NK_NOT),
                            (uint8_t)(t->kind == T_MINUS ? 8 : 3), t->pos, 0 };
                if (!push_op(c, s, o))
                    return c->err;
                break;
            }
            case T_LPAREN: {
                opent o = { O_PAREN, 0, 0, t->pos, s->nvals };
                if (!push_op(c, s, o))
                    return c->err;
                break;
            }
            case T_LBRACK: {
                opent o = { O_LIST, 0, 0, t->pos, s->nvals };
                if (!push_op(c, s, o))
                    return c->err;
                break;
            }
            case T_RBRACK:
                /* [] and a trailing comma: [a, b,] */
                if (s->nops && s->ops[s->nops - 1].kind == O_LIST &&
                    (prev == T_LBRACK || prev == T_COMMA)) {
                    if (!close_group(c, s, NK_LIST))
                        return c->err ? c->err : cnomem(c);
                    want_operand = false;
                    break;
                }
                /* fall through */
            default:
                if (t->kind == T_EOF && s->nops == 0 && s->nvals == 0)
                    return cerr(c, RETAIN_EPARSE, t->pos, "the rule is empty");
                return cerr(c, RETAIN_EPARSE, t->pos, "expected a value, found %s",
                            tok_name(t->kind));
            }
            continue;
        }

        /* An operator, a closing bracket, a comma or the end. */
        int op = bin_of(t->kind);
        uint32_t op_pos = t->pos;
        if (t->kind == T_NOT) {
            if (lex_peek(c)->kind != T_IN)
                return cerr(c, RETAIN_EPARSE, t->pos,
                            "expected an operator, found 'not' (did you mean 'not in'?)");
            lex_next(c);
            op = B_NOT_IN;
        }
        if (op >= 0) {
            int p = bin_prec(op);
            while (s->nops) {
                opent *top = &s->ops[s->nops - 1];
                if (top->kind != O_BIN && top->kind != O_PREFIX)
                    break;
                if (top->prec == PREC_CMP && p == PREC_CMP)
                    return cerr(c, RETAIN_EPARSE, t->pos,
                                "comparisons cannot be chained: write a < b and b < c");
                if (top->prec > p || (top->prec == p && p != PREC_COALESCE)) {
                    if (!reduce(c, s))
                        return c->err;
                } else {
                    break;
                }
            }
            opent o = { O_BIN, (uint8_t)op, (uint8_t)p, op_pos, 0 };
            if (!push_op(c, s, o))
                return c->err;
            want_operand = true;
            continue;
        }
        long g;
        switch (t->kind) {
        case T_COMMA:
            g = reduce_to_group(c, s);
            if (g == -2)
                return c->err;
            if (g < 0 || (s->ops[g].kind != O_CALL && s->ops[g].kind != O_LIST))
                return cerr(c, RETAIN_EPARSE, t->pos,
                            "unexpected ',' (commas separate function arguments and list "
                            "elements)");
            want_operand = true;
            break;
        case T_RPAREN:
            g = reduce_to_group(c, s);
            if (g == -2)
                return c->err;
            if (g < 0)
                return cerr(c, RETAIN_EPARSE, t->pos, "unexpected ')': no '(' is open");
            if (s->ops[g].kind == O_LIST)
                return cerr(c, RETAIN_EPARSE, t->pos, "expected ']' to close the list, "
                                                      "found ')'");
            if (s->ops[g].kind == O_PAREN)
                s->nops--;
            else if (!close_group(c, s, NK_CALL))
                return c->err ? c->err : cnomem(c);
            break;
        case T_RBRACK:
            g = reduce_to_group(c, s);
            if (g == -2)
                return c->err;
            if (g < 0 || s->ops[g].kind != O_LIST)
                return cerr(c, RETAIN_EPARSE, t->pos, g < 0 ? "unexpected ']': no '[' is open"
                                                            : "expected ')', found ']'");
            if (!close_group(c, s, NK_LIST))
                return c->err ? c->err : cnomem(c);
            break;
        case T_EOF:
            g = reduce_to_group(c, s);
            if (g == -2)
                return c->err;
            if (g >= 0)
                return cerr(c, RETAIN_EPARSE, s->ops[g].pos, "%s is never closed (missing %s)",
                            s->ops[g].kind == O_LIST ? "'['" : "'('",
                            group_close(s->ops[g].kind));
            c->root = s->vals[0];
            return RETAIN_OK;
        case T_IDENT: {
            /* AND, OR, NOT: keywords are lower case. */
            static const char *const kw[] = { "AND", "OR", "NOT", "IN", "And", "Or", "Not" };
            for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
                if (strlen(kw[k]) == t->len && !memcmp(kw[k], c->src + t->pos, t->len))
                    return cerr(c, RETAIN_EPARSE, t->pos,
                                "expected an operator, found \"%s\" (keywords are lower case: "
                                "and, or, not, in)",
                                kw[k]);
            return cerr(c, RETAIN_EPARSE, t->pos, "expected an operator, found \"%.*s\"",
                        (int)(t->len < 60 ? t->len : 60), c->src + t->pos);
        }
        default:
            return cerr(c, RETAIN_EPARSE, t->pos, "expected an operator, found %s",
                        tok_name(t->kind));
        }
    }
}

int parse(comp *c)
{
    pstate s;
    memset(&s, 0, sizeof s);
    lex_init(c);
    int rc = run(c, &s);
    rt_free(&c->rule->alloc, s.ops);
    rt_free(&c->rule->alloc, s.vals);
    if (rc == RETAIN_OK && c->err)
        rc = c->err;
    return rc;
}
