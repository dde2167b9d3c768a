/*
 * comp.h (private to src/rule) - the compiler's shared state: tokens, the
 * syntax tree, and the growing outputs. The pipeline is
 *     lex.c -> parse.c -> check.c -> gen.c (with folding through vm.c)
 * and nothing in it recurses on the input's nesting: the parser keeps its
 * own stacks, and nodes are created children first, so checking is one
 * loop and code generation walks an explicit stack.
 */
#ifndef RT_RULE_COMP_H
#define RT_RULE_COMP_H

#include "rule_impl.h"
#include "core/buf.h"

#include <stdarg.h>

typedef enum tok_kind {
    T_EOF, T_INT, T_DEC, T_FLOAT, T_MONEY, T_DURATION, T_STRING, T_IDENT,
    T_AND, T_OR, T_NOT, T_IN, T_TRUE, T_FALSE, T_NULL,
    T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_DOT,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_MATCH, T_NMATCH, T_COALESCE
} tok_kind;

typedef struct token {
    tok_kind kind;
    uint32_t pos, len;    /* bytes of the source */
    int64_t i;            /* INT value; DEC/MONEY mantissa; DURATION ms */
    int scale;            /* DEC/MONEY: decimal places of the mantissa */
    double f;             /* FLOAT and DEC */
    char cur[4];          /* MONEY currency */
    const char *s;        /* STRING: unescaped text (in the pool) */
    size_t slen;
} token;

/* Node kinds. */
enum { NK_LIT, NK_FIELD, NK_DYN, NK_NOW, NK_NEG, NK_NOT, NK_BIN, NK_CALL, NK_LIST, NK_COERCE };

/* Binary operators (NK_BIN op). */
enum {
    B_OR, B_AND, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_IN, B_NOT_IN, B_MATCH, B_NMATCH,
    B_COALESCE, B_ADD, B_SUB, B_MUL, B_DIV, B_MOD
};

/* Builtins (NK_CALL op). */
enum {
    F_NOW, F_DAYS_SINCE, F_HOURS_SINCE, F_LOCAL_HOUR, F_LOCAL_WEEKDAY, F_LOWER, F_UPPER, F_LEN,
    F_CONTAINS, F_STARTS_WITH, F_ENDS_WITH, F_MIN, F_MAX, F_ABS, F_ROUND, F_ANY, F__COUNT
};

/* Node flags. */
#define NF_CONST 0x01   /* value known at compile time */
#define NF_INTLIT 0x02  /* an integer literal (may become money) */
#define NF_DECLIT 0x04  /* a decimal literal like 50.00 (may become money) */
#define NF_CHECKED 0x08
#define NF_L2F 0x10     /* convert the left operand from int to float */
#define NF_R2F 0x20     /* the right one */
#define NF_SWAP 0x40    /* generate the right operand first (commutative ops) */
#define NF_NOTNULL 0x80 /* never null: a comparison, or logic over comparisons */

typedef struct rt_node {
    uint8_t kind, op, type, elem;
    uint8_t flags;
    uint8_t cond;       /* chosen opcode for NK_BIN / NK_CALL */
    uint16_t vmop;
    uint32_t pos;       /* the operator or the start of the operand */
    int32_t a, b;       /* children; NK_CALL / NK_LIST: first index into args, count */
    int32_t k;          /* NK_LIT: const; NK_FIELD: field; NK_DYN: dyn; MATCH: regex */
    int64_t mant;       /* numeric literals: exact value mant * 10^-scale */
    int32_t scale;
} rt_node;

/* A hash index over a growing vector of named entries (fields, dynamic
 * names): slots hold entry index + 1, 0 is empty. */
typedef struct name_ix {
    uint32_t *slots;
    size_t cap;
    size_t count;
} name_ix;

typedef struct comp {
    retain_engine *e;
    const rt_config *cfg;
    retain_rule *rule;          /* being built; owns the pool and the allocator copy */
    const char *src;
    size_t len;
    const retain_rule_options *opts;

    /* lexer */
    size_t p;
    token tok;
    token ahead;
    bool has_ahead;

    /* syntax tree */
    rt_node *nodes;
    size_t nnodes, nodes_cap;
    int32_t *args;
    size_t nargs, args_cap;
    int32_t root;

    /* outputs */
    rt_ins *code;
    uint32_t *locs;
    size_t ncode, code_cap, locs_cap;
    retain_value *consts;
    size_t nconsts, consts_cap;
    rt_regex *regex;
    size_t nregex, regex_cap;
    rt_dyn *dyn;
    size_t ndyn, dyn_cap;
    retain_rule_field *fields;
    size_t nfields, fields_cap;
    name_ix dyn_ix, fields_ix;
    uint32_t depth, max_depth;  /* VM stack, simulated */
    size_t last_target;         /* the latest jump target (no fusing across it) */
    retain_eval_ctx *fold_ctx;  /* for constant folding, made on first use */
    bool fold_ctx_small;        /* smaller than an evaluation context: grown on demand */

    /* the first error */
    int err;
    uint32_t err_pos;
    char msg[512];
} comp;

/* Record an error at byte `pos` (only the first one counts). Returns err. */
int cerr(comp *c, int code, uint32_t pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int cnomem(comp *c);

/* Grow a vector of `*cap` elements of `size` to hold `need`. */
bool cgrow(comp *c, void **v, size_t *cap, size_t need, size_t size);

/* lex.c */
void lex_init(comp *c);
/* Advance: c->tok is the next token (T_EOF with c->err set on an error). */
void lex_next(comp *c);
/* Look at the token after c->tok without consuming it. */
const token *lex_peek(comp *c);
const char *tok_name(tok_kind k);
/* The source byte offset of byte `k` of the unescaped string literal whose
 * token starts at `pos` (maps regex error offsets back into the rule). */
uint32_t lex_string_src_offset(const comp *c, uint32_t pos, size_t k);

/* parse.c: the syntax tree of the whole source in c->nodes, root c->root. */
int parse(comp *c);
int32_t node_new(comp *c, int kind, uint32_t pos);
int32_t const_add(comp *c, const retain_value *v);

/* fields.c */
typedef struct field_def {
    const char *name;
    retain_field id;
    retain_type type, elem;
} field_def;
const field_def *field_find(const char *name, size_t len);
const field_def *field_at(retain_field f);
/* Resolve a path ("customer.email", "customer.attr.tier") into a node. */
int32_t resolve_path(comp *c, const char *path, size_t len, uint32_t pos);
/* The closest of the known names to `s` (edit distance), or NULL. */
const char *suggest_name(comp *c, const char *s, size_t len, const char *const *extra,
                         size_t nextra);
/* Free the name indexes of the compiler. */
void names_free(comp *c);
int builtin_find(const char *name, size_t len);
const char *builtin_name(int f);
const char *const *builtin_names(size_t *n);

/* check.c */
int check(comp *c);
const char *type_str(int type, int elem, char *buf, size_t n);

/* gen.c */
int gen(comp *c);

#endif
