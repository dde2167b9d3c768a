/*
 * test_sql.c - the PostgreSQL driver's rewriting of the store's SQL
 * (src/store/pg/sql.c): each SQLite statement and the text PostgreSQL gets.
 */
#include "harness.h"
#include "store/pg/pg_impl.h"

static void rewrites(const char *sqlite, const char *want, int want_params, bool want_id)
{
    retain_allocator a;
    rt_allocator_resolve(&a, NULL);
    char *got = NULL;
    int n = -1;
    bool id = false;
    CHECK_INT(rt_pg_rewrite(&a, sqlite, &got, &n, &id), 0);
    CHECK_STR(got, want);
    CHECK_INT(n, want_params);
    CHECK_INT(id, want_id);
    rt_free(&a, got);
}

int main(void)
{
    rewrites("SELECT a FROM t WHERE b=?1 AND c=?2 OR d=?1",
             "SELECT a FROM t WHERE b=$1 AND c=$2 OR d=$1", 2, false);
    rewrites("UPDATE t SET a=?, b=? WHERE c=?3", "UPDATE t SET a=$1, b=$2 WHERE c=$3", 3, false);
    rewrites("SELECT '?1 is text', \"max\" FROM t", "SELECT '?1 is text', \"max\" FROM t", 0, false);
    rewrites("INSERT OR IGNORE INTO t(a) VALUES(?1)",
             "INSERT INTO t(a) VALUES($1) ON CONFLICT DO NOTHING", 1, false);
    rewrites("INSERT INTO customer(ext_id) VALUES(?1)",
             "INSERT INTO customer(ext_id) VALUES($1) RETURNING id", 1, true);
    rewrites("INSERT INTO outbox(a) VALUES(?1) RETURNING a",
             "INSERT INTO outbox(a) VALUES($1) RETURNING a", 1, false);
    rewrites("SELECT max(a), max(a,?1), min(b, c, 3) FROM t",
             "SELECT max(a), GREATEST(a,$1), LEAST(b, c, 3) FROM t", 1, false);
    rewrites("SELECT json_object('a',1), json_group_array(x), json_group_object(k,v) FROM t",
             "SELECT json_build_object('a',1), coalesce(json_agg(x),'[]'),"
             " coalesce(json_object_agg(k,v),'{}') FROM t", 0, false);
    rewrites("SELECT instr(a,','), random() & 0x3f, CAST(a AS REAL) FROM t",
             "SELECT strpos(a,','), rt_random() & 63, CAST(a AS float8) FROM t", 0, false);
    rewrites("SELECT 1 FROM t WHERE a IS ?1 AND b IS NOT ?2 AND c IS NULL AND d IS NOT NULL",
             "SELECT 1 FROM t WHERE a IS NOT DISTINCT FROM $1 AND b IS DISTINCT FROM $2"
             " AND c IS NULL AND d IS NOT NULL", 2, false);
    rewrites("SELECT a FROM t NOT INDEXED WHERE b=1", "SELECT a FROM t   WHERE b=1", 0, false);
    rewrites("SELECT a FROM t ORDER BY a, b DESC, c ASC LIMIT 3",
             "SELECT a FROM t ORDER BY a NULLS FIRST, b DESC NULLS LAST, c ASC NULLS FIRST LIMIT 3",
             0, false);
    rewrites("SELECT x FROM (SELECT a AS x FROM t ORDER BY a) WHERE x>0",
             "SELECT x FROM (SELECT a AS x FROM t ORDER BY a NULLS FIRST) AS rt_s1 WHERE x>0", 0,
             false);
    rewrites("SELECT x FROM (SELECT 1 AS x) AS s", "SELECT x FROM (SELECT 1 AS x) AS s", 0, false);
    rewrites("INSERT INTO r(c,k,v) VALUES(?1,?2,?3) ON CONFLICT(c,k) DO UPDATE SET"
             " v=v+excluded.v, w=coalesce(?3,w) WHERE r.v < excluded.v",
             "INSERT INTO r(c,k,v) VALUES($1,$2,$3) ON CONFLICT(c,k) DO UPDATE SET"
             " v=r.v+excluded.v, w=coalesce($3,r.w) WHERE r.v < excluded.v", 3, false);
    /* What only PostgreSQL needs rides in a comment SQLite ignores; other
     * comments are dropped. */
    rewrites("SELECT a FROM t WHERE rt_claim(c) LIMIT ?1 /* a note */ /*pg: FOR UPDATE SKIP LOCKED*/",
             "SELECT a FROM t WHERE rt_claim(c) LIMIT $1   FOR UPDATE SKIP LOCKED", 1, false);

    /* Indexes keep SQLite's NULL order, so that ORDER BY can use them. */
    {
        retain_allocator a;
        rt_allocator_resolve(&a, NULL);
        char *got = NULL;
        CHECK_INT(rt_pg_index_order(&a,
                                    "CREATE TABLE t (a INT, b INT);"
                                    "CREATE INDEX t_ab ON t(a, b DESC) WHERE a IN (1,2);"
                                    "CREATE UNIQUE INDEX t_l ON t(lower(a), b NULLS LAST);",
                                    &got),
                  0);
        CHECK_STR(got, "CREATE TABLE t (a INT, b INT);"
                       "CREATE INDEX t_ab ON t(a NULLS FIRST, b DESC NULLS LAST) WHERE a IN (1,2);"
                       "CREATE UNIQUE INDEX t_l ON t(lower(a) NULLS FIRST, b NULLS LAST);");
        rt_free(&a, got);
    }

    /* Unbalanced parentheses are refused, not guessed at. */
    retain_allocator a;
    rt_allocator_resolve(&a, NULL);
    char *got = NULL;
    int n;
    bool id;
    CHECK_INT(rt_pg_rewrite(&a, "SELECT (1", &got, &n, &id), 1);
    CHECK(got == NULL);
    return t_report("pg-sql");
}
