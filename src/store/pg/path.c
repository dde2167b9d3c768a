/*
 * path.c - which open paths name a PostgreSQL database: a libpq URI
 * ("postgresql://..." or "postgres://...") or a key=value connection
 * string that starts with one of libpq's keywords ("host=/run/pg dbname=shop").
 * Anything else is an SQLite file name.
 */
#include "pg.h"

#include <string.h>

bool rt_pg_is_uri(const char *path)
{
    static const char *const prefixes[] = {
        "postgresql://", "postgres://", "host=", "hostaddr=", "port=", "dbname=",
        "user=", "service=", "passfile=",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}
