/*
 * retain/common.h - types and conventions shared by every libretain header:
 * the export macro, version, status codes, allocator, diagnostics, money.
 */
#ifndef RETAIN_COMMON_H
#define RETAIN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(RETAIN_BUILDING)
#define RETAIN_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define RETAIN_API __attribute__((visibility("default")))
#else
#define RETAIN_API
#endif

#define RETAIN_VERSION_MAJOR 0
#define RETAIN_VERSION_MINOR 1
#define RETAIN_VERSION_PATCH 0
#define RETAIN_VERSION_STRING "0.1.0"
/** One integer that compares correctly: major*10000 + minor*100 + patch. */
#define RETAIN_VERSION_NUMBER \
    (RETAIN_VERSION_MAJOR * 10000 + RETAIN_VERSION_MINOR * 100 + RETAIN_VERSION_PATCH)

/** The version of the library linked at run time ("0.1.0"). */
RETAIN_API const char *retain_version(void);
/** RETAIN_VERSION_NUMBER of the library linked at run time. */
RETAIN_API int retain_version_number(void);

/**
 * Status codes. Every function returns RETAIN_OK (0) or a negative code;
 * iterators also return the positive RETAIN_ROW and RETAIN_DONE.
 */
typedef enum retain_status {
    RETAIN_OK = 0,
    RETAIN_EINVAL = -1,      /**< an argument is invalid; the message names it */
    RETAIN_ENOTFOUND = -2,   /**< the named object does not exist */
    RETAIN_ECONFLICT = -3,   /**< it exists already, or conflicts with what exists */
    RETAIN_ECONSTRAINT = -4, /**< the change would break a rule of the data model */
    RETAIN_ENOMEM = -5,      /**< an allocation failed; nothing was changed */
    RETAIN_EIO = -6,         /**< the database file could not be read or written */
    RETAIN_EBUSY = -7,       /**< another connection held a lock past the timeout; retry later */
    RETAIN_EPARSE = -8,      /**< YAML or rule source is malformed; see retain_diag */
    RETAIN_ELIMIT = -9,      /**< a configured limit was exceeded */
    RETAIN_EUNSUPPORTED = -10, /**< not supported by this build or this database */
    RETAIN_EINTERNAL = -11,  /**< a bug in libretain: please report it */
    RETAIN_EUSER = -12,      /**< a host callback asked to stop */
    RETAIN_EMISUSE = -13,    /**< API called in the wrong state (e.g. commit without begin) */
    RETAIN_EFULL = -14,      /**< the disk (or a quota) is full; nothing was changed; free space and retry */
    RETAIN_ROW = 100,        /**< an iterator produced a row */
    RETAIN_DONE = 101        /**< an iterator has no more rows */
} retain_status;

/** A short English name for a status code ("invalid argument"); never NULL. */
RETAIN_API const char *retain_errstr(int code);

/**
 * A replaceable allocator. All memory libretain allocates goes through it.
 * realloc(ctx, NULL, n) must behave as malloc; free(ctx, NULL) must be a no-op.
 * Leave every member NULL to use the C library's malloc/realloc/free.
 */
typedef struct retain_allocator {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} retain_allocator;

/** Where a parse or compile error is, with a message a person can act on. */
typedef struct retain_diag {
    int line;          /**< 1-based; 0 when not known */
    int column;        /**< 1-based, in characters (UTF-8 code points); 0 when not known */
    int code;          /**< the status code returned with it */
    char message[512]; /**< "unknown field \"customer.emial\" (did you mean \"customer.email\"?)" */
    char snippet[256]; /**< the offending source line and a caret under the column, when known */
} retain_diag;

/** "No such time": first_order_at of a customer without orders, and so on. */
#define RETAIN_TIME_NONE INT64_MIN

/** Money: integer minor units of an ISO 4217 currency ("USD", 1999 = $19.99). */
typedef struct retain_money {
    int64_t amount;
    char currency[4];
} retain_money;

/** Number of minor-unit digits of an ISO 4217 code (2 for USD, 0 for JPY), or -1 if unknown. */
RETAIN_API int retain_currency_digits(const char *code);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_COMMON_H */
