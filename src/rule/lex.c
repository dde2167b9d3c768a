/*
 * lex.c - tokens of the rule language: numbers, decimal money (50.00,
 * 50.00 EUR), durations (90s, 1h30m), strings ("...", '...', raw r"..."),
 * names, keywords and operators. Positions are byte offsets; the source
 * was checked to be valid UTF-8 before lexing starts.
 */
#include "comp.h"
#include "core/text.h"

#include <string.h>

static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static bool is_alpha(int ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); }
static bool is_ident(int ch) { return is_alpha(ch) || is_digit(ch) || ch == '_'; }

static int at(const comp *c, size_t i)
{
    return i < c->len ? (unsigned char)c->src[i] : -1;
}

const char *tok_name(tok_kind k)
{
    switch (k) {
    case T_EOF: return "end of rule";
    case T_INT: case T_DEC: case T_FLOAT: return "a number";
    case T_MONEY: return "an amount";
    case T_DURATION: return "a duration";
    case T_STRING: return "a string";
    case T_IDENT: return "a name";
    case T_AND: return "'and'";
    case T_OR: return "'or'";
    case T_NOT: return "'not'";
    case T_IN: return "'in'";
    case T_TRUE: return "'true'";
    case T_FALSE: return "'false'";
    case T_NULL: return "'null'";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_LBRACK: return "'['";
    case T_RBRACK: return "']'";
    case T_COMMA: return "','";
    case T_DOT: return "'.'";
    case T_PLUS: return "'+'";
    case T_MINUS: return "'-'";
    case T_STAR: return "'*'";
    case T_SLASH: return "'/'";
    case T_PERCENT: return "'%'";
    case T_EQ: return "'=='";
    case T_NE: return "'!='";
    case T_LT: return "'<'";
    case T_LE: return "'<='";
    case T_GT: return "'>'";
    case T_GE: return "'>='";
    case T_MATCH: return "'=~'";
    case T_NMATCH: return "'!~'";
    case T_COALESCE: return "'?\?'";
    }
    return "a token";
}

void lex_init(comp *c)
{
    c->p = 0;
    c->has_ahead = false;
    memset(&c->tok, 0, sizeof c->tok);
}

/* Append the UTF-8 encoding of cp to out (4 bytes room needed). */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hexval(int ch)
{
    if (is_digit(ch)) return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Read \uXXXX or \u{X...} at i (just after "\u"). */
static bool read_u(const comp *c, size_t *i, uint32_t *cp)
{
    uint32_t v = 0;
    if (at(c, *i) == '{') {
        size_t j = *i + 1, n = 0;
        while (hexval(at(c, j)) >= 0 && n < 6) {
            v = v * 16 + (uint32_t)hexval(at(c, j));
            j++;
            n++;
        }
        if (n == 0 || at(c, j) != '}')
            return false;
        *i = j + 1;
    } else {
        for (int k = 0; k < 4; k++) {
            int h = hexval(at(c, *i + (size_t)k));
            if (h < 0)
                return false;
            v = v * 16 + (uint32_t)h;
        }
        *i += 4;
    }
    *cp = v;
    return true;
}

/*
 * Scan a string literal whose opening quote (or the r of r"...") is at
 * `start`. With `out` set, write the unescaped bytes there (room for the
 * literal's length is enough: escapes never grow). Stops early once
 * `stop` output bytes are written and reports the source offset in
 * *stop_src. Returns the offset after the closing quote, or 0 on error
 * (message recorded when `report`).
 */
static size_t scan_string(comp *c, size_t start, char *out, size_t *out_len, size_t stop,
                          size_t *stop_src, bool report)
{
    bool raw = at(c, start) == 'r';
    size_t i = start + (raw ? 1 : 0);
    int q = at(c, i++);
    size_t n = 0;
    for (;;) {
        if (stop_src && n >= stop) {
            *stop_src = i;
            return i;
        }
        int ch = at(c, i);
        if (ch < 0 || ch == '\n' || ch == '\r') {
            if (report)
                cerr(c, RETAIN_EPARSE, (uint32_t)start,
                     "unterminated string (a string ends with %c on the same line)", q);
            return 0;
        }
        if (ch == q) {
            if (out_len)
                *out_len = n;
            if (stop_src)
                *stop_src = i;
            return i + 1;
        }
        if (ch != '\\' || raw) {
            if (out)
                out[n] = (char)ch;
            n++;
            i++;
            continue;
        }
        size_t esc = i;
        int e = at(c, i + 1);
        i += 2;
        char rep;
        switch (e) {
        case '"': rep = '"'; break;
        case '\'': rep = '\''; break;
        case '\\': rep = '\\'; break;
        case '/': rep = '/'; break;
        case 'n': rep = '\n'; break;
        case 't': rep = '\t'; break;
        case 'r': rep = '\r'; break;
        case 'b': rep = '\b'; break;
        case 'f': rep = '\f'; break;
        case 'u': {
            uint32_t cp;
            if (!read_u(c, &i, &cp)) {
                if (report)
                    cerr(c, RETAIN_EPARSE, (uint32_t)esc,
                         "bad \\u escape: write \\uXXXX with four hex digits or \\u{X...}");
                return 0;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF && at(c, i) == '\\' && at(c, i + 1) == 'u') {
                size_t j = i + 2;
                uint32_t lo;
                if (read_u(c, &j, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i = j;
                }
            }
            if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0) {
                if (report)
                    cerr(c, RETAIN_EPARSE, (uint32_t)esc,
                         "\\u escape is not a valid character (U+%04X)", (unsigned)cp);
                return 0;
            }
            char tmp[4];
            size_t k = put_utf8(tmp, cp);
            if (out)
                memcpy(out + n, tmp, k);
            n += k;
            continue;
        }
        default:
            if (report)
                cerr(c, RETAIN_EPARSE, (uint32_t)esc,
                     "unknown escape '\\%c' in a string (write \\\\ for a backslash, or use a "
                     "raw string r\"...\")",
                     e > 32 && e < 127 ? e : '?');
            return 0;
        }
        if (out)
            out[n] = rep;
        n++;
    }
}

uint32_t lex_string_src_offset(const comp *c, uint32_t pos, size_t k)
{
    size_t src = pos;
    scan_string((comp *)c, pos, NULL, NULL, k, &src, false);
    return (uint32_t)src;
}

static void lex_string(comp *c, token *t, size_t start)
{
    size_t len = 0;
    size_t end = scan_string(c, start, NULL, &len, 0, NULL, true);
    if (!end)
        return;
    char *s = rt_pool_alloc(&c->rule->pool, len + 1);
    if (!s) {
        cnomem(c);
        return;
    }
    scan_string(c, start, s, &len, 0, NULL, false);
    s[len] = '\0';
    t->kind = T_STRING;
    t->s = s;
    t->slen = len;
    t->len = (uint32_t)(end - start);
}

static const int64_t pow10_tab[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

static double pow10d(int e)
{
    double r = 1.0, b = 10.0;
    unsigned n = (unsigned)(e < 0 ? -e : e);
    while (n) {
        if (n & 1)
            r *= b;
        b *= b;
        n >>= 1;
    }
    return e < 0 ? 1.0 / r : r;
}

/* mant * 10^exp10 as a double, correctly rounded in the common cases
 * (and without strtod, which follows the host's locale). */
static double make_double(int64_t mant, int exp10)
{
    double m = (double)mant;
    if (exp10 == 0)
        return m;
    if (exp10 > 0 && exp10 <= 22)
        return m * pow10d(exp10);
    if (exp10 < 0 && exp10 >= -22)
        return m / pow10d(-exp10);
    return m * pow10d(exp10);
}

static int64_t unit_ms(const comp *c, size_t i, size_t *ulen)
{
    int a = at(c, i), b = at(c, i + 1);
    if (a == 'm' && b == 's') { *ulen = 2; return 1; }
    *ulen = 1;
    switch (a) {
    case 's': return 1000;
    case 'm': return 60000;
    case 'h': return 3600000;
    case 'd': return 86400000;
    case 'w': return 604800000;
    default: return 0;
    }
}

/* Digits [ '.' digits ] at i: mantissa and scale; false on overflow. */
static bool read_decimal(comp *c, size_t *i, int64_t *mant, int *scale, bool *has_dot)
{
    int64_t m = 0;
    int s = 0;
    bool ovf = false;
    *has_dot = false;
    for (;;) {
        if (!*has_dot && at(c, *i) == '.' && is_digit(at(c, *i + 1))) {
            *has_dot = true;
            (*i)++;
        }
        if (!is_digit(at(c, *i)))
            break;
        int d = at(c, (*i)++) - '0';
        if (m > (INT64_MAX - d) / 10)
            ovf = true;
        else
            m = m * 10 + d;
        s += *has_dot;
    }
    *mant = m;
    *scale = s;
    return !ovf;
}

static void lex_number(comp *c, token *t, size_t start)
{
    size_t i = start;
    int64_t mant;
    int scale;
    bool dot;
    bool ok = read_decimal(c, &i, &mant, &scale, &dot);
    /* Exponent: a float. */
    if ((at(c, i) == 'e' || at(c, i) == 'E') &&
        (is_digit(at(c, i + 1)) ||
         ((at(c, i + 1) == '+' || at(c, i + 1) == '-') && is_digit(at(c, i + 2))))) {
        i++;
        int sign = 1, ex = 0;
        if (at(c, i) == '+' || at(c, i) == '-')
            sign = at(c, i++) == '-' ? -1 : 1;
        while (is_digit(at(c, i))) {
            if (ex < 10000)
                ex = ex * 10 + (at(c, i) - '0');
            i++;
        }
        if (!ok) {
            cerr(c, RETAIN_EPARSE, (uint32_t)start, "number has too many digits");
            return;
        }
        if (is_ident(at(c, i))) {
            cerr(c, RETAIN_EPARSE, (uint32_t)i, "unexpected '%c' after a number", at(c, i));
            return;
        }
        t->kind = T_FLOAT;
        t->f = make_double(mant, sign * ex - scale);
        t->len = (uint32_t)(i - start);
        return;
    }
    if (!ok) {
        cerr(c, RETAIN_EPARSE, (uint32_t)start,
             dot ? "number has too many digits" : "integer is too large (the limit is "
                                                  "9223372036854775807)");
        return;
    }
    /* Duration: one or more number+unit groups, 1h30m. */
    if (is_alpha(at(c, i))) {
        int64_t total = 0;
        for (;;) {
            size_t ul;
            int64_t u = unit_ms(c, i, &ul);
            if (!u || (is_ident(at(c, i + ul)) && !is_digit(at(c, i + ul)))) {
                size_t j = i;
                while (is_ident(at(c, j)))
                    j++;
                cerr(c, RETAIN_EPARSE, (uint32_t)i,
                     "unknown unit \"%.*s\" after a number (durations use ms, s, m, h, d or w)",
                     (int)(j - i), c->src + i);
                return;
            }
            /* mant / 10^scale units, exactly in ms */
            int64_t p = pow10_tab[scale < 18 ? scale : 18];
            if (scale > 18 || mant > INT64_MAX / u || (mant * u) % p != 0) {
                cerr(c, RETAIN_EPARSE, (uint32_t)start,
                     scale ? "duration is not a whole number of milliseconds"
                           : "duration is too long");
                return;
            }
            int64_t ms = mant * u / p;
            if (total > INT64_MAX - ms) {
                cerr(c, RETAIN_EPARSE, (uint32_t)start, "duration is too long");
                return;
            }
            total += ms;
            i += ul;
            if (!is_digit(at(c, i)))
                break;
            if (!read_decimal(c, &i, &mant, &scale, &dot)) {
                cerr(c, RETAIN_EPARSE, (uint32_t)start, "duration is too long");
                return;
            }
            if (!is_alpha(at(c, i))) {
                cerr(c, RETAIN_EPARSE, (uint32_t)i, "a unit is missing after %.*s",
                     (int)(i - start), c->src + start);
                return;
            }
        }
        t->kind = T_DURATION;
        t->i = total;
        t->len = (uint32_t)(i - start);
        return;
    }
    if (at(c, i) == '_') {
        cerr(c, RETAIN_EPARSE, (uint32_t)i, "unexpected '_' after a number");
        return;
    }
    t->i = mant;
    t->scale = scale;
    t->f = make_double(mant, -scale);
    t->kind = dot ? T_DEC : T_INT;
    t->len = (uint32_t)(i - start);
    /* Money with an explicit currency: 50.00 EUR. */
    size_t j = i;
    while (at(c, j) == ' ' || at(c, j) == '\t')
        j++;
    if (j > i && at(c, j) >= 'A' && at(c, j) <= 'Z' && at(c, j + 1) >= 'A' &&
        at(c, j + 1) <= 'Z' && at(c, j + 2) >= 'A' && at(c, j + 2) <= 'Z' &&
        !is_ident(at(c, j + 3))) {
        char code[4] = { c->src[j], c->src[j + 1], c->src[j + 2], 0 };
        if (!strcmp(code, "AND") || !strcmp(code, "NOT"))
            return; /* the parser explains that keywords are lower case */
        int digits = rt_currency_digits(code);
        if (digits < 0) {
            cerr(c, RETAIN_EPARSE, (uint32_t)j, "unknown currency \"%s\" (an ISO 4217 code "
                                                "such as EUR or USD is expected)", code);
            return;
        }
        /* Bring the amount to the currency's minor units, exactly. */
        while (scale > digits) {
            if (mant % 10) {
                cerr(c, RETAIN_EPARSE, (uint32_t)start,
                     "%.*s has more decimal places than %s allows (%d)", (int)(i - start),
                     c->src + start, code, digits);
                return;
            }
            mant /= 10;
            scale--;
        }
        while (scale < digits) {
            if (mant > INT64_MAX / 10) {
                cerr(c, RETAIN_EPARSE, (uint32_t)start, "amount is too large");
                return;
            }
            mant *= 10;
            scale++;
        }
        t->kind = T_MONEY;
        t->i = mant;
        t->scale = scale;
        memcpy(t->cur, code, 4);
        t->len = (uint32_t)(j + 3 - start);
    }
}

static const struct {
    const char *word;
    tok_kind kind;
} keywords[] = {
    { "and", T_AND }, { "or", T_OR }, { "not", T_NOT }, { "in", T_IN },
    { "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
};

static void lex_one(comp *c, token *t)
{
    memset(t, 0, sizeof *t);
    /* Skip blanks and # comments. */
    for (;;) {
        int ch = at(c, c->p);
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            c->p++;
        } else if (ch == '#') {
            while (c->p < c->len && c->src[c->p] != '\n')
                c->p++;
        } else {
            break;
        }
    }
    size_t s = c->p;
    t->pos = (uint32_t)s;
    t->len = 1;
    int ch = at(c, s);
    if (ch < 0) {
        t->kind = T_EOF;
        t->len = 0;
        return;
    }
    if (is_digit(ch)) {
        lex_number(c, t, s);
    } else if ((ch == 'r' && (at(c, s + 1) == '"' || at(c, s + 1) == '\'')) || ch == '"' ||
               ch == '\'') {
        lex_string(c, t, s);
    } else if (is_alpha(ch) || ch == '_') {
        size_t i = s;
        while (is_ident(at(c, i)))
            i++;
        t->kind = T_IDENT;
        t->len = (uint32_t)(i - s);
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
            if (strlen(keywords[k].word) == t->len && !memcmp(keywords[k].word, c->src + s, t->len))
                t->kind = keywords[k].kind;
    } else {
        int n = at(c, s + 1);
        switch (ch) {
        case '(': t->kind = T_LPAREN; break;
        case ')': t->kind = T_RPAREN; break;
        case '[': t->kind = T_LBRACK; break;
        case ']': t->kind = T_RBRACK; break;
        case ',': t->kind = T_COMMA; break;
        case '.': t->kind = T_DOT; break;
        case '+': t->kind = T_PLUS; break;
        case '-': t->kind = T_MINUS; break;
        case '*': t->kind = T_STAR; break;
        case '/': t->kind = T_SLASH; break;
        case '%': t->kind = T_PERCENT; break;
        case '=':
            if (n == '=') { t->kind = T_EQ; t->len = 2; }
            else if (n == '~') { t->kind = T_MATCH; t->len = 2; }
            else cerr(c, RETAIN_EPARSE, t->pos, "'=' alone is not an operator: use == to compare");
            break;
        case '!':
            if (n == '=') { t->kind = T_NE; t->len = 2; }
            else if (n == '~') { t->kind = T_NMATCH; t->len = 2; }
            else cerr(c, RETAIN_EPARSE, t->pos, "'!' is not an operator: use not");
            break;
        case '<':
            if (n == '=') { t->kind = T_LE; t->len = 2; } else t->kind = T_LT;
            break;
        case '>':
            if (n == '=') { t->kind = T_GE; t->len = 2; } else t->kind = T_GT;
            break;
        case '?':
            if (n == '?') { t->kind = T_COALESCE; t->len = 2; }
            else cerr(c, RETAIN_EPARSE, t->pos, "'?' alone is not an operator: did you mean ?? ?");
            break;
        case '&':
            cerr(c, RETAIN_EPARSE, t->pos, "use 'and' instead of '%s'", n == '&' ? "&&" : "&");
            break;
        case '|':
            cerr(c, RETAIN_EPARSE, t->pos, "use 'or' instead of '%s'", n == '|' ? "||" : "|");
            break;
        default: {
            const char *p = c->src + s;
            const char *q = p;
            rt_utf8_next(&q);
            cerr(c, RETAIN_EPARSE, t->pos, "unexpected character '%.*s'", (int)(q - p), p);
        }
        }
    }
    if (c->err) {
        t->kind = T_EOF;
        return;
    }
    c->p = s + t->len;
}

void lex_next(comp *c)
{
    if (c->has_ahead) {
        c->tok = c->ahead;
        c->has_ahead = false;
        return;
    }
    lex_one(c, &c->tok);
}

const token *lex_peek(comp *c)
{
    if (!c->has_ahead) {
        lex_one(c, &c->ahead);
        c->has_ahead = true;
    }
    return &c->ahead;
}
