/*
 * tz.h (internal) - IANA time zones read from the system's TZif files.
 * Zones are loaded once per engine and cached; a loaded zone is immutable
 * and may be read from several threads.
 */
#ifndef RT_TZ_H
#define RT_TZ_H

#include "core/engine.h"

typedef struct rt_tz rt_tz;

/* Find (loading and caching on first use) the zone `name` ("Europe/Berlin",
 * "UTC"). RETAIN_ENOTFOUND with a message if no such zone exists,
 * RETAIN_EINVAL if the name is malformed (absolute path, "..", bad chars),
 * RETAIN_EPARSE if the file is not valid TZif. "UTC" and "Etc/UTC" are
 * built in when the zoneinfo directory has no such file. */
int rt_tz_get(retain_engine *e, const char *name, const rt_tz **out);

/* The zone's name as loaded. */
const char *rt_tz_name(const rt_tz *z);

/* Offset from UTC in seconds (east positive) in effect at `utc_ms`. */
int32_t rt_tz_offset(const rt_tz *z, int64_t utc_ms);

/* Convert local wall-clock time (ms since 1970-01-01T00:00 local) to UTC.
 * In a gap (spring forward) the time is moved forward by the gap; in an
 * overlap (fall back) the earlier instant is chosen. */
int64_t rt_tz_local_to_utc(const rt_tz *z, int64_t local_ms);

/* Free the engine's zone cache (called by retain_engine_close). */
void rt_tz_cache_free(retain_engine *e);

/* --- additions ---------------------------------------------------------- */

/* Whether daylight saving time is in effect at `utc_ms`. */
int rt_tz_is_dst(const rt_tz *z, int64_t utc_ms);

/* The zone "UTC", built in: never fails, needs no file. */
const rt_tz *rt_tz_utc(void);

/* Parse TZif bytes into a zone named `name` (white-box tests, fuzzing).
 * RETAIN_EPARSE with `why` set (a static string) when malformed. */
int rt_tz_parse(const retain_allocator *a, const char *name, const unsigned char *data,
                size_t len, rt_tz **out, const char **why);
void rt_tz_free(const retain_allocator *a, rt_tz *z);

/* Civil calendar helpers (proleptic Gregorian, any int64 day count). */
int64_t rt_days_from_civil(int64_t y, int m, int d);
void rt_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 0 = Sunday ... 6 = Saturday. */
int rt_weekday_from_days(int64_t days);
/* Floor division of a millisecond time into days/seconds. */
int64_t rt_floor_div(int64_t a, int64_t b);

#endif
