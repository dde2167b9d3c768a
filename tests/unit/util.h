/* util.h - helpers shared by the unit tests: temporary database files. */
#ifndef RT_TEST_UTIL_H
#define RT_TEST_UTIL_H

#include <retain.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh temporary path for a database file (and its -wal/-shm). */
static inline void t_tmpdb(char *buf, size_t size, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, size, "%s/retain-test-%s-%ld.db", dir && *dir ? dir : "/tmp", tag,
             (long)getpid());
    unlink(buf);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
}

static inline void t_rmdb(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static inline const char *t_data(const char *name)
{
    static char buf[1024];
    const char *dir = getenv("RETAIN_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", name);
    return buf;
}

#define DAY_MS 86400000LL

#endif
