/*
 * retain/engine.h - opening and closing an engine, options, errors and
 * transactions.
 *
 * An engine is one connection to one libretain database (a file or ":memory:").
 * Like a SQLite connection it may be used from one thread at a time; several
 * engines, in threads or processes, may share one database file.
 */
#ifndef RETAIN_ENGINE_H
#define RETAIN_ENGINE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct retain_engine retain_engine;

#define RETAIN_OPTIONS_VERSION 4

/**
 * Options for retain_engine_open(). Start from RETAIN_OPTIONS_INIT and set
 * what you need; a member left 0 or NULL takes the documented default.
 * New members are only ever appended, and `version` tells the library which
 * ones the caller knows about.
 */
typedef struct retain_options {
    unsigned int version;        /**< RETAIN_OPTIONS_VERSION */
    retain_allocator allocator;  /**< all NULL: malloc/realloc/free */
    /** How long a call waits for the write lock held by another engine
     *  before it returns RETAIN_EBUSY (having written nothing); default
     *  5000. See docs/operations.md. */
    int busy_timeout_ms;
    const char *zoneinfo_dir;    /**< TZif files; default "/usr/share/zoneinfo" */
    const char *default_timezone;/**< zone for customers without one; default "UTC" */
    const char *default_country; /**< ISO 3166 alpha-2 for phone numbers without +; default none */
    /* Rule language limits (0 = default). */
    size_t rule_max_source;      /**< bytes of rule source; default 65536 */
    int rule_max_depth;          /**< nesting depth of expressions; default 200 */
    size_t rule_max_list;        /**< elements of a list literal; default 1024 */
    uint32_t regex_match_limit;  /**< pcre2 match limit; default 100000 */
    uint32_t regex_depth_limit;  /**< pcre2 depth limit; default 1000 */
    size_t regex_max_subject;    /**< bytes of a string matched by a regex; default 65536 */
    unsigned int flags;          /**< RETAIN_OPEN_* */
    int cache_kib;               /**< SQLite page cache per engine, KiB; default 16384 */
    /* Version 2: the post-purchase domain (see retain/shipping.h, replenish.h). */
    int64_t eta_slip_margin_ms;  /**< an ETA this much past the promise is a delay; default 1 day */
    int64_t replenish_lead_ms;   /**< remind this long before the expected run-out; default 7 days */
    int replenish_min_samples;   /**< repurchase intervals needed to learn a cycle; default 5 */
    int64_t replenish_fallback_cycle_ms; /**< per-unit cycle without enough samples; 0: none */
    int64_t replenish_grace_ms;  /**< a reminder this overdue is dropped, not sent; default 7 days */
    /* Version 3. */
    /** Name of a SQLite VFS registered with sqlite3_vfs_register() to open
     *  the database through (encryption, a fault injector, an in-memory or
     *  remote store ...); NULL: SQLite's default VFS. The VFS must stay
     *  registered while the engine is open. */
    const char *vfs;
    /* Version 4. */
    /** MiB of the database file SQLite reads through a memory map instead
     *  of read() calls; 0: none (the default). Read-heavy calls on a large
     *  file gain most (retain_recommend() at 10^6 orders: about a quarter
     *  less time; see docs/operations.md). Mapped pages count in the
     *  process's resident size (shared with the OS page cache); an I/O error
     *  on a mapped page is a SIGBUS rather than RETAIN_EIO. At most 1048576. */
    int mmap_mib;
} retain_options;

#define RETAIN_OPTIONS_INIT { RETAIN_OPTIONS_VERSION, { 0, 0, 0, 0 }, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
                              0, 0, 0, 0, 0, 0, 0 }

/** Open read-only: every call that writes returns RETAIN_EMISUSE. */
#define RETAIN_OPEN_READONLY 0x1u
/** Link a new customer id to an existing customer with the same e-mail or
 *  phone instead of creating a second customer (see retain_customer_upsert()).
 *  For stores whose marketplace and point-of-sale orders carry their own
 *  customer ids. Off by default: every new id is a new customer. */
#define RETAIN_OPEN_AUTOLINK 0x2u

/**
 * Open (creating if needed) the database at `path`, or ":memory:".
 * A file is put in WAL mode with foreign keys on; its schema is created or
 * migrated in one transaction. A `path` that is a libpq connection string
 * or URI ("postgresql://...", "host=... dbname=...") opens a PostgreSQL
 * store instead, with the same schema and the same behaviour (see
 * docs/operations.md; RETAIN_EUNSUPPORTED in a build without libpq). A database written by a newer libretain is
 * refused with RETAIN_EUNSUPPORTED and left untouched.
 * `opts` may be NULL for the defaults. On failure *out is NULL; when
 * `errmsg_out` is not NULL, the reason is copied into it (at most
 * `errmsg_size` bytes, NUL-terminated), since there is no engine to ask.
 */
RETAIN_API int retain_engine_open(retain_engine **out, const char *path,
                                  const retain_options *opts);

/** Like retain_engine_open(), but copies the failure reason into errbuf. */
RETAIN_API int retain_engine_open_ex(retain_engine **out, const char *path,
                                     const retain_options *opts,
                                     char *errbuf, size_t errbuf_size);

/** Close the engine and free everything it owns. NULL is a harmless no-op. */
RETAIN_API void retain_engine_close(retain_engine *e);

/** The message of the last failed call on this engine ("" after success). */
RETAIN_API const char *retain_errmsg(const retain_engine *e);
/** The status code of the last call on this engine. */
RETAIN_API int retain_errcode(const retain_engine *e);

/**
 * Group many calls into one transaction. Without them every call is its own
 * transaction. A call that fails inside a group undoes only its own changes;
 * the group stays open. Nesting is not allowed (RETAIN_EMISUSE).
 */
RETAIN_API int retain_begin(retain_engine *e);
RETAIN_API int retain_commit(retain_engine *e);
RETAIN_API int retain_rollback(retain_engine *e);

/** Schema version of this library's database format. */
RETAIN_API int retain_schema_version(void);

/** How many objects the database holds. */
typedef struct retain_counts {
    int64_t customers;
    int64_t orders;
    int64_t order_lines;
    int64_t shipments;
    int64_t events;
} retain_counts;

/** Count the objects in the database. */
RETAIN_API int retain_engine_counts(retain_engine *e, retain_counts *out);

/**
 * Write a consistent copy of the database to the new file `dest_path` while
 * other connections keep reading and writing (one snapshot, through SQLite's
 * VACUUM INTO). The copy is compact and self-contained: open it with
 * retain_engine_open() like any database. An existing file is never
 * overwritten (RETAIN_ECONFLICT); inside retain_begin() it is RETAIN_EMISUSE.
 * On failure no partial file is left behind.
 */
RETAIN_API int retain_engine_backup(retain_engine *e, const char *dest_path);

/** Free memory that a retain_* function returned to the caller (JSON text ...). */
RETAIN_API void retain_free(retain_engine *e, void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_ENGINE_H */
