/*
 * gen.c - bytecode from the checked tree. The walk keeps its own stack.
 *
 * - Constant subtrees are compiled, run once on the VM right away and
 *   replaced by their value, so folding has exactly the run-time semantics.
 * - "field op constant" and "expression op constant" comparisons become
 *   one fused instruction.
 * - A chain "a and b and c" whose operands cannot be null (comparisons)
 *   becomes "test a, jump out if false; test b, jump out if false; c",
 *   with the test and the jump fused when the test is a fused comparison.
 *   Operands that may be null keep three-valued and / or.
 * - Jumps that land on a jump taking the same branch are threaded through.
 */
#include "comp.h"

#include <string.h>

typedef struct frame {
    int32_t node;
    int32_t next;         /* children emitted so far */
    int32_t jmp;          /* pending jumps to the end (a list through their operands) */
    int32_t fold_start;   /* code index where a folded subtree starts, or -1 */
    uint32_t fold_depth;  /* VM depth before it */
    int32_t chain_start;  /* fast and/or chain: operands in c->args */
    int32_t chain_count;  /* 0: not a chain */
    bool entered;
} frame;

static int effect(int op, int32_t b)
{
    switch (op) {
    case OP_CONST: case OP_FIELD: case OP_DYN: case OP_NOW:
    case OP_CMP_I_FK: case OP_CMP_F_FK: case OP_CMP_S_FK: case OP_CMP_M_FK: case OP_IN_FK:
        return 1;
    case OP_ADD_I: case OP_SUB_I: case OP_MUL_I: case OP_DIV_I: case OP_MOD_I:
    case OP_ADD_F: case OP_SUB_F: case OP_MUL_F: case OP_DIV_F: case OP_MOD_F:
    case OP_ADD_M: case OP_SUB_M: case OP_MUL_MI: case OP_MUL_MF: case OP_DIV_MI:
    case OP_DIV_MF: case OP_DIV_MM: case OP_MUL_DF: case OP_DIV_DF: case OP_DIV_DD:
    case OP_CMP_I: case OP_CMP_F: case OP_CMP_S: case OP_CMP_B: case OP_CMP_M: case OP_CMP_DYN:
    case OP_AND2: case OP_OR2: case OP_JNN: case OP_JFP: case OP_JTP: case OP_POP:
    case OP_IN: case OP_CONTAINS: case OP_STARTS: case OP_ENDS: case OP_ROUND_FN: case OP_ANY:
    case OP_ANY_L: case OP_RET:
        return -1;
    case OP_LIST: case OP_MIN: case OP_MAX:
        return 1 - (int)b;
    default:
        return 0; /* the fall-through effect of the jumping forms is 0 too */
    }
}

static int32_t emit(comp *c, int op, int a, int32_t b, uint32_t pos)
{
    if (!cgrow(c, (void **)&c->code, &c->code_cap, c->ncode + 1, sizeof *c->code) ||
        !cgrow(c, (void **)&c->locs, &c->locs_cap, c->ncode + 1, sizeof *c->locs)) {
        cnomem(c);
        return -1;
    }
    c->code[c->ncode] = (rt_ins){ (uint16_t)op, (uint16_t)a, b, -1 };
    c->locs[c->ncode] = pos;
    c->depth = (uint32_t)((int)c->depth + effect(op, b));
    if (c->depth > c->max_depth)
        c->max_depth = c->depth;
    return (int32_t)c->ncode++;
}

/* Drop the last instruction (to fuse it with the next one). */
static rt_ins unemit(comp *c)
{
    rt_ins in = c->code[--c->ncode];
    c->depth = (uint32_t)((int)c->depth - effect(in.op, in.b));
    return in;
}

static bool is_fkj(int op)
{
    return op == OP_CMP_I_FKJ || op == OP_CMP_F_FKJ || op == OP_CMP_S_FKJ ||
           op == OP_CMP_M_FKJ || op == OP_IN_FKJ;
}

/* Where a jumping instruction keeps its target. */
static int32_t *target_of(rt_ins *in)
{
    return is_fkj(in->op) ? &in->c : &in->b;
}

/* Deep copy of a folded value into the rule's pool. */
static bool copy_value(comp *c, retain_value *v)
{
    if (v->type == RETAIN_TYPE_STRING) {
        char *s = rt_pool_alloc(&c->rule->pool, v->u.str.len + 1);
        if (!s)
            return false;
        if (v->u.str.len)
            memcpy(s, v->u.str.ptr, v->u.str.len);
        s[v->u.str.len] = '\0';
        v->u.str.ptr = s;
    } else if (v->type == RETAIN_TYPE_LIST && v->u.list.count) {
        retain_value *items = rt_pool_alloc(&c->rule->pool, v->u.list.count * sizeof *items);
        if (!items)
            return false;
        memcpy(items, v->u.list.items, v->u.list.count * sizeof *items);
        for (size_t i = 0; i < v->u.list.count; i++)
            if (!copy_value(c, &items[i]))
                return false;
        v->u.list.items = items;
    }
    return true;
}

/* The compiler's context: small at first (folding a constant list or an
 * arithmetic expression needs little), as large as an evaluation context
 * when a fold needs more, so limits are those of evaluation. */
static int make_fold_ctx(comp *c, bool full)
{
    size_t stack = rt_stack_cap(c->cfg), scratch = rt_scratch_cap(c->cfg);
    if (!full && c->max_depth < 256 && scratch > 8192) {
        stack = 256;
        scratch = 8192;
    }
    retain_eval_ctx_free(c->fold_ctx);
    c->fold_ctx = NULL;
    if (rt_ctx_create_sized(&c->fold_ctx, &c->rule->alloc, c->cfg, stack,
                            scratch < rt_scratch_cap(c->cfg) ? scratch : rt_scratch_cap(c->cfg)))
        return cnomem(c);
    c->fold_ctx_small = stack < rt_stack_cap(c->cfg) || scratch < rt_scratch_cap(c->cfg);
    return RETAIN_OK;
}

static int fold(comp *c, const frame *f)
{
    rt_node *n = &c->nodes[f->node];
    if (emit(c, OP_RET, 0, 0, n->pos) < 0)
        return c->err;
    if ((!c->fold_ctx || (c->fold_ctx_small && c->max_depth > c->fold_ctx->work->stack_cap)) &&
        make_fold_ctx(c, c->fold_ctx != NULL))
        return c->err;
    if (c->max_depth > c->fold_ctx->work->stack_cap)
        return cerr(c, RETAIN_ELIMIT, n->pos,
                    "expression too complex to evaluate (it needs %u stack slots)",
                    (unsigned)c->max_depth);
    rt_prog prog = { c->code, c->locs, c->consts, c->regex, c->dyn, 0 };
    retain_value v;
    size_t err_pc = 0;
    int rc = rt_vm_run(&prog, (size_t)f->fold_start, c->fold_ctx, &v, &err_pc);
    if (rc == RETAIN_ELIMIT && c->fold_ctx_small) {
        if (make_fold_ctx(c, true))
            return c->err;
        rc = rt_vm_run(&prog, (size_t)f->fold_start, c->fold_ctx, &v, &err_pc);
    }
    if (rc)
        return cerr(c, rc, c->locs[err_pc], "%s", c->fold_ctx->work->diag.message);
    if (!copy_value(c, &v))
        return cnomem(c);
    int32_t k = const_add(c, &v);
    if (k < 0)
        return cnomem(c);
    c->ncode = (size_t)f->fold_start;
    c->depth = f->fold_depth;
    if (c->last_target > c->ncode)
        c->last_target = c->ncode;
    return emit(c, OP_CONST, 0, k, n->pos) < 0 ? c->err : RETAIN_OK;
}

static bool is_and_or(const rt_node *n)
{
    return n->kind == NK_BIN && (n->vmop == OP_AND || n->vmop == OP_OR);
}

/* For an and/or node whose operands cannot be null, list the operands of
 * the whole left-leaning chain ((a and b) and c) in c->args. */
static bool make_chain(comp *c, frame *f)
{
    rt_node *n = &c->nodes[f->node];
    if (!is_and_or(n) || !(c->nodes[n->a].flags & NF_NOTNULL))
        return false;
    int op = n->vmop;
    size_t count = 1; /* the leftmost operand, plus one per spine node */
    int32_t x = f->node;
    /* A constant and/or inside the spine is folded on its own: stop there. */
    while (is_and_or(&c->nodes[x]) && c->nodes[x].vmop == op &&
           (x == f->node || !(c->nodes[x].flags & NF_CONST)) &&
           (c->nodes[c->nodes[x].a].flags & NF_NOTNULL)) {
        count++;
        x = c->nodes[x].a;
    }
    if (!cgrow(c, (void **)&c->args, &c->args_cap, c->nargs + count, sizeof *c->args))
        return false;
    /* x is the leftmost operand; the right operands come back up the spine. */
    size_t at = c->nargs + count;
    int32_t y = f->node;
    for (size_t i = 1; i < count; i++) {
        c->args[--at] = c->nodes[y].b;
        y = c->nodes[y].a;
    }
    c->args[--at] = y;
    f->chain_start = (int32_t)c->nargs;
    f->chain_count = (int32_t)count;
    c->nargs += count;
    return true;
}

static int nchildren(const comp *c, const frame *f)
{
    const rt_node *n = &c->nodes[f->node];
    if (f->chain_count)
        return f->chain_count;
    switch (n->kind) {
    case NK_NEG: case NK_NOT: case NK_COERCE:
        return 1;
    case NK_BIN:
        if (n->vmop == OP_MATCH || n->vmop == OP_IS_NULL || n->vmop == OP_NOT_NULL)
            return 1;
        return 2;
    case NK_CALL: case NK_LIST:
        return n->b;
    default:
        return 0;
    }
}

static int32_t child(const comp *c, const frame *f, int i)
{
    const rt_node *n = &c->nodes[f->node];
    if (f->chain_count)
        return c->args[f->chain_start + i];
    switch (n->kind) {
    case NK_BIN:
        if (n->flags & NF_SWAP)
            return i == 0 ? n->b : n->a;
        return i == 0 ? n->a : n->b;
    case NK_CALL: case NK_LIST:
        return c->args[n->a + i];
    default:
        return n->a;
    }
}

static bool last_is(const comp *c, size_t back, int op)
{
    return c->ncode >= back && c->ncode - back >= c->last_target &&
           c->code[c->ncode - back].op == op;
}

/* Leave the chain early when the operand just computed is `jt` (false
 * for and, true for or): fused into the comparison when possible. */
static void chain_jump(comp *c, frame *f, bool jt, uint32_t pos)
{
    static const struct {
        uint16_t plain, jump;
    } fuse[] = { { OP_CMP_I_FK, OP_CMP_I_FKJ }, { OP_CMP_F_FK, OP_CMP_F_FKJ },
                 { OP_CMP_S_FK, OP_CMP_S_FKJ }, { OP_CMP_M_FK, OP_CMP_M_FKJ },
                 { OP_IN_FK, OP_IN_FKJ } };
    for (size_t i = 0; i < sizeof fuse / sizeof fuse[0]; i++) {
        if (last_is(c, 1, fuse[i].plain)) {
            rt_ins in = unemit(c);
            int32_t k = emit(c, fuse[i].jump, in.a | (jt ? 8 : 0), in.b, c->locs[c->ncode]);
            if (k >= 0) {
                c->code[k].c = f->jmp;
                f->jmp = k;
            }
            return;
        }
    }
    int32_t k = emit(c, jt ? OP_JTP : OP_JFP, 0, f->jmp, pos);
    if (k >= 0)
        f->jmp = k;
}

/* Point every pending jump of the frame at the current end. */
static void patch_here(comp *c, frame *f)
{
    for (int32_t j = f->jmp; j >= 0;) {
        int32_t *t = target_of(&c->code[j]);
        int32_t next = *t;
        *t = (int32_t)c->ncode;
        j = next;
    }
    f->jmp = -1;
    c->last_target = c->ncode;
}

/* Replace "FIELD f; CONST k; CMP" or "CONST k; CMP" with one instruction. */
static bool fuse_compare(comp *c, const rt_node *n)
{
    int fk, k_op;
    switch (n->vmop) {
    case OP_CMP_I: fk = OP_CMP_I_FK; k_op = OP_CMP_I_K; break;
    case OP_CMP_F: fk = OP_CMP_F_FK; k_op = OP_CMP_F_K; break;
    case OP_CMP_S: fk = OP_CMP_S_FK; k_op = OP_CMP_S_K; break;
    case OP_CMP_M: fk = OP_CMP_M_FK; k_op = OP_CMP_M_K; break;
    default: return false;
    }
    if (!(c->nodes[n->b].flags & NF_CONST) || !last_is(c, 1, OP_CONST))
        return false;
    int32_t k = c->code[c->ncode - 1].b;
    if (c->consts[k].type == RETAIN_TYPE_NULL)
        return false;
    unemit(c);
    if (c->nodes[n->a].kind == NK_FIELD && last_is(c, 1, OP_FIELD)) {
        rt_ins f = unemit(c);
        emit(c, fk, f.a << 4 | n->cond, k, n->pos);
    } else {
        emit(c, k_op, n->cond, k, n->pos);
    }
    return true;
}

static int post(comp *c, frame *f)
{
    rt_node *n = &c->nodes[f->node];
    if (f->chain_count) {
        patch_here(c, f);
    } else {
        switch (n->kind) {
        case NK_LIT:
            emit(c, OP_CONST, 0, n->k, n->pos);
            break;
        case NK_FIELD:
            emit(c, OP_FIELD, n->k, 0, n->pos);
            break;
        case NK_DYN:
            emit(c, OP_DYN, 0, n->k, n->pos);
            if (c->dyn[n->k].type != RETAIN_TYPE_ANY)
                emit(c, OP_COERCE, c->dyn[n->k].type, 0, n->pos);
            break;
        case NK_NOW:
            emit(c, OP_NOW, 0, 0, n->pos);
            break;
        case NK_COERCE:
            emit(c, OP_COERCE, n->type, 0, n->pos);
            break;
        case NK_NEG:
        case NK_NOT:
            emit(c, n->vmop, 0, 0, n->pos);
            break;
        case NK_LIST:
            emit(c, OP_LIST, n->elem, n->b, n->pos);
            break;
        case NK_CALL:
            emit(c, n->vmop, 0, n->vmop == OP_MIN || n->vmop == OP_MAX ? n->b : 0, n->pos);
            break;
        case NK_BIN:
            if (n->vmop == OP_AND || n->vmop == OP_OR) {
                emit(c, n->vmop == OP_AND ? OP_AND2 : OP_OR2, 0, 0, n->pos);
                patch_here(c, f);
            } else if (n->vmop == OP_JNN) {
                patch_here(c, f);
            } else if (n->vmop == OP_MATCH) {
                emit(c, OP_MATCH, n->cond, n->k, n->pos);
            } else if (n->vmop == OP_IN) {
                if ((c->nodes[n->b].flags & NF_CONST) && last_is(c, 1, OP_CONST)) {
                    int32_t k = unemit(c).b;
                    if (c->nodes[n->a].kind == NK_FIELD && last_is(c, 1, OP_FIELD)) {
                        rt_ins fi = unemit(c);
                        emit(c, OP_IN_FK, fi.a << 4 | n->cond, k, n->pos);
                    } else {
                        emit(c, OP_IN_K, n->cond, k, n->pos);
                    }
                } else {
                    emit(c, OP_IN, n->cond, 0, n->pos);
                }
            } else if (!fuse_compare(c, n)) {
                emit(c, n->vmop, n->cond, 0, n->pos);
            }
            break;
        default:
            break;
        }
    }
    if (c->err)
        return c->err;
    if (f->fold_start >= 0)
        return fold(c, f);
    return RETAIN_OK;
}

/* A jump that delivers `v` to an instruction that would jump again on `v`
 * can go straight to that instruction's target. */
static void thread_jumps(comp *c)
{
    for (size_t i = 0; i < c->ncode; i++) {
        rt_ins *in = &c->code[i];
        int delivers; /* 0 false, 1 true */
        switch (in->op) {
        case OP_AND: case OP_JFP: delivers = 0; break;
        case OP_OR: case OP_JTP: delivers = 1; break;
        default:
            if (!is_fkj(in->op))
                continue;
            delivers = (in->a & 8) != 0;
            break;
        }
        int32_t *t = target_of(in);
        for (int hops = 0; hops < 64 && *t >= 0 && (size_t)*t < c->ncode; hops++) {
            const rt_ins *to = &c->code[*t];
            bool again = delivers ? (to->op == OP_JTP || to->op == OP_OR)
                                  : (to->op == OP_JFP || to->op == OP_AND);
            if (!again)
                break;
            *t = to->b;
        }
    }
}

int gen(comp *c)
{
    frame *st = NULL;
    size_t nst = 0, cap = 0;
    bool folding = false;
    if (!cgrow(c, (void **)&st, &cap, 1, sizeof *st))
        return c->err;
    st[nst++] = (frame){ c->root, 0, -1, -1, 0, 0, 0, false };
    while (nst && !c->err) {
        frame *f = &st[nst - 1];
        rt_node *n = &c->nodes[f->node];
        if (!f->entered) {
            f->entered = true;
            if ((n->flags & NF_CONST) && n->kind != NK_LIT && !folding) {
                f->fold_start = (int32_t)c->ncode;
                f->fold_depth = c->depth;
                folding = true;
            }
            if (!make_chain(c, f) && c->err)
                break;
        }
        int nk = nchildren(c, f);
        if (f->next < nk) {
            if (f->next >= 1) {
                if (f->chain_count)
                    chain_jump(c, f, n->vmop == OP_OR, n->pos);
                else if (f->next == 1 && n->kind == NK_BIN &&
                         (n->vmop == OP_AND || n->vmop == OP_OR || n->vmop == OP_JNN))
                    f->jmp = emit(c, n->vmop, 0, -1, n->pos);
            }
            int32_t ch = child(c, f, f->next);
            f->next++;
            if (!cgrow(c, (void **)&st, &cap, nst + 1, sizeof *st))
                break;
            st[nst++] = (frame){ ch, 0, -1, -1, 0, 0, 0, false };
            continue;
        }
        if (f->fold_start >= 0)
            folding = false;
        if (post(c, f))
            break;
        nst--;
    }
    rt_free(&c->rule->alloc, st);
    if (c->err)
        return c->err;
    emit(c, OP_RET, 0, 0, c->nodes[c->root].pos);
    thread_jumps(c);
    if (c->max_depth > rt_stack_cap(c->cfg))
        return cerr(c, RETAIN_ELIMIT, c->nodes[c->root].pos,
                    "expression too complex to evaluate: it needs %u stack slots, the limit is "
                    "%zu (raise options.rule_max_depth)",
                    (unsigned)c->max_depth, rt_stack_cap(c->cfg));
    return c->err;
}
