/*
 * retain/task.h - work for people: tasks created by journeys (a `task:`
 * step) and escalations, an agent registry with skills, channels and
 * working hours, routing to the agent with the best observed conversion for
 * the task's kind, and the outcomes that teach the routing.
 */
#ifndef RETAIN_TASK_H
#define RETAIN_TASK_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_AGENT_VERSION 1

/** A person who works tasks: a support agent, a sales rep, a florist. */
typedef struct retain_agent {
    unsigned int version;     /**< RETAIN_AGENT_VERSION */
    const char *id;           /**< host's id; required */
    const char *name;         /**< may be NULL */
    const char *skills;       /**< task kinds, comma-separated ("call,chat"); "*" for any; required */
    const char *timezone;     /**< IANA zone of the working hours; NULL: the engine's default */
    int work_start_minute;    /**< working hours from this minute of the local day (0..1439) */
    int work_end_minute;      /**< ... to this one (exclusive, 1..1440); start == end: around the clock */
    unsigned int weekdays;    /**< bit d for weekday d (0 Sunday .. 6 Saturday); 0: every day */
    int active;               /**< 0 takes the agent out of routing; tasks held stay theirs */
} retain_agent;

#define RETAIN_AGENT_INIT { RETAIN_AGENT_VERSION, 0, 0, 0, 0, 0, 0, 0, 1 }

/** Add an agent or replace the one with the same id. */
RETAIN_API int retain_agent_upsert(retain_engine *e, const retain_agent *a, int64_t now);

/** Agents and what they did, as a JSON array: id, name, skills, active, and per
 *  task kind the tasks completed and converted. Free with retain_free(). */
RETAIN_API int retain_agent_list(char **json_out, retain_engine *e);

/** Task states. */
typedef enum retain_task_state {
    RETAIN_TASK_ANY = 0,       /**< in retain_task_list(): every state */
    RETAIN_TASK_OPEN = 1,      /**< waiting for an agent */
    RETAIN_TASK_ASSIGNED = 2,  /**< an agent has it */
    RETAIN_TASK_DONE = 3,      /**< completed with an outcome */
    RETAIN_TASK_CANCELLED = 4  /**< withdrawn */
} retain_task_state;

#define RETAIN_TASK_ROUTING_VERSION 1

/** How tasks find agents; stored in the database, shared by its engines. */
typedef struct retain_task_routing {
    unsigned int version;  /**< RETAIN_TASK_ROUTING_VERSION */
    double explore;        /**< share of tasks given to a uniformly drawn eligible agent
                                instead of the best one, so new agents get a chance;
                                0..0.5, default 0.1 */
    int max_open_per_agent;/**< an agent holding this many assigned tasks gets no more;
                                0: no limit (default 20) */
} retain_task_routing;

#define RETAIN_TASK_ROUTING_INIT { RETAIN_TASK_ROUTING_VERSION, 0.1, 20 }

/** Set the routing options. */
RETAIN_API int retain_task_routing_set(retain_engine *e, const retain_task_routing *r);

/**
 * Create a task for a customer (the host's own; journeys create theirs with
 * a `task:` step). `kind` is a name ("call", "gift" ...), `note` and
 * `order_id` may be NULL. The task is routed at once when an agent is
 * available (see retain_task_route()) and the event "task.created" is
 * recorded. *task_id_out (may be NULL) receives its id.
 */
RETAIN_API int retain_task_create(int64_t *task_id_out, retain_engine *e, const char *customer_id,
                                  const char *kind, const char *note, const char *order_id,
                                  int64_t now);

/**
 * Give open tasks, oldest first, to available agents: active, with the
 * task's kind among their skills, within their working hours at `now`, and
 * under max_open_per_agent. Among them the agent with the best observed
 * conversion for the kind wins ((converted + 1) / (completed + 2), so an
 * agent without history starts at one half), then the one holding fewer
 * tasks, then the lower id; a deterministic `explore` share of tasks (drawn
 * from the task id) goes to a uniformly drawn eligible agent instead.
 * *assigned_out (may be NULL) receives how many were assigned.
 */
RETAIN_API int retain_task_route(int64_t *assigned_out, retain_engine *e, int64_t now);

/** An agent takes an open task (or one assigned to them). Unknown task or
 *  agent: RETAIN_ENOTFOUND; a task another agent holds or that is finished:
 *  RETAIN_ECONFLICT; an agent without the skill: RETAIN_ECONSTRAINT. */
RETAIN_API int retain_task_claim(retain_engine *e, int64_t task_id, const char *agent_id,
                                 int64_t now);

/**
 * Complete an assigned task with an outcome ("reached", "no answer",
 * "gift sent" ...) and whether it converted (the customer bought again, the
 * complaint was resolved: the host's definition). Converted outcomes teach
 * the routing. Records "task.completed" {"task", "kind", "agent",
 * "outcome", "converted"}. A task that is not assigned: RETAIN_ECONFLICT.
 */
RETAIN_API int retain_task_complete(retain_engine *e, int64_t task_id, const char *outcome,
                                    int converted, int64_t now);

/** Withdraw an open or assigned task. */
RETAIN_API int retain_task_cancel(retain_engine *e, int64_t task_id, int64_t now);

/**
 * Tasks as a JSON array, oldest first: id, customer, kind, note, order,
 * source, state, agent, created_at, assigned_at, done_at, outcome,
 * converted. RETAIN_TASK_ANY lists every state; `agent_id` NULL lists every
 * agent's. Free with retain_free().
 */
RETAIN_API int retain_task_list(char **json_out, retain_engine *e, retain_task_state state,
                                const char *agent_id);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_TASK_H */
