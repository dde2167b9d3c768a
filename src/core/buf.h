/*
 * buf.h - a growable byte buffer for building strings and JSON.
 * Errors are sticky: after a failed allocation every append is a no-op and
 * rt_buf_finish() reports RETAIN_ENOMEM, so callers check once at the end.
 */
#ifndef RT_BUF_H
#define RT_BUF_H

#include "retain/common.h"
#include <stdbool.h>
#include <stdarg.h>

typedef struct rt_buf {
    const retain_allocator *alloc;
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} rt_buf;

void rt_buf_init(rt_buf *b, const retain_allocator *a);
void rt_buf_free(rt_buf *b);
void rt_buf_reset(rt_buf *b);
void rt_buf_append(rt_buf *b, const char *s, size_t n);
void rt_buf_puts(rt_buf *b, const char *s);
void rt_buf_putc(rt_buf *b, char c);
void rt_buf_printf(rt_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append `s` as a JSON string literal, quotes included (NULL -> null). */
void rt_buf_json_str(rt_buf *b, const char *s);
void rt_buf_json_strn(rt_buf *b, const char *s, size_t n);
/* Give the NUL-terminated result to the caller (free with the allocator);
 * RETAIN_ENOMEM if any append failed (the buffer is then freed). */
int rt_buf_finish(rt_buf *b, char **out);

#endif
