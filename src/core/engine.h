/*
 * engine.h (internal) - the engine structure and the error helpers every
 * subsystem uses. Subsystems keep their own state behind the opaque
 * pointers below and talk to each other only through internal headers.
 */
#ifndef RT_ENGINE_H
#define RT_ENGINE_H

#include "retain/engine.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdbool.h>

typedef struct sqlite3 sqlite3;
typedef struct rt_stmt_cache rt_stmt_cache;

/* Resolved options: every default filled in, strings owned by the engine. */
typedef struct rt_config {
    int busy_timeout_ms;
    char *zoneinfo_dir;
    char *default_timezone;
    char *default_country;
    size_t rule_max_source;
    int rule_max_depth;
    size_t rule_max_list;
    uint32_t regex_match_limit;
    uint32_t regex_depth_limit;
    size_t regex_max_subject;
    unsigned int flags;
    int cache_kib;
    int64_t eta_slip_margin_ms;
    int64_t replenish_lead_ms;
    int replenish_min_samples;
    int64_t replenish_fallback_cycle_ms;
    int64_t replenish_grace_ms;
    char *vfs;  /* NULL: SQLite's default */
    int mmap_mib;
} rt_config;

struct retain_engine {
    retain_allocator alloc;
    rt_config cfg;
    sqlite3 *db;
    sqlite3 *reader;     /* iterators' read-only connection, opened on first use (src/store) */
    struct rt_pg *pg;    /* the PostgreSQL connection, when the store is there (src/store/pg) */
    sqlite3 *scratch;    /* with PostgreSQL: an in-memory SQLite for pure JSON functions */
    rt_stmt_cache *stmts;
    struct rt_tz_cache *tz;  /* zones loaded so far (src/tz) */
    struct rt_dispatch_state *dispatch; /* transports, policy profiles (src/dispatch) */
    struct rt_journey_set *journeys;    /* loaded journeys (src/journey) */
    struct rt_domain_state *domain;     /* coupon generator (src/domain) */
    struct rt_reco_cache *reco;         /* neighbour lists in memory (src/domain) */
    bool in_host_tx;     /* retain_begin() is active */
    bool in_callback;    /* a transport callback is running (src/dispatch) */
    int call_depth;      /* nesting of rt_tx_begin() within one public call */
    /* Counts the write transactions begun (retain_begin, a call's own), and
     * calls that failed: what was read from the store in one stays true
     * until it ends (no other engine writes meanwhile), unless a call of
     * its own failed and was undone. */
    uint64_t tx_serial;
    int host_tx_lost;    /* the error that rolled back the host's whole transaction, or 0 */
    int errcode;
    char errmsg[1024];
};

/* Record an error on the engine and return `code`; printf-style message.
 * Never allocates, so it is safe on out-of-memory paths. */
int rt_verror(retain_engine *e, int code, const char *fmt, va_list ap);
/* Inline so that the static analyzer sees which code each error path
 * returns (gcc's -fanalyzer does not look into other files). */
static inline int rt_error(retain_engine *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline int rt_error(retain_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rt_verror(e, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Mark the start of a public call: clears the last error. */
static inline void rt_clear_error(retain_engine *e)
{
    e->errcode = RETAIN_OK;
    e->errmsg[0] = '\0';
}

/* Out of memory: sets the engine's message and returns RETAIN_ENOMEM,
 * visibly so (inline) for the static analyzer that follows callers. */
static inline int rt_nomem(retain_engine *e)
{
    rt_error(e, RETAIN_ENOMEM, "out of memory");
    return RETAIN_ENOMEM;
}

/* Write a message into a caller's buffer (snprintf that accepts NULL/0). */
void rt_format(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Copy src into buf, truncated as rt_format would (NULL src: ""); cheaper
 * than rt_format(buf, size, "%s", src) on hot paths. */
void rt_copy(char *buf, size_t size, const char *src);

/* Validate common public arguments; each sets the error and returns it. */
int rt_check_writable(retain_engine *e); /* RETAIN_EMISUSE if read-only */

/* Transport callbacks must not re-enter their engine: the delivery run
 * that called them is between two of its transactions. */
#define RT_ENGINE_GUARD(e)                                                    \
    do {                                                                      \
        if (!(e))                                                             \
            return RETAIN_EINVAL;                                             \
        if ((e)->in_callback)                                                 \
            return rt_error((e), RETAIN_EMISUSE,                              \
                            "%s called from inside a transport callback of "  \
                            "the same engine; return from the callback first",\
                            __func__);                                        \
        rt_clear_error(e);                                                    \
    } while (0)

#define RT_UNUSED(x) ((void)(x))

#endif
