/*
 * tasks.c - the Engine methods of retain/task.h: agents, tasks, routing.
 * The package (retain/_tasks.py) converts times and decodes the JSON.
 */
#include "pyretain.h"

/* Run a call that returns only a status; None or the raised error. */
#define RP_CALL(self, expr)                                     \
    do {                                                        \
        if (rp_enter(self))                                     \
            return NULL;                                        \
        int rc_;                                                \
        Py_BEGIN_ALLOW_THREADS                                  \
        rc_ = (expr);                                           \
        Py_END_ALLOW_THREADS                                    \
        PyObject *res_ = rc_ ? rp_raise_engine(self, rc_) : Py_NewRef(Py_None); \
        rp_leave(self);                                         \
        return res_;                                            \
    } while (0)

PyObject *rp_agent_upsert(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_agent a = RETAIN_AGENT_INIT;
    unsigned int weekdays;
    long long now;
    if (!PyArg_ParseTuple(args, "szsziiIpL:agent_upsert", &a.id, &a.name, &a.skills,
                          &a.timezone, &a.work_start_minute, &a.work_end_minute, &weekdays,
                          &a.active, &now))
        return NULL;
    a.weekdays = weekdays;
    RP_CALL(self, retain_agent_upsert(self->e, &a, now));
}

static PyObject *json_call(EngineObject *self, int rc, char *json)
{
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_take_json(self, json);
    rp_leave(self);
    return res;
}

PyObject *rp_agent_list(PyObject *op, PyObject *unused)
{
    EngineObject *self = (EngineObject *)op;
    if (rp_enter(self))
        return NULL;
    char *json = NULL;
    int rc = retain_agent_list(&json, self->e);
    return json_call(self, rc, json);
}

PyObject *rp_task_routing_set(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_task_routing r = RETAIN_TASK_ROUTING_INIT;
    if (!PyArg_ParseTuple(args, "di:task_routing_set", &r.explore, &r.max_open_per_agent))
        return NULL;
    RP_CALL(self, retain_task_routing_set(self->e, &r));
}

PyObject *rp_task_create(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *customer, *kind, *note, *order;
    long long now;
    if (!PyArg_ParseTuple(args, "sszzL:task_create", &customer, &kind, &note, &order, &now) ||
        rp_enter(self))
        return NULL;
    int64_t id = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_task_create(&id, self->e, customer, kind, note, order, now);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : PyLong_FromLongLong(id);
    rp_leave(self);
    return res;
}

PyObject *rp_task_route(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long now;
    if (!PyArg_ParseTuple(args, "L:task_route", &now) || rp_enter(self))
        return NULL;
    int64_t n = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_task_route(&n, self->e, now);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : PyLong_FromLongLong(n);
    rp_leave(self);
    return res;
}

PyObject *rp_task_claim(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long id, now;
    const char *agent;
    if (!PyArg_ParseTuple(args, "LsL:task_claim", &id, &agent, &now))
        return NULL;
    RP_CALL(self, retain_task_claim(self->e, id, agent, now));
}

PyObject *rp_task_complete(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long id, now;
    const char *outcome;
    int converted;
    if (!PyArg_ParseTuple(args, "LspL:task_complete", &id, &outcome, &converted, &now))
        return NULL;
    RP_CALL(self, retain_task_complete(self->e, id, outcome, converted, now));
}

PyObject *rp_task_cancel(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long id, now;
    if (!PyArg_ParseTuple(args, "LL:task_cancel", &id, &now))
        return NULL;
    RP_CALL(self, retain_task_cancel(self->e, id, now));
}

PyObject *rp_task_list(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    int state;
    const char *agent;
    if (!PyArg_ParseTuple(args, "iz:task_list", &state, &agent) || rp_enter(self))
        return NULL;
    char *json = NULL;
    int rc = retain_task_list(&json, self->e, (retain_task_state)state, agent);
    return json_call(self, rc, json);
}
