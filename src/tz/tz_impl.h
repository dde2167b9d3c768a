/*
 * tz_impl.h (private to src/tz) - the layout of a loaded zone and of the
 * POSIX TZ rule from a TZif footer.
 */
#ifndef RT_TZ_IMPL_H
#define RT_TZ_IMPL_H

#include "tz.h"

#include <stdbool.h>

/* One end of a daylight-saving period in a POSIX TZ string. */
typedef struct rt_posix_date {
    char kind;       /* 'J': Jn (1..365, Feb 29 never counted); 'N': n (0..365); 'M': Mm.w.d */
    int day;         /* J/N: the day number; M: weekday 0..6 (Sunday = 0) */
    int week;        /* M: 1..5, 5 = the last such weekday of the month */
    int month;       /* M: 1..12 */
    int32_t time;    /* seconds after local midnight; -167h..167h (RFC 8536) */
} rt_posix_date;

/* "EST5EDT,M3.2.0,M11.1.0": offsets are seconds east of UTC. */
typedef struct rt_posix_tz {
    int32_t std_off;
    int32_t dst_off;
    bool has_dst;
    rt_posix_date start, end;
} rt_posix_tz;

struct rt_tz {
    char *name;
    int64_t *trans;       /* transition instants, UTC seconds, ascending */
    uint8_t *trans_type;  /* type index in effect from each transition on */
    int32_t *type_off;    /* per local time type: offset east, seconds */
    uint8_t *type_dst;    /* per local time type: 1 if DST */
    int32_t ntrans;
    int32_t ntypes;
    bool has_footer;      /* footer rule governs instants after the last transition */
    rt_posix_tz footer;
};

/* Parse a POSIX TZ string (with the RFC 8536 extensions). */
bool rt_posix_parse(const char *s, size_t n, rt_posix_tz *out);
/* Offset in effect at `t` (UTC seconds); *is_dst may be NULL. */
int32_t rt_posix_offset(const rt_posix_tz *p, int64_t t, int *is_dst);

#endif
