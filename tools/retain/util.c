/* util.c - argument and time helpers of the command-line tool. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

retain_engine *cli_open(const char *path, bool readonly)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    if (readonly)
        o.flags = RETAIN_OPEN_READONLY;
    retain_engine *e = NULL;
    char err[512];
    if (retain_engine_open_ex(&e, path, &o, err, sizeof err) != RETAIN_OK) {
        fprintf(stderr, "retain: %s\n", err);
        return NULL;
    }
    return e;
}

static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

bool cli_parse_time(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && strlen(s) > 8) {
        *out = v;
        return true;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    char tail[8] = "";
    int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%7s", &y, &mo, &d, &h, &mi, &sec, tail);
    if (n < 3 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    if (n == 7 && strcmp(tail, "Z") != 0)
        return false;
    *out = ((int64_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
    return true;
}

bool cli_parse_duration(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return false;
    int64_t unit = !strcmp(end, "s") ? 1000 : !strcmp(end, "m") ? 60000
                 : !strcmp(end, "h") ? 3600000 : !strcmp(end, "d") ? 86400000
                 : !strcmp(end, "w") ? 7 * 86400000LL : 0;
    if (!unit)
        return false;
    *out = v * unit;
    return true;
}

void cli_format_time(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool cli_flag(int *argc, char **argv, const char *flag)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0) {
            memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof *argv);
            (*argc)--;
            return true;
        }
    }
    return false;
}

const char *cli_option(int *argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < *argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            const char *v = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof *argv);
            *argc -= 2;
            return v;
        }
    }
    return NULL;
}

bool cli_need_now(int *argc, char **argv, int64_t *now)
{
    const char *s = cli_option(argc, argv, "--now");
    if (!s) {
        fprintf(stderr, "retain: --now T is required (the library never reads the clock)\n");
        return false;
    }
    if (!cli_parse_time(s, now)) {
        fprintf(stderr, "retain: --now \"%s\" is not a time\n", s);
        return false;
    }
    return true;
}

double cli_minor_unit(const char *currency)
{
    double unit = 1.0;
    for (int i = retain_currency_digits(currency); i > 0; i--)
        unit *= 10.0;
    return unit;
}

bool cli_parse_period(const char *s, retain_period *out)
{
    static const retain_period periods[] = { RETAIN_PERIOD_WEEK, RETAIN_PERIOD_MONTH,
                                             RETAIN_PERIOD_QUARTER };
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++) {
        if (!strcmp(s, retain_period_name(periods[i]))) {
            *out = periods[i];
            return true;
        }
    }
    return false;
}
