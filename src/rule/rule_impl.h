/*
 * rule_impl.h (private to src/rule) - the compiled form of a rule, the
 * evaluation context, and the bytecode the VM runs.
 */
#ifndef RT_RULE_IMPL_H
#define RT_RULE_IMPL_H

#include "rule.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* --- a pool of stable memory: constants and strings a rule owns -------- */

typedef struct rt_pool_chunk rt_pool_chunk;
typedef struct rt_pool {
    const retain_allocator *alloc;
    rt_pool_chunk *head;
} rt_pool;

void rt_pool_init(rt_pool *p, const retain_allocator *a);
void *rt_pool_alloc(rt_pool *p, size_t n); /* aligned for any type; NULL on OOM */
void rt_pool_free(rt_pool *p);

/* --- bytecode ---------------------------------------------------------- */

/* Comparison conditions (operand a of the CMP ops). */
enum { RT_EQ, RT_NE, RT_LT, RT_LE, RT_GT, RT_GE };

/*
 * Opcodes. Stack effects are noted as [inputs] -> [outputs]; `a`, `b` and
 * `c` are the instruction's operands. "FK" ops read a field slot and a
 * constant directly; "J" ops also jump: when the comparison's result
 * equals the jt bit they push it and jump to c, otherwise they push
 * nothing (and/or chains of comparisons).
 */
#define RT_OPCODES(X)                                                                   \
    X(OP_RET)        /* [v] -> result */                                                \
    X(OP_CONST)      /* [] -> [consts[b]] */                                            \
    X(OP_FIELD)      /* [] -> [fields[a]] */                                            \
    X(OP_DYN)        /* [] -> [binding of dyn[b]] */                                    \
    X(OP_NOW)        /* [] -> [now] */                                                  \
    X(OP_POP)        /* [v] -> [] */                                                    \
    X(OP_COERCE)     /* [v] -> [v as type a or null]: int -> float, checks of any */    \
    X(OP_NEG_I) X(OP_NEG_F) X(OP_NEG_M)                                                 \
    /* int64 arithmetic; a = type of the result (int, time, duration) */                \
    X(OP_ADD_I) X(OP_SUB_I) X(OP_MUL_I) X(OP_DIV_I) X(OP_MOD_I)                         \
    X(OP_ADD_F) X(OP_SUB_F) X(OP_MUL_F) X(OP_DIV_F) X(OP_MOD_F)                         \
    X(OP_ADD_M) X(OP_SUB_M)  /* money +- money */                                       \
    X(OP_MUL_MI) X(OP_MUL_MF) /* money * int|float */                                   \
    X(OP_DIV_MI) X(OP_DIV_MF) /* money / int|float */                                   \
    X(OP_DIV_MM)             /* money / money -> float */                               \
    X(OP_MUL_DF) X(OP_DIV_DF) /* duration * / float -> duration */                      \
    X(OP_DIV_DD)             /* duration / duration -> float */                         \
    /* [x y] -> [bool], a = RT_EQ ... RT_GE; null or a mismatch gives false */          \
    X(OP_CMP_I) X(OP_CMP_F) X(OP_CMP_S) X(OP_CMP_B) X(OP_CMP_M) X(OP_CMP_DYN)           \
    /* [x] -> [bool]: x compared (a & 7) with consts[b] */                              \
    X(OP_CMP_I_K) X(OP_CMP_F_K) X(OP_CMP_S_K) X(OP_CMP_M_K)                             \
    /* [] -> [bool]: fields[a >> 4] compared (a & 7) with consts[b] */                  \
    X(OP_CMP_I_FK) X(OP_CMP_F_FK) X(OP_CMP_S_FK) X(OP_CMP_M_FK)                         \
    /* the same, jumping to c when the result is the jt bit (a & 8) */                  \
    X(OP_CMP_I_FKJ) X(OP_CMP_F_FKJ) X(OP_CMP_S_FKJ) X(OP_CMP_M_FKJ)                     \
    X(OP_IS_NULL) X(OP_NOT_NULL)                                                        \
    X(OP_NOT)                                                                           \
    X(OP_AND)        /* [l] -> [l], jump to b if l is false */                          \
    X(OP_AND2)       /* [l r] -> [l and r] (three-valued) */                            \
    X(OP_OR)         /* [l] -> [l], jump to b if l is true */                           \
    X(OP_OR2)                                                                           \
    X(OP_JFP)        /* [l] -> [l] and jump to b if l is false, else [] */              \
    X(OP_JTP)        /* [l] -> [l] and jump to b if l is true, else [] */               \
    X(OP_JNN)        /* [v] -> [v] and jump to b if v is not null, else [] */           \
    X(OP_IN)         /* [x list] -> [bool]; a = 1: not in */                            \
    X(OP_IN_K)       /* [x] -> [bool] with the list consts[b]; a = 1: not in */         \
    X(OP_IN_FK)      /* [] -> [bool]: fields[a >> 4] in consts[b]; a & 1: not in */     \
    X(OP_IN_FKJ)     /* the same, jumping to c when the result is the jt bit (a & 8) */ \
    X(OP_MATCH)      /* [s] -> [bool] with regex[b]; a = 1: !~ */                       \
    X(OP_LIST)       /* [v1..vn] -> [list], n = b (the items go to scratch) */          \
    X(OP_DAYS_SINCE) X(OP_HOURS_SINCE) X(OP_LOCAL_HOUR) X(OP_LOCAL_WDAY)                \
    X(OP_LOWER) X(OP_UPPER) X(OP_LEN)                                                   \
    X(OP_CONTAINS) X(OP_STARTS) X(OP_ENDS)                                              \
    X(OP_MIN) X(OP_MAX)      /* b arguments */                                          \
    X(OP_MINL) X(OP_MAXL)    /* of a list */                                            \
    X(OP_ABS_I) X(OP_ABS_F) X(OP_ABS_M)                                                 \
    X(OP_ROUND_F) X(OP_ROUND_FN) X(OP_ROUND_M)                                          \
    X(OP_ANY)        /* [list v] -> [bool] */                                           \
    X(OP_ANY_L)      /* [list list] -> [bool] */

#define RT_OP_ENUM(name) name,
typedef enum rt_opcode { RT_OPCODES(RT_OP_ENUM) OP__COUNT } rt_opcode;
#undef RT_OP_ENUM

typedef struct rt_ins {
    uint16_t op;
    uint16_t a;
    int32_t b;
    int32_t c;
} rt_ins;

/* A dynamic name and its precomputed hash for the context's table. */
typedef struct rt_dyn {
    const char *name;
    uint32_t len;
    uint64_t hash;
    retain_type type; /* declared type, RETAIN_TYPE_ANY if none */
} rt_dyn;

typedef struct rt_regex {
    pcre2_code *code;
    bool jit;
    uint32_t pos; /* the pattern's offset in the source */
} rt_regex;

/* What the VM runs: the rule's arrays (also a rule under construction,
 * for constant folding). */
typedef struct rt_prog {
    const rt_ins *code;
    const uint32_t *locs;       /* byte offset in the source of each instruction */
    const retain_value *consts;
    const rt_regex *regex;
    const rt_dyn *dyn;
    uint32_t max_stack;
} rt_prog;

struct retain_rule {
    retain_allocator alloc;
    rt_prog prog;
    rt_ins *code;
    uint32_t *locs;
    size_t ncode;
    retain_value *consts;
    size_t nconsts;
    rt_regex *regex;
    size_t nregex;
    rt_dyn *dyn;
    size_t ndyn;
    retain_rule_field *fields;
    size_t nfields;
    uint64_t field_mask;     /* bit f set when fields[f] is read */
    unsigned int needs;      /* RETAIN_RULE_NEEDS_* */
    retain_type type, elem;
    char *src;               /* copy of the source, NUL-terminated */
    size_t src_len;
    int base_line, base_col;
    pcre2_general_context *gctx;
    rt_pool pool;
};

/* --- the evaluation context -------------------------------------------- */

/* Memory written during evaluation. The public context is passed const:
 * everything mutable sits behind this pointer. */
typedef struct rt_work {
    retain_value *stack;
    size_t stack_cap;
    char *scratch;          /* lower(), upper(), list literals */
    size_t scratch_cap;
    size_t scratch_used;
    pcre2_general_context *gctx;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
    size_t max_subject;
    retain_diag diag;       /* the last error */
    char errmsg[600];       /* the same as one line: "1:17: message" */
} rt_work;

typedef struct rt_dyn_slot {
    uint64_t hash;
    uint32_t name_off;      /* into names */
    uint32_t len;           /* 0: empty slot */
    retain_value v;
} rt_dyn_slot;

struct retain_eval_ctx {
    retain_value fields[RETAIN_FIELD_COUNT];
    int64_t now;
    bool has_now;
    const rt_tz *tz;
    rt_dyn_slot *dyn;
    size_t dyn_cap;         /* power of two */
    size_t dyn_count;
    char *names;
    size_t names_len, names_cap;
    rt_work *work;
    retain_allocator alloc;
};

/* Size of the VM stack a context gets (and a compiled rule may use). */
static inline size_t rt_stack_cap(const rt_config *c)
{
    return (size_t)c->rule_max_depth * 2 + c->rule_max_list + 64;
}

/* Scratch bytes a context gets: strings made by lower()/upper() and list
 * literals with run-time elements share this per evaluation. */
static inline size_t rt_scratch_cap(const rt_config *c)
{
    size_t n = c->regex_max_subject * 2 + c->rule_max_list * sizeof(retain_value);
    return n < 4096 ? 4096 : n;
}

/* FNV-1a of a dynamic name. */
static inline uint64_t rt_name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The binding of a dynamic name; NULL when unbound. */
const retain_value *rt_ctx_dyn_find(const retain_eval_ctx *ctx, uint64_t hash, const char *name,
                                    size_t len);

/* Create a context from a config; the _sized form with a smaller stack
 * and scratch (the compiler's, for folding). */
int rt_ctx_create(retain_eval_ctx **out, const retain_allocator *a, const rt_config *cfg);
int rt_ctx_create_sized(retain_eval_ctx **out, const retain_allocator *a, const rt_config *cfg,
                        size_t stack_cap, size_t scratch_cap);

/* Run prog from instruction `pc`; the result goes to *out. RETAIN_OK or
 * RETAIN_ELIMIT (ctx->work->diag.message says which limit; the caller
 * adds the location from prog->locs[*err_pc]). */
int rt_vm_run(const rt_prog *prog, size_t pc, const retain_eval_ctx *ctx, retain_value *out,
              size_t *err_pc);

/* The error of retain_rule_eval called with a NULL argument. */
int rt_eval_bad_args(const retain_rule *r, const retain_eval_ctx *ctx);

/* "CMP_I_FK" for OP_CMP_I_FK (disassembly in tests and tools). */
const char *rt_op_name(int op);

/* --- value helpers shared by the VM, the compiler and the context ------- */

/* Compare two values of any types. Returns false when they are not
 * comparable (null, different types, different currencies); otherwise
 * *ord is <0, 0 or >0. Ints and floats compare as numbers. */
bool rt_value_cmp(const retain_value *a, const retain_value *b, int *ord);

/* Compare decimals a*10^-sa and b*10^-sb exactly. */
int rt_decimal_cmp(int64_t a, int sa, int64_t b, int sb);

/* Case mapping of one code point (Latin, Greek, Cyrillic, Armenian). */
uint32_t rt_unicode_lower(uint32_t c);
uint32_t rt_unicode_upper(uint32_t c);

/* pcre2 memory functions: `data` is a retain_allocator. */
void *rt_pcre_malloc(PCRE2_SIZE n, void *data);
void rt_pcre_free(void *p, void *data);

/* Fill a diag: message, and line/column/snippet from `pos` in `src`. */
void rt_diag_at(retain_diag *d, int code, const char *src, size_t len, size_t pos, int base_line,
                int base_col, const char *msg);

#endif
