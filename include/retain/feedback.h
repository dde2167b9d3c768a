/*
 * retain/feedback.h - customer feedback: answers to feedback requests
 * (a journey `send` of category "feedback"), the event journeys react to,
 * escalation of low scores to a person, and NPS / average score metrics.
 *
 * Metrics follow the conventions of retain/metrics.h: `as_of` instead of
 * the clock, UTC calendar periods, NaN for a ratio with a zero
 * denominator, one handle per result freed with its _free, a _json twin.
 */
#ifndef RETAIN_FEEDBACK_H
#define RETAIN_FEEDBACK_H

#include "engine.h"
#include "metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The scale a score was given on. NPS counts only 0..10 answers. */
typedef enum retain_feedback_scale {
    RETAIN_SCALE_0_10 = 0, /**< 0 to 10: the Net Promoter question */
    RETAIN_SCALE_1_10 = 1  /**< 1 to 10: a rating */
} retain_feedback_scale;

/**
 * Record an answer of customer `customer_id` about order `order_id` (NULL
 * when about no order) at `at`. A score outside the scale is RETAIN_EINVAL.
 * `comment` may be NULL (at most 4000 bytes of UTF-8).
 *
 * Emits "feedback.received" with properties {"score", "scale" ("0..10" or
 * "1..10"), "comment", "order", "journey", "variant", "escalated",
 * "feedback_id"} for the order, so journeys can trigger on it or wait_for
 * it. The answer is attributed to the journey and variant of the latest
 * feedback message queued for the customer (and order) before `at`.
 * A score at or below the escalation threshold (retain_feedback_configure)
 * also creates a task (retain/task.h) of source "feedback", routed to an
 * available agent with the kind among their skills, and its event
 * "task.created" {"task", "kind", "note", "source", "agent", "reason":
 * "feedback", "score", "comment", "order", "feedback_id"}.
 *
 * Recording is idempotent: an exact repeat of an answer already recorded
 * (same customer, order, score, scale, comment and `at`: a retried request,
 * an import run twice) returns RETAIN_OK and changes nothing: no second
 * row, event, acknowledgement or task. Answers that differ in anything
 * (a changed score, a later time) are separate answers.
 */
RETAIN_API int retain_feedback_record(retain_engine *e, const char *customer_id,
                                      const char *order_id, int score,
                                      retain_feedback_scale scale, const char *comment,
                                      int64_t at);

#define RETAIN_FEEDBACK_CONFIG_VERSION 1

/** Escalation of low scores; stored in the database, shared by its engines. */
typedef struct retain_feedback_config {
    unsigned int version;  /**< RETAIN_FEEDBACK_CONFIG_VERSION */
    int escalate_at;       /**< scores <= this create a task, -1..10; -1: never. Default 6 */
    const char *task_kind; /**< a name ("call", "chat" ...); default "call" */
    const char *task_note; /**< may be NULL */
} retain_feedback_config;

#define RETAIN_FEEDBACK_CONFIG_INIT { RETAIN_FEEDBACK_CONFIG_VERSION, 6, "call", 0 }

RETAIN_API int retain_feedback_configure(retain_engine *e, const retain_feedback_config *c);

/* ---- metrics ------------------------------------------------------------- */

/** How answers are grouped. */
typedef enum retain_feedback_by {
    RETAIN_FEEDBACK_BY_PERIOD = 1,  /**< calendar periods with at least one answer */
    RETAIN_FEEDBACK_BY_PRODUCT = 2, /**< each distinct SKU of the answer's order */
    RETAIN_FEEDBACK_BY_VARIANT = 3  /**< journey and split variant the answer is attributed to */
} retain_feedback_by;

/**
 * One group. NPS = 100 * (promoters - detractors) / nps_responses over the
 * 0..10 answers (promoters 9-10, passives 7-8, detractors 0-6); average is
 * the mean score of every answer in the group, both scales.
 */
typedef struct retain_feedback_row {
    int64_t start, end;      /**< BY_PERIOD: the period, ms UTC (end exclusive); else 0 */
    const char *sku;         /**< BY_PRODUCT; else NULL */
    const char *journey;     /**< BY_VARIANT; NULL for answers no journey asked for */
    const char *variant;     /**< BY_VARIANT; NULL without a split */
    int64_t responses;
    double average;
    int64_t nps_responses;
    int64_t promoters, passives, detractors;
    double nps;              /**< -100..100, NaN without 0..10 answers */
} retain_feedback_row;

/** The result of retain_feedback_metrics(): the total and one row per group. */
typedef struct retain_feedback_stats {
    retain_feedback_by by;
    retain_period period;    /**< BY_PERIOD; else RETAIN_PERIOD_NONE */
    int64_t since, as_of;
    retain_feedback_row total; /**< every answer in [since, as_of] */
    size_t count;
    const retain_feedback_row *rows; /**< by time, SKU, or journey then variant (NULLs last) */
} retain_feedback_stats;

/**
 * NPS and average score of the answers given in [since, as_of] (since =
 * INT64_MIN for no lower bound), grouped `by`; `period` is read for
 * RETAIN_FEEDBACK_BY_PERIOD only.
 */
RETAIN_API int retain_feedback_metrics(retain_feedback_stats **out, retain_engine *e,
                                       retain_feedback_by by, retain_period period,
                                       int64_t since, int64_t as_of);
/** NULL is a no-op. */
RETAIN_API void retain_feedback_stats_free(retain_feedback_stats *s);
/** The same as JSON; free with retain_free(). */
RETAIN_API int retain_feedback_metrics_json(char **out, retain_engine *e, retain_feedback_by by,
                                            retain_period period, int64_t since, int64_t as_of);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_FEEDBACK_H */
