/* task_store.c - agents and tasks: the registry, creation, routing (the
 * choice itself is src/domain/route.c), claims, outcomes and listings. */
#include "task_store.h"
#include "event.h"
#include "core/check.h"
#include "domain/route.h"
#include "tz/tz.h"
#include "retain/task.h"

#include <math.h>
#include <string.h>

#define SKILLS_MAX 1024

/* "call, chat" -> ",call,chat,"; "*" stays "*". */
static int normalize_skills(retain_engine *e, const char *in, char *out, size_t size)
{
    if (!in || !*in)
        return rt_error(e, RETAIN_EINVAL, "agent.skills is required: task kinds like \"call,chat\""
                                          " or \"*\"");
    if (!strcmp(in, "*")) {
        rt_copy(out, size, "*");
        return RETAIN_OK;
    }
    size_t n = 0;
    out[n++] = ',';
    for (const char *p = in; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        size_t len = (size_t)(p - start);
        if (!len)
            continue;
        char name[RT_NAME_MAX + 1];
        if (len > RT_NAME_MAX || n + len + 2 > size)
            return rt_error(e, RETAIN_EINVAL, "agent.skills is too long");
        memcpy(name, start, len);
        name[len] = '\0';
        int rc = rt_check_name(e, "agent.skills entry", name);
        if (rc)
            return rc;
        memcpy(out + n, name, len);
        n += len;
        out[n++] = ',';
    }
    out[n] = '\0';
    if (n == 1)
        return rt_error(e, RETAIN_EINVAL, "agent.skills names no task kind");
    return RETAIN_OK;
}

static int check_agent(retain_engine *e, const retain_agent *a, char *skills, size_t size)
{
    int rc;
    if ((rc = rt_check_ptr(e, "agent", a)))
        return rc;
    if (a->version == 0 || a->version > RETAIN_AGENT_VERSION)
        return rt_error(e, RETAIN_EINVAL, "agent.version is %u; initialize with RETAIN_AGENT_INIT",
                        a->version);
    if ((rc = rt_check_id(e, "agent.id", a->id)) ||
        (rc = rt_check_text(e, "agent.name", a->name, RT_TEXT_MAX)) ||
        (rc = normalize_skills(e, a->skills, skills, size)))
        return rc;
    if (a->work_start_minute < 0 || a->work_start_minute > 1439 || a->work_end_minute < 0 ||
        a->work_end_minute > 1440)
        return rt_error(e, RETAIN_EINVAL, "agent working hours are minutes of the day: start "
                        "0..1439, end 0..1440 (got %d..%d)", a->work_start_minute,
                        a->work_end_minute);
    if (a->weekdays > 0x7f)
        return rt_error(e, RETAIN_EINVAL, "agent.weekdays 0x%x has bits beyond Saturday (0x40)",
                        a->weekdays);
    if (a->timezone) {
        const rt_tz *z;
        if ((rc = rt_check_text(e, "agent.timezone", a->timezone, 64)) ||
            (rc = rt_tz_get(e, a->timezone, &z)))
            return rc;
    }
    return RETAIN_OK;
}

int retain_agent_upsert(retain_engine *e, const retain_agent *a, int64_t now)
{
    static const char sql[] =
        "INSERT INTO agent(ext_id,name,skills,timezone,work_start,work_end,weekdays,active,"
        "created_at,updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)"
        " ON CONFLICT(ext_id) DO UPDATE SET name=excluded.name, skills=excluded.skills,"
        " timezone=excluded.timezone, work_start=excluded.work_start,"
        " work_end=excluded.work_end, weekdays=excluded.weekdays, active=excluded.active,"
        " updated_at=excluded.updated_at";
    RT_ENGINE_GUARD(e);
    char skills[SKILLS_MAX];
    int rc = rt_check_writable(e);
    if (rc || (rc = check_agent(e, a, skills, sizeof skills)) ||
        (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)) == RETAIN_OK) {
        rt_bind_textn(st, 1, a->id, -1, SQLITE_STATIC);
        rt_bind_text(st, 2, a->name);
        rt_bind_textn(st, 3, skills, -1, SQLITE_STATIC);
        rt_bind_text(st, 4, a->timezone);
        rt_bind_int(st, 5, a->work_start_minute);
        rt_bind_int(st, 6, a->work_end_minute);
        rt_bind_int(st, 7, (int)a->weekdays);
        rt_bind_int(st, 8, a->active != 0);
        rt_bind_int64(st, 9, now);
        int src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            rc = rt_sqlerr(e, src, "saving agent");
    }
    return rt_tx_end(e, rc);
}

/* Run a query that yields one JSON text and hand a copy to the caller. */
static int json_query(char **json_out, retain_engine *e, rt_st *st, const char *doing)
{
    int src = rt_sqlstep(st);
    int rc;
    if (src == SQLITE_ROW) {
        *json_out = rt_strdup(&e->alloc, rt_col_text(st, 0) ? rt_col_text(st, 0) : "[]");
        rc = *json_out ? RETAIN_OK : rt_nomem(e);
    } else {
        rc = rt_sqlerr(e, src, doing);
    }
    rt_reset(st);
    return rc;
}

int retain_agent_list(char **json_out, retain_engine *e)
{
    static const char sql[] =
        "SELECT coalesce(json_group_array(json_object('id',a.ext_id,'name',a.name,"
        " 'skills',a.skills,'active',json(CASE WHEN a.active<>0 THEN 'true' ELSE 'false' END),"
        " 'held',(SELECT count(*) FROM task t WHERE t.agent=a.id AND t.state='assigned'),"
        " 'kinds',(SELECT coalesce(json_group_object(kind,json_object('completed',n,"
        "   'converted',c)),'{}') FROM (SELECT kind, count(*) AS n, sum(converted) AS c"
        "   FROM task t WHERE t.agent=a.id AND t.state='done' GROUP BY kind)))),'[]')"
        " FROM (SELECT * FROM agent ORDER BY ext_id) a";
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "json_out", json_out);
    if (rc)
        return rc;
    *json_out = NULL;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    return json_query(json_out, e, st, "listing agents");
}

int retain_task_routing_set(retain_engine *e, const retain_task_routing *r)
{
    static const char sql[] = "UPDATE task_routing SET explore=?1, max_open=?2 WHERE id=1";
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "routing", r)))
        return rc;
    if (r->version == 0 || r->version > RETAIN_TASK_ROUTING_VERSION)
        return rt_error(e, RETAIN_EINVAL, "routing.version is %u; initialize with "
                        "RETAIN_TASK_ROUTING_INIT", r->version);
    if (!isfinite(r->explore) || r->explore < 0 || r->explore > 0.5)
        return rt_error(e, RETAIN_EINVAL, "routing.explore is %g; give a share from 0 to 0.5",
                        r->explore);
    if (r->max_open_per_agent < 0)
        return rt_error(e, RETAIN_EINVAL, "routing.max_open_per_agent is %d; 0 means no limit",
                        r->max_open_per_agent);
    if ((rc = rt_tx_begin(e)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)) == RETAIN_OK) {
        rt_bind_double(st, 1, r->explore);
        rt_bind_int(st, 2, r->max_open_per_agent);
        int src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            rc = rt_sqlerr(e, src, "saving task routing");
    }
    return rt_tx_end(e, rc);
}

/* ---- routing ------------------------------------------------------------ */

typedef struct cands {
    rt_route_cand *v;
    size_t n, cap;
} cands;

static int cands_push(retain_engine *e, cands *c, const rt_route_cand *x)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        rt_route_cand *v = rt_realloc(&e->alloc, c->v, cap * sizeof *v);
        if (!v)
            return rt_nomem(e);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = *x;
    return RETAIN_OK;
}

/* The agents that could take a task of `kind` at `now`. */
static int eligible(retain_engine *e, const char *kind, int64_t now, int max_open, cands *out)
{
    static const char sql[] =
        "SELECT a.id, a.timezone, a.work_start, a.work_end, a.weekdays,"
        " (SELECT count(*) FROM task t WHERE t.agent=a.id AND t.state='assigned'),"
        " (SELECT count(*) FROM task t WHERE t.agent=a.id AND t.kind=?1 AND t.state='done'),"
        " (SELECT coalesce(sum(t.converted),0) FROM task t WHERE t.agent=a.id AND t.kind=?1"
        "   AND t.state='done')"
        " FROM agent a WHERE a.active<>0 AND (a.skills='*' OR instr(a.skills,','||?1||',')>0)"
        " ORDER BY a.id";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, kind, -1, SQLITE_STATIC);
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        rt_route_cand c = { rt_column_int64(st, 0), rt_column_int64(st, 6),
                            rt_column_int64(st, 7), rt_column_int64(st, 5) };
        if (max_open && c.held >= max_open)
            continue;
        const rt_tz *z = NULL;
        const char *zone = rt_col_text(st, 1);
        if ((rc = rt_tz_get(e, zone ? zone : e->cfg.default_timezone, &z)))
            break;
        int64_t local = now + (int64_t)rt_tz_offset(z, now) * 1000;
        if (rt_route_on_shift(local, rt_column_int(st, 2), rt_column_int(st, 3),
                              (unsigned)rt_column_int(st, 4)))
            rc = cands_push(e, out, &c);
    }
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "finding agents");
    rt_reset(st);
    return rc;
}

static int routing(retain_engine *e, double *explore, int *max_open)
{
    static const char sql[] = "SELECT explore, max_open FROM task_routing WHERE id=1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src = rt_sqlstep(st);
    *explore = src == SQLITE_ROW ? rt_column_double(st, 0) : 0.1;
    *max_open = src == SQLITE_ROW ? rt_column_int(st, 1) : 20;
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "reading task routing");
}

/* Give task `id` of `kind` to the best available agent, if any. */
static int route_one(retain_engine *e, int64_t id, const char *kind, int64_t now,
                     int64_t *agent_out)
{
    static const char sql[] =
        "UPDATE task SET state='assigned', agent=?2, assigned_at=?3, explored=?4"
        " WHERE id=?1 AND state='open'";
    *agent_out = 0;
    double explore;
    int max_open;
    /* Agents' loads are counted, then one is chosen: one transaction at a
     * time, also among workers (store.h). */
    int rc = rt_store_lock(e, RT_LOCK_TASK_ROUTING, 0);
    if (rc == RETAIN_OK)
        rc = routing(e, &explore, &max_open);
    if (rc)
        return rc;
    cands c = { 0 };
    if ((rc = eligible(e, kind, now, max_open, &c)) == RETAIN_OK) {
        bool explored;
        ptrdiff_t i = rt_route_pick(c.v, c.n, id, explore, &explored);
        rt_st *st;
        if (i >= 0 && (rc = rt_stmt(e, sql, &st)) == RETAIN_OK) {
            rt_bind_int64(st, 1, id);
            rt_bind_int64(st, 2, c.v[i].agent);
            rt_bind_int64(st, 3, now);
            rt_bind_int(st, 4, explored);
            int src = rt_sqlstep(st);
            rt_reset(st);
            if (src != SQLITE_DONE)
                rc = rt_sqlerr(e, src, "assigning a task");
            else if (rt_changes(e))
                *agent_out = c.v[i].agent;
        }
    }
    rt_free(&e->alloc, c.v);
    return rc;
}

int rt_task_route_open(retain_engine *e, int64_t now, int64_t *assigned)
{
    static const char sql[] =
        "SELECT id, kind FROM task WHERE state='open' AND (id>?1)"
        " ORDER BY id LIMIT 64";
    *assigned = 0;
    int64_t after = 0;
    for (;;) {
        int64_t ids[64];
        char kinds[64][RT_NAME_MAX + 1];
        int n = 0, src;
        rt_st *st;
        int rc = rt_stmt(e, sql, &st);
        if (rc)
            return rc;
        rt_bind_int64(st, 1, after);
        while (n < 64 && (src = rt_sqlstep(st)) == SQLITE_ROW) {
            ids[n] = rt_column_int64(st, 0);
            rt_col_copy(kinds[n], sizeof kinds[n], st, 1);
            n++;
        }
        rt_reset(st);
        if (n < 64 && src != SQLITE_DONE)
            return rt_sqlerr(e, src, "listing open tasks");
        for (int i = 0; i < n; i++) {
            int64_t agent;
            if ((rc = route_one(e, ids[i], kinds[i], now, &agent)))
                return rc;
            *assigned += agent != 0;
            after = ids[i];
        }
        if (n < 64)
            return RETAIN_OK;
    }
}

int rt_task_waiting(retain_engine *e, int64_t *waiting)
{
    static const char sql[] = "SELECT EXISTS(SELECT 1 FROM task WHERE state='open')";
    return rt_query_int64(e, sql, waiting, "looking for open tasks");
}

int retain_task_route(int64_t *assigned_out, retain_engine *e, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int64_t n = 0;
    if (assigned_out)
        *assigned_out = 0;
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    rc = rt_tx_end(e, rt_task_route_open(e, now, &n));
    if (rc == RETAIN_OK && assigned_out)
        *assigned_out = n;
    return rc;
}

/* ---- creation and life cycle ------------------------------------------- */

/* Step `st` (a bound SELECT of one JSON object) and record its text as the
 * properties of event `name` on the task's customer. */
static int emit_described(retain_engine *e, rt_st *st, int64_t customer,
                          const char *name, int64_t at, int64_t order_key)
{
    int src = rt_sqlstep(st);
    char *json = src == SQLITE_ROW ? rt_strdup(&e->alloc, rt_col_text(st, 0)) : NULL;
    rt_reset(st);
    if (src != SQLITE_ROW)
        return rt_sqlerr(e, src, "describing a task");
    if (!json)
        return rt_nomem(e);
    int rc = rt_event_emit(e, customer, name, at, json, order_key, 0);
    rt_free(&e->alloc, json);
    return rc;
}

int rt_task_create(retain_engine *e, int64_t customer, int64_t order_key, int64_t instance,
                   const char *kind, const char *note, const char *source,
                   const char *extra_json, int64_t at, int64_t *task_id)
{
    static const char ins[] =
        "INSERT INTO task(customer,kind,note,order_id,instance,source,state,created_at)"
        " VALUES(?1,?2,?3,nullif(?4,0),nullif(?5,0),?6,'open',?7)";
    static const char props[] =
        "SELECT json_patch(coalesce(?1,'{}'),json_object('task',?2,'kind',?3,'note',?4,"
        " 'source',?5,'agent',(SELECT ext_id FROM agent WHERE id=?6)))";
    rt_st *st;
    int rc = rt_stmt(e, ins, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, kind, -1, SQLITE_STATIC);
    rt_bind_text(st, 3, note);
    rt_bind_int64(st, 4, order_key);
    rt_bind_int64(st, 5, instance);
    rt_bind_textn(st, 6, source, -1, SQLITE_STATIC);
    rt_bind_int64(st, 7, at);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "creating a task");
    int64_t id = rt_last_id(e), agent = 0;
    if (task_id)
        *task_id = id;
    if ((rc = route_one(e, id, kind, at, &agent)) || (rc = rt_stmt(e, props, &st)))
        return rc;
    rt_bind_text(st, 1, extra_json);
    rt_bind_int64(st, 2, id);
    rt_bind_textn(st, 3, kind, -1, SQLITE_STATIC);
    rt_bind_text(st, 4, note);
    rt_bind_textn(st, 5, source, -1, SQLITE_STATIC);
    rt_bind_int64(st, 6, agent);
    return emit_described(e, st, customer, "task.created", at, order_key);
}

int retain_task_create(int64_t *task_id_out, retain_engine *e, const char *customer_id,
                       const char *kind, const char *note, const char *order_id, int64_t now)
{
    static const char order_sql[] = "SELECT id, customer FROM orders WHERE ext_id=?";
    RT_ENGINE_GUARD(e);
    if (task_id_out)
        *task_id_out = 0;
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "customer_id", customer_id)) ||
        (rc = rt_check_name(e, "kind", kind)) ||
        (rc = rt_check_text(e, "note", note, RT_TEXT_MAX)) ||
        (order_id && (rc = rt_check_id(e, "order_id", order_id))) ||
        (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    int64_t customer = 0, order_key = 0;
    rc = rt_customer_key(e, customer_id, &customer);
    if (rc == RETAIN_OK && order_id) {
        rt_st *st;
        if ((rc = rt_lookup(e, order_sql, order_id, "order", &st)) == RETAIN_OK) {
            order_key = rt_column_int64(st, 0);
            if (rt_column_int64(st, 1) != customer)
                rc = rt_error(e, RETAIN_ECONSTRAINT, "order \"%s\" is not customer \"%s\"'s",
                              order_id, customer_id);
            rt_reset(st);
        }
    }
    if (rc == RETAIN_OK)
        rc = rt_task_create(e, customer, order_key, 0, kind, note, "host", NULL, now,
                            task_id_out);
    return rt_tx_end(e, rc);
}

/* The task's state, kind, customer and agent row id (0 when none). */
typedef struct task_row {
    char state[16];
    char kind[RT_NAME_MAX + 1];
    int64_t customer, agent, order_key;
} task_row;

static int task_get(retain_engine *e, int64_t id, task_row *t)
{
    static const char sql[] =
        "SELECT state, kind, customer, coalesce(agent,0), coalesce(order_id,0)"
        " FROM task WHERE id=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        rt_col_copy(t->state, sizeof t->state, st, 0);
        rt_col_copy(t->kind, sizeof t->kind, st, 1);
        t->customer = rt_column_int64(st, 2);
        t->agent = rt_column_int64(st, 3);
        t->order_key = rt_column_int64(st, 4);
    }
    rt_reset(st);
    if (src == SQLITE_DONE)
        return rt_error(e, RETAIN_ENOTFOUND, "task %lld does not exist", (long long)id);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "reading a task");
}

static int set_state(retain_engine *e, int64_t id, const char *state, int64_t agent,
                     const char *outcome, int converted, int64_t now)
{
    static const char sql[] =
        "UPDATE task SET state=?2,"
        " agent=CASE WHEN ?3<>0 THEN ?3 ELSE agent END,"
        " assigned_at=CASE WHEN ?2='assigned' THEN ?6 ELSE assigned_at END,"
        " done_at=CASE WHEN ?2 IN ('done','cancelled') THEN ?6 ELSE done_at END,"
        " outcome=coalesce(?4,outcome), converted=CASE WHEN ?2='done' THEN ?5 ELSE converted END"
        " WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_textn(st, 2, state, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, agent);
    rt_bind_text(st, 4, outcome);
    rt_bind_int(st, 5, converted);
    rt_bind_int64(st, 6, now);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "updating a task");
}

static int claim_tx(retain_engine *e, int64_t id, const char *agent_id, int64_t now)
{
    static const char agent_sql[] =
        "SELECT id, skills='*' OR instr(skills,','||?2||',')>0 FROM agent WHERE ext_id=?1";
    task_row t;
    int rc = task_get(e, id, &t);
    if (rc)
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, agent_sql, &st)))
        return rc;
    rt_bind_textn(st, 1, agent_id, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, t.kind, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    int64_t agent = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    bool skilled = src == SQLITE_ROW && rt_column_int(st, 1);
    rt_reset(st);
    if (src == SQLITE_DONE)
        return rt_error(e, RETAIN_ENOTFOUND, "agent \"%s\" does not exist", agent_id);
    if (src != SQLITE_ROW)
        return rt_sqlerr(e, src, "looking up agent");
    if (!skilled)
        return rt_error(e, RETAIN_ECONSTRAINT, "agent \"%s\" has no skill \"%s\" for task %lld",
                        agent_id, t.kind, (long long)id);
    if (strcmp(t.state, "open") && !(strcmp(t.state, "assigned") == 0 && t.agent == agent))
        return rt_error(e, RETAIN_ECONFLICT, "task %lld is %s%s", (long long)id, t.state,
                        strcmp(t.state, "assigned") ? "" : " to another agent");
    return set_state(e, id, "assigned", agent, NULL, 0, now);
}

int retain_task_claim(retain_engine *e, int64_t task_id, const char *agent_id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "agent_id", agent_id)) ||
        (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, claim_tx(e, task_id, agent_id, now));
}

static int complete_tx(retain_engine *e, int64_t id, const char *outcome, int converted,
                       int64_t now)
{
    static const char props[] =
        "SELECT json_object('task',?1,'kind',?2,'agent',(SELECT ext_id FROM agent WHERE id=?3),"
        " 'outcome',?4,'converted',json(CASE WHEN ?5<>0 THEN 'true' ELSE 'false' END))";
    task_row t;
    int rc = task_get(e, id, &t);
    if (rc)
        return rc;
    if (strcmp(t.state, "assigned"))
        return rt_error(e, RETAIN_ECONFLICT, "task %lld is %s; only an assigned task can be "
                        "completed (claim it first)", (long long)id, t.state);
    if ((rc = set_state(e, id, "done", 0, outcome, converted != 0, now)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, props, &st)))
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_textn(st, 2, t.kind, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, t.agent);
    rt_bind_textn(st, 4, outcome, -1, SQLITE_STATIC);
    rt_bind_int(st, 5, converted != 0);
    return emit_described(e, st, t.customer, "task.completed", now, t.order_key);
}

int retain_task_complete(retain_engine *e, int64_t task_id, const char *outcome, int converted,
                         int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "outcome", outcome)) ||
        (rc = rt_check_text(e, "outcome", outcome, 200)) ||
        (rc = rt_check_time(e, "now", now)))
        return rc;
    if (!*outcome)
        return rt_error(e, RETAIN_EINVAL, "outcome is empty; say what happened (\"reached\" ...)");
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, complete_tx(e, task_id, outcome, converted, now));
}

static int cancel_tx(retain_engine *e, int64_t id, int64_t now)
{
    task_row t;
    int rc = task_get(e, id, &t);
    if (rc)
        return rc;
    if (strcmp(t.state, "open") && strcmp(t.state, "assigned"))
        return rt_error(e, RETAIN_ECONFLICT, "task %lld is %s already", (long long)id, t.state);
    return set_state(e, id, "cancelled", 0, NULL, 0, now);
}

int retain_task_cancel(retain_engine *e, int64_t task_id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, cancel_tx(e, task_id, now));
}

int retain_task_list(char **json_out, retain_engine *e, retain_task_state state,
                     const char *agent_id)
{
    static const char *const names[] = { NULL, "open", "assigned", "done", "cancelled" };
    static const char sql[] =
        "SELECT coalesce(json_group_array(json_object('id',t.id,'customer',c.ext_id,"
        " 'kind',t.kind,'note',t.note,'order',o.ext_id,'source',t.source,'state',t.state,"
        " 'agent',a.ext_id,'created_at',t.created_at,'assigned_at',t.assigned_at,"
        " 'done_at',t.done_at,'outcome',t.outcome,"
        " 'converted',CASE WHEN t.converted IS NULL THEN NULL"
        "   WHEN t.converted<>0 THEN json('true') ELSE json('false') END)),'[]')"
        " FROM (SELECT * FROM task WHERE (?1 IS NULL OR state=?1) ORDER BY created_at, id) t"
        " JOIN customer c ON c.id=t.customer LEFT JOIN orders o ON o.id=t.order_id"
        " LEFT JOIN agent a ON a.id=t.agent WHERE (?2 IS NULL OR a.ext_id=?2)";
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "json_out", json_out);
    if (rc)
        return rc;
    *json_out = NULL;
    if ((int)state < 0 || (int)state > RETAIN_TASK_CANCELLED)
        return rt_error(e, RETAIN_EINVAL, "state %d is not a retain_task_state", (int)state);
    if (agent_id && (rc = rt_check_id(e, "agent_id", agent_id)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_text(st, 1, names[state]);
    rt_bind_text(st, 2, agent_id);
    return json_query(json_out, e, st, "listing tasks");
}
