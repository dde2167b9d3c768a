/* yaml.c - the YAML tree builder; see yaml.h. */
#include "yaml.h"
#include "core/text.h"

#include <string.h>
#include <yaml.h>

typedef struct frame {
    yn *node;
    int cap;
    yn *pending_key; /* maps: a key waiting for its value */
} frame;

typedef struct builder {
    rt_arena *ar;
    frame stack[YN_MAX_DEPTH + 2];
    int depth;
    long nodes;
    yn_doc *doc;
    int docs_cap;
} builder;

static void set_diag(retain_diag *d, int code, int line, int col, const char *msg)
{
    d->code = code;
    d->line = line;
    d->column = col;
    rt_copy(d->message, sizeof d->message, msg);
    d->snippet[0] = '\0';
}

static bool grow(rt_arena *ar, yn *node, int *cap)
{
    if (node->n < *cap)
        return true;
    int ncap = *cap ? *cap * 2 : 8;
    yn **items = rt_arena_alloc(ar, (size_t)ncap * sizeof *items);
    yn **keys = node->type == YN_MAP ? rt_arena_alloc(ar, (size_t)ncap * sizeof *keys) : NULL;
    if (!items || (node->type == YN_MAP && !keys))
        return false;
    if (node->n) {
        memcpy(items, node->items, (size_t)node->n * sizeof *items);
        if (keys)
            memcpy(keys, node->keys, (size_t)node->n * sizeof *keys);
    }
    node->items = items;
    node->keys = keys;
    *cap = ncap;
    return true;
}

/* Attach `child` to the container on top of the stack (or as a document root). */
static int attach(builder *b, yn *child, retain_diag *diag)
{
    if (b->depth == 0) {
        yn_doc *d = b->doc;
        if (d->ndocs == b->docs_cap) {
            int ncap = b->docs_cap ? b->docs_cap * 2 : 4;
            yn **docs = rt_arena_alloc(b->ar, (size_t)ncap * sizeof *docs);
            if (!docs)
                return RETAIN_ENOMEM;
            if (d->ndocs)
                memcpy(docs, d->docs, (size_t)d->ndocs * sizeof *docs);
            d->docs = docs;
            b->docs_cap = ncap;
        }
        d->docs[d->ndocs++] = child;
        return RETAIN_OK;
    }
    frame *f = &b->stack[b->depth - 1];
    yn *p = f->node;
    if (p->type == YN_MAP && !f->pending_key) {
        if (child->type != YN_SCALAR) {
            set_diag(diag, RETAIN_EPARSE, child->line, child->column,
                     "a mapping key must be a plain value");
            return RETAIN_EPARSE;
        }
        if (p->n >= YN_MAX_KEYS) {
            set_diag(diag, RETAIN_ELIMIT, child->line, child->column,
                     "a mapping has more than 4096 keys");
            return RETAIN_ELIMIT;
        }
        for (int i = 0; i < p->n; i++) {
            if (strcmp(p->keys[i]->str, child->str) == 0) {
                char msg[200];
                rt_format(msg, sizeof msg, "duplicate key \"%.60s\"", child->str);
                set_diag(diag, RETAIN_EPARSE, child->line, child->column, msg);
                return RETAIN_EPARSE;
            }
        }
        f->pending_key = child;
        return RETAIN_OK;
    }
    if (!grow(b->ar, p, &f->cap))
        return RETAIN_ENOMEM;
    if (p->type == YN_MAP) {
        p->keys[p->n] = f->pending_key;
        f->pending_key = NULL;
    }
    p->items[p->n++] = child;
    return RETAIN_OK;
}

static yn *new_node(builder *b, yn_type t, const yaml_mark_t *m)
{
    yn *n = rt_arena_alloc(b->ar, sizeof *n);
    if (n) {
        n->type = t;
        n->line = (int)m->line + 1;
        n->column = (int)m->column + 1;
    }
    return n;
}

int yn_parse(retain_engine *e, const char *text, size_t len, yn_doc **out, retain_diag *diag)
{
    *out = NULL;
    memset(diag, 0, sizeof *diag);
    if (len > YN_MAX_BYTES) {
        set_diag(diag, RETAIN_ELIMIT, 1, 1, "the file is larger than the 4 MiB limit for YAML");
        return RETAIN_ELIMIT;
    }
    if (!rt_utf8_valid(text, len)) {
        set_diag(diag, RETAIN_EPARSE, 1, 1, "the file is not valid UTF-8 (or contains a NUL byte)");
        return RETAIN_EPARSE;
    }
    yn_doc *doc = rt_object_new(&e->alloc, sizeof *doc);
    if (!doc)
        return RETAIN_ENOMEM;
    builder b = { .ar = rt_object_arena(doc), .doc = doc };
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        rt_object_free(doc);
        return RETAIN_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = RETAIN_OK;
    bool done = false;
    while (rc == RETAIN_OK && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            char msg[300];
            rt_format(msg, sizeof msg, "%s%s%s", p.problem ? p.problem : "malformed YAML",
                      p.context ? " " : "", p.context ? p.context : "");
            set_diag(diag, RETAIN_EPARSE, (int)p.problem_mark.line + 1,
                     (int)p.problem_mark.column + 1, msg);
            rc = RETAIN_EPARSE;
            break;
        }
        const yaml_mark_t *m = &ev.start_mark;
        if (++b.nodes > YN_MAX_NODES) {
            set_diag(diag, RETAIN_ELIMIT, (int)m->line + 1, (int)m->column + 1,
                     "the file has more than 200000 YAML nodes");
            rc = RETAIN_ELIMIT;
        }
        switch (rc ? YAML_NO_EVENT : ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_ALIAS_EVENT:
            set_diag(diag, RETAIN_EPARSE, (int)m->line + 1, (int)m->column + 1,
                     "YAML aliases (*name) are not supported in libretain files; "
                     "write the value out");
            rc = RETAIN_EPARSE;
            break;
        case YAML_SCALAR_EVENT: {
            yn *n = new_node(&b, YN_SCALAR, m);
            char *s = n ? rt_arena_alloc(b.ar, ev.data.scalar.length + 1) : NULL;
            if (!s) {
                rc = RETAIN_ENOMEM;
                break;
            }
            memcpy(s, ev.data.scalar.value, ev.data.scalar.length);
            s[ev.data.scalar.length] = '\0';
            n->str = s;
            n->len = ev.data.scalar.length;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (strlen(s) != n->len) {
                set_diag(diag, RETAIN_EPARSE, n->line, n->column, "a value contains a NUL character");
                rc = RETAIN_EPARSE;
                break;
            }
            rc = attach(&b, n, diag);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            if (b.depth >= YN_MAX_DEPTH) {
                set_diag(diag, RETAIN_ELIMIT, (int)m->line + 1, (int)m->column + 1,
                         "YAML nesting is deeper than 64 levels");
                rc = RETAIN_ELIMIT;
                break;
            }
            yn *n = new_node(&b, ev.type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ, m);
            if (!n) {
                rc = RETAIN_ENOMEM;
                break;
            }
            rc = attach(&b, n, diag);
            if (rc == RETAIN_OK)
                b.stack[b.depth++] = (frame){ n, 0, NULL };
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            b.depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc == RETAIN_ENOMEM)
        set_diag(diag, RETAIN_ENOMEM, 0, 0, "out of memory");
    if (rc) {
        rt_object_free(doc);
        return rc;
    }
    *out = doc;
    return RETAIN_OK;
}

yn *yn_get(const yn *map, const char *key)
{
    if (!map || map->type != YN_MAP)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return map->items[i];
    return NULL;
}
