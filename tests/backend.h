/*
 * backend.h - run a suite against either store backend, unchanged.
 *
 * With RETAIN_TEST_PG set (a libpq connection string of a throw-away
 * server, as tests/pg/with_server.sh sets it), every retain_engine_open and
 * retain_engine_open_ex of a test names a PostgreSQL schema instead of an
 * SQLite file: ":memory:" gets a new empty schema at each open, as SQLite
 * gives a new empty database; a file path gets a schema of its own, made
 * empty again whenever the file does not exist (a marker file is created,
 * and PATH.pglock serialises the first opens),
 * so that reopening a path finds its data and removing the file starts
 * over. Without RETAIN_TEST_PG the calls go straight to the library.
 */
#ifndef RT_TEST_BACKEND_H
#define RT_TEST_BACKEND_H

#include <retain.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RETAIN_TEST_HAVE_PG
#include <libpq-fe.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

/* The connection that creates and drops schemas (one per thread). */
static PGconn *t_pg_admin(void)
{
    static _Thread_local PGconn *conn;
    static _Thread_local pid_t owner;
    if (conn && owner == getpid())
        return conn;
    conn = PQconnectdb(getenv("RETAIN_TEST_PG"));
    owner = getpid();
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "backend.h: cannot connect to RETAIN_TEST_PG: %s", PQerrorMessage(conn));
        exit(2);
    }
    PQclear(PQexec(conn, "SET client_min_messages=warning"));
    return conn;
}

static void t_pg_schema(const char *schema, bool fresh)
{
    char sql[256];
    if (fresh)
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
                 schema);
    else
        snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
    PGresult *res = PQexec(t_pg_admin(), sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "backend.h: %s: %s", sql, PQresultErrorMessage(res));
        exit(2);
    }
    PQclear(res);
}

static void t_pg_schema_name(const char *path, char *schema, size_t size)
{
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(schema, size, "f_%016llx", h);
}

/* Run `sql` in the schema that stands for the file `path`; 0 on success. */
static inline int t_backend_sql(const char *path, const char *sql)
{
    char schema[64], buf[1024];
    t_pg_schema_name(path, schema, sizeof schema);
    snprintf(buf, sizeof buf, "SET search_path=%s; %s", schema, sql);
    PGresult *res = PQexec(t_pg_admin(), buf);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "backend.h: %s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    PQclear(PQexec(t_pg_admin(), "SET search_path=public"));
    return ok ? 0 : -1;
}

/* Run the query `sql` in the schema of `path`: the first row's first n
 * columns as integers into vals; 0 on success. */
static inline int t_backend_query(const char *path, const char *sql, int64_t *vals, int n)
{
    char schema[64], buf[1024];
    t_pg_schema_name(path, schema, sizeof schema);
    snprintf(buf, sizeof buf, "SET search_path=%s", schema);
    PQclear(PQexec(t_pg_admin(), buf));
    PGresult *res = PQexec(t_pg_admin(), sql);
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) >= 1 && PQnfields(res) >= n;
    for (int i = 0; ok && i < n; i++)
        vals[i] = strtoll(PQgetvalue(res, 0, i), NULL, 10);
    if (!ok)
        fprintf(stderr, "backend.h: %s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    PQclear(PQexec(t_pg_admin(), "SET search_path=public"));
    return ok ? 0 : -1;
}

/* The PostgreSQL stand-in for an SQLite path, in buf. */
static const char *t_backend_path(const char *path, char *buf, size_t size)
{
    const char *base = getenv("RETAIN_TEST_PG");
    if (!base || !*base || !path || strncmp(path, "postgres", 8) == 0 ||
        strncmp(path, "host=", 5) == 0)
        return path;
    static unsigned counter;
    char schema[64];
    if (path[0] == '\0')
        return path; /* refused by the library, whatever the backend */
    if (strcmp(path, ":memory:") == 0) {
        snprintf(schema, sizeof schema, "m_%ld_%u", (long)getpid(), ++counter);
        t_pg_schema(schema, true);
    } else {
        t_pg_schema_name(path, schema, sizeof schema);
        /* Processes and threads opening the same path at once: one makes
         * the schema new, under a lock, before any of them uses it. */
        char lock[1100];
        snprintf(lock, sizeof lock, "%s.pglock", path);
        int lk = open(lock, O_RDWR | O_CREAT, 0644);
        if (lk < 0)
            return path; /* no such directory: the library says so */
        flock(lk, LOCK_EX);
        bool fresh = access(path, F_OK) != 0;
        t_pg_schema(schema, fresh);
        int fd = fresh ? open(path, O_WRONLY | O_CREAT, 0644) : -1;
        if (fd >= 0)
            close(fd);
        /* Gone before it is unlocked: a waiter on the old file then finds
         * the marker there, and the directory is left as the test made it. */
        unlink(lock);
        flock(lk, LOCK_UN);
        close(lk);
    }
    snprintf(buf, size, "%s options='-c search_path=%s'", base, schema);
    return buf;
}
#else
static inline const char *t_backend_path(const char *path, char *buf, size_t size)
{
    (void)buf, (void)size;
    return path;
}

static inline int t_backend_sql(const char *path, const char *sql)
{
    (void)path, (void)sql;
    return -1;
}

static inline int t_backend_query(const char *path, const char *sql, int64_t *vals, int n)
{
    (void)path, (void)sql, (void)vals, (void)n;
    return -1;
}
#endif

/* True when the suite runs against PostgreSQL. */
static inline bool t_backend_pg(void)
{
    const char *base = getenv("RETAIN_TEST_PG");
    return base && *base;
}

static inline int t_engine_open(retain_engine **e, const char *path, const retain_options *o)
{
    char buf[1024];
    return (retain_engine_open)(e, t_backend_path(path, buf, sizeof buf), o);
}

static inline int t_engine_open_ex(retain_engine **e, const char *path, const retain_options *o,
                                   char *err, size_t errsize)
{
    char buf[1024];
    return (retain_engine_open_ex)(e, t_backend_path(path, buf, sizeof buf), o, err, errsize);
}

#define retain_engine_open(e, path, o) t_engine_open(e, path, o)
#define retain_engine_open_ex(e, path, o, err, n) t_engine_open_ex(e, path, o, err, n)

#endif
