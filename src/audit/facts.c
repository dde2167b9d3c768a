/*
 * facts.c - what the journeys of a store do, read from the compiled model:
 * every send step with the events known to have happened before it (the
 * trigger, or a wait_for that matched) and whether it goes out without any
 * wait, and every journey that has a goal and a holdout group.
 */
#include "audit.h"

#include <string.h>

const char *const au_event_names[AU_NEVENTS] = {
    "order.placed", "shipment.shipped", "shipment.out_for_delivery", "shipment.delivered",
    "shipment.delayed", "feedback.received", "order.returned", "order.refunded",
    "replenishment.due",
};

static int event_bit(const char *name)
{
    for (int i = 0; name && i < AU_NEVENTS; i++)
        if (!strcmp(au_event_names[i], name))
            return i;
    return -1;
}

bool au_send_is(const au_send *s, const char *const *words)
{
    const char *tpl = s->step->u.send.template_id, *cat = s->step->u.send.category;
    for (size_t i = 0; words[i]; i++)
        if ((tpl && strstr(tpl, words[i])) || (cat && !strcmp(cat, words[i])))
            return true;
    return false;
}

/* A scratch walk over one journey's step graph. */
typedef struct walk {
    const jr_journey *j;
    unsigned *after; /* per step: AU_* bits */
    char *seen;
    int *stack, *succ;
} walk;

/* Mark `bit` on every step reachable from `from` (inclusive). With
 * `stop_at_wait`, do not go past a step that waits (it is marked). */
static void reach(walk *w, int from, unsigned bit, bool stop_at_wait)
{
    int n = w->j->nsteps, sp = 0;
    memset(w->seen, 0, (size_t)n);
    w->stack[sp++] = from;
    w->seen[from] = 1;
    while (sp) {
        int k = w->stack[--sp];
        w->after[k] |= bit;
        if (stop_at_wait && jr_step_waits(&w->j->steps[k]))
            continue;
        int m = jr_successors(w->j, k, w->succ);
        for (int i = 0; i < m; i++)
            if (!w->seen[w->succ[i]]) {
                w->seen[w->succ[i]] = 1;
                w->stack[sp++] = w->succ[i];
            }
    }
}

static int add_send(au_facts *f, const au_send *s)
{
    au_send *v = rt_grow(&f->e->alloc, f->sends, &f->capsends, f->nsends, 16, sizeof *s);
    if (!v)
        return rt_nomem(f->e);
    f->sends = v;
    f->sends[f->nsends++] = *s;
    return RETAIN_OK;
}

static int add_measured(au_facts *f, const au_measured *m)
{
    au_measured *v = rt_grow(&f->e->alloc, f->measured, &f->capmeasured, f->nmeasured, 8,
                             sizeof *m);
    if (!v)
        return rt_nomem(f->e);
    f->measured = v;
    f->measured[f->nmeasured++] = *m;
    return RETAIN_OK;
}

/* The bit that marks "reached without a wait", above the event bits. */
#define AU_IMMEDIATE (1u << AU_NEVENTS)

static int walk_journey(au_facts *f, const jr_journey *j, walk *w)
{
    int n = j->nsteps;
    if (n <= 0)
        return RETAIN_OK;
    memset(w->after, 0, (size_t)n * sizeof *w->after);
    int trig = event_bit(j->trigger_event);
    if (trig >= 0)
        reach(w, 0, 1u << trig, false);
    reach(w, 0, AU_IMMEDIATE, true);
    for (int k = 0; k < n; k++) {
        const jr_step *s = &j->steps[k];
        int ev = s->kind == JR_WAIT_FOR ? event_bit(s->u.wait_for.event) : -1;
        if (ev >= 0 && s->next >= 0)
            reach(w, s->next, 1u << ev, false); /* the path taken when the event came */
    }
    int rc = RETAIN_OK;
    au_measured m = { j, NULL, 0 };
    for (int k = 0; k < n && rc == RETAIN_OK; k++) {
        const jr_step *s = &j->steps[k];
        if (s->kind == JR_SEND) {
            au_send as = { j, s, w->after[k] & ~AU_IMMEDIATE,
                           (w->after[k] & AU_IMMEDIATE) && !jr_step_waits(s) };
            rc = add_send(f, &as);
        } else if (s->kind == JR_SPLIT && s->u.split.holdout > 0 && !m.split) {
            long total = s->u.split.holdout;
            for (int v = 0; v < s->u.split.nvariants; v++)
                total += s->u.split.variants[v].weight;
            m.split = s;
            m.holdout_pct = (int)(100L * s->u.split.holdout / total);
        }
    }
    if (rc == RETAIN_OK && j->goal_event)
        rc = add_measured(f, &m);
    return rc;
}

int au_facts_journeys(au_facts *f)
{
    int maxn = 0, maxsucc = 0;
    for (int i = 0; i < f->njourneys; i++) {
        const jr_journey *j = f->journeys[i];
        if (j->nsteps > maxn)
            maxn = j->nsteps;
        if (jr_successors_max(j) > maxsucc)
            maxsucc = jr_successors_max(j);
    }
    const retain_allocator *a = &f->e->alloc;
    size_t n = (size_t)maxn + 1;
    walk w = { NULL, rt_calloc(a, n, sizeof(unsigned)), rt_calloc(a, n, 1),
               rt_calloc(a, n, sizeof(int)), rt_calloc(a, (size_t)maxsucc + 1, sizeof(int)) };
    int rc = w.after && w.seen && w.stack && w.succ ? RETAIN_OK : rt_nomem(f->e);
    for (int i = 0; rc == RETAIN_OK && i < f->njourneys; i++) {
        w.j = f->journeys[i];
        rc = walk_journey(f, w.j, &w);
    }
    rt_free(a, w.after);
    rt_free(a, w.seen);
    rt_free(a, w.stack);
    rt_free(a, w.succ);
    return rc;
}

void au_facts_free(au_facts *f)
{
    rt_free(&f->e->alloc, f->sends);
    rt_free(&f->e->alloc, f->measured);
    rt_free(&f->e->alloc, f->journeys);
}
