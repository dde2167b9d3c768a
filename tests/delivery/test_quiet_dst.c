/*
 * test_quiet_dst.c - quiet hours in the customer's own time zone across the
 * spring and autumn DST changes of 2024 in America/New_York, Europe/Berlin,
 * Australia/Sydney and Australia/Adelaide (UTC+9:30/+10:30), and in
 * Asia/Kolkata (UTC+5:30, no DST); windows that end in a DST gap or
 * overlap; the store zone as the fallback. A fixed-offset implementation
 * fails every DST row by an hour.
 *
 * Needs the system zoneinfo; exits 77 (skipped) when the time zone module
 * cannot tell New York's winter from UTC.
 */
#include "dutil.h"
#include "tz/tz.h"

/* A UTC time from its calendar fields. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (rt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000LL;
}

typedef struct dst_case {
    const char *zone;
    const char *what;
    int64_t due;        /* UTC */
    int64_t want;       /* UTC, or 0: not deferred */
    const char *until;  /* "08:00" in the reason */
} dst_case;

static void run_cases(retain_engine *e, const dst_case *cases, size_t n, int quiet_start,
                      int quiet_end)
{
    static int serial;
    CHECK_OK(e, retain_policy_quiet_hours_set(e, "sms", quiet_start, quiet_end));
    for (size_t i = 0; i < n; i++) {
        const dst_case *c = &cases[i];
        char id[16];
        snprintf(id, sizeof id, "q%d", ++serial);
        d_customer(e, id, c->zone, c->due - 30 * DAY);
        rt_send_request r = d_req(d_key(e, id), serial, "s", "sms", "transactional", c->due);
        rt_gate_result g = d_enqueue(e, &r, c->due);
        if (!c->want) {
            if (g.decision != RT_GATE_QUEUED || g.not_before != c->due)
                T_FAIL("%s %s: decision %d not_before %lld, wanted queued at due", c->zone,
                       c->what, g.decision, (long long)g.not_before);
            else
                t_passed++;
            continue;
        }
        char reason[160];
        snprintf(reason, sizeof reason, "quiet hours for sms until %s %s", c->until, c->zone);
        if (g.decision != RT_GATE_DEFERRED || g.not_before != c->want || strcmp(g.reason, reason))
            T_FAIL("%s %s: decision %d not_before %lld (%+lld min off) \"%s\"; wanted %lld \"%s\"",
                   c->zone, c->what, g.decision, (long long)g.not_before,
                   (long long)(g.not_before - c->want) / MIN, g.reason, (long long)c->want,
                   reason);
        else
            t_passed++;
    }
}

int main(void)
{
    retain_engine *e = d_open(":memory:");
    const rt_tz *ny = NULL;
    if (rt_tz_get(e, "America/New_York", &ny) != RETAIN_OK ||
        rt_tz_offset(ny, utc(2024, 1, 15, 12, 0)) != -5 * 3600) {
        printf("delivery/quiet_dst: SKIP: time zones are not available (or the UTC-only "
               "placeholder is in use)\n");
        retain_engine_close(e);
        return 77;
    }
    /* SMS quiet from 21:00 to 08:00 local (the default). */
    const dst_case night[] = {
        /* New York: spring forward 2024-03-10 02:00 EST -> 03:00 EDT. */
        { "America/New_York", "evening before spring forward", utc(2024, 3, 10, 3, 0),
          utc(2024, 3, 10, 12, 0), "08:00" },
        { "America/New_York", "03:30 EDT just after the gap", utc(2024, 3, 10, 7, 30),
          utc(2024, 3, 10, 12, 0), "08:00" },
        { "America/New_York", "20:59 EDT on the day", utc(2024, 3, 11, 0, 59), 0, NULL },
        { "America/New_York", "21:00 EDT on the day", utc(2024, 3, 11, 1, 0),
          utc(2024, 3, 11, 12, 0), "08:00" },
        { "America/New_York", "07:59 EST the day before", utc(2024, 3, 9, 12, 59),
          utc(2024, 3, 9, 13, 0), "08:00" },
        /* New York: fall back 2024-11-03 02:00 EDT -> 01:00 EST. */
        { "America/New_York", "evening before fall back", utc(2024, 11, 3, 2, 0),
          utc(2024, 11, 3, 13, 0), "08:00" },
        { "America/New_York", "01:30 EDT, first pass", utc(2024, 11, 3, 5, 30),
          utc(2024, 11, 3, 13, 0), "08:00" },
        { "America/New_York", "01:30 EST, second pass", utc(2024, 11, 3, 6, 30),
          utc(2024, 11, 3, 13, 0), "08:00" },
        { "America/New_York", "08:00 EST", utc(2024, 11, 3, 13, 0), 0, NULL },
        /* Berlin: 2024-03-31 02:00 CET -> 03:00 CEST; 2024-10-27 03:00 CEST -> 02:00 CET. */
        { "Europe/Berlin", "evening before spring forward", utc(2024, 3, 30, 22, 0),
          utc(2024, 3, 31, 6, 0), "08:00" },
        { "Europe/Berlin", "20:00 CEST on the day", utc(2024, 3, 31, 18, 0), 0, NULL },
        { "Europe/Berlin", "evening before fall back", utc(2024, 10, 26, 21, 0),
          utc(2024, 10, 27, 7, 0), "08:00" },
        { "Europe/Berlin", "02:30 CET after the overlap", utc(2024, 10, 27, 1, 30),
          utc(2024, 10, 27, 7, 0), "08:00" },
        /* Sydney: DST ends 2024-04-07 03:00 AEDT -> 02:00 AEST, starts 2024-10-06
         * 02:00 AEST -> 03:00 AEDT. */
        { "Australia/Sydney", "evening before DST ends", utc(2024, 4, 6, 11, 0),
          utc(2024, 4, 6, 22, 0), "08:00" },
        { "Australia/Sydney", "evening before DST starts", utc(2024, 10, 5, 12, 0),
          utc(2024, 10, 5, 21, 0), "08:00" },
        { "Australia/Sydney", "noon AEDT", utc(2024, 10, 6, 1, 0), 0, NULL },
        /* Adelaide, half an hour off: +10:30 -> +9:30 and back, same dates. */
        { "Australia/Adelaide", "evening before DST ends", utc(2024, 4, 6, 11, 30),
          utc(2024, 4, 6, 22, 30), "08:00" },
        { "Australia/Adelaide", "evening before DST starts", utc(2024, 10, 5, 12, 30),
          utc(2024, 10, 5, 21, 30), "08:00" },
        { "Australia/Adelaide", "07:45 ACDT", utc(2024, 10, 5, 21, 15), utc(2024, 10, 5, 21, 30),
          "08:00" },
        { "Australia/Adelaide", "20:59 ACDT", utc(2024, 10, 6, 10, 29), 0, NULL },
        /* Kolkata: +5:30 all year. */
        { "Asia/Kolkata", "22:00 IST", utc(2024, 3, 10, 16, 30), utc(2024, 3, 11, 2, 30),
          "08:00" },
    };
    run_cases(e, night, sizeof night / sizeof night[0], 21 * 60, 8 * 60);

    /* A window that ends inside the spring-forward gap ends when the gap
     * does (02:30 does not exist: 03:30 EDT); one that ends inside the
     * autumn overlap ends at its first occurrence. */
    const dst_case gap[] = {
        { "America/New_York", "ends in the gap", utc(2024, 3, 10, 4, 0),
          utc(2024, 3, 10, 7, 30), "03:30" },
        { "Europe/Berlin", "ends in the gap", utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 1, 30),
          "03:30" },
    };
    run_cases(e, gap, sizeof gap / sizeof gap[0], 23 * 60, 2 * 60 + 30);
    const dst_case overlap[] = {
        { "America/New_York", "ends in the overlap", utc(2024, 11, 3, 4, 0),
          utc(2024, 11, 3, 5, 30), "01:30" },
        { "Europe/Berlin", "ends in the overlap", utc(2024, 10, 26, 23, 0),
          utc(2024, 10, 27, 0, 30), "02:30" },
    };
    run_cases(e, overlap, 1, 23 * 60, 1 * 60 + 30);
    run_cases(e, overlap + 1, 1, 23 * 60, 2 * 60 + 30);
    retain_engine_close(e);

    /* Customers without a zone use the store's zone; delivery happens at
     * exactly the deferred instant. */
    retain_options o = RETAIN_OPTIONS_INIT;
    o.default_timezone = "Australia/Sydney";
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", &o));
    d_customer(e, "zed", NULL, utc(2024, 9, 1, 0, 0));
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "sms", &s);
    rt_send_request r = d_req(d_key(e, "zed"), 1, "s", "sms", "transactional",
                              utc(2024, 10, 5, 12, 0));
    rt_gate_result g = d_enqueue(e, &r, utc(2024, 10, 5, 12, 0));
    CHECK_INT(g.not_before, utc(2024, 10, 5, 21, 0));
    CHECK_STR(g.reason, "quiet hours for sms until 08:00 Australia/Sydney");
    CHECK_INT(d_deliver(e, utc(2024, 10, 5, 20, 59)).sent, 0);
    CHECK_INT(d_deliver(e, utc(2024, 10, 5, 21, 0)).sent, 1);
    CHECK_INT(s.log[0].now, utc(2024, 10, 5, 21, 0));
    retain_engine_close(e);
    return t_report("delivery/quiet_dst");
}
