/*
 * stmt.c - prepared-statement cache, transactions and error mapping.
 * The cache is an open-addressing table keyed by the address of the SQL
 * text: each call site owns a static string, so a lookup is one hash of a
 * pointer and statements are prepared once per engine.
 */
#include "store.h"
#include "pg/pg.h"

#include <string.h>

struct rt_stmt_cache {
    size_t cap;  /* power of two */
    size_t used;
    const char **keys;
    rt_st **stmts;
};

static void free_wrapper(retain_engine *e, bool pg, rt_st *st)
{
    if (pg)
        rt_free(&e->alloc, st);
    else
        sqlite3_free(st);
}

/* Prepare on the SQLite connection `db`, or, when db is NULL, on the
 * engine's PostgreSQL connection. */
static int prepare_on(retain_engine *e, sqlite3 *db, const char *sql, unsigned int flags,
                      rt_st **out)
{
    bool pg = !db && e->pg;
    /* The wrapper lives where its statement does: in SQLite's memory for
     * an SQLite statement, so that its heap accounting is unchanged. */
    rt_st *st = pg ? rt_calloc(&e->alloc, 1, sizeof *st) : sqlite3_malloc(sizeof *st);
    if (!st)
        return SQLITE_NOMEM;
    st->lite = NULL;
    st->pg = NULL;
    int src;
    if (pg)
        src = rt_pg_prepare(e, sql, &st->pg);
    else
        src = sqlite3_prepare_v3(db, sql, -1, flags, &st->lite, NULL);
    if (src != SQLITE_OK) {
        free_wrapper(e, pg, st);
        return src;
    }
    *out = st;
    return SQLITE_OK;
}

void rt_finalize(retain_engine *e, rt_st *st)
{
    if (!st)
        return;
    bool pg = st->pg != NULL;
    if (pg)
        rt_pg_finalize(st->pg);
    else
        sqlite3_finalize(st->lite);
    free_wrapper(e, pg, st);
}

int rt_prepare(retain_engine *e, const char *sql, rt_st **out, const char *doing)
{
    *out = NULL;
    int src = prepare_on(e, e->db, sql, 0, out);
    return src == SQLITE_OK ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

/* An error of a connection other than the engine's own. */
static int local_err(retain_engine *e, sqlite3 *db, int src, const char *doing)
{
    char msg[256];
    rt_copy(msg, sizeof msg, sqlite3_errmsg(db));
    return rt_error(e, src == SQLITE_NOMEM ? RETAIN_ENOMEM : RETAIN_EIO, "%s: %s", doing, msg);
}

static size_t slot_of(const char *key, size_t cap)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

static int cache_grow(retain_engine *e)
{
    rt_stmt_cache *c = e->stmts;
    size_t ncap = c->cap ? c->cap * 2 : 64;
    const char **keys = rt_calloc(&e->alloc, ncap, sizeof *keys);
    rt_st **stmts = rt_calloc(&e->alloc, ncap, sizeof *stmts);
    if (!keys || !stmts) {
        rt_free(&e->alloc, keys);
        rt_free(&e->alloc, stmts);
        return rt_nomem(e);
    }
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->keys[i])
            continue;
        size_t j = slot_of(c->keys[i], ncap);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = c->keys[i];
        stmts[j] = c->stmts[i];
    }
    rt_free(&e->alloc, c->keys);
    rt_free(&e->alloc, c->stmts);
    c->keys = keys;
    c->stmts = stmts;
    c->cap = ncap;
    return RETAIN_OK;
}

static int cached(retain_engine *e, sqlite3 *db, const char *sql, rt_st **out)
{
    rt_stmt_cache *c = e->stmts;
    if (!c) {
        c = rt_calloc(&e->alloc, 1, sizeof *c);
        if (!c)
            return rt_nomem(e);
        e->stmts = c;
    }
    if (c->cap) {
        size_t i = slot_of(sql, c->cap);
        while (c->keys[i]) {
            if (c->keys[i] == sql) {
                rt_st *st = c->stmts[i];
                rt_reset(st);
                rt_clear_bindings(st);
                *out = st;
                return RETAIN_OK;
            }
            i = (i + 1) & (c->cap - 1);
        }
    }
    if ((c->used + 1) * 2 > c->cap) {
        int rc = cache_grow(e);
        if (rc)
            return rc;
    }
    rt_st *st = NULL;
    int rc = prepare_on(e, db, sql, SQLITE_PREPARE_PERSISTENT, &st);
    if (rc != SQLITE_OK)
        return db && db != e->db ? local_err(e, db, rc, "preparing a statement")
                                 : rt_sqlerr(e, rc, "preparing a statement");
    size_t i = slot_of(sql, c->cap);
    while (c->keys[i])
        i = (i + 1) & (c->cap - 1);
    c->keys[i] = sql;
    c->stmts[i] = st;
    c->used++;
    *out = st;
    return RETAIN_OK;
}

int rt_stmt(retain_engine *e, const char *sql, rt_st **out)
{
    return cached(e, e->db, sql, out);
}

int rt_stmt_local(retain_engine *e, const char *sql, rt_st **out)
{
    if (!e->pg)
        return cached(e, e->db, sql, out);
    if (!e->scratch) {
        int src = sqlite3_open_v2(":memory:", &e->scratch,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (src != SQLITE_OK) {
            sqlite3_close(e->scratch);
            e->scratch = NULL;
            return rt_error(e, src == SQLITE_NOMEM ? RETAIN_ENOMEM : RETAIN_EIO,
                            "opening an in-memory SQLite for JSON: %s", sqlite3_errstr(src));
        }
    }
    return cached(e, e->scratch, sql, out);
}

/* An iterator's statement holds its read snapshot until it is done. On the
 * engine's own connection, that old snapshot makes every write of this
 * engine fail at once with SQLITE_BUSY_SNAPSHOT as soon as another engine
 * commits (a snapshot cannot be upgraded, so no busy timeout helps): a host
 * that cancels or retries messages while listing them would fail. So an
 * iterator of a file database reads through a second, read-only connection.
 * Inside retain_begin() the engine holds the write lock and the iterator
 * must see the host's own uncommitted changes: the engine's connection. */
static sqlite3 *iter_db(retain_engine *e, int *src)
{
    *src = SQLITE_OK;
    if (e->pg)
        return NULL; /* a PostgreSQL statement reads all its rows at once */
    const char *file = sqlite3_db_filename(e->db, "main");
    if (e->in_host_tx || (e->cfg.flags & RETAIN_OPEN_READONLY) || !file || !*file)
        return e->db;
    if (!e->reader) {
        *src = sqlite3_open_v2(file, &e->reader,
                               SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                               NULL);
        if (*src != SQLITE_OK) {
            sqlite3_close(e->reader);
            e->reader = NULL;
            return NULL;
        }
        sqlite3_busy_timeout(e->reader, e->cfg.busy_timeout_ms);
        char pragmas[80];
        rt_format(pragmas, sizeof pragmas, "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=%lld",
                  (long long)e->cfg.mmap_mib << 20);
        sqlite3_exec(e->reader, pragmas, NULL, NULL, NULL);
    }
    return e->reader;
}

int rt_iter_prepare(retain_engine *e, const char *sql, rt_st **out, const char *doing)
{
    *out = NULL;
    int src;
    sqlite3 *db = iter_db(e, &src);
    if (db || e->pg)
        src = prepare_on(e, db, sql, 0, out);
    if (src == SQLITE_OK)
        return RETAIN_OK;
    if (db && db != e->db)
        return local_err(e, db, src, doing);
    return db || e->pg ? rt_sqlerr(e, src, doing)
              : rt_error(e, src == SQLITE_NOMEM ? RETAIN_ENOMEM : RETAIN_EIO,
                         "%s: cannot open a reading connection: %s", doing, sqlite3_errstr(src));
}

void rt_store_close(retain_engine *e)
{
    /* Iterators still open keep it alive until they are freed. */
    sqlite3_close_v2(e->reader);
    e->reader = NULL;
    rt_stmt_cache *c = e->stmts;
    if (c) {
        for (size_t i = 0; i < c->cap; i++)
            if (c->keys[i])
                rt_finalize(e, c->stmts[i]);
        rt_free(&e->alloc, c->keys);
        rt_free(&e->alloc, c->stmts);
        rt_free(&e->alloc, c);
        e->stmts = NULL;
    }
    if (e->db) {
        sqlite3_close_v2(e->db);
        e->db = NULL;
    }
    sqlite3_close_v2(e->scratch);
    e->scratch = NULL;
    rt_pg_close(e);
}

int64_t rt_changes(retain_engine *e)
{
    return e->pg ? rt_pg_changes(e) : sqlite3_changes64(e->db);
}

int64_t rt_last_id(retain_engine *e)
{
    return e->pg ? rt_pg_last_id(e) : sqlite3_last_insert_rowid(e->db);
}

bool rt_autocommit(retain_engine *e)
{
    return e->pg ? rt_pg_autocommit(e) : sqlite3_get_autocommit(e->db) != 0;
}

int rt_exec_script(retain_engine *e, const char *sql)
{
    return e->pg ? rt_pg_exec_script(e, sql) : sqlite3_exec(e->db, sql, NULL, NULL, NULL);
}

int rt_exec(retain_engine *e, const char *sql)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW)
        ;
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "executing a statement");
}

int rt_sqlerr(retain_engine *e, int src, const char *doing)
{
    int code;
    switch (src & 0xFF) {
    case SQLITE_NOMEM: code = RETAIN_ENOMEM; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    /* WAL: the shared-memory locks kept changing under repeated tries;
     * SQLite's advice is to try again, as for a busy lock. */
    case SQLITE_PROTOCOL: code = RETAIN_EBUSY; break;
    case SQLITE_CONSTRAINT: code = RETAIN_ECONSTRAINT; break;
    case SQLITE_READONLY: code = RETAIN_EMISUSE; break;
    case SQLITE_FULL: code = RETAIN_EFULL; break;
    case SQLITE_IOERR:
        /* A VFS that could not allocate reports SQLITE_IOERR_NOMEM. */
        code = src == SQLITE_IOERR_NOMEM ? RETAIN_ENOMEM : RETAIN_EIO;
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = RETAIN_EIO; break;
    case SQLITE_TOOBIG: code = RETAIN_ELIMIT; break;
    default: code = RETAIN_EINTERNAL; break;
    }
    const char *detail = e->pg   ? rt_pg_errmsg(e)
                         : e->db ? sqlite3_errmsg(e->db)
                                 : sqlite3_errstr(src);
    if (code == RETAIN_ENOMEM)
        return rt_nomem(e);
    return rt_error(e, code, "%s: %s", doing, detail);
}

/* The transaction statements, prepared when the engine opens (see
 * rt_tx_prepare) so that ending a transaction never needs memory: a
 * ROLLBACK that could not be prepared under memory pressure would leave
 * the transaction open and every later call failing. */
const char rt_sql_begin[] = "BEGIN IMMEDIATE";
/* The same to SQLite; to the PostgreSQL driver, a worker's transaction. */
static const char sql_begin_worker[] = "BEGIN IMMEDIATE TRANSACTION";
const char rt_sql_commit[] = "COMMIT";
const char rt_sql_rollback[] = "ROLLBACK";
static const char sql_begin_read[] = "BEGIN";
static const char sql_savepoint[] = "SAVEPOINT rt_call";
static const char sql_release[] = "RELEASE rt_call";
static const char sql_rollback_to[] = "ROLLBACK TO rt_call";

int rt_tx_prepare(retain_engine *e)
{
    static const char *const all[] = { rt_sql_begin, rt_sql_commit, rt_sql_rollback,
                                       sql_begin_worker, sql_begin_read, sql_savepoint, sql_release,
                                       sql_rollback_to };
    rt_st *st;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        int rc = rt_stmt(e, all[i], &st);
        if (rc)
            return rc;
    }
    return RETAIN_OK;
}

int rt_read_begin(retain_engine *e)
{
    return rt_exec(e, sql_begin_read);
}

void rt_tx_abort(retain_engine *e)
{
    int code = e->errcode;
    char msg[sizeof e->errmsg];
    memcpy(msg, e->errmsg, sizeof msg);
    if (!rt_autocommit(e))
        rt_exec(e, rt_sql_rollback);
    e->errcode = code;
    memcpy(e->errmsg, msg, sizeof msg);
}

/* Note that the host's transaction is gone (SQLite rolled it back as a
 * whole), and say so after the error message already set. */
static void host_tx_lost(retain_engine *e, int code)
{
    e->host_tx_lost = code;
    size_t n = strlen(e->errmsg);
    rt_format(e->errmsg + n, sizeof e->errmsg - n,
              "; the transaction begun by retain_begin was rolled back as a whole");
}

static int tx_begin(retain_engine *e, const char *begin)
{
    if (e->call_depth > 0) {
        e->call_depth++;
        return RETAIN_OK; /* already inside this call's transaction */
    }
    if (e->in_host_tx && e->host_tx_lost)
        return rt_error(e, RETAIN_EMISUSE,
                        "the transaction begun by retain_begin was rolled back by an earlier "
                        "error (%s); call retain_rollback and start again",
                        retain_errstr(e->host_tx_lost));
    int rc = rt_exec(e, e->in_host_tx ? sql_savepoint : begin);
    if (rc == RETAIN_OK) {
        if (!e->in_host_tx)
            e->tx_serial++;
        e->call_depth++;
    } else if (e->in_host_tx && rt_autocommit(e)) {
        /* A SAVEPOINT that fails for want of memory may take the host's
         * whole transaction with it; the calls after it must not run in
         * autocommit mode and commit on their own. */
        host_tx_lost(e, rc);
    }
    return rc;
}

int rt_tx_begin(retain_engine *e)
{
    return tx_begin(e, rt_sql_begin);
}

int rt_tx_begin_worker(retain_engine *e)
{
    return tx_begin(e, sql_begin_worker);
}

bool rt_store_shared(const retain_engine *e)
{
    return e->pg != NULL;
}

int rt_store_lock(retain_engine *e, int space, int64_t key)
{
    if (!rt_store_shared(e))
        return RETAIN_OK;
    rt_st *st;
    int rc = rt_stmt(e, "SELECT rt_lock(?1, ?2)", &st);
    if (rc)
        return rc;
    rt_bind_int(st, 1, space);
    rt_bind_int64(st, 2, key);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "waiting for a worker's lock");
}

int rt_tx_end(retain_engine *e, int rc)
{
    if (--e->call_depth > 0)
        return rc;
    if (rc != RETAIN_OK)
        e->tx_serial++; /* what the call read or left in memory is checked again */
    if (rc == RETAIN_OK && rt_autocommit(e))
        rc = rt_error(e, RETAIN_EINTERNAL,
                      "the call's transaction ended under it (a statement error was lost); "
                      "what it wrote after that may be committed");
    if (rc == RETAIN_OK) {
        int crc = rt_exec(e, e->in_host_tx ? "RELEASE rt_call" : "COMMIT");
        if (crc == RETAIN_OK)
            return RETAIN_OK;
        rc = crc;
    }
    /* Keep the first error's message: the rollback must not overwrite it. */
    int code = e->errcode;
    char msg[sizeof e->errmsg];
    memcpy(msg, e->errmsg, sizeof msg);
    if (e->in_host_tx && !rt_autocommit(e)) {
        rt_exec(e, sql_rollback_to);
        rt_exec(e, sql_release);
    } else if (!rt_autocommit(e)) {
        rt_exec(e, rt_sql_rollback);
    }
    e->errcode = code;
    memcpy(e->errmsg, msg, sizeof msg);
    if (e->in_host_tx && rt_autocommit(e)) {
        /* SQLite rolls the whole transaction back after an I/O error, a
         * full disk or a failed allocation in some statements: the host's
         * earlier calls are gone too, and it must hear so. */
        host_tx_lost(e, code ? code : rc);
    }
    return rc;
}

int rt_query_int64(retain_engine *e, const char *sql, int64_t *out, const char *doing)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src = rt_sqlstep(st);
    *out = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

int rt_step(retain_engine *e, rt_st *st, const char *doing)
{
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        return RETAIN_ROW;
    if (src == SQLITE_DONE)
        return RETAIN_DONE;
    rt_reset(st);
    return rt_sqlerr(e, src, doing);
}

int rt_bind_text(rt_st *st, int idx, const char *s)
{
    return s ? rt_bind_textn(st, idx, s, -1, SQLITE_STATIC) : rt_bind_null(st, idx);
}

const char *rt_col_text(rt_st *st, int col)
{
    return rt_column_text(st, col);
}

int rt_col_str(retain_engine *e, rt_st *st, int col, const char **out)
{
    /* The type first: a failed conversion leaves the value NULL. */
    bool null = rt_column_type(st, col) == SQLITE_NULL;
    *out = rt_col_text(st, col);
    return *out || null ? RETAIN_OK : rt_nomem(e);
}

int rt_row_check(retain_engine *e)
{
    if (e->pg)
        return RETAIN_OK; /* the driver copies nothing when a column is read */
    return sqlite3_errcode(e->db) == SQLITE_NOMEM ? rt_nomem(e) : RETAIN_OK;
}

void rt_col_copy(char *dst, size_t size, rt_st *st, int col)
{
    rt_copy(dst, size, rt_col_text(st, col));
}

int64_t rt_col_time(rt_st *st, int col)
{
    return rt_column_type(st, col) == SQLITE_NULL ? INT64_MIN : rt_column_int64(st, col);
}

int rt_lookup(retain_engine *e, const char *sql, const char *id, const char *noun,
              rt_st **out)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, id, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *out = st;
        return RETAIN_OK;
    }
    rt_reset(st);
    if (src == SQLITE_DONE)
        return rt_error(e, RETAIN_ENOTFOUND, "%s \"%s\" does not exist", noun, id);
    char doing[64];
    rt_format(doing, sizeof doing, "looking up %s", noun);
    return rt_sqlerr(e, src, doing);
}

int rt_customer_key(retain_engine *e, const char *ext_id, int64_t *key)
{
    /* A merged-away id is an alias of the customer it was merged into. */
    static const char sql[] =
        "SELECT coalesce((SELECT id FROM customer WHERE ext_id=?1),"
        " (SELECT customer FROM customer_alias WHERE ext_id=?1))";
    rt_st *st;
    int rc = rt_lookup(e, sql, ext_id, "customer", &st);
    if (rc == RETAIN_OK && rt_column_type(st, 0) == SQLITE_NULL) {
        rt_reset(st);
        return rt_error(e, RETAIN_ENOTFOUND, "customer \"%s\" does not exist", ext_id);
    }
    if (rc)
        return rc;
    *key = rt_column_int64(st, 0);
    rt_reset(st);
    return RETAIN_OK;
}
