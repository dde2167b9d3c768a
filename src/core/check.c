/* check.c - argument validation with messages that say what to fix. */
#include "check.h"
#include "text.h"

#include <string.h>

/* Quote at most 40 bytes of a caller's string into a message safely. */
static void excerpt(char *out, size_t size, const char *s)
{
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 5 < size && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F || c >= 0x80 || c == '"') {
            if (j + 5 >= size)
                break;
            static const char hex[] = "0123456789abcdef";
            out[j++] = '\\';
            out[j++] = 'x';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        } else {
            out[j++] = (char)c;
        }
        if (s[i + 1] && i == 39) {
            out[j++] = '.';
            out[j++] = '.';
        }
    }
    out[j] = '\0';
}

int rt_check_id(retain_engine *e, const char *what, const char *s)
{
    if (!s)
        return rt_error(e, RETAIN_EINVAL, "%s is NULL; an id is required", what);
    if (!*s)
        return rt_error(e, RETAIN_EINVAL, "%s is empty; an id is required", what);
    size_t n = strlen(s);
    if (n > RT_ID_MAX)
        return rt_error(e, RETAIN_EINVAL, "%s is %zu bytes long; at most %d are allowed", what, n,
                        RT_ID_MAX);
    char ex[64];
    if (!rt_utf8_valid(s, n)) {
        excerpt(ex, sizeof ex, s);
        return rt_error(e, RETAIN_EINVAL, "%s \"%s\" is not valid UTF-8", what, ex);
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
            excerpt(ex, sizeof ex, s);
            return rt_error(e, RETAIN_EINVAL, "%s \"%s\" contains a control character", what, ex);
        }
    }
    return RETAIN_OK;
}

int rt_check_text(retain_engine *e, const char *what, const char *s, size_t max)
{
    if (!s)
        return RETAIN_OK;
    size_t n = strlen(s);
    if (n > max)
        return rt_error(e, RETAIN_EINVAL, "%s is %zu bytes long; at most %zu are allowed", what,
                        n, max);
    char ex[64];
    if (!rt_utf8_valid(s, n)) {
        excerpt(ex, sizeof ex, s);
        return rt_error(e, RETAIN_EINVAL, "%s \"%s\" is not valid UTF-8", what, ex);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
            excerpt(ex, sizeof ex, s);
            return rt_error(e, RETAIN_EINVAL, "%s \"%s\" contains a control character", what, ex);
        }
    }
    return RETAIN_OK;
}

int rt_check_name(retain_engine *e, const char *what, const char *s)
{
    if (!s)
        return rt_error(e, RETAIN_EINVAL, "%s is NULL", what);
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= RT_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '_' || c == '.' || c == '-'));
    }
    if (!ok) {
        char ex[64];
        excerpt(ex, sizeof ex, s);
        return rt_error(e, RETAIN_EINVAL,
                        "%s \"%s\" is not a valid name: use 1 to %d characters of a-z, 0-9, "
                        "'_', '.', '-', starting with a letter or digit",
                        what, ex, RT_NAME_MAX);
    }
    return RETAIN_OK;
}

int rt_check_json_object(retain_engine *e, const char *what, const char *json)
{
    if (!json)
        return RETAIN_OK;
    size_t n = strlen(json);
    if (n > RT_JSON_MAX)
        return rt_error(e, RETAIN_EINVAL, "%s is %zu bytes of JSON; at most %d are allowed", what,
                        n, RT_JSON_MAX);
    size_t off = 0;
    const char *why = NULL;
    if (!rt_json_valid(json, n, 64, &off, &why))
        return rt_error(e, RETAIN_EINVAL, "%s is not valid JSON: %s at byte %zu", what, why, off);
    size_t i = 0;
    while (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')
        i++;
    if (json[i] != '{')
        return rt_error(e, RETAIN_EINVAL, "%s must be a JSON object ({...})", what);
    return RETAIN_OK;
}

int rt_check_currency(retain_engine *e, const char *what, const char *code)
{
    if (!code)
        return rt_error(e, RETAIN_EINVAL, "%s is NULL; give an ISO 4217 code such as \"USD\"",
                        what);
    if (rt_currency_digits(code) < 0) {
        char ex[64];
        excerpt(ex, sizeof ex, code);
        return rt_error(e, RETAIN_EINVAL,
                        "%s \"%s\" is not an ISO 4217 currency code (such as \"USD\", \"EUR\")",
                        what, ex);
    }
    return RETAIN_OK;
}

int rt_check_time(retain_engine *e, const char *what, int64_t t)
{
    if (t < RT_TIME_MIN || t > RT_TIME_MAX)
        return rt_error(e, RETAIN_EINVAL,
                        "%s is %lld ms, outside years 1 to 9999; times are ms since 1970 UTC",
                        what, (long long)t);
    return RETAIN_OK;
}

int rt_check_opt_time(retain_engine *e, const char *what, int64_t t)
{
    return t == INT64_MIN ? RETAIN_OK : rt_check_time(e, what, t);
}
