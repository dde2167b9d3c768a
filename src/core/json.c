/* json.c - a strict, allocation-free RFC 8259 validator with a depth limit. */
#include "text.h"

#include <string.h>

typedef struct jp {
    const char *s;
    size_t n, i;
    int depth, max_depth;
    const char *why;
} jp;

static void ws(jp *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->i++;
    }
}

static bool fail(jp *p, const char *why)
{
    if (!p->why)
        p->why = why;
    return false;
}

static bool value(jp *p);

static bool string(jp *p)
{
    p->i++; /* opening quote */
    size_t start = p->i;
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            if (!rt_utf8_valid(p->s + start, p->i - start))
                return fail(p, "invalid UTF-8 in string");
            p->i++;
            return true;
        }
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n)
                break;
            char e = p->s[p->i];
            if (e == 'u') {
                for (int k = 0; k < 4; k++) {
                    p->i++;
                    if (p->i >= p->n)
                        return fail(p, "truncated \\u escape");
                    char h = p->s[p->i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                        return fail(p, "bad hex digit in \\u escape");
                }
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return fail(p, "bad escape in string");
            }
        }
        p->i++;
    }
    return fail(p, "unterminated string");
}

static bool digits(jp *p)
{
    size_t start = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > start;
}

static bool number(jp *p)
{
    if (p->s[p->i] == '-')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '0') {
        p->i++;
    } else if (!digits(p)) {
        return fail(p, "bad number");
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!digits(p))
            return fail(p, "bad fraction");
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!digits(p))
            return fail(p, "bad exponent");
    }
    return true;
}

static bool literal(jp *p, const char *word)
{
    size_t len = strlen(word);
    if (p->n - p->i < len || memcmp(p->s + p->i, word, len) != 0)
        return fail(p, "unexpected character");
    p->i += len;
    return true;
}

static bool container(jp *p, char close)
{
    if (++p->depth > p->max_depth)
        return fail(p, "nesting too deep");
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return true;
    }
    for (;;) {
        ws(p);
        if (close == '}') {
            if (p->i >= p->n || p->s[p->i] != '"')
                return fail(p, "expected a string key");
            if (!string(p))
                return false;
            ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return fail(p, "expected ':'");
            p->i++;
        }
        if (!value(p))
            return false;
        ws(p);
        if (p->i >= p->n)
            return fail(p, "unterminated container");
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == close) {
            p->i++;
            p->depth--;
            return true;
        }
        return fail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool value(jp *p)
{
    ws(p);
    if (p->i >= p->n)
        return fail(p, "unexpected end of input");
    char c = p->s[p->i];
    switch (c) {
    case '{': return container(p, '}');
    case '[': return container(p, ']');
    case '"': return string(p);
    case 't': return literal(p, "true");
    case 'f': return literal(p, "false");
    case 'n': return literal(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return number(p);
        return fail(p, "unexpected character");
    }
}

bool rt_json_valid(const char *s, size_t n, int max_depth, size_t *err_off, const char **why)
{
    jp p = { s, n, 0, 0, max_depth > 0 ? max_depth : 64, NULL };
    bool ok = value(&p);
    if (ok) {
        ws(&p);
        if (p.i != n)
            ok = fail(&p, "trailing characters after JSON value");
    }
    if (!ok) {
        if (err_off)
            *err_off = p.i;
        if (why)
            *why = p.why ? p.why : "invalid JSON";
    }
    return ok;
}
