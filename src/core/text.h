/*
 * text.h - validation of text at the API boundary: UTF-8, JSON, identifiers,
 * e-mail addresses and phone numbers, ISO codes.
 */
#ifndef RT_TEXT_H
#define RT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates, or > U+10FFFF)
 * and contains no NUL. */
bool rt_utf8_valid(const char *s, size_t n);
/* Number of code points in s[0..n) (s must be valid UTF-8). */
size_t rt_utf8_len(const char *s, size_t n);
/* Decode one code point at *p (valid UTF-8 assumed); advances *p. */
uint32_t rt_utf8_next(const char **p);

/* Strict RFC 8259 validation with a nesting limit. On failure, *err_off is
 * the byte offset of the problem and *why a short reason. */
bool rt_json_valid(const char *s, size_t n, int max_depth, size_t *err_off, const char **why);

/* Normalize an e-mail address: trim spaces, lower-case the domain.
 * Writes into out (size >= strlen(in)+1). Returns false if it is not
 * plausibly an address (one '@', non-empty local part and domain with a dot
 * or "localhost", no spaces or control characters). */
bool rt_email_normalize(const char *in, char *out, size_t outsz);

/* Normalize a phone number to E.164 ("+14155550100"). `country` is an ISO
 * 3166 alpha-2 code used when the number has no leading + or 00 (NULL: such
 * numbers are refused). Returns false with *why set when impossible. */
bool rt_phone_normalize(const char *in, const char *country, char *out, size_t outsz,
                        const char **why);
/* Calling code of an ISO 3166 alpha-2 country ("US" -> "1"), NULL if unknown. */
const char *rt_country_calling_code(const char *iso2);

/* ISO 4217: minor digits or -1. */
int rt_currency_digits(const char *code);

/* A string is a usable id: non-NULL, 1..max bytes, valid UTF-8, no control chars. */
bool rt_id_valid(const char *s, size_t max);


/* "90s", "30m", "2h", "3d", "2w", "500ms" to milliseconds. */
bool rt_parse_duration(const char *s, int64_t *out);
/* Levenshtein distance of two short words (99 when either is over 40 bytes). */
int rt_edit_distance(const char *a, const char *b);

/* Format ms UTC as "2026-01-31T09:30:00Z" (buf >= 21 bytes). */
void rt_format_time(int64_t ms, char *buf, size_t size);
#endif
