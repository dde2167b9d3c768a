/* buf.c - growable buffer; see buf.h. */
#include "buf.h"
#include "alloc.h"

#include <stdio.h>
#include <string.h>

void rt_buf_init(rt_buf *b, const retain_allocator *a)
{
    memset(b, 0, sizeof *b);
    b->alloc = a;
}

void rt_buf_free(rt_buf *b)
{
    rt_free(b->alloc, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void rt_buf_reset(rt_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool reserve(rt_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = rt_realloc(b->alloc, b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void rt_buf_append(rt_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rt_buf_puts(rt_buf *b, const char *s)
{
    rt_buf_append(b, s, strlen(s));
}

void rt_buf_putc(rt_buf *b, char c)
{
    rt_buf_append(b, &c, 1);
}

void rt_buf_printf(rt_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        rt_buf_append(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rt_buf_json_strn(rt_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    rt_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
                u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            rt_buf_append(b, s + start, i - start);
            rt_buf_puts(b, esc);
            start = i + 1;
        }
    }
    rt_buf_append(b, s + start, n - start);
    rt_buf_putc(b, '"');
}

void rt_buf_json_str(rt_buf *b, const char *s)
{
    if (!s)
        rt_buf_puts(b, "null");
    else
        rt_buf_json_strn(b, s, strlen(s));
}

int rt_buf_finish(rt_buf *b, char **out)
{
    if (!b->failed && !reserve(b, 0))
        b->failed = true;
    if (b->failed) {
        rt_buf_free(b);
        *out = NULL;
        return RETAIN_ENOMEM;
    }
    *out = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return RETAIN_OK;
}
