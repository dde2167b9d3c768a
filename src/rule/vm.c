/*
 * vm.c - the bytecode interpreter. A stack machine over retain_value with
 * opcodes specialized by type (the checker chose them), so each step is a
 * few instructions. It allocates nothing: the stack, the scratch memory
 * and the regex match data belong to the context.
 *
 * Semantics kept in one place (docs/rules.md repeats them):
 * - null propagates through arithmetic and builtins; every comparison with
 *   null (and between amounts in different currencies) is false;
 * - int overflow, division by zero and non-finite float results are null;
 * - and/or/not follow three-valued logic (null is "unknown").
 */
#include "rule_impl.h"
#include "core/text.h"

#include <math.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define ADD_OVF(a, b, r) __builtin_add_overflow(a, b, r)
#define SUB_OVF(a, b, r) __builtin_sub_overflow(a, b, r)
#define MUL_OVF(a, b, r) __builtin_mul_overflow(a, b, r)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#else
static bool ADD_OVF(int64_t a, int64_t b, int64_t *r)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return true;
    *r = a + b;
    return false;
}
static bool SUB_OVF(int64_t a, int64_t b, int64_t *r)
{
    if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b))
        return true;
    *r = a - b;
    return false;
}
static bool MUL_OVF(int64_t a, int64_t b, int64_t *r)
{
    if (a == 0 || b == 0) {
        *r = 0;
        return false;
    }
    if ((a == -1 && b == INT64_MIN) || (b == -1 && a == INT64_MIN))
        return true;
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : a < INT64_MAX / b))
        return true;
    *r = a * b;
    return false;
}
#define LIKELY(x) (x)
#endif

#define TN RETAIN_TYPE_NULL
#define IS_NULL(v) ((v)->type == RETAIN_TYPE_NULL)

static const int64_t p10[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

/* cond x ord -> result, ord + 1 indexes { <, ==, > }. */
static const bool cond_tab[6][3] = {
    { false, true, false }, /* == */
    { true, false, true },  /* != */
    { true, false, false }, /* <  */
    { true, true, false },  /* <= */
    { false, false, true }, /* >  */
    { false, true, true },  /* >= */
};

/* --- value helpers ------------------------------------------------------ */

int rt_decimal_cmp(int64_t a, int sa, int64_t b, int sb)
{
    /* Scale the operand with fewer decimals up; if that overflows, its
     * magnitude exceeds the other's and its sign decides. */
    if (sa < sb) {
        int d = sb - sa;
        int64_t r;
        if (d > 18 || MUL_OVF(a, p10[d], &r))
            return a > 0 ? 1 : a < 0 ? -1 : (b < 0) - (b > 0);
        a = r;
    } else if (sb < sa) {
        int d = sa - sb;
        int64_t r;
        if (d > 18 || MUL_OVF(b, p10[d], &r))
            return b > 0 ? -1 : b < 0 ? 1 : (a > 0) - (a < 0);
        b = r;
    }
    return (a > b) - (a < b);
}

/* Same currency, or one side without currency (a literal amount). */
static bool currency_ok(const retain_money_value *a, const retain_money_value *b)
{
    return !a->currency[0] || !b->currency[0] || !memcmp(a->currency, b->currency, 3);
}

static int cmp_str(const retain_string_value *a, const retain_string_value *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int r = n ? memcmp(a->ptr, b->ptr, n) : 0;
    if (r)
        return r < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

bool rt_value_cmp(const retain_value *a, const retain_value *b, int *ord)
{
    if (IS_NULL(a) || IS_NULL(b))
        return false;
    if (a->type != b->type) {
        double x, y;
        if (a->type == RETAIN_TYPE_INT && b->type == RETAIN_TYPE_FLOAT) {
            x = (double)a->u.i;
            y = b->u.f;
        } else if (a->type == RETAIN_TYPE_FLOAT && b->type == RETAIN_TYPE_INT) {
            x = a->u.f;
            y = (double)b->u.i;
        } else {
            return false;
        }
        if (x != x || y != y)
            return false;
        *ord = (x > y) - (x < y);
        return true;
    }
    switch (a->type) {
    case RETAIN_TYPE_BOOL:
        *ord = (a->u.b != 0) - (b->u.b != 0);
        return true;
    case RETAIN_TYPE_INT:
    case RETAIN_TYPE_TIME:
    case RETAIN_TYPE_DURATION:
        *ord = (a->u.i > b->u.i) - (a->u.i < b->u.i);
        return true;
    case RETAIN_TYPE_FLOAT:
        if (a->u.f != a->u.f || b->u.f != b->u.f)
            return false;
        *ord = (a->u.f > b->u.f) - (a->u.f < b->u.f);
        return true;
    case RETAIN_TYPE_MONEY:
        if (!currency_ok(&a->u.money, &b->u.money))
            return false;
        *ord = rt_decimal_cmp(a->u.money.amount, a->u.money.scale, b->u.money.amount,
                              b->u.money.scale);
        return true;
    case RETAIN_TYPE_STRING:
        *ord = cmp_str(&a->u.str, &b->u.str);
        return true;
    default:
        return false;
    }
}

static bool in_list(const retain_value *x, const retain_value *list)
{
    if (IS_NULL(x) || list->type != RETAIN_TYPE_LIST)
        return false;
    const retain_value *it = list->u.list.items;
    size_t n = list->u.list.count;
    int ord;
    if (x->type == RETAIN_TYPE_STRING) {
        /* the common case: a string among strings */
        for (size_t i = 0; i < n; i++)
            if (it[i].type == RETAIN_TYPE_STRING && it[i].u.str.len == x->u.str.len &&
                (x->u.str.len == 0 || !memcmp(it[i].u.str.ptr, x->u.str.ptr, x->u.str.len)))
                return true;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (rt_value_cmp(x, &it[i], &ord) && ord == 0)
            return true;
    return false;
}

/* Round a/b half away from zero (b != 0, not INT64_MIN / -1). */
static int64_t div_round(int64_t a, int64_t b)
{
    int64_t q = a / b, r = a % b;
    if (r != 0) {
        uint64_t ar = r < 0 ? (uint64_t)0 - (uint64_t)r : (uint64_t)r;
        uint64_t ab = b < 0 ? (uint64_t)0 - (uint64_t)b : (uint64_t)b;
        if (ar >= ab - ar)
            q += ((a < 0) != (b < 0)) ? -1 : 1;
    }
    return q;
}

/* A double rounded half away from zero to int64; false if out of range. */
static bool to_i64(double x, int64_t *out)
{
    if (!(x == x))
        return false;
    double r = round(x);
    if (r < -9223372036854775808.0 || r >= 9223372036854775808.0)
        return false;
    *out = (int64_t)r;
    return true;
}

static void *scratch(rt_work *w, size_t n)
{
    size_t a = (w->scratch_used + 15) & ~(size_t)15;
    if (a > w->scratch_cap || n > w->scratch_cap - a)
        return NULL;
    w->scratch_used = a + n;
    return w->scratch + a;
}

static bool has_sub(const retain_string_value *s, const retain_string_value *sub)
{
    if (sub->len == 0)
        return true;
    if (sub->len > s->len)
        return false;
    const char *p = s->ptr, *end = s->ptr + (s->len - sub->len);
    char first = sub->ptr[0];
    for (; p <= end; p++) {
        p = memchr(p, first, (size_t)(end - p) + 1);
        if (!p)
            return false;
        if (!memcmp(p, sub->ptr, sub->len))
            return true;
    }
    return false;
}

/* lower()/upper() of a string into scratch; NULL when it does not fit. */
static const char *map_case(rt_work *w, const retain_string_value *s, bool upper, size_t *len)
{
    char *out = scratch(w, s->len ? s->len : 1);
    if (!out)
        return NULL;
    const char *p = s->ptr, *end = s->ptr + s->len;
    char *o = out;
    while (p < end) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x80) {
            if (upper && ch >= 'a' && ch <= 'z')
                ch = (unsigned char)(ch - 32);
            else if (!upper && ch >= 'A' && ch <= 'Z')
                ch = (unsigned char)(ch + 32);
            *o++ = (char)ch;
            p++;
            continue;
        }
        const char *q = p;
        uint32_t cp = rt_utf8_next(&q);
        size_t n = (size_t)(q - p);
        uint32_t m = upper ? rt_unicode_upper(cp) : rt_unicode_lower(cp);
        /* The tables only pair letters of equal UTF-8 length. */
        if (m != cp && n == 2 && m >= 0x80 && m < 0x800) {
            o[0] = (char)(0xC0 | (m >> 6));
            o[1] = (char)(0x80 | (m & 0x3F));
        } else {
            memcpy(o, p, n);
        }
        o += n;
        p = q;
    }
    *len = s->len;
    return out;
}

#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static int limit(rt_work *w, size_t pc, size_t *err_pc, const char *msg)
{
    snprintf(w->diag.message, sizeof w->diag.message, "%s", msg);
    w->diag.code = RETAIN_ELIMIT;
    *err_pc = pc;
    return RETAIN_ELIMIT;
}

/* The messages of the regex limits (kept out of the VM loop). */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static int regex_error(rt_work *w, size_t pc, size_t *err_pc, int rc, size_t len)
{
    char msg[200];
    if (rc == 0) {
        snprintf(msg, sizeof msg,
                 "regex subject is %zu bytes; the limit is %zu (options.regex_max_subject)", len,
                 w->max_subject);
    } else {
        const char *which = rc == PCRE2_ERROR_MATCHLIMIT
                                ? "match limit (options.regex_match_limit)"
                            : rc == PCRE2_ERROR_DEPTHLIMIT
                                ? "depth limit (options.regex_depth_limit)"
                            : rc == PCRE2_ERROR_JIT_STACKLIMIT ? "JIT stack"
                                                               : "memory limit";
        snprintf(msg, sizeof msg,
                 "regex exceeded its %s on a %zu-byte subject (the pattern backtracks too much)",
                 which, len);
    }
    return limit(w, pc, err_pc, msg);
}

/* Each evaluates its value before touching the slot it may read from. */
#define SET_NULL(v) ((v)->type = TN)
#define SET_BOOL(v, x)                                                   \
    do {                                                                 \
        int b_ = (x);                                                    \
        (v)->type = RETAIN_TYPE_BOOL;                                    \
        (v)->u.b = b_;                                                   \
    } while (0)
#define SET_INT(v, t, x)                                                 \
    do {                                                                 \
        int64_t i_ = (x);                                                \
        (v)->type = (retain_type)(t);                                    \
        (v)->u.i = i_;                                                   \
    } while (0)
#define SET_FLOAT(v, x)                                                  \
    do {                                                                 \
        double f_ = (x);                                                 \
        if (isfinite(f_)) {                                              \
            (v)->type = RETAIN_TYPE_FLOAT;                               \
            (v)->u.f = f_;                                               \
        } else {                                                         \
            (v)->type = TN;                                              \
        }                                                                \
    } while (0)

/* String comparison for the CMP_S family: false unless both are strings. */
static inline bool cmp_strings(const retain_value *a, const retain_value *b, int cond)
{
    if (a->type != RETAIN_TYPE_STRING || b->type != RETAIN_TYPE_STRING)
        return false;
    if (cond <= RT_NE && a->u.str.len != b->u.str.len)
        return cond == RT_NE;
    return cond_tab[cond][cmp_str(&a->u.str, &b->u.str) + 1];
}

/* Money comparison: false for null and for two different currencies. */
static inline bool cmp_money(const retain_value *a, const retain_value *b, int cond)
{
    if (IS_NULL(a) || IS_NULL(b))
        return false;
    const retain_money_value *x = &a->u.money, *y = &b->u.money;
    if (!currency_ok(x, y))
        return false;
    if (x->scale == y->scale)
        return cond_tab[cond][(x->amount > y->amount) - (x->amount < y->amount) + 1];
    return cond_tab[cond][rt_decimal_cmp(x->amount, x->scale, y->amount, y->scale) + 1];
}

/* Threaded dispatch (one indirect jump per opcode, so the CPU predicts
 * each separately) where the compiler has labels as values; a switch
 * elsewhere. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(RT_VM_SWITCH)
#define RT_THREADED 1
#endif

#define CMP3(x, y) (((x) > (y)) - ((x) < (y)) + 1)

/* The end of the jumping forms: leave the chain with the result when it is
 * the jt bit of operand a, else go on with nothing pushed. */
#define JUMP_IF_JT(r)                                                    \
    if ((r) == ((in->a & 8) != 0)) {                                     \
        ++sp;                                                            \
        SET_BOOL(sp, (r));                                               \
        pc = (size_t)in->c;                                              \
    }                                                                    \
    NEXT()

int rt_vm_run(const rt_prog *prog, size_t pc, const retain_eval_ctx *ctx, retain_value *out,
              size_t *err_pc)
{
    rt_work *w = ctx->work;
    if (prog->max_stack > w->stack_cap)
        return limit(w, pc, err_pc, "the rule needs a deeper evaluation stack than this "
                                    "context has (compiled with larger limits?)");
    w->scratch_used = 0;
    const rt_ins *code = prog->code, *in;
    const retain_value *K = prog->consts;
    const retain_value *F = ctx->fields;
    retain_value *sp = w->stack - 1;

#ifdef RT_THREADED
#define RT_OP_LABEL(name) &&L_##name,
    static const void *const labels[OP__COUNT] = { RT_OPCODES(RT_OP_LABEL) };
#undef RT_OP_LABEL
#define OP(name) L_##name:
#define NEXT()                      \
    do {                            \
        in = &code[pc++];           \
        goto *labels[in->op];       \
    } while (0)
    NEXT();
#else
#define OP(name) case name:
#define NEXT() continue
    for (;;) {
        in = &code[pc++];
        switch ((rt_opcode)in->op) {
#endif

    OP(OP_RET)
        /* Copy the member that is set: the slot was usually just written
         * field by field, and a whole-struct load would wait for those
         * stores to retire instead of being forwarded from them. */
        out->type = sp->type;
        if (sp->type == RETAIN_TYPE_BOOL)
            out->u.b = sp->u.b;
        else if (sp->type == RETAIN_TYPE_INT || sp->type == RETAIN_TYPE_TIME ||
                 sp->type == RETAIN_TYPE_DURATION)
            out->u.i = sp->u.i;
        else if (sp->type == RETAIN_TYPE_FLOAT)
            out->u.f = sp->u.f;
        else
            out->u = sp->u;
        return RETAIN_OK;
    OP(OP_CONST)
        *++sp = K[in->b];
        NEXT();
    OP(OP_FIELD)
        *++sp = F[in->a];
        NEXT();
    OP(OP_DYN) {
        const rt_dyn *d = &prog->dyn[in->b];
        const retain_value *v = rt_ctx_dyn_find(ctx, d->hash, d->name, d->len);
        ++sp;
        if (v)
            *sp = *v;
        else
            SET_NULL(sp);
        NEXT();
    }
    OP(OP_NOW)
        ++sp;
        if (ctx->has_now)
            SET_INT(sp, RETAIN_TYPE_TIME, ctx->now);
        else
            SET_NULL(sp);
        NEXT();
    OP(OP_POP)
        sp--;
        NEXT();
    OP(OP_COERCE)
        if (sp->type != in->a && !IS_NULL(sp)) {
            if (in->a == RETAIN_TYPE_FLOAT && sp->type == RETAIN_TYPE_INT)
                SET_FLOAT(sp, (double)sp->u.i);
            else
                SET_NULL(sp);
        }
        NEXT();

    /* --- arithmetic --- */
    OP(OP_NEG_I)
        if (!IS_NULL(sp)) {
            if (sp->u.i == INT64_MIN)
                SET_NULL(sp);
            else
                sp->u.i = -sp->u.i;
        }
        NEXT();
    OP(OP_NEG_F)
        if (!IS_NULL(sp))
            sp->u.f = -sp->u.f;
        NEXT();
    OP(OP_NEG_M)
        if (!IS_NULL(sp)) {
            if (sp->u.money.amount == INT64_MIN)
                SET_NULL(sp);
            else
                sp->u.money.amount = -sp->u.money.amount;
        }
        NEXT();
    OP(OP_ADD_I) OP(OP_SUB_I) OP(OP_MUL_I) OP(OP_DIV_I) OP(OP_MOD_I) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b)) {
            SET_NULL(a);
            NEXT();
        }
        int64_t x = a->u.i, y = b->u.i, r = 0;
        bool bad;
        switch (in->op) {
        case OP_ADD_I: bad = ADD_OVF(x, y, &r); break;
        case OP_SUB_I: bad = SUB_OVF(x, y, &r); break;
        case OP_MUL_I: bad = MUL_OVF(x, y, &r); break;
        case OP_DIV_I:
            bad = y == 0 || (x == INT64_MIN && y == -1);
            if (!bad)
                r = x / y;
            break;
        default:
            bad = y == 0;
            if (!bad)
                r = y == -1 ? 0 : x % y;
            break;
        }
        if (bad)
            SET_NULL(a);
        else
            SET_INT(a, in->a, r);
        NEXT();
    }
    OP(OP_ADD_F) OP(OP_SUB_F) OP(OP_MUL_F) OP(OP_DIV_F) OP(OP_MOD_F) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b)) {
            SET_NULL(a);
            NEXT();
        }
        double x = a->u.f, y = b->u.f;
        switch (in->op) {
        case OP_ADD_F: SET_FLOAT(a, x + y); break;
        case OP_SUB_F: SET_FLOAT(a, x - y); break;
        case OP_MUL_F: SET_FLOAT(a, x * y); break;
        case OP_DIV_F:
            if (y == 0)
                SET_NULL(a);
            else
                SET_FLOAT(a, x / y);
            break;
        default:
            if (y == 0)
                SET_NULL(a);
            else
                SET_FLOAT(a, fmod(x, y));
            break;
        }
        NEXT();
    }
    OP(OP_ADD_M) OP(OP_SUB_M) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b) || !currency_ok(&a->u.money, &b->u.money)) {
            SET_NULL(a);
            NEXT();
        }
        int64_t x = a->u.money.amount, y = b->u.money.amount, r;
        int sa = a->u.money.scale, sb = b->u.money.scale;
        bool bad = false;
        if (sa < sb)
            bad = sb - sa > 18 || MUL_OVF(x, p10[sb - sa], &x);
        else if (sb < sa)
            bad = sa - sb > 18 || MUL_OVF(y, p10[sa - sb], &y);
        bad = bad || (in->op == OP_ADD_M ? ADD_OVF(x, y, &r) : SUB_OVF(x, y, &r));
        if (bad) {
            SET_NULL(a);
            NEXT();
        }
        if (!a->u.money.currency[0])
            memcpy(a->u.money.currency, b->u.money.currency, 4);
        a->u.money.amount = r;
        a->u.money.scale = sa > sb ? sa : sb;
        NEXT();
    }
    OP(OP_MUL_MI) OP(OP_DIV_MI) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b)) {
            SET_NULL(a);
            NEXT();
        }
        int64_t x = a->u.money.amount, y = b->u.i, r;
        if (in->op == OP_MUL_MI) {
            if (MUL_OVF(x, y, &r)) {
                SET_NULL(a);
                NEXT();
            }
        } else {
            if (y == 0 || (x == INT64_MIN && y == -1)) {
                SET_NULL(a);
                NEXT();
            }
            r = div_round(x, y);
        }
        a->u.money.amount = r;
        NEXT();
    }
    OP(OP_MUL_MF) OP(OP_DIV_MF) OP(OP_MUL_DF) OP(OP_DIV_DF) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b)) {
            SET_NULL(a);
            NEXT();
        }
        bool money = in->op == OP_MUL_MF || in->op == OP_DIV_MF;
        bool div = in->op == OP_DIV_MF || in->op == OP_DIV_DF;
        double x = (double)(money ? a->u.money.amount : a->u.duration), y = b->u.f;
        int64_t r;
        if ((div && y == 0) || !to_i64(div ? x / y : x * y, &r)) {
            SET_NULL(a);
            NEXT();
        }
        if (money)
            a->u.money.amount = r;
        else
            a->u.duration = r;
        NEXT();
    }
    OP(OP_DIV_MM) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b) || !currency_ok(&a->u.money, &b->u.money) ||
            b->u.money.amount == 0) {
            SET_NULL(a);
            NEXT();
        }
        double q = (double)a->u.money.amount / (double)b->u.money.amount;
        int d = b->u.money.scale - a->u.money.scale;
        for (; d > 0; d--)
            q *= 10;
        for (; d < 0; d++)
            q /= 10;
        SET_FLOAT(a, q);
        NEXT();
    }
    OP(OP_DIV_DD) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b) || b->u.duration == 0)
            SET_NULL(a);
        else
            SET_FLOAT(a, (double)a->u.duration / (double)b->u.duration);
        NEXT();
    }

    /* --- comparisons --- */
    OP(OP_CMP_I) {
        retain_value *b = sp--, *a = sp;
        SET_BOOL(a, !IS_NULL(a) && !IS_NULL(b) && cond_tab[in->a][CMP3(a->u.i, b->u.i)]);
        NEXT();
    }
    OP(OP_CMP_F) {
        retain_value *b = sp--, *a = sp;
        SET_BOOL(a, !IS_NULL(a) && !IS_NULL(b) && cond_tab[in->a][CMP3(a->u.f, b->u.f)]);
        NEXT();
    }
    OP(OP_CMP_S) {
        retain_value *b = sp--, *a = sp;
        SET_BOOL(a, cmp_strings(a, b, in->a));
        NEXT();
    }
    OP(OP_CMP_B) {
        retain_value *b = sp--, *a = sp;
        SET_BOOL(a, a->type == RETAIN_TYPE_BOOL && b->type == RETAIN_TYPE_BOOL &&
                        cond_tab[in->a][CMP3(a->u.b != 0, b->u.b != 0)]);
        NEXT();
    }
    OP(OP_CMP_M) {
        retain_value *b = sp--, *a = sp;
        SET_BOOL(a, cmp_money(a, b, in->a));
        NEXT();
    }
    OP(OP_CMP_DYN) {
        retain_value *b = sp--, *a = sp;
        int ord;
        bool ok = rt_value_cmp(a, b, &ord);
        SET_BOOL(a, ok && cond_tab[in->a][ord + 1]);
        NEXT();
    }
    /* Against a constant: the common shape "expression op literal". */
    OP(OP_CMP_I_K)
        SET_BOOL(sp, !IS_NULL(sp) && cond_tab[in->a & 7][CMP3(sp->u.i, K[in->b].u.i)]);
        NEXT();
    OP(OP_CMP_F_K)
        SET_BOOL(sp, !IS_NULL(sp) && cond_tab[in->a & 7][CMP3(sp->u.f, K[in->b].u.f)]);
        NEXT();
    OP(OP_CMP_S_K)
        SET_BOOL(sp, cmp_strings(sp, &K[in->b], in->a & 7));
        NEXT();
    OP(OP_CMP_M_K)
        SET_BOOL(sp, cmp_money(sp, &K[in->b], in->a & 7));
        NEXT();
    /* A field against a constant. */
    OP(OP_CMP_I_FK) {
        const retain_value *f = &F[in->a >> 4];
        ++sp;
        SET_BOOL(sp, !IS_NULL(f) && cond_tab[in->a & 7][CMP3(f->u.i, K[in->b].u.i)]);
        NEXT();
    }
    OP(OP_CMP_F_FK) {
        const retain_value *f = &F[in->a >> 4];
        ++sp;
        SET_BOOL(sp, !IS_NULL(f) && cond_tab[in->a & 7][CMP3(f->u.f, K[in->b].u.f)]);
        NEXT();
    }
    OP(OP_CMP_S_FK)
        ++sp;
        SET_BOOL(sp, cmp_strings(&F[in->a >> 4], &K[in->b], in->a & 7));
        NEXT();
    OP(OP_CMP_M_FK)
        ++sp;
        SET_BOOL(sp, cmp_money(&F[in->a >> 4], &K[in->b], in->a & 7));
        NEXT();
    /* ... and the jumping forms, for chains of and / or. */
    OP(OP_CMP_I_FKJ) {
        const retain_value *f = &F[in->a >> 4];
        bool r = !IS_NULL(f) && cond_tab[in->a & 7][CMP3(f->u.i, K[in->b].u.i)];
        JUMP_IF_JT(r);
    }
    OP(OP_CMP_F_FKJ) {
        const retain_value *f = &F[in->a >> 4];
        bool r = !IS_NULL(f) && cond_tab[in->a & 7][CMP3(f->u.f, K[in->b].u.f)];
        JUMP_IF_JT(r);
    }
    OP(OP_CMP_S_FKJ) {
        bool r = cmp_strings(&F[in->a >> 4], &K[in->b], in->a & 7);
        JUMP_IF_JT(r);
    }
    OP(OP_CMP_M_FKJ) {
        bool r = cmp_money(&F[in->a >> 4], &K[in->b], in->a & 7);
        JUMP_IF_JT(r);
    }
    OP(OP_IS_NULL)
        SET_BOOL(sp, IS_NULL(sp));
        NEXT();
    OP(OP_NOT_NULL)
        SET_BOOL(sp, !IS_NULL(sp));
        NEXT();

    /* --- logic (three-valued) --- */
    OP(OP_NOT)
        if (sp->type == RETAIN_TYPE_BOOL)
            sp->u.b = !sp->u.b;
        else
            SET_NULL(sp);
        NEXT();
    OP(OP_AND)
        if (sp->type == RETAIN_TYPE_BOOL && !sp->u.b)
            pc = (size_t)in->b;
        NEXT();
    OP(OP_AND2) {
        retain_value *r = sp--, *l = sp;
        if (r->type == RETAIN_TYPE_BOOL && !r->u.b)
            SET_BOOL(l, 0);
        else if (l->type == RETAIN_TYPE_BOOL && r->type == RETAIN_TYPE_BOOL)
            SET_BOOL(l, 1);
        else
            SET_NULL(l);
        NEXT();
    }
    OP(OP_OR)
        if (sp->type == RETAIN_TYPE_BOOL && sp->u.b)
            pc = (size_t)in->b;
        NEXT();
    OP(OP_OR2) {
        retain_value *r = sp--, *l = sp;
        if (r->type == RETAIN_TYPE_BOOL && r->u.b)
            SET_BOOL(l, 1);
        else if (l->type == RETAIN_TYPE_BOOL && r->type == RETAIN_TYPE_BOOL)
            SET_BOOL(l, 0);
        else
            SET_NULL(l);
        NEXT();
    }
    OP(OP_JFP)
        if (!sp->u.b)
            pc = (size_t)in->b;
        else
            sp--;
        NEXT();
    OP(OP_JTP)
        if (sp->u.b)
            pc = (size_t)in->b;
        else
            sp--;
        NEXT();
    OP(OP_JNN)
        if (!IS_NULL(sp))
            pc = (size_t)in->b;
        else
            sp--;
        NEXT();

    /* --- lists and text --- */
    OP(OP_IN) {
        retain_value *list = sp--, *x = sp;
        bool found = in_list(x, list);
        SET_BOOL(x, !IS_NULL(x) && list->type == RETAIN_TYPE_LIST && (found != (in->a != 0)));
        NEXT();
    }
    OP(OP_IN_K) {
        bool found = in_list(sp, &K[in->b]);
        SET_BOOL(sp, !IS_NULL(sp) && (found != (in->a != 0)));
        NEXT();
    }
    OP(OP_IN_FK) {
        const retain_value *f = &F[in->a >> 4];
        bool found = in_list(f, &K[in->b]);
        ++sp;
        SET_BOOL(sp, !IS_NULL(f) && (found != ((in->a & 1) != 0)));
        NEXT();
    }
    OP(OP_IN_FKJ) {
        const retain_value *f = &F[in->a >> 4];
        bool r = !IS_NULL(f) && (in_list(f, &K[in->b]) != ((in->a & 1) != 0));
        JUMP_IF_JT(r);
    }
    OP(OP_MATCH) {
        if (sp->type != RETAIN_TYPE_STRING) {
            SET_BOOL(sp, 0);
            NEXT();
        }
        if (sp->u.str.len > w->max_subject)
            return regex_error(w, pc - 1, err_pc, 0, sp->u.str.len);
        const rt_regex *re = &prog->regex[in->b];
        int rc = re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)sp->u.str.ptr, sp->u.str.len, 0,
                                           0, w->md, w->mctx)
                         : pcre2_match(re->code, (PCRE2_SPTR)sp->u.str.ptr, sp->u.str.len, 0,
                                       PCRE2_NO_UTF_CHECK, w->md, w->mctx);
        if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
            SET_BOOL(sp, (rc >= 0) != (in->a != 0));
            NEXT();
        }
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
            rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
            rc == PCRE2_ERROR_NOMEMORY)
            return regex_error(w, pc - 1, err_pc, rc, sp->u.str.len);
        SET_BOOL(sp, 0); /* e.g. invalid UTF-8 from an unchecked filler */
        NEXT();
    }
    OP(OP_LIST) {
        size_t n = (size_t)in->b;
        retain_value *items = NULL;
        if (n) {
            items = scratch(w, n * sizeof *items);
            if (!items)
                return limit(w, pc - 1, err_pc, "evaluation scratch memory exhausted by a list");
            sp -= n;
            memcpy(items, sp + 1, n * sizeof *items);
        }
        ++sp;
        sp->type = RETAIN_TYPE_LIST;
        sp->u.list.items = items;
        sp->u.list.count = n;
        NEXT();
    }

    /* --- builtins --- */
    OP(OP_DAYS_SINCE) OP(OP_HOURS_SINCE) {
        int64_t d;
        if (IS_NULL(sp) || !ctx->has_now || SUB_OVF(ctx->now, sp->u.time, &d)) {
            SET_NULL(sp);
            NEXT();
        }
        int64_t unit = in->op == OP_DAYS_SINCE ? 86400000 : 3600000;
        int64_t q = d / unit;
        if (d % unit != 0 && d < 0)
            q--;
        SET_INT(sp, RETAIN_TYPE_INT, q);
        NEXT();
    }
    OP(OP_LOCAL_HOUR) OP(OP_LOCAL_WDAY) {
        if (IS_NULL(sp))
            NEXT();
        int64_t t = sp->u.time;
        int64_t off = ctx->tz ? (int64_t)rt_tz_offset(ctx->tz, t) * 1000 : 0;
        int64_t local;
        if (ADD_OVF(t, off, &local)) {
            SET_NULL(sp);
            NEXT();
        }
        int64_t days = local / 86400000, ms = local % 86400000;
        if (ms < 0) {
            ms += 86400000;
            days--;
        }
        if (in->op == OP_LOCAL_HOUR)
            SET_INT(sp, RETAIN_TYPE_INT, ms / 3600000);
        else
            SET_INT(sp, RETAIN_TYPE_INT, ((days % 7 + 7 + 3) % 7) + 1); /* ISO: Monday 1 */
        NEXT();
    }
    OP(OP_LOWER) OP(OP_UPPER) {
        if (sp->type != RETAIN_TYPE_STRING) {
            SET_NULL(sp);
            NEXT();
        }
        size_t len;
        const char *s = map_case(w, &sp->u.str, in->op == OP_UPPER, &len);
        if (!s)
            return limit(w, pc - 1, err_pc,
                         "evaluation scratch memory exhausted by lower()/upper() (the strings "
                         "are too long)");
        sp->u.str.ptr = s;
        sp->u.str.len = len;
        NEXT();
    }
    OP(OP_LEN)
        if (sp->type == RETAIN_TYPE_STRING)
            SET_INT(sp, RETAIN_TYPE_INT, (int64_t)rt_utf8_len(sp->u.str.ptr, sp->u.str.len));
        else if (sp->type == RETAIN_TYPE_LIST)
            SET_INT(sp, RETAIN_TYPE_INT, (int64_t)sp->u.list.count);
        else
            SET_NULL(sp);
        NEXT();
    OP(OP_CONTAINS) OP(OP_STARTS) OP(OP_ENDS) {
        retain_value *b = sp--, *a = sp;
        if (a->type != RETAIN_TYPE_STRING || b->type != RETAIN_TYPE_STRING) {
            SET_NULL(a);
            NEXT();
        }
        const retain_string_value *s = &a->u.str, *x = &b->u.str;
        bool r;
        if (in->op == OP_CONTAINS)
            r = has_sub(s, x);
        else if (x->len > s->len)
            r = false;
        else if (in->op == OP_STARTS)
            r = x->len == 0 || !memcmp(s->ptr, x->ptr, x->len);
        else
            r = x->len == 0 || !memcmp(s->ptr + s->len - x->len, x->ptr, x->len);
        SET_BOOL(a, r);
        NEXT();
    }
    OP(OP_MIN) OP(OP_MAX) {
        size_t n = (size_t)in->b;
        retain_value *first = sp - n + 1, *best = first;
        bool ok = !IS_NULL(first);
        for (size_t i = 1; i < n && ok; i++) {
            int ord;
            ok = rt_value_cmp(&first[i], best, &ord);
            if (ok && (in->op == OP_MIN ? ord < 0 : ord > 0))
                best = &first[i];
        }
        if (ok) {
            retain_value r = *best;
            /* An amount written without currency takes the others'. */
            for (size_t i = 0; r.type == RETAIN_TYPE_MONEY && !r.u.money.currency[0] && i < n; i++)
                if (first[i].u.money.currency[0])
                    memcpy(r.u.money.currency, first[i].u.money.currency, 4);
            *first = r;
        } else {
            SET_NULL(first);
        }
        sp = first;
        NEXT();
    }
    OP(OP_MINL) OP(OP_MAXL) {
        if (sp->type != RETAIN_TYPE_LIST || sp->u.list.count == 0) {
            SET_NULL(sp);
            NEXT();
        }
        const retain_value *it = sp->u.list.items, *best = &it[0];
        bool ok = !IS_NULL(best);
        for (size_t i = 1; i < sp->u.list.count && ok; i++) {
            int ord;
            ok = rt_value_cmp(&it[i], best, &ord);
            if (ok && (in->op == OP_MINL ? ord < 0 : ord > 0))
                best = &it[i];
        }
        if (ok)
            *sp = *best;
        else
            SET_NULL(sp);
        NEXT();
    }
    OP(OP_ABS_I)
        if (!IS_NULL(sp) && sp->u.i < 0) {
            if (sp->u.i == INT64_MIN)
                SET_NULL(sp);
            else
                sp->u.i = -sp->u.i;
        }
        NEXT();
    OP(OP_ABS_F)
        if (!IS_NULL(sp))
            sp->u.f = fabs(sp->u.f);
        NEXT();
    OP(OP_ABS_M)
        if (!IS_NULL(sp) && sp->u.money.amount < 0) {
            if (sp->u.money.amount == INT64_MIN)
                SET_NULL(sp);
            else
                sp->u.money.amount = -sp->u.money.amount;
        }
        NEXT();
    OP(OP_ROUND_F) {
        int64_t r;
        if (!IS_NULL(sp) && to_i64(sp->u.f, &r))
            SET_INT(sp, RETAIN_TYPE_INT, r);
        else
            SET_NULL(sp);
        NEXT();
    }
    OP(OP_ROUND_FN) {
        retain_value *b = sp--, *a = sp;
        if (IS_NULL(a) || IS_NULL(b) || b->u.i < -15 || b->u.i > 15) {
            SET_NULL(a);
            NEXT();
        }
        double p = 1;
        for (int64_t i = 0; i < (b->u.i < 0 ? -b->u.i : b->u.i); i++)
            p *= 10;
        double x = a->u.f;
        SET_FLOAT(a, b->u.i >= 0 ? round(x * p) / p : round(x / p) * p);
        NEXT();
    }
    OP(OP_ROUND_M) {
        if (IS_NULL(sp))
            NEXT();
        int s = sp->u.money.scale;
        if (s <= 0)
            NEXT();
        int64_t r, p = s > 18 ? 0 : p10[s];
        if (!p || MUL_OVF(div_round(sp->u.money.amount, p), p, &r))
            SET_NULL(sp);
        else
            sp->u.money.amount = r;
        NEXT();
    }
    OP(OP_ANY) {
        retain_value *v = sp--, *list = sp;
        bool found = in_list(v, list);
        SET_BOOL(list, found);
        NEXT();
    }
    OP(OP_ANY_L) {
        retain_value *b = sp--, *a = sp;
        bool found = false;
        if (a->type == RETAIN_TYPE_LIST && b->type == RETAIN_TYPE_LIST)
            for (size_t i = 0; i < b->u.list.count && !found; i++)
                found = in_list(&b->u.list.items[i], a);
        SET_BOOL(a, found);
        NEXT();
    }

#ifndef RT_THREADED
        default:
            snprintf(w->diag.message, sizeof w->diag.message, "bad opcode %u", in->op);
            *err_pc = pc - 1;
            return RETAIN_EINTERNAL;
        }
    }
#endif
#undef OP
#undef NEXT
}

/* Report an evaluation error with the rule's location (the cold path). */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static int eval_failed(const retain_rule *r, const retain_eval_ctx *ctx, retain_value *out,
                       int rc, size_t err_pc)
{
    retain_diag *d = &ctx->work->diag;
    char msg[sizeof d->message];
    memcpy(msg, d->message, sizeof msg);
    rt_diag_at(d, rc, r->src, r->src_len, r->locs[err_pc], r->base_line, r->base_col, msg);
    snprintf(ctx->work->errmsg, sizeof ctx->work->errmsg, "%d:%d: %s", d->line, d->column, msg);
    out->type = RETAIN_TYPE_NULL;
    return rc;
}

int retain_rule_eval(const retain_rule *r, const retain_eval_ctx *ctx, retain_value *out)
{
    if (!r || !ctx || !out)
        return rt_eval_bad_args(r, ctx);
    size_t err_pc = 0;
    int rc = rt_vm_run(&r->prog, 0, ctx, out, &err_pc);
    if (rc == RETAIN_OK)
        return RETAIN_OK;
    return eval_failed(r, ctx, out, rc, err_pc);
}

const char *rt_op_name(int op)
{
#define RT_OP_NAME(name) #name,
    static const char *const names[OP__COUNT] = { RT_OPCODES(RT_OP_NAME) };
#undef RT_OP_NAME
    return op >= 0 && op < OP__COUNT ? names[op] + 3 : "?";
}
