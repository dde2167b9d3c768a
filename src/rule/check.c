/*
 * check.c - static types. Every node gets a type and the opcode that will
 * compute it; implicit conversions become NK_COERCE nodes (int to float,
 * and run-time checks of values of type any). Nodes are created children
 * first, so one pass in creation order sees every child before its parent.
 * Regexes are compiled here, so a bad pattern is a compile error.
 */
#include "comp.h"

#include <string.h>

#define T_NULL_ RETAIN_TYPE_NULL
#define TB RETAIN_TYPE_BOOL
#define TI RETAIN_TYPE_INT
#define TF RETAIN_TYPE_FLOAT
#define TM RETAIN_TYPE_MONEY
#define TS RETAIN_TYPE_STRING
#define TT RETAIN_TYPE_TIME
#define TD RETAIN_TYPE_DURATION
#define TL RETAIN_TYPE_LIST
#define TA RETAIN_TYPE_ANY

static const char *const type_names[] = { "null", "bool", "int", "float", "money",
                                          "string", "time", "duration", "list", "any" };

const char *retain_type_name(retain_type t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "unknown";
}

const char *type_str(int type, int elem, char *buf, size_t n)
{
    if (type == TL && elem != T_NULL_)
        snprintf(buf, n, "list of %s", retain_type_name((retain_type)elem));
    else
        snprintf(buf, n, "%s", retain_type_name((retain_type)type));
    return buf;
}

static const char *bin_sym(int op)
{
    static const char *const s[] = { "or", "and", "==", "!=", "<", "<=", ">", ">=", "in",
                                     "not in", "=~", "!~", "??", "+", "-", "*", "/", "%" };
    return s[op];
}

static rt_node *N(comp *c, int32_t i) { return &c->nodes[i]; }

static bool is_num(int t) { return t == TI || t == TF; }

static bool is_num_lit(const rt_node *n)
{
    return n->kind == NK_LIT && (n->flags & (NF_INTLIT | NF_DECLIT));
}

/* An explicit money literal (50.00 EUR) and its currency. */
static const char *lit_currency(const comp *c, const rt_node *n)
{
    if (n->kind != NK_LIT || n->type != TM)
        return NULL;
    const char *cur = c->consts[n->k].u.money.currency;
    return cur[0] ? cur : NULL;
}

/* Make a numeric literal an amount without currency (50.00 -> money). */
static void to_money(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    retain_value *v = &c->consts[n->k];
    v->type = RETAIN_TYPE_MONEY;
    v->u.money.amount = n->mant;
    memset(v->u.money.currency, 0, 4);
    v->u.money.scale = n->scale;
    n->type = TM;
    n->flags &= (uint8_t)~(NF_INTLIT | NF_DECLIT);
}

/* Wrap node i in a conversion to `type` when its static type differs
 * (any -> type checked at run time; int -> float). Returns the node to use. */
static int32_t coerce(comp *c, int32_t i, int type, int elem)
{
    rt_node *n = N(c, i);
    if (n->type == type && (type != TL || n->elem == elem))
        return i;
    if (n->type == TI && type == TF && n->kind == NK_LIT) {
        /* fold the conversion of a literal right away */
        retain_value *v = &c->consts[n->k];
        v->u.f = (double)v->u.i;
        v->type = RETAIN_TYPE_FLOAT;
        n->type = TF;
        return i;
    }
    int32_t k = node_new(c, NK_COERCE, N(c, i)->pos);
    if (k < 0)
        return cnomem(c), -1;
    rt_node *cn = N(c, k);
    cn->a = i;
    cn->type = (uint8_t)type;
    cn->elem = (uint8_t)elem;
    cn->flags = (uint8_t)(NF_CHECKED | (N(c, i)->flags & NF_CONST));
    cn->vmop = OP_COERCE;
    return k;
}

static int type_error(comp *c, uint32_t pos, const char *fmt, int t1, int e1, int t2, int e2)
{
    char a[40], b[40];
    return cerr(c, RETAIN_EPARSE, pos, fmt, type_str(t1, e1, a, sizeof a),
                type_str(t2, e2, b, sizeof b));
}

/* --- regexes ------------------------------------------------------------ */

static int compile_regex(comp *c, int32_t pat, int32_t *out)
{
    rt_node *p = N(c, pat);
    const retain_value *v = &c->consts[p->k];
    pcre2_compile_context *cctx = pcre2_compile_context_create(c->rule->gctx);
    if (!cctx)
        return cnomem(c);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->u.str.ptr, v->u.str.len,
                                   PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &code, &off, cctx);
    pcre2_compile_context_free(cctx);
    if (!re) {
        if (code == PCRE2_ERROR_NOMEMORY || code == PCRE2_ERROR_HEAP_FAILED)
            return cnomem(c);
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        uint32_t at = lex_string_src_offset(c, p->pos, off);
        return cerr(c, RETAIN_EPARSE, at, "bad regex: %s", (const char *)msg);
    }
    if (!cgrow(c, (void **)&c->regex, &c->regex_cap, c->nregex + 1, sizeof *c->regex)) {
        pcre2_code_free(re);
        return c->err;
    }
    rt_regex *r = &c->regex[c->nregex];
    r->code = re;
    r->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    r->pos = p->pos;
    *out = (int32_t)c->nregex++;
    return RETAIN_OK;
}

/* --- operators ---------------------------------------------------------- */

static int check_logic(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t kids[2] = { n->a, n->b };
    int nk = n->kind == NK_NOT ? 1 : 2;
    for (int s = 0; s < nk; s++) {
        int t = N(c, kids[s])->type;
        if (t == TA)
            kids[s] = coerce(c, kids[s], TB, 0);
        else if (t != TB && t != T_NULL_) {
            char a[40];
            const char *what = N(c, i)->kind == NK_NOT ? "'not'"
                               : N(c, i)->op == B_AND  ? "'and'"
                                                       : "'or'";
            return cerr(c, RETAIN_EPARSE, N(c, kids[s])->pos,
                        "%s needs true or false, but this is %s", what,
                        type_str(t, N(c, kids[s])->elem, a, sizeof a));
        }
        if (kids[s] < 0)
            return c->err;
    }
    n = N(c, i);
    n->a = kids[0];
    if (nk == 2)
        n->b = kids[1];
    n->type = TB;
    n->vmop = n->kind == NK_NOT ? OP_NOT : n->op == B_AND ? OP_AND : OP_OR;
    return RETAIN_OK;
}

/* Settle operand types of a comparison / ?? / min-max pair: any takes the
 * other side's type, numeric literals become money next to money, ints
 * become floats next to floats. */
static int unify(comp *c, int32_t *l, int32_t *r, uint32_t pos, const char *what)
{
    int lt = N(c, *l)->type, rt = N(c, *r)->type;
    if (lt == TA && rt == TA)
        return RETAIN_OK;
    if (lt == TA || rt == TA) {
        int32_t *any = lt == TA ? l : r;
        int other = lt == TA ? rt : lt, oelem = lt == TA ? N(c, *r)->elem : N(c, *l)->elem;
        if (other == T_NULL_)
            return RETAIN_OK;
        int target = other == TI ? TF : other;
        *any = coerce(c, *any, target, oelem);
        if (*any < 0)
            return c->err;
        if (other == TI) {
            int32_t *o = lt == TA ? r : l;
            *o = coerce(c, *o, TF, 0);
            if (*o < 0)
                return c->err;
        }
        return RETAIN_OK;
    }
    if (lt == TM && is_num_lit(N(c, *r)))
        to_money(c, *r);
    else if (rt == TM && is_num_lit(N(c, *l)))
        to_money(c, *l);
    else if (lt == TI && rt == TF)
        *l = coerce(c, *l, TF, 0);
    else if (lt == TF && rt == TI)
        *r = coerce(c, *r, TF, 0);
    if (*l < 0 || *r < 0)
        return c->err;
    lt = N(c, *l)->type;
    rt = N(c, *r)->type;
    if (lt == T_NULL_ || rt == T_NULL_)
        return RETAIN_OK;
    if (lt != rt || (lt == TL && N(c, *l)->elem != N(c, *r)->elem &&
                     N(c, *l)->elem != T_NULL_ && N(c, *r)->elem != T_NULL_)) {
        if ((lt == TM && is_num(rt)) || (rt == TM && is_num(lt)))
            return cerr(c, RETAIN_EPARSE, pos,
                        "cannot %s money and a number that is not a literal: write the amount "
                        "as a literal (50.00) or as money (50.00 EUR)",
                        what);
        char a[40], b[40];
        return cerr(c, RETAIN_EPARSE, pos, "cannot %s %s and %s", what,
                    type_str(lt, N(c, *l)->elem, a, sizeof a),
                    type_str(rt, N(c, *r)->elem, b, sizeof b));
    }
    const char *c1 = lit_currency(c, N(c, *l)), *c2 = lit_currency(c, N(c, *r));
    if (c1 && c2 && strcmp(c1, c2) != 0)
        return cerr(c, RETAIN_EPARSE, pos, "cannot %s %s and %s amounts", what, c1, c2);
    return RETAIN_OK;
}

static int check_compare(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t l = n->a, r = n->b;
    uint32_t pos = n->pos;
    int op = n->op;
    int lt = N(c, l)->type, rt = N(c, r)->type;
    n->type = TB;
    n->cond = (uint8_t)(op - B_EQ); /* RT_EQ ... RT_GE in the same order */
    if (lt == T_NULL_ || rt == T_NULL_) {
        if (op != B_EQ && op != B_NE)
            return cerr(c, RETAIN_EPARSE, pos,
                        "'%s' with null is always false: test with == null, or give a default "
                        "with ??",
                        bin_sym(op));
        /* x == null: a null test of the other side. */
        if (lt == T_NULL_) {
            n->a = r;
            n->b = l;
        }
        n->vmop = op == B_EQ ? OP_IS_NULL : OP_NOT_NULL;
        return RETAIN_OK;
    }
    if (lt == TL || rt == TL)
        return cerr(c, RETAIN_EPARSE, pos,
                    "lists cannot be compared with '%s': use in, any() or len()", bin_sym(op));
    if (unify(c, &l, &r, pos, "compare") != RETAIN_OK)
        return c->err;
    n = N(c, i);
    n->a = l;
    n->b = r;
    int t = N(c, l)->type;
    switch (t) {
    case TI: case TT: case TD: n->vmop = OP_CMP_I; break;
    case TF: n->vmop = OP_CMP_F; break;
    case TS: n->vmop = OP_CMP_S; break;
    case TM: n->vmop = OP_CMP_M; break;
    case TB:
        if (op != B_EQ && op != B_NE)
            return cerr(c, RETAIN_EPARSE, pos, "true and false cannot be ordered with '%s'",
                        bin_sym(op));
        n->vmop = OP_CMP_B;
        break;
    default: n->vmop = OP_CMP_DYN; break; /* any vs any */
    }
    return RETAIN_OK;
}

/* Whether a value of type t can be looked up among elements of type e. */
static bool elem_ok(int t, int e)
{
    return t == TA || t == T_NULL_ || e == TA || e == T_NULL_ || t == e ||
           (is_num(t) && is_num(e));
}

static int check_in(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t l = n->a, r = n->b;
    uint32_t pos = n->pos;
    int rt = N(c, r)->type;
    if (rt == TA) {
        r = coerce(c, r, TL, TA);
        if (r < 0)
            return c->err;
        rt = TL;
    }
    if (rt != TL) {
        char b[40];
        return cerr(c, RETAIN_EPARSE, N(c, r)->pos,
                    "'in' needs a list on its right, but this is %s%s",
                    type_str(rt, 0, b, sizeof b),
                    rt == TS ? " (for text use contains(text, part))" : "");
    }
    int lt = N(c, l)->type, e = N(c, r)->elem;
    if (lt == TL)
        return cerr(c, RETAIN_EPARSE, N(c, l)->pos,
                    "'in' looks for one value in a list, but this is a list (use any())");
    if (!elem_ok(lt, e))
        return type_error(c, pos, "cannot look for %s in a %s", lt, 0, TL, e);
    n = N(c, i);
    n->b = r;
    n->type = TB;
    n->cond = n->op == B_NOT_IN;
    n->vmop = OP_IN;
    return RETAIN_OK;
}

static int check_match(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t l = n->a, r = n->b;
    if (N(c, r)->kind != NK_LIT || N(c, r)->type != TS)
        return cerr(c, RETAIN_EPARSE, N(c, r)->pos,
                    "the pattern after '%s' must be a string literal (it is compiled with the "
                    "rule)",
                    bin_sym(n->op));
    int lt = N(c, l)->type;
    if (lt == TA)
        l = coerce(c, l, TS, 0);
    else if (lt != TS && lt != T_NULL_) {
        char a[40];
        return cerr(c, RETAIN_EPARSE, N(c, l)->pos, "'%s' matches text, but this is %s",
                    bin_sym(n->op), type_str(lt, N(c, l)->elem, a, sizeof a));
    }
    if (l < 0)
        return c->err;
    int32_t k = -1;
    if (compile_regex(c, r, &k))
        return c->err;
    n = N(c, i);
    n->a = l;
    n->k = k;
    n->type = TB;
    n->cond = n->op == B_NMATCH;
    n->vmop = OP_MATCH;
    /* The pattern node is not evaluated; constness depends on the subject. */
    return RETAIN_OK;
}

static int check_coalesce(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t l = n->a, r = n->b;
    if (unify(c, &l, &r, n->pos, "combine with ??") != RETAIN_OK)
        return c->err;
    n = N(c, i);
    n->a = l;
    n->b = r;
    rt_node *ln = N(c, l), *rn = N(c, r);
    if (ln->type == T_NULL_) {
        n->type = rn->type;
        n->elem = rn->elem;
    } else {
        n->type = ln->type;
        n->elem = ln->type == TL && ln->elem == T_NULL_ ? rn->elem : ln->elem;
    }
    n->vmop = OP_JNN;
    return RETAIN_OK;
}

/* Arithmetic: choose result type and opcode. */
static int check_arith(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t l = n->a, r = n->b;
    int op = n->op;
    uint32_t pos = n->pos;
    int lt = N(c, l)->type, rt = N(c, r)->type;
    if (lt == T_NULL_ || rt == T_NULL_)
        return cerr(c, RETAIN_EPARSE, pos, "'%s' with null is always null", bin_sym(op));
    /* Values of unknown type take a type from the other side. */
    for (int s = 0; s < 2; s++) {
        int32_t *x = s ? &r : &l;
        int other = s ? lt : rt;
        if (N(c, *x)->type != TA)
            continue;
        int target = TF;
        if ((op == B_ADD || op == B_SUB) && (other == TM || other == TD))
            target = other;
        else if ((op == B_ADD || op == B_SUB) && other == TT)
            target = TD;
        else if (other == TS || other == TB || other == TL)
            target = other; /* fails below with a clear message */
        *x = coerce(c, *x, target, 0);
        if (*x < 0)
            return c->err;
        lt = N(c, l)->type;
        rt = N(c, r)->type;
    }
    if ((op == B_ADD || op == B_SUB) && lt == TM && is_num_lit(N(c, r)))
        to_money(c, r);
    else if ((op == B_ADD || op == B_SUB) && rt == TM && is_num_lit(N(c, l)))
        to_money(c, l);
    lt = N(c, l)->type;
    rt = N(c, r)->type;
    int res = -1, vm = -1, a = 0;
    bool swap = false;
    if (is_num(lt) && is_num(rt)) {
        if (lt == TI && rt == TI) {
            res = TI;
            a = TI;
            vm = op == B_ADD ? OP_ADD_I : op == B_SUB ? OP_SUB_I : op == B_MUL ? OP_MUL_I
                 : op == B_DIV ? OP_DIV_I : OP_MOD_I;
        } else {
            l = coerce(c, l, TF, 0);
            r = l < 0 ? -1 : coerce(c, r, TF, 0);
            if (r < 0)
                return c->err;
            res = TF;
            vm = op == B_ADD ? OP_ADD_F : op == B_SUB ? OP_SUB_F : op == B_MUL ? OP_MUL_F
                 : op == B_DIV ? OP_DIV_F : OP_MOD_F;
        }
    } else if (lt == TM && rt == TM) {
        const char *c1 = lit_currency(c, N(c, l)), *c2 = lit_currency(c, N(c, r));
        if (c1 && c2 && strcmp(c1, c2) != 0)
            return cerr(c, RETAIN_EPARSE, pos, "cannot %s %s and %s amounts",
                        op == B_ADD ? "add" : op == B_SUB ? "subtract" : "combine", c1, c2);
        if (op == B_ADD || op == B_SUB) {
            res = TM;
            vm = op == B_ADD ? OP_ADD_M : OP_SUB_M;
        } else if (op == B_DIV) {
            res = TF;
            vm = OP_DIV_MM;
        }
    } else if ((lt == TM && is_num(rt)) || (rt == TM && is_num(lt))) {
        bool mleft = lt == TM;
        int num = mleft ? rt : lt;
        if (op == B_MUL) {
            res = TM;
            vm = num == TI ? OP_MUL_MI : OP_MUL_MF;
            swap = !mleft;
        } else if (op == B_DIV && mleft) {
            res = TM;
            vm = num == TI ? OP_DIV_MI : OP_DIV_MF;
        } else if (op == B_ADD || op == B_SUB) {
            return cerr(c, RETAIN_EPARSE, pos,
                        "cannot %s money and a number that is not a literal: write the amount "
                        "as a literal (5.00) or as money (5.00 EUR)",
                        op == B_ADD ? "add" : "subtract");
        }
    } else if (lt == TT && rt == TT && op == B_SUB) {
        res = TD;
        vm = OP_SUB_I;
        a = TD;
    } else if (lt == TT && rt == TD && (op == B_ADD || op == B_SUB)) {
        res = TT;
        vm = op == B_ADD ? OP_ADD_I : OP_SUB_I;
        a = TT;
    } else if (lt == TD && rt == TT && op == B_ADD) {
        res = TT;
        vm = OP_ADD_I;
        a = TT;
    } else if (lt == TD && rt == TD) {
        if (op == B_ADD || op == B_SUB || op == B_MOD) {
            res = TD;
            a = TD;
            vm = op == B_ADD ? OP_ADD_I : op == B_SUB ? OP_SUB_I : OP_MOD_I;
        } else if (op == B_DIV) {
            res = TF;
            vm = OP_DIV_DD;
        }
    } else if ((lt == TD && is_num(rt)) || (rt == TD && is_num(lt))) {
        bool dleft = lt == TD;
        int num = dleft ? rt : lt;
        if (op == B_MUL) {
            res = TD;
            a = TD;
            vm = num == TI ? OP_MUL_I : OP_MUL_DF;
            swap = !dleft && num == TF;
        } else if (op == B_DIV && dleft) {
            res = TD;
            a = TD;
            vm = num == TI ? OP_DIV_I : OP_DIV_DF;
        }
    }
    if (vm < 0) {
        if (lt == TS && rt == TS && op == B_ADD)
            return cerr(c, RETAIN_EPARSE, pos,
                        "strings cannot be joined with '+' (rules compare text, they do not "
                        "build it)");
        char ta[40], tb[40];
        return cerr(c, RETAIN_EPARSE, pos, "cannot apply '%s' to %s and %s", bin_sym(op),
                    type_str(lt, N(c, l)->elem, ta, sizeof ta),
                    type_str(rt, N(c, r)->elem, tb, sizeof tb));
    }
    n = N(c, i);
    n->a = l;
    n->b = r;
    n->type = (uint8_t)res;
    n->vmop = (uint16_t)vm;
    n->cond = (uint8_t)a;
    if (swap)
        n->flags |= NF_SWAP;
    return RETAIN_OK;
}

static int check_neg(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int32_t x = n->a;
    int t = N(c, x)->type;
    if (t == TA) {
        x = coerce(c, x, TF, 0);
        if (x < 0)
            return c->err;
        t = TF;
    }
    n = N(c, i);
    n->a = x;
    n->type = (uint8_t)t;
    n->cond = (uint8_t)t;
    switch (t) {
    case TI: case TD: n->vmop = OP_NEG_I; break;
    case TF: n->vmop = OP_NEG_F; break;
    case TM: n->vmop = OP_NEG_M; break;
    default: {
        char a[40];
        return cerr(c, RETAIN_EPARSE, n->pos, "cannot negate %s",
                    type_str(t, N(c, x)->elem, a, sizeof a));
    }
    }
    return RETAIN_OK;
}

/* --- calls -------------------------------------------------------------- */

static int arg_type_error(comp *c, int32_t arg, const char *fn, int nth, const char *want)
{
    char a[40];
    return cerr(c, RETAIN_EPARSE, N(c, arg)->pos, "%s() argument %d must be %s, not %s", fn,
                nth, want, type_str(N(c, arg)->type, N(c, arg)->elem, a, sizeof a));
}

/* Argument `k` of call node i must be `type` (any is checked at run time). */
static int want_arg(comp *c, int32_t i, int k, int type, const char *want)
{
    rt_node *n = N(c, i);
    int32_t arg = c->args[n->a + k];
    int t = N(c, arg)->type;
    if (t == TA || (type == TF && t == TI)) {
        int32_t x = coerce(c, arg, type, type == TL ? TA : 0);
        if (x < 0)
            return c->err;
        c->args[N(c, i)->a + k] = x;
        return RETAIN_OK;
    }
    if (t != type && t != T_NULL_)
        return arg_type_error(c, arg, builtin_name(N(c, i)->op), k + 1, want);
    return RETAIN_OK;
}

static int check_minmax(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    const char *fn = builtin_name(n->op);
    bool is_max = n->op == F_MAX;
    int argc = n->b;
    if (argc == 1) {
        int32_t arg = c->args[n->a];
        int t = N(c, arg)->type;
        if (t == TA) {
            if (want_arg(c, i, 0, TL, "a list"))
                return c->err;
            t = TL;
        }
        if (t != TL)
            return cerr(c, RETAIN_EPARSE, n->pos,
                        "%s() takes a list, or two or more values to compare", fn);
        n = N(c, i);
        n->type = N(c, c->args[n->a])->elem;
        if (n->type == T_NULL_)
            n->type = TA;
        n->vmop = is_max ? OP_MAXL : OP_MINL;
        return RETAIN_OK;
    }
    /* One type for all: money if any is money (number literals become
     * amounts), else float if any is float, else the arguments' type. */
    int base = -1;
    bool money = false, flt = false;
    for (int k = 0; k < argc; k++) {
        int t = N(c, c->args[n->a + k])->type;
        money |= t == TM;
        flt |= t == TF;
        if (base < 0 && t != TA && t != T_NULL_)
            base = t;
    }
    if (money)
        base = TM;
    else if (flt && (base == TI || base == TF))
        base = TF;
    if (base < 0)
        base = TF;
    if (base == TB || base == TL)
        return cerr(c, RETAIN_EPARSE, n->pos, "%s() compares numbers, amounts, times, "
                                              "durations or text",
                    fn);
    for (int k = 0; k < argc; k++) {
        int32_t arg = c->args[N(c, i)->a + k];
        rt_node *an = N(c, arg);
        if (base == TM && is_num_lit(an))
            to_money(c, arg);
        else if (an->type == TA || (base == TF && an->type == TI)) {
            int32_t x = coerce(c, arg, base, 0);
            if (x < 0)
                return c->err;
            c->args[N(c, i)->a + k] = x;
        } else if (an->type != base && an->type != T_NULL_) {
            char want[40];
            return arg_type_error(c, arg, fn, k + 1, type_str(base, 0, want, sizeof want));
        }
    }
    /* Explicit currencies must agree. */
    const char *cur = NULL;
    for (int k = 0; k < argc; k++) {
        const char *lc = lit_currency(c, N(c, c->args[N(c, i)->a + k]));
        if (lc && cur && strcmp(lc, cur))
            return cerr(c, RETAIN_EPARSE, N(c, i)->pos, "cannot compare %s and %s amounts", cur,
                        lc);
        if (lc)
            cur = lc;
    }
    n = N(c, i);
    n->type = (uint8_t)base;
    n->vmop = is_max ? OP_MAX : OP_MIN;
    return RETAIN_OK;
}

static int check_call(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int f = n->op, argc = n->b;
    const char *fn = builtin_name(f);
    static const signed char min_args[F__COUNT] = { 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2 };
    static const signed char max_args[F__COUNT] = { 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, -1, -1, 1, 2, 2 };
    if (argc < min_args[f] || (max_args[f] >= 0 && argc > max_args[f])) {
        if (min_args[f] == max_args[f])
            return cerr(c, RETAIN_EPARSE, n->pos, "%s() takes %d argument%s, not %d", fn,
                        min_args[f], min_args[f] == 1 ? "" : "s", argc);
        if (max_args[f] < 0)
            return cerr(c, RETAIN_EPARSE, n->pos, "%s() takes at least %d argument, not %d", fn,
                        min_args[f], argc);
        return cerr(c, RETAIN_EPARSE, n->pos, "%s() takes %d or %d arguments, not %d", fn,
                    min_args[f], max_args[f], argc);
    }
    int type = -1, vm = -1;
    switch (f) {
    case F_NOW:
        c->rule->needs |= RETAIN_RULE_NEEDS_NOW;
        n->kind = NK_NOW;
        n->type = TT;
        return RETAIN_OK;
    case F_DAYS_SINCE:
    case F_HOURS_SINCE:
        if (want_arg(c, i, 0, TT, "a time"))
            return c->err;
        c->rule->needs |= RETAIN_RULE_NEEDS_NOW;
        type = TI;
        vm = f == F_DAYS_SINCE ? OP_DAYS_SINCE : OP_HOURS_SINCE;
        break;
    case F_LOCAL_HOUR:
    case F_LOCAL_WEEKDAY:
        if (want_arg(c, i, 0, TT, "a time"))
            return c->err;
        c->rule->needs |= RETAIN_RULE_NEEDS_TIMEZONE;
        type = TI;
        vm = f == F_LOCAL_HOUR ? OP_LOCAL_HOUR : OP_LOCAL_WDAY;
        break;
    case F_LOWER:
    case F_UPPER:
        if (want_arg(c, i, 0, TS, "a string"))
            return c->err;
        type = TS;
        vm = f == F_LOWER ? OP_LOWER : OP_UPPER;
        break;
    case F_LEN: {
        int t = N(c, c->args[n->a])->type;
        if (t != TS && t != TL && t != TA && t != T_NULL_)
            return arg_type_error(c, c->args[n->a], fn, 1, "a string or a list");
        type = TI;
        vm = OP_LEN;
        break;
    }
    case F_CONTAINS: {
        int t = N(c, c->args[n->a])->type;
        if (t == TL) {
            int32_t v = c->args[n->a + 1];
            if (!elem_ok(N(c, v)->type, N(c, c->args[n->a])->elem))
                return type_error(c, N(c, v)->pos, "cannot look for %s in a %s",
                                  N(c, v)->type, 0, TL, N(c, c->args[n->a])->elem);
            type = TB;
            vm = OP_ANY;
            break;
        }
        if (want_arg(c, i, 0, TS, "a string or a list") || want_arg(c, i, 1, TS, "a string"))
            return c->err;
        type = TB;
        vm = OP_CONTAINS;
        break;
    }
    case F_STARTS_WITH:
    case F_ENDS_WITH:
        if (want_arg(c, i, 0, TS, "a string") || want_arg(c, i, 1, TS, "a string"))
            return c->err;
        type = TB;
        vm = f == F_STARTS_WITH ? OP_STARTS : OP_ENDS;
        break;
    case F_MIN:
    case F_MAX:
        return check_minmax(c, i);
    case F_ABS: {
        int t = N(c, c->args[n->a])->type;
        if (t == TA) {
            if (want_arg(c, i, 0, TF, "a number"))
                return c->err;
            t = TF;
        }
        type = t;
        vm = t == TI || t == TD ? OP_ABS_I : t == TF ? OP_ABS_F : t == TM ? OP_ABS_M : -1;
        if (vm < 0)
            return arg_type_error(c, c->args[n->a], fn, 1, "a number, an amount or a duration");
        break;
    }
    case F_ROUND: {
        int t = N(c, c->args[n->a])->type;
        if (argc == 2) {
            if (want_arg(c, i, 0, TF, "a number") || want_arg(c, i, 1, TI, "an int"))
                return c->err;
            type = TF;
            vm = OP_ROUND_FN;
        } else if (t == TM) {
            type = TM;
            vm = OP_ROUND_M;
        } else {
            if (want_arg(c, i, 0, TF, "a number or an amount"))
                return c->err;
            type = TI;
            vm = OP_ROUND_F;
        }
        break;
    }
    case F_ANY: {
        if (want_arg(c, i, 0, TL, "a list"))
            return c->err;
        n = N(c, i);
        int32_t list = c->args[n->a], v = c->args[n->a + 1];
        int e = N(c, list)->elem, vt = N(c, v)->type;
        if (vt == TL) {
            if (!elem_ok(N(c, v)->elem, e))
                return type_error(c, N(c, v)->pos, "cannot compare a %s with a %s", TL, e, TL,
                                  N(c, v)->elem);
            vm = OP_ANY_L;
        } else {
            if (!elem_ok(vt, e))
                return type_error(c, N(c, v)->pos, "cannot look for %s in a %s", vt, 0, TL, e);
            vm = OP_ANY;
        }
        type = TB;
        break;
    }
    default:
        return cerr(c, RETAIN_EINTERNAL, n->pos, "unknown builtin %d", f);
    }
    n = N(c, i);
    n->type = (uint8_t)type;
    n->vmop = (uint16_t)vm;
    return RETAIN_OK;
}

static int check_list(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    int elem = T_NULL_;
    bool has_float = false, has_money = false;
    for (int k = 0; k < n->b; k++) {
        int t = N(c, c->args[n->a + k])->type;
        has_float |= t == TF;
        has_money |= t == TM;
    }
    /* coerce() may grow the node array: no rt_node pointer survives it. */
    const int count = n->b;
    for (int k = 0; k < count; k++) {
        int32_t arg = c->args[N(c, i)->a + k];
        const rt_node *an = N(c, arg);
        int t = an->type;
        const uint32_t pos = an->pos;
        if (t == TL)
            return cerr(c, RETAIN_EPARSE, pos, "lists cannot contain lists");
        if (has_money && is_num_lit(an)) {
            to_money(c, arg);
            t = TM;
        } else if (has_float && t == TI) {
            int32_t x = coerce(c, arg, TF, 0);
            if (x < 0)
                return c->err;
            c->args[N(c, i)->a + k] = x;
            t = TF;
        }
        if (t == T_NULL_)
            continue;
        if (elem == T_NULL_)
            elem = t;
        else if (elem != t) {
            char a[40], b[40];
            return cerr(c, RETAIN_EPARSE, pos,
                        "list elements must have one type: this is %s, the first was %s",
                        type_str(t, 0, a, sizeof a), type_str(elem, 0, b, sizeof b));
        }
    }
    n = N(c, i);
    n->type = TL;
    n->elem = (uint8_t)elem;
    n->vmop = OP_LIST;
    return RETAIN_OK;
}

static void set_const(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    bool k = true;
    switch (n->kind) {
    case NK_FIELD: case NK_DYN: case NK_NOW:
        k = false;
        break;
    case NK_NEG: case NK_NOT: case NK_COERCE:
        k = N(c, n->a)->flags & NF_CONST;
        break;
    case NK_BIN:
        k = N(c, n->a)->flags & NF_CONST;
        if (n->op != B_MATCH && n->op != B_NMATCH)
            k = k && (N(c, n->b)->flags & NF_CONST);
        break;
    case NK_CALL:
        if (n->op == F_DAYS_SINCE || n->op == F_HOURS_SINCE || n->op == F_LOCAL_HOUR ||
            n->op == F_LOCAL_WEEKDAY)
            k = false;
        /* fall through */
    case NK_LIST:
        for (int j = 0; j < n->b && k; j++)
            k = N(c, c->args[n->a + j])->flags & NF_CONST;
        break;
    default:
        break;
    }
    if (k)
        N(c, i)->flags |= NF_CONST;
}

/* Whether a node can never be null, so and / or over it need no
 * three-valued bookkeeping. */
static void set_notnull(comp *c, int32_t i)
{
    rt_node *n = N(c, i);
    bool nn = false;
    switch (n->kind) {
    case NK_LIT:
        nn = n->type != T_NULL_;
        break;
    case NK_NOT:
        nn = N(c, n->a)->flags & NF_NOTNULL;
        break;
    case NK_BIN:
        switch (n->vmop) {
        case OP_CMP_I: case OP_CMP_F: case OP_CMP_S: case OP_CMP_B: case OP_CMP_M:
        case OP_CMP_DYN: case OP_IS_NULL: case OP_NOT_NULL: case OP_IN: case OP_MATCH:
            nn = true;
            break;
        case OP_AND: case OP_OR:
            nn = (N(c, n->a)->flags & NF_NOTNULL) && (N(c, n->b)->flags & NF_NOTNULL);
            break;
        default:
            break;
        }
        break;
    case NK_CALL:
        nn = n->vmop == OP_ANY || n->vmop == OP_ANY_L;
        break;
    default:
        break;
    }
    if (nn)
        n->flags |= NF_NOTNULL;
}

int check(comp *c)
{
    for (size_t i = 0; i < c->nnodes && !c->err; i++) {
        rt_node *n = N(c, (int32_t)i);
        if (n->flags & NF_CHECKED)
            continue;
        int rc = RETAIN_OK;
        switch (n->kind) {
        case NK_NEG: rc = check_neg(c, (int32_t)i); break;
        case NK_NOT: rc = check_logic(c, (int32_t)i); break;
        case NK_CALL: rc = check_call(c, (int32_t)i); break;
        case NK_LIST: rc = check_list(c, (int32_t)i); break;
        case NK_BIN:
            switch (n->op) {
            case B_AND: case B_OR: rc = check_logic(c, (int32_t)i); break;
            case B_EQ: case B_NE: case B_LT: case B_LE: case B_GT: case B_GE:
                rc = check_compare(c, (int32_t)i);
                break;
            case B_IN: case B_NOT_IN: rc = check_in(c, (int32_t)i); break;
            case B_MATCH: case B_NMATCH: rc = check_match(c, (int32_t)i); break;
            case B_COALESCE: rc = check_coalesce(c, (int32_t)i); break;
            default: rc = check_arith(c, (int32_t)i); break;
            }
            break;
        default:
            break;
        }
        if (rc)
            return rc;
        set_const(c, (int32_t)i);
        set_notnull(c, (int32_t)i);
        c->nodes[i].flags |= NF_CHECKED;
    }
    return c->err;
}
