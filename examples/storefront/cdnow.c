/* cdnow.c - CDNOW loader; see cdnow.h. */
#include "cdnow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long cdnow_days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm. */
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int parse_line(const char *line, int sample, char *cust, size_t custsz, long long *day,
                      long long *cents)
{
    char id[32], date[16], dollars[32];
    int cds;
    int n;
    if (sample) {
        char sid[32];
        n = sscanf(line, "%31s %31s %15s %d %31s", id, sid, date, &cds, dollars);
        if (n != 5)
            return -1;
    } else {
        n = sscanf(line, "%31s %15s %d %31s", id, date, &cds, dollars);
        if (n != 4)
            return -1;
    }
    if (strlen(date) != 8)
        return -1;
    int y = atoi((char[]){ date[0], date[1], date[2], date[3], 0 });
    int m = atoi((char[]){ date[4], date[5], 0 });
    int d = atoi((char[]){ date[6], date[7], 0 });
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    char *dot = strchr(dollars, '.');
    long long whole = atoll(dollars), frac = 0;
    if (dot) {
        char f[3] = { dot[1] ? dot[1] : '0', dot[1] && dot[2] ? dot[2] : '0', 0 };
        frac = atoll(f);
    }
    snprintf(cust, custsz, "%s", id);
    *day = cdnow_days_from_civil(y, m, d);
    *cents = whole * 100 + frac;
    return 0;
}

int cdnow_import(retain_engine *e, const char *path, int sample_format, cdnow_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    FILE *f = fopen(path, "rb");
    if (!f)
        return RETAIN_EIO;
    char line[256], last_cust[32] = "";
    long lineno = 0;
    int rc = retain_begin(e);
    while (rc == RETAIN_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (!sample_format && lineno == 1)
            continue; /* header */
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        char cust[32];
        long long day, cents;
        if (parse_line(line, sample_format, cust, sizeof cust, &day, &cents) != 0) {
            stats->bad_line = lineno;
            rc = RETAIN_EINVAL;
            break;
        }
        int64_t at = (int64_t)day * 86400000;
        if (strcmp(cust, last_cust) != 0) {
            retain_customer c = RETAIN_CUSTOMER_INIT;
            c.id = cust;
            c.at = at;
            rc = retain_customer_upsert(e, &c);
            snprintf(last_cust, sizeof last_cust, "%s", cust);
            stats->customers++;
        }
        char oid[64];
        snprintf(oid, sizeof oid, "cdnow-%ld", lineno);
        retain_order o = RETAIN_ORDER_INIT;
        o.id = oid;
        o.customer_id = cust;
        o.channel = "web";
        o.placed_at = at;
        o.currency = "USD";
        o.total = cents;
        if (rc == RETAIN_OK)
            rc = retain_order_record(e, &o);
        if (rc == RETAIN_OK) {
            stats->rows++;
            stats->cents += cents;
        }
        if (rc == RETAIN_OK && stats->rows % 1000 == 0) {
            rc = retain_commit(e);
            if (rc == RETAIN_OK)
                rc = retain_begin(e);
        }
    }
    fclose(f);
    if (rc == RETAIN_OK)
        return retain_commit(e);
    retain_rollback(e);
    return rc;
}
