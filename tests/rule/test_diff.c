/*
 * test_diff.c - differential test: a seeded generator makes random
 * well-typed expressions; each is compiled and run on the VM, and also
 * evaluated by the slow tree-walking reference below, written from the
 * semantics in docs/rules.md without sharing code with src/rule. They
 * must agree on every expression (100,000 by default; the first argument
 * or RETAIN_DIFF_COUNT changes the count, the second the seed).
 */
#include "util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define NOW 1717416000000LL /* 2024-06-03T12:00:00Z */
#define DAY 86400000LL
#define KOLKATA_MS 19800000LL /* +5:30, no DST: the zone used here */

/* --- reference values ----------------------------------------------------- */

enum { RN, RB, RI, RF, RS, RM, RD, RT }; /* null bool int float string money duration time */

typedef struct rv {
    int t;
    bool b;
    int64_t i;      /* int, duration, time, money amount */
    double f;
    const char *s;
    size_t n;
    int scale;      /* money */
    bool eur;       /* money: EUR, else no currency */
} rv;

static rv nul(void) { rv v = { RN, false, 0, 0, NULL, 0, 0, false }; return v; }
static rv mkb(bool b) { rv v = nul(); v.t = RB; v.b = b; return v; }
static rv mki(int t, int64_t i) { rv v = nul(); v.t = t; v.i = i; return v; }
static rv mkf(double f)
{
    if (!isfinite(f))
        return nul();
    rv v = nul();
    v.t = RF;
    v.f = f;
    return v;
}
static rv mkm(int64_t a, int scale, bool eur)
{
    rv v = nul();
    v.t = RM;
    v.i = a;
    v.scale = scale;
    v.eur = eur;
    return v;
}
static rv mks(const char *s, size_t n) { rv v = nul(); v.t = RS; v.s = s; v.n = n; return v; }

/* --- the generated tree ----------------------------------------------------- */

enum { GB, GI, GF, GS, GM, GD, GT }; /* generated types */

enum {
    K_LIT, K_FIELD, K_NULL, K_NEG, K_NOT, K_BIN, K_CMP, K_AND, K_OR, K_COAL, K_CALL, K_IN,
    K_MATCH, K_ISNULL, K_ANYL
};

typedef struct gnode {
    int kind, type, op;
    rv lit;              /* K_LIT value; K_FIELD bound value */
    char text[64];       /* source of a literal or field name, function name, pattern */
    struct gnode *k[3];
    int nk;
    bool unbound_lit;    /* a money literal without currency (retyped by its sibling) */
} gnode;

typedef struct gen {
    uint64_t rng;
    gnode pool[512];
    int used;
    char buf[8192];
    size_t len;
    bool overflow;
} gen;

static uint64_t rnd(gen *g)
{
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 2685821657736338717ull;
}
static int pick(gen *g, int n) { return (int)(rnd(g) % (uint64_t)n); }

static gnode *node(gen *g, int kind, int type)
{
    if (g->used >= (int)(sizeof g->pool / sizeof g->pool[0])) {
        g->overflow = true;
        g->used = 0;
    }
    gnode *n = &g->pool[g->used++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->type = type;
    return n;
}

/* Field values bound in the context (and known to the reference). */
static const struct {
    const char *name;
    int type;
    int64_t i;
    double f;
    const char *s;
    bool null;
} fields[] = {
    { "customer.orders_count", GI, 3, 0, NULL, false },
    { "order.lines_count", GI, 2, 0, NULL, false },
    { "vars.n", GI, 0, 0, NULL, true },
    { "customer.p_alive", GF, 0, 0.42, NULL, false },
    { "vars.x", GF, 0, 0, NULL, true },
    { "customer.email", GS, 0, 0, "Ada@Example.com", false },
    { "order.channel", GS, 0, 0, "web", false },
    { "order.coupon", GS, 0, 0, NULL, true },
    { "order.total", GM, 6400, 0, NULL, false },
    { "customer.revenue", GM, 25000, 0, NULL, false },
    { "customer.clv", GM, 0, 0, NULL, true },
    { "order.placed_at", GT, NOW - 5 * DAY, 0, NULL, false },
    { "shipment.promised_at", GT, NOW - 3 * DAY, 0, NULL, false },
    { "shipment.delivered_at", GT, 0, 0, NULL, true },
    { "customer.consent.sms", GB, 1, 0, NULL, false },
    { "customer.consent.email", GB, 0, 0, NULL, false },
    { "customer.consent.push", GB, 0, 0, NULL, true },
    { "vars.d", GD, 5400000, 0, NULL, false },
};

static const int64_t int_lits[] = { 0, 1, 2, 3, 7, 10, 100, 12345, 9223372036854775807LL,
                                    4000000000LL };
static const char *const float_lits[] = { "0.5", "1.25", "2.0", "3.75", "0.1", "0.3", "1e3",
                                          "2.5e-1", "100.5" };
static const char *const str_lits[] = { "", "a", "web", "Ada", "x y", "\xc3\xa9",
                                        "\xc3\x84pfel", "gr\xc3\xbc\xc3\x9f\x65",
                                        "\xe6\x97\xa5\xe6\x9c\xac", "ABC", "abc", "@" };
static const char *const money_lits[] = { "0", "5", "1.5", "2.25", "10.00", "64.00", "0.001",
                                          "100" };
static const char *const eur_lits[] = { "5.00 EUR", "64.00 EUR", "0.01 EUR", "1000 EUR" };
static const struct { const char *text; int64_t ms; } dur_lits[] = {
    { "0s", 0 }, { "90s", 90000 }, { "30m", 1800000 }, { "2h", 7200000 }, { "1d", DAY },
    { "1h30m", 5400000 }, { "500ms", 500 }, { "2w", 14 * DAY },
};
static const char *const patterns[] = { "^A", "(?i)ada", "\xc3\xa9", "^$", "[0-9]", "\\\\.",
                                        "a|b", "^.{2,3}$", "(?i)^web$", "\xe6\x97\xa5" };

static double parse_float_lit(const char *s)
{
    /* the literals above are exact in binary or are the C literal itself */
    static const struct { const char *s; double v; } t[] = {
        { "0.5", 0.5 }, { "1.25", 1.25 }, { "2.0", 2.0 }, { "3.75", 3.75 }, { "0.1", 0.1 },
        { "0.3", 0.3 }, { "1e3", 1e3 }, { "2.5e-1", 2.5e-1 }, { "100.5", 100.5 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].s, s))
            return t[i].v;
    return 0;
}

/* An unbound money literal as text: its mantissa and scale. */
static rv money_text(const char *s)
{
    int64_t m = 0;
    int scale = 0;
    bool dot = false;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            dot = true;
            continue;
        }
        m = m * 10 + (*p - '0');
        if (dot)
            scale++;
    }
    return mkm(m, scale, false);
}

static gnode *gen_expr(gen *g, int type, int depth);

static gnode *leaf(gen *g, int type, bool allow_unbound)
{
    /* a field sometimes */
    if (pick(g, 3) == 0 || type == GT) {
        int cand[32], nc = 0;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (fields[i].type == type)
                cand[nc++] = (int)i;
        if (type == GT && pick(g, 4) == 0) {
            gnode *n = node(g, K_CALL, GT);
            snprintf(n->text, sizeof n->text, "now");
            return n;
        }
        if (nc) {
            int k = cand[pick(g, nc)];
            gnode *n = node(g, K_FIELD, type);
            snprintf(n->text, sizeof n->text, "%s", fields[k].name);
            if (fields[k].null)
                n->lit = nul();
            else if (type == GS)
                n->lit = mks(fields[k].s, strlen(fields[k].s));
            else if (type == GF)
                n->lit = mkf(fields[k].f);
            else if (type == GM)
                n->lit = mkm(fields[k].i, 2, true);
            else if (type == GB)
                n->lit = mkb(fields[k].i != 0);
            else
                n->lit = mki(type == GI ? RI : type == GD ? RD : RT, fields[k].i);
            return n;
        }
    }
    gnode *n = node(g, K_LIT, type);
    switch (type) {
    case GB: {
        bool b = pick(g, 2);
        n->lit = mkb(b);
        snprintf(n->text, sizeof n->text, "%s", b ? "true" : "false");
        break;
    }
    case GI: {
        int64_t v = int_lits[pick(g, sizeof int_lits / sizeof int_lits[0])];
        if (pick(g, 4) == 0 && v != 0)
            v = -v;
        n->lit = mki(RI, v);
        snprintf(n->text, sizeof n->text, "%lld", (long long)v);
        break;
    }
    case GF: {
        const char *s = float_lits[pick(g, sizeof float_lits / sizeof float_lits[0])];
        n->lit = mkf(parse_float_lit(s));
        snprintf(n->text, sizeof n->text, "%s", s);
        break;
    }
    case GS: {
        const char *s = str_lits[pick(g, sizeof str_lits / sizeof str_lits[0])];
        n->lit = mks(s, strlen(s));
        snprintf(n->text, sizeof n->text, "\"%s\"", s);
        break;
    }
    case GM:
        if (allow_unbound && pick(g, 2)) {
            const char *s = money_lits[pick(g, sizeof money_lits / sizeof money_lits[0])];
            n->lit = money_text(s);
            n->unbound_lit = true;
            snprintf(n->text, sizeof n->text, "%s", s);
        } else {
            const char *s = eur_lits[pick(g, sizeof eur_lits / sizeof eur_lits[0])];
            char num[32];
            snprintf(num, sizeof num, "%s", s);
            *strchr(num, ' ') = '\0';
            rv m = money_text(num);
            /* EUR literals are brought to two decimals */
            while (m.scale < 2) {
                m.i *= 10;
                m.scale++;
            }
            m.eur = true;
            n->lit = m;
            snprintf(n->text, sizeof n->text, "%s", s);
        }
        break;
    case GD: {
        int k = pick(g, sizeof dur_lits / sizeof dur_lits[0]);
        n->lit = mki(RD, dur_lits[k].ms);
        snprintf(n->text, sizeof n->text, "%s", dur_lits[k].text);
        break;
    }
    default:
        break;
    }
    return n;
}

static gnode *un(gen *g, int kind, int type, const char *fn, gnode *a)
{
    gnode *n = node(g, kind, type);
    if (fn)
        snprintf(n->text, sizeof n->text, "%s", fn);
    n->k[0] = a;
    n->nk = 1;
    return n;
}

static gnode *bin(gen *g, int kind, int type, int op, gnode *a, gnode *b)
{
    gnode *n = node(g, kind, type);
    n->op = op;
    n->k[0] = a;
    n->k[1] = b;
    n->nk = 2;
    return n;
}

static gnode *call(gen *g, int type, const char *fn, int nk, gnode *a, gnode *b)
{
    gnode *n = node(g, K_CALL, type);
    snprintf(n->text, sizeof n->text, "%s", fn);
    n->k[0] = a;
    n->k[1] = b;
    n->nk = nk;
    return n;
}

/* Two money operands where at most one is an amount without currency. */
static void money_pair(gen *g, int depth, gnode **a, gnode **b)
{
    *a = gen_expr(g, GM, depth + 1);
    bool a_unbound = (*a)->unbound_lit;
    *b = a_unbound ? gen_expr(g, GM, depth + 1) : (pick(g, 3) == 0 ? leaf(g, GM, true)
                                                                  : gen_expr(g, GM, depth + 1));
    if ((*b)->unbound_lit && a_unbound)
        *b = leaf(g, GM, false);
}

static const char *const arith_ops[] = { "+", "-", "*", "/", "%" };
static const char *const cmp_ops[] = { "==", "!=", "<", "<=", ">", ">=" };

static gnode *gen_expr(gen *g, int type, int depth)
{
    if (depth >= 5 || pick(g, 10) < 3 + depth)
        return leaf(g, type, false);
    switch (type) {
    case GI:
        switch (pick(g, 12)) {
        case 0: case 1: case 2:
            return bin(g, K_BIN, GI, pick(g, 5), gen_expr(g, GI, depth + 1), gen_expr(g, GI, depth + 1));
        case 3: return un(g, K_NEG, GI, NULL, gen_expr(g, GI, depth + 1));
        case 4: return call(g, GI, "abs", 1, gen_expr(g, GI, depth + 1), NULL);
        case 5: return call(g, GI, "len", 1, gen_expr(g, GS, depth + 1), NULL);
        case 6: return call(g, GI, pick(g, 2) ? "days_since" : "hours_since", 1, gen_expr(g, GT, depth + 1), NULL);
        case 7: return call(g, GI, "round", 1, gen_expr(g, GF, depth + 1), NULL);
        case 8: return call(g, GI, pick(g, 2) ? "local_hour" : "local_weekday", 1, gen_expr(g, GT, depth + 1), NULL);
        case 9: return bin(g, K_COAL, GI, 0, pick(g, 4) ? gen_expr(g, GI, depth + 1) : node(g, K_NULL, GI), gen_expr(g, GI, depth + 1));
        default: return call(g, GI, pick(g, 2) ? "min" : "max", 2, gen_expr(g, GI, depth + 1), gen_expr(g, GI, depth + 1));
        }
    case GF:
        switch (pick(g, 9)) {
        case 0: case 1: case 2: {
            /* float with float, or one int operand */
            int mix = pick(g, 3);
            return bin(g, K_BIN, GF, pick(g, 5), gen_expr(g, mix == 1 ? GI : GF, depth + 1),
                       gen_expr(g, mix == 2 ? GI : GF, depth + 1));
        }
        case 3: return un(g, K_NEG, GF, NULL, gen_expr(g, GF, depth + 1));
        case 4: return call(g, GF, "abs", 1, gen_expr(g, GF, depth + 1), NULL);
        case 5: {
            gnode *n = leaf(g, GI, false);
            n->kind = K_LIT;
            int64_t d = pick(g, 6) - 2;
            n->lit = mki(RI, d);
            snprintf(n->text, sizeof n->text, "%lld", (long long)d);
            return call(g, GF, "round", 2, gen_expr(g, GF, depth + 1), n);
        }
        case 6: /* money / money: '/' does not turn number literals into amounts */
            return bin(g, K_BIN, GF, 3, gen_expr(g, GM, depth + 1), gen_expr(g, GM, depth + 1));
        case 7: return bin(g, K_BIN, GF, 3, gen_expr(g, GD, depth + 1), gen_expr(g, GD, depth + 1));
        default: return bin(g, K_COAL, GF, 0, gen_expr(g, GF, depth + 1), gen_expr(g, pick(g, 2) ? GF : GI, depth + 1));
        }
    case GS:
        switch (pick(g, 3)) {
        case 0: return call(g, GS, pick(g, 2) ? "lower" : "upper", 1, gen_expr(g, GS, depth + 1), NULL);
        default: return bin(g, K_COAL, GS, 0, gen_expr(g, GS, depth + 1), gen_expr(g, GS, depth + 1));
        }
    case GM:
        switch (pick(g, 10)) {
        case 0: case 1: {
            gnode *a, *b;
            money_pair(g, depth, &a, &b);
            return bin(g, K_BIN, GM, pick(g, 2), a, b);
        }
        case 2: return bin(g, K_BIN, GM, 2, gen_expr(g, GM, depth + 1), gen_expr(g, GI, depth + 1));
        case 3: return bin(g, K_BIN, GM, 2, gen_expr(g, GI, depth + 1), gen_expr(g, GM, depth + 1));
        case 4: return bin(g, K_BIN, GM, pick(g, 2) ? 2 : 3, gen_expr(g, GM, depth + 1), gen_expr(g, GF, depth + 1));
        case 5: return bin(g, K_BIN, GM, 3, gen_expr(g, GM, depth + 1), gen_expr(g, GI, depth + 1));
        case 6: return un(g, K_NEG, GM, NULL, gen_expr(g, GM, depth + 1));
        case 7: return call(g, GM, pick(g, 2) ? "abs" : "round", 1, gen_expr(g, GM, depth + 1), NULL);
        case 8: {
            gnode *a, *b;
            money_pair(g, depth, &a, &b);
            return call(g, GM, pick(g, 2) ? "min" : "max", 2, a, b);
        }
        default: {
            gnode *a, *b;
            money_pair(g, depth, &a, &b);
            return bin(g, K_COAL, GM, 0, a, b);
        }
        }
    case GD:
        switch (pick(g, 9)) {
        case 0: case 1: return bin(g, K_BIN, GD, pick(g, 2), gen_expr(g, GD, depth + 1), gen_expr(g, GD, depth + 1));
        case 2: return bin(g, K_BIN, GD, 2, gen_expr(g, GD, depth + 1), gen_expr(g, pick(g, 2) ? GI : GF, depth + 1));
        case 3: return bin(g, K_BIN, GD, 2, gen_expr(g, GI, depth + 1), gen_expr(g, GD, depth + 1));
        case 4: return bin(g, K_BIN, GD, 3, gen_expr(g, GD, depth + 1), gen_expr(g, pick(g, 2) ? GI : GF, depth + 1));
        case 5: return bin(g, K_BIN, GD, 4, gen_expr(g, GD, depth + 1), gen_expr(g, GD, depth + 1));
        case 6: return bin(g, K_BIN, GD, 1, gen_expr(g, GT, depth + 1), gen_expr(g, GT, depth + 1));
        case 7: return un(g, K_NEG, GD, NULL, gen_expr(g, GD, depth + 1));
        default: return call(g, GD, "abs", 1, gen_expr(g, GD, depth + 1), NULL);
        }
    case GT:
        switch (pick(g, 4)) {
        case 0: return bin(g, K_BIN, GT, pick(g, 2), gen_expr(g, GT, depth + 1), gen_expr(g, GD, depth + 1));
        case 1: return bin(g, K_BIN, GT, 0, gen_expr(g, GD, depth + 1), gen_expr(g, GT, depth + 1));
        case 2: return call(g, GT, pick(g, 2) ? "min" : "max", 2, gen_expr(g, GT, depth + 1), gen_expr(g, GT, depth + 1));
        default: return bin(g, K_COAL, GT, 0, gen_expr(g, GT, depth + 1), gen_expr(g, GT, depth + 1));
        }
    default: /* GB */
        switch (pick(g, 14)) {
        case 0: case 1: case 2: {
            static const int cmp_types[] = { GI, GF, GS, GM, GD, GT, GB };
            int t = cmp_types[pick(g, 7)];
            int op = t == GB ? pick(g, 2) : pick(g, 6);
            gnode *a, *b;
            if (t == GM)
                money_pair(g, depth, &a, &b);
            else if (t == GF && pick(g, 2))
                a = gen_expr(g, GI, depth + 1), b = gen_expr(g, GF, depth + 1);
            else
                a = gen_expr(g, t, depth + 1), b = gen_expr(g, t, depth + 1);
            return bin(g, K_CMP, GB, op, a, b);
        }
        case 3: case 4: return bin(g, K_AND, GB, 0, gen_expr(g, GB, depth + 1), gen_expr(g, GB, depth + 1));
        case 5: case 6: return bin(g, K_OR, GB, 0, gen_expr(g, GB, depth + 1), gen_expr(g, GB, depth + 1));
        case 7: return un(g, K_NOT, GB, NULL, gen_expr(g, GB, depth + 1));
        case 8: {
            /* x in [literals] or x not in [...] */
            int t = pick(g, 2) ? GI : GS;
            gnode *n = node(g, K_IN, GB);
            n->op = pick(g, 2);
            n->k[0] = gen_expr(g, t, depth + 1);
            n->nk = 1;
            for (int i = 1; i < 3; i++) {
                n->k[i] = leaf(g, t, false);
                if (n->k[i]->kind != K_LIT) {
                    n->k[i] = node(g, K_LIT, t);
                    n->k[i]->lit = t == GI ? mki(RI, i) : mks("web", 3);
                    snprintf(n->k[i]->text, sizeof n->k[i]->text, t == GI ? "%d" : "\"web\"", i);
                }
                n->nk++;
            }
            return n;
        }
        case 9: {
            gnode *n = node(g, K_MATCH, GB);
            n->op = pick(g, 2);
            n->k[0] = gen_expr(g, GS, depth + 1);
            n->nk = 1;
            snprintf(n->text, sizeof n->text, "%s", patterns[pick(g, sizeof patterns / sizeof patterns[0])]);
            return n;
        }
        case 10: {
            static const int any_types[] = { GI, GF, GS, GM, GD, GT, GB };
            gnode *n = un(g, K_ISNULL, GB, NULL, gen_expr(g, any_types[pick(g, 7)], depth + 1));
            n->op = pick(g, 2);
            return n;
        }
        case 11: {
            static const char *const fns[] = { "contains", "starts_with", "ends_with" };
            return call(g, GB, fns[pick(g, 3)], 2, gen_expr(g, GS, depth + 1), gen_expr(g, GS, depth + 1));
        }
        case 12: {
            gnode *n = un(g, K_ANYL, GB, NULL, gen_expr(g, GS, depth + 1));
            return n;
        }
        default: return bin(g, K_COAL, GB, 0, pick(g, 4) ? gen_expr(g, GB, depth + 1) : node(g, K_NULL, GB), gen_expr(g, GB, depth + 1));
        }
    }
}

/* --- rendering ----------------------------------------------------------- */

static void out(gen *g, const char *s)
{
    size_t n = strlen(s);
    if (g->len + n + 1 >= sizeof g->buf) {
        g->overflow = true;
        return;
    }
    memcpy(g->buf + g->len, s, n + 1);
    g->len += n;
}

static void render(gen *g, const gnode *n)
{
    switch (n->kind) {
    case K_LIT: case K_FIELD:
        out(g, n->text);
        break;
    case K_NULL:
        out(g, "null");
        break;
    case K_NEG:
        out(g, "-(");
        render(g, n->k[0]);
        out(g, ")");
        break;
    case K_NOT:
        out(g, "not (");
        render(g, n->k[0]);
        out(g, ")");
        break;
    case K_ISNULL:
        out(g, "(");
        render(g, n->k[0]);
        out(g, n->op ? ") != null" : ") == null");
        break;
    case K_BIN: case K_CMP: case K_AND: case K_OR: case K_COAL: {
        const char *op = n->kind == K_BIN   ? arith_ops[n->op]
                         : n->kind == K_CMP ? cmp_ops[n->op]
                         : n->kind == K_AND ? "and"
                         : n->kind == K_OR  ? "or"
                                            : "??";
        out(g, "(");
        render(g, n->k[0]);
        out(g, ") ");
        out(g, op);
        out(g, " (");
        render(g, n->k[1]);
        out(g, ")");
        break;
    }
    case K_CALL:
        out(g, n->text);
        out(g, "(");
        for (int i = 0; i < n->nk; i++) {
            if (i)
                out(g, ", ");
            render(g, n->k[i]);
        }
        out(g, ")");
        break;
    case K_IN:
        out(g, "(");
        render(g, n->k[0]);
        out(g, n->op ? ") not in [" : ") in [");
        for (int i = 1; i < n->nk; i++) {
            if (i > 1)
                out(g, ", ");
            render(g, n->k[i]);
        }
        out(g, "]");
        break;
    case K_MATCH:
        out(g, "(");
        render(g, n->k[0]);
        out(g, n->op ? ") !~ \"" : ") =~ \"");
        out(g, n->text);
        out(g, "\"");
        break;
    case K_ANYL:
        out(g, "any([\"web\", \"a\", \"\xc3\xa9\"], ");
        render(g, n->k[0]);
        out(g, ")");
        break;
    }
}

/* --- the reference evaluator ----------------------------------------------- */

static const int64_t pw10[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};


/* exact comparison of a*10^-sa and b*10^-sb */
static int dec_cmp(int64_t a, int sa, int64_t b, int sb)
{
    __int128 x = a, y = b;
    for (int i = sa; i < sb; i++)
        x *= 10;
    for (int i = sb; i < sa; i++)
        y *= 10;
    return (x > y) - (x < y);
}

static double as_f(const rv *v) { return v->t == RI ? (double)v->i : v->f; }

static int64_t round_div(int64_t a, int64_t b)
{
    /* half away from zero, computed in wide arithmetic */
    __int128 q = (__int128)a / b, r = (__int128)a % b;
    __int128 ar = r < 0 ? -r : r, ab = b < 0 ? -(__int128)b : b;
    if (2 * ar >= ab)
        q += ((a < 0) != (b < 0)) ? -1 : 1;
    return (int64_t)q;
}

static bool fits(double x, int64_t *out)
{
    if (!(x == x))
        return false;
    double r = round(x);
    if (r < -9223372036854775808.0 || r >= 9223372036854775808.0)
        return false;
    *out = (int64_t)r;
    return true;
}

/* Ordering of two values of one (generated) type; false when incomparable. */
static bool order(const rv *a, const rv *b, int *o)
{
    if (a->t == RN || b->t == RN)
        return false;
    if ((a->t == RI || a->t == RF) && (b->t == RI || b->t == RF)) {
        if (a->t == RI && b->t == RI)
            *o = (a->i > b->i) - (a->i < b->i);
        else
            *o = (as_f(a) > as_f(b)) - (as_f(a) < as_f(b));
        return true;
    }
    switch (a->t) {
    case RB: *o = (int)a->b - (int)b->b; return true;
    case RS: {
        size_t n = a->n < b->n ? a->n : b->n;
        int c = n ? memcmp(a->s, b->s, n) : 0;
        *o = c ? (c > 0 ? 1 : -1) : (a->n > b->n) - (a->n < b->n);
        return true;
    }
    case RM: *o = dec_cmp(a->i, a->scale, b->i, b->scale); return true;
    default: *o = (a->i > b->i) - (a->i < b->i); return true;
    }
}

static bool cond(int op, int o)
{
    switch (op) {
    case 0: return o == 0;
    case 1: return o != 0;
    case 2: return o < 0;
    case 3: return o <= 0;
    case 4: return o > 0;
    default: return o >= 0;
    }
}

/* Simple case mapping for ASCII and Latin-1 letters (all the generator uses). */
static void map_case(const char *s, size_t n, bool upper, char *dst)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            char c = (char)p[i];
            if (upper && c >= 'a' && c <= 'z') c = (char)(c - 32);
            if (!upper && c >= 'A' && c <= 'Z') c = (char)(c + 32);
            dst[i++] = c;
        } else if (p[i] == 0xC3) {
            unsigned cp = 0xC0 + (p[i + 1] & 0x3F);
            if (upper && cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) cp -= 0x20;
            else if (!upper && cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) cp += 0x20;
            dst[i] = (char)0xC3;
            dst[i + 1] = (char)(0x80 | (cp & 0x3F));
            i += 2;
        } else {
            dst[i] = (char)p[i];
            i++;
        }
    }
}

static size_t cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static char scratch[1 << 16];
static size_t scratch_used;

static bool regex_match(const char *pat, const rv *s)
{
    /* the pattern text is a rule string literal: undo its \\ escapes */
    char p[64];
    size_t n = 0;
    for (const char *q = pat; *q && n < sizeof p - 1; q++) {
        if (q[0] == '\\' && q[1] == '\\')
            q++;
        p[n++] = *q;
    }
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, n, PCRE2_UTF, &err, &off, NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s->s, s->n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0;
}

static rv eval(const gnode *n);

static rv eval_bin(const gnode *n)
{
    rv a = eval(n->k[0]), b = eval(n->k[1]);
    if (a.t == RN || b.t == RN)
        return nul();
    int op = n->op; /* + - * / % */
    int64_t r;
    if (n->type == GI) {
        switch (op) {
        case 0: return __builtin_add_overflow(a.i, b.i, &r) ? nul() : mki(RI, r);
        case 1: return __builtin_sub_overflow(a.i, b.i, &r) ? nul() : mki(RI, r);
        case 2: return __builtin_mul_overflow(a.i, b.i, &r) ? nul() : mki(RI, r);
        case 3: return b.i == 0 || (a.i == INT64_MIN && b.i == -1) ? nul() : mki(RI, a.i / b.i);
        default: return b.i == 0 ? nul() : mki(RI, b.i == -1 ? 0 : a.i % b.i);
        }
    }
    if (n->type == GF && a.t == RM) {
        /* money / money */
        if (b.i == 0)
            return nul();
        double q = (double)a.i / (double)b.i;
        for (int d = b.scale - a.scale; d > 0; d--)
            q *= 10;
        for (int d = b.scale - a.scale; d < 0; d++)
            q /= 10;
        return mkf(q);
    }
    if (n->type == GF && a.t == RD)
        return b.i == 0 ? nul() : mkf((double)a.i / (double)b.i);
    if (n->type == GF) {
        double x = as_f(&a), y = as_f(&b);
        switch (op) {
        case 0: return mkf(x + y);
        case 1: return mkf(x - y);
        case 2: return mkf(x * y);
        case 3: return y == 0 ? nul() : mkf(x / y);
        default: return y == 0 ? nul() : mkf(fmod(x, y));
        }
    }
    if (n->type == GM) {
        if (a.t != RM) { /* int * money */
            rv t = a;
            a = b;
            b = t;
        }
        if (b.t == RM) { /* money +- money */
            int s = a.scale > b.scale ? a.scale : b.scale;
            __int128 x = a.i, y = b.i;
            for (int i = a.scale; i < s; i++) x *= 10;
            for (int i = b.scale; i < s; i++) y *= 10;
            if (x > INT64_MAX || x < INT64_MIN || y > INT64_MAX || y < INT64_MIN)
                return nul(); /* the amount cannot be brought to the common scale */
            __int128 z = op == 0 ? x + y : x - y;
            if (z > INT64_MAX || z < INT64_MIN)
                return nul();
            return mkm((int64_t)z, s, a.eur || b.eur);
        }
        if (b.t == RI) {
            if (op == 2)
                return __builtin_mul_overflow(a.i, b.i, &r) ? nul() : mkm(r, a.scale, a.eur);
            if (b.i == 0 || (a.i == INT64_MIN && b.i == -1))
                return nul();
            return mkm(round_div(a.i, b.i), a.scale, a.eur);
        }
        /* money * / float */
        if (op == 3 && b.f == 0)
            return nul();
        if (!fits(op == 2 ? (double)a.i * b.f : (double)a.i / b.f, &r))
            return nul();
        return mkm(r, a.scale, a.eur);
    }
    if (n->type == GD) {
        if (a.t == RT) /* time - time */
            return __builtin_sub_overflow(a.i, b.i, &r) ? nul() : mki(RD, r);
        if (a.t != RD) {
            rv t = a;
            a = b;
            b = t;
        }
        if (b.t == RD) {
            if (op == 4)
                return b.i == 0 ? nul() : mki(RD, b.i == -1 ? 0 : a.i % b.i);
            return (op == 0 ? __builtin_add_overflow(a.i, b.i, &r)
                            : __builtin_sub_overflow(a.i, b.i, &r)) ? nul() : mki(RD, r);
        }
        if (b.t == RI) {
            if (op == 2)
                return __builtin_mul_overflow(a.i, b.i, &r) ? nul() : mki(RD, r);
            return b.i == 0 || (a.i == INT64_MIN && b.i == -1) ? nul() : mki(RD, a.i / b.i);
        }
        if (op == 3 && b.f == 0)
            return nul();
        return fits(op == 2 ? (double)a.i * b.f : (double)a.i / b.f, &r) ? mki(RD, r) : nul();
    }
    /* time +- duration */
    if (a.t != RT) {
        rv t = a;
        a = b;
        b = t;
    }
    return (op == 0 ? __builtin_add_overflow(a.i, b.i, &r) : __builtin_sub_overflow(a.i, b.i, &r))
               ? nul() : mki(RT, r);
}

static rv eval_call(const gnode *n)
{
    const char *f = n->text;
    if (!strcmp(f, "now"))
        return mki(RT, NOW);
    rv a = eval(n->k[0]);
    if (!strcmp(f, "min") || !strcmp(f, "max")) {
        rv b = eval(n->k[1]);
        int o;
        if (!order(&a, &b, &o))
            return nul();
        bool take_b = !strcmp(f, "min") ? o > 0 : o < 0;
        rv r = take_b ? b : a;
        if (r.t == RM)
            r.eur = a.eur || b.eur;
        return r;
    }
    if (!strcmp(f, "round") && n->nk == 2) {
        rv d = eval(n->k[1]);
        if (a.t == RN || d.t == RN || d.i < -15 || d.i > 15)
            return nul();
        double p = 1;
        for (int64_t i = 0; i < (d.i < 0 ? -d.i : d.i); i++)
            p *= 10;
        return mkf(d.i >= 0 ? round(a.f * p) / p : round(a.f / p) * p);
    }
    if (!strcmp(f, "contains") || !strcmp(f, "starts_with") || !strcmp(f, "ends_with")) {
        rv b = eval(n->k[1]);
        if (a.t == RN || b.t == RN)
            return nul();
        if (b.n > a.n)
            return mkb(false);
        if (!strcmp(f, "starts_with"))
            return mkb(b.n == 0 || !memcmp(a.s, b.s, b.n));
        if (!strcmp(f, "ends_with"))
            return mkb(b.n == 0 || !memcmp(a.s + a.n - b.n, b.s, b.n));
        for (size_t i = 0; i + b.n <= a.n; i++)
            if (b.n == 0 || !memcmp(a.s + i, b.s, b.n))
                return mkb(true);
        return mkb(false);
    }
    if (a.t == RN)
        return nul();
    if (!strcmp(f, "abs")) {
        if (a.t == RF)
            return mkf(fabs(a.f));
        if (a.i == INT64_MIN)
            return nul();
        a.i = a.i < 0 ? -a.i : a.i;
        return a;
    }
    if (!strcmp(f, "len"))
        return mki(RI, (int64_t)cps(a.s, a.n));
    if (!strcmp(f, "days_since") || !strcmp(f, "hours_since")) {
        int64_t unit = f[0] == 'd' ? DAY : 3600000, d;
        if (__builtin_sub_overflow(NOW, a.i, &d))
            return nul();
        int64_t q = d / unit;
        if (d % unit != 0 && d < 0)
            q--;
        return mki(RI, q);
    }
    if (!strcmp(f, "local_hour") || !strcmp(f, "local_weekday")) {
        int64_t local;
        if (__builtin_add_overflow(a.i, KOLKATA_MS, &local))
            return nul();
        int64_t days = local / DAY, ms = local % DAY;
        if (ms < 0) {
            ms += DAY;
            days--;
        }
        /* 1970-01-01 was a Thursday; ISO Monday = 1 */
        return mki(RI, f[6] == 'h' ? ms / 3600000 : ((days % 7 + 7 + 3) % 7) + 1);
    }
    if (!strcmp(f, "round")) {
        int64_t r;
        if (a.t == RM) {
            if (a.scale <= 0)
                return a;
            int64_t p = pw10[a.scale];
            if (__builtin_mul_overflow(round_div(a.i, p), p, &r))
                return nul();
            a.i = r;
            return a;
        }
        return fits(a.f, &r) ? mki(RI, r) : nul();
    }
    /* lower / upper */
    char *dst = scratch + scratch_used;
    scratch_used += a.n;
    map_case(a.s, a.n, f[0] == 'u', dst);
    return mks(dst, a.n);
}

static rv eval(const gnode *n)
{
    switch (n->kind) {
    case K_LIT: case K_FIELD: return n->lit;
    case K_NULL: return nul();
    case K_NEG: {
        rv a = eval(n->k[0]);
        if (a.t == RN) return a;
        if (a.t == RF) { a.f = -a.f; return a; }
        if (a.i == INT64_MIN) return nul();
        a.i = -a.i;
        return a;
    }
    case K_NOT: {
        rv a = eval(n->k[0]);
        return a.t == RN ? a : mkb(!a.b);
    }
    case K_AND: case K_OR: {
        bool is_and = n->kind == K_AND;
        rv a = eval(n->k[0]);
        if (a.t == RB && a.b != is_and) /* false and ..., true or ... */
            return a;
        rv b = eval(n->k[1]);
        if (b.t == RB && b.b != is_and)
            return b;
        if (a.t == RN || b.t == RN)
            return nul();
        return mkb(is_and);
    }
    case K_COAL: {
        rv a = eval(n->k[0]);
        rv r = a.t != RN ? a : eval(n->k[1]);
        if (n->type == GF && r.t == RI)
            r = mkf((double)r.i);
        return r;
    }
    case K_ISNULL: {
        rv a = eval(n->k[0]);
        return mkb((a.t == RN) != (n->op == 1));
    }
    case K_CMP: {
        rv a = eval(n->k[0]), b = eval(n->k[1]);
        int o;
        return mkb(order(&a, &b, &o) && cond(n->op, o));
    }
    case K_IN: {
        rv x = eval(n->k[0]);
        if (x.t == RN)
            return mkb(false);
        bool found = false;
        for (int i = 1; i < n->nk; i++) {
            rv e = eval(n->k[i]);
            int o;
            if (order(&x, &e, &o) && o == 0)
                found = true;
        }
        return mkb(found != (n->op == 1));
    }
    case K_MATCH: {
        rv s = eval(n->k[0]);
        if (s.t == RN)
            return mkb(false);
        return mkb(regex_match(n->text, &s) != (n->op == 1));
    }
    case K_ANYL: {
        rv s = eval(n->k[0]);
        if (s.t == RN)
            return mkb(false);
        static const char *const items[] = { "web", "a", "\xc3\xa9" };
        for (size_t i = 0; i < 3; i++)
            if (strlen(items[i]) == s.n && !memcmp(items[i], s.s, s.n))
                return mkb(true);
        return mkb(false);
    }
    case K_BIN: return eval_bin(n);
    default: return eval_call(n);
    }
}

/* --- comparing the two ------------------------------------------------------ */

static bool same(const rv *r, const retain_value *v)
{
    switch (r->t) {
    case RN: return v->type == RETAIN_TYPE_NULL;
    case RB: return v->type == RETAIN_TYPE_BOOL && v->u.b == r->b;
    case RI: return v->type == RETAIN_TYPE_INT && v->u.i == r->i;
    case RF:
        return v->type == RETAIN_TYPE_FLOAT &&
               (v->u.f == r->f || fabs(v->u.f - r->f) <= 1e-12 * fabs(r->f));
    case RS:
        return v->type == RETAIN_TYPE_STRING && v->u.str.len == r->n &&
               (r->n == 0 || !memcmp(v->u.str.ptr, r->s, r->n));
    case RM:
        return v->type == RETAIN_TYPE_MONEY && v->u.money.amount == r->i &&
               v->u.money.scale == r->scale &&
               !strcmp(v->u.money.currency, r->eur ? "EUR" : "");
    case RD: return v->type == RETAIN_TYPE_DURATION && v->u.duration == r->i;
    case RT: return v->type == RETAIN_TYPE_TIME && v->u.time == r->i;
    }
    return false;
}

static void describe(const rv *r, char *buf, size_t n)
{
    switch (r->t) {
    case RN: snprintf(buf, n, "null"); break;
    case RB: snprintf(buf, n, "%s", r->b ? "true" : "false"); break;
    case RF: snprintf(buf, n, "float %.17g", r->f); break;
    case RS: snprintf(buf, n, "string \"%.*s\"", (int)r->n, r->s); break;
    case RM: snprintf(buf, n, "money %lld scale %d %s", (long long)r->i, r->scale, r->eur ? "EUR" : ""); break;
    default: snprintf(buf, n, "%s %lld", r->t == RI ? "int" : r->t == RD ? "duration" : "time", (long long)r->i); break;
    }
}

static void bind_all(retain_engine *e, retain_eval_ctx *ctx)
{
    retain_eval_ctx_clear(ctx);
    retain_eval_ctx_set_now(ctx, NOW);
    if (retain_eval_ctx_set_timezone(ctx, e, "Asia/Kolkata"))
        fprintf(stderr, "zone: %s\n", retain_errmsg(e));
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].null)
            continue;
        retain_value v;
        switch (fields[i].type) {
        case GI: v = retain_value_int(fields[i].i); break;
        case GF: v = retain_value_float(fields[i].f); break;
        case GS: v = retain_value_string(fields[i].s); break;
        case GM: v = retain_value_money(fields[i].i, "EUR"); break;
        case GT: v = retain_value_time(fields[i].i); break;
        case GD: v = retain_value_duration(fields[i].i); break;
        default: v = retain_value_bool(fields[i].i != 0); break;
        }
        if (retain_eval_ctx_bind(ctx, fields[i].name, &v))
            fprintf(stderr, "bind %s: %s\n", fields[i].name, retain_eval_ctx_errmsg(ctx));
    }
}

int main(int argc, char **argv)
{
    long count = 100000;
    uint64_t seed = 20240603;
    const char *env = getenv("RETAIN_DIFF_COUNT");
    if (env && *env)
        count = atol(env);
    if (argc > 1)
        count = atol(argv[1]);
    if (argc > 2)
        seed = strtoull(argv[2], NULL, 10);
    retain_engine *e = t_engine(NULL);
    retain_eval_ctx *ctx = NULL;
    retain_eval_ctx_new(&ctx, e);
    bind_all(e, ctx);
    static const retain_rule_var vars[] = {
        { "vars.n", RETAIN_TYPE_INT, RETAIN_TYPE_NULL },
        { "vars.x", RETAIN_TYPE_FLOAT, RETAIN_TYPE_NULL },
        { "vars.d", RETAIN_TYPE_DURATION, RETAIN_TYPE_NULL },
    };
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.vars = vars;
    o.nvars = 3;
    gen g;
    memset(&g, 0, sizeof g);
    g.rng = seed * 2654435761u + 1;
    long agreed = 0, shown = 0, types[7] = { 0 };
    for (long i = 0; i < count; i++) {
        g.used = 0;
        g.len = 0;
        g.buf[0] = '\0';
        g.overflow = false;
        scratch_used = 0;
        int type = pick(&g, 7);
        gnode *root = gen_expr(&g, type, 0);
        render(&g, root);
        if (g.overflow) {
            i--;
            continue;
        }
        types[type]++;
        retain_rule *r = NULL;
        retain_diag d;
        int rc = retain_rule_compile_ex(&r, e, g.buf, g.len, &o, &d);
        if (rc) {
            if (shown++ < 20)
                T_FAIL("expression %ld does not compile: %s\n  %s\n  %d:%d %s", i, g.buf,
                       t_status_name(rc), d.line, d.column, d.message);
            else
                t_failed++;
            continue;
        }
        retain_value v;
        rc = retain_rule_eval(r, ctx, &v);
        rv want = eval(root);
        if (rc || !same(&want, &v)) {
            char got[256], exp[256];
            retain_value_format(&v, got, sizeof got);
            describe(&want, exp, sizeof exp);
            if (shown++ < 20)
                T_FAIL("expression %ld disagrees: %s\n  vm: %s %s (rc %d)\n  reference: %s", i,
                       g.buf, retain_type_name(v.type), got, rc, exp);
            else
                t_failed++;
        } else {
            agreed++;
        }
        retain_rule_free(r);
    }
    t_passed += (int)(agreed > 0);
    printf("diff: %ld of %ld expressions agree (bool %ld int %ld float %ld string %ld money %ld "
           "duration %ld time %ld)\n",
           agreed, count, types[GB], types[GI], types[GF], types[GS], types[GM], types[GD],
           types[GT]);
    CHECK_INT(agreed, count);
    retain_eval_ctx_free(ctx);
    retain_engine_close(e);
    return t_report("rule-diff");
}
