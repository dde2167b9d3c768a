/* mtest.h - helpers shared by the metrics tests: dates, data files, and
 * reading numbers back out of JSON with SQLite's JSON1. */
#ifndef RT_MTEST_H
#define RT_MTEST_H

/* metrics.h (which brings model.h) first: customer.h defines the macro
 * RETAIN_TIME_NONE, which model.h also uses as an enumerator name. */
#include <retain/metrics.h>
#include <retain.h>

#include "harness.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS INT64_C(86400000)

/* ms UTC of y-m-d h:mi:s, computed with libc's timegm (independent of the
 * library's own calendar code). */
static inline int64_t t_ms(int y, int m, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000;
}

/* The last millisecond of a UTC day. */
static inline int64_t t_end_of(int y, int m, int d)
{
    return t_ms(y, m, d, 0, 0, 0) + DAY_MS - 1;
}

static inline const char *t_data(const char *name)
{
    static char buf[1024];
    const char *dir = getenv("RETAIN_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", name);
    return buf;
}

/* A scratch SQLite connection for JSON checks. */
static sqlite3 *t_json_db;

/* json_valid(text) */
static inline int t_json_valid(const char *json)
{
    if (!t_json_db)
        sqlite3_open(":memory:", &t_json_db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(t_json_db, "SELECT json_valid(?1)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return ok;
}

/* json_extract(text, path) as a double; NAN when null or missing. */
static inline double t_json_num(const char *json, const char *path)
{
    if (!t_json_db)
        sqlite3_open(":memory:", &t_json_db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(t_json_db, "SELECT json_extract(?1, ?2)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* json_extract(text, path) as text into buf ("" when null or missing). */
static inline const char *t_json_str(const char *json, const char *path, char *buf, size_t n)
{
    if (!t_json_db)
        sqlite3_open(":memory:", &t_json_db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(t_json_db, "SELECT json_extract(?1, ?2)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static inline void t_json_close(void)
{
    sqlite3_close(t_json_db);
    t_json_db = NULL;
}

/* A NaN check that reads well in CHECK(). */
#define IS_NAN(x) ((x) != (x))

#endif
