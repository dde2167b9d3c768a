/*
 * yaml.h (internal) - YAML text to a small tree with line:column marks,
 * through libyaml's event parser and under the library's own limits:
 * document size, nesting depth, node count; aliases are refused, so no
 * document can expand beyond its own size.
 */
#ifndef RT_YAML_H
#define RT_YAML_H

#include "core/engine.h"
#include "core/arena.h"

typedef enum yn_type { YN_SCALAR, YN_MAP, YN_SEQ } yn_type;

typedef struct yn yn;
struct yn {
    yn_type type;
    int line, column;   /* 1-based */
    const char *str;    /* scalar text (NUL-terminated) */
    size_t len;
    bool plain;         /* unquoted scalar */
    int n;              /* entries of a map (pairs) or sequence */
    yn **keys;          /* map keys (scalars) */
    yn **items;         /* map values or sequence items */
};

typedef struct yn_doc {
    yn **docs;  /* one root per YAML document */
    int ndocs;
} yn_doc;

#define YN_MAX_BYTES (4u << 20)
#define YN_MAX_DEPTH 64
#define YN_MAX_NODES 200000
#define YN_MAX_KEYS 4096 /* keys in one mapping (duplicate checks stay cheap) */

/* Parse; on error fill diag (line, column, message) and return RETAIN_EPARSE
 * or RETAIN_ELIMIT. Free the result with rt_object_free(). */
int yn_parse(retain_engine *e, const char *text, size_t len, yn_doc **out, retain_diag *diag);

/* Value of `key` in a map, or NULL. */
yn *yn_get(const yn *map, const char *key);

#endif
