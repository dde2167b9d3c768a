/*
 * stmt.c - statements on PostgreSQL, behind db.h's SQLite-shaped calls.
 *
 * Parameters are sent as text with the types they were bound with (int8,
 * float8, or left to the server to infer for text and NULL); a statement
 * is prepared on the server on its first step, once per type signature.
 * Where the declared types do not fit the statement (an integer compared
 * with a text column, a parameter whose type nothing determines), it is
 * prepared again with less declared. A statement reads its whole result at
 * once; steps walk the rows. Results come back as SQLite would give them:
 * booleans as 1 and 0, JSON without the server's spacing.
 */
#include "pg_impl.h"
#include "core/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_pg_prepare(retain_engine *e, const char *sql, rt_pgst **out)
{
    *out = NULL;
    rt_pgst *st = rt_calloc(&e->alloc, 1, sizeof *st);
    if (!st)
        return SQLITE_NOMEM;
    st->e = e;
    st->begin_write = strcmp(sql, "BEGIN IMMEDIATE") == 0;
    st->begin_worker = strcmp(sql, "BEGIN IMMEDIATE TRANSACTION") == 0;
    st->deferred = !strcmp(sql, "SAVEPOINT rt_call") || !strcmp(sql, "RELEASE rt_call");
    st->control = !strncmp(sql, "BEGIN", 5) || !strcmp(sql, "COMMIT") ||
                  !strncmp(sql, "ROLLBACK", 8) || !strncmp(sql, "SAVEPOINT", 9) ||
                  !strncmp(sql, "RELEASE", 7);
    int rc = rt_pg_rewrite(&e->alloc, sql, &st->sql, &st->nparams, &st->returns_id);
    if (rc) {
        rt_free(&e->alloc, st);
        if (rc < 0)
            return SQLITE_NOMEM;
        rt_copy(e->pg->errmsg, sizeof e->pg->errmsg,
                "a statement could not be translated (unbalanced parentheses)");
        return SQLITE_ERROR;
    }
    if (st->nparams > 0) {
        st->values = rt_calloc(&e->alloc, (size_t)st->nparams, sizeof *st->values);
        st->types = rt_calloc(&e->alloc, (size_t)st->nparams + 1, 1);
        st->prepared_types = rt_calloc(&e->alloc, (size_t)st->nparams + 1, 1);
        st->sticky = rt_calloc(&e->alloc, (size_t)st->nparams + 1, 1);
        if (!st->values || !st->types || !st->prepared_types || !st->sticky) {
            rt_pg_finalize(st);
            return SQLITE_NOMEM;
        }
        memset(st->types, 'n', (size_t)st->nparams);
    }
    *out = st;
    return SQLITE_OK;
}

static void free_conv(rt_pgst *st)
{
    if (!st->conv)
        return;
    for (int i = 0; i < st->ncols; i++) {
        rt_free(&st->e->alloc, st->conv[i]);
        st->conv[i] = NULL;
    }
}

void rt_pg_reset(rt_pgst *st)
{
    free_conv(st);
    rt_free(&st->e->alloc, st->conv);
    st->conv = NULL;
    PQclear(st->res);
    st->res = NULL;
    st->row = st->nrows = st->ncols = 0;
}

/* Forget st's statement on the server, if it is still there. */
static void deallocate(rt_pgst *st)
{
    struct rt_pg *pg = st->e->pg;
    if (!st->name[0] || st->generation != pg->generation)
        return;
    char sql[48];
    rt_format(sql, sizeof sql, "DEALLOCATE %s", st->name);
    rt_pg_cleanup(st->e, sql); /* its failure is nobody's business */
}

void rt_pg_finalize(rt_pgst *st)
{
    if (!st)
        return;
    retain_engine *e = st->e;
    rt_pg_reset(st);
    if (e->pg && PQtransactionStatus(e->pg->conn) != PQTRANS_INERROR)
        deallocate(st);
    for (int i = 0; i < st->nparams && st->values; i++)
        rt_free(&e->alloc, st->values[i]);
    rt_free(&e->alloc, st->values);
    rt_free(&e->alloc, st->types);
    rt_free(&e->alloc, st->prepared_types);
    rt_free(&e->alloc, st->sticky);
    rt_free(&e->alloc, st->sql);
    rt_free(&e->alloc, st);
}

static int set_value(rt_pgst *st, int idx, char type, const char *s, int n)
{
    if (idx < 1 || idx > st->nparams)
        return SQLITE_RANGE;
    char **v = &st->values[idx - 1];
    rt_free(&st->e->alloc, *v);
    *v = NULL;
    /* A NULL keeps the type this parameter had before, so that one
     * prepared statement serves both. */
    if (type != 'n')
        st->sticky[idx - 1] = type;
    st->types[idx - 1] = type == 'n' && st->sticky[idx - 1] ? st->sticky[idx - 1] : type;
    if (!s)
        return SQLITE_OK;
    *v = n < 0 ? rt_strdup(&st->e->alloc, s) : rt_strndup(&st->e->alloc, s, (size_t)n);
    if (!*v) {
        st->types[idx - 1] = 'n';
        return SQLITE_NOMEM;
    }
    return SQLITE_OK;
}

int rt_pg_bind_int64(rt_pgst *st, int idx, int64_t v)
{
    char text[24];
    rt_format(text, sizeof text, "%lld", (long long)v);
    return set_value(st, idx, 'i', text, -1);
}

int rt_pg_bind_double(rt_pgst *st, int idx, double v)
{
    char text[40];
    rt_format(text, sizeof text, "%.17g", v);
    return set_value(st, idx, 'd', text, -1);
}

int rt_pg_bind_text(rt_pgst *st, int idx, const char *s, int n)
{
    return set_value(st, idx, s ? 't' : 'n', s, n);
}

int rt_pg_bind_null(rt_pgst *st, int idx)
{
    return set_value(st, idx, 'n', NULL, 0);
}

void rt_pg_clear_bindings(rt_pgst *st)
{
    for (int i = 1; i <= st->nparams; i++)
        set_value(st, i, 'n', NULL, 0);
}

/* Declared types for a signature: integers as int8 and floats as float8,
 * text and NULL left to inference, except that `ints_free` leaves integers
 * to inference too and `force` names a type for some: 'T' text, 'I' int8. */
static void oids_for(const char *sig, int n, bool ints_free, const char *force, Oid *oids)
{
    for (int i = 0; i < n; i++) {
        char c = sig[i];
        oids[i] = force[i] == 'T' ? RT_OID_TEXT : force[i] == 'I' ? RT_OID_INT8
                  : c == 'd' ? RT_OID_FLOAT8 : c == 'i' && !ints_free ? RT_OID_INT8 : 0;
    }
}

/* The parameter an "could not determine data type of parameter $N" error
 * names, or 0. */
static int param_named(const char *msg)
{
    const char *p = strstr(msg, "parameter $");
    return p ? atoi(p + 11) : 0;
}

/* Prepare st->sql for the current types; inside a transaction each try is
 * fenced by a savepoint, since a failed one would abort the transaction. */
static int prepare_server(rt_pgst *st)
{
    retain_engine *e = st->e;
    struct rt_pg *pg = e->pg;
    Oid oids_small[16], *oids = oids_small;
    char force_small[16] = { 0 }, *force = force_small;
    if (st->nparams > 16) {
        oids = rt_calloc(&e->alloc, (size_t)st->nparams, sizeof *oids);
        force = rt_calloc(&e->alloc, (size_t)st->nparams, 1);
        if (!oids || !force) {
            rt_free(&e->alloc, oids);
            rt_free(&e->alloc, force);
            return SQLITE_NOMEM;
        }
    }
    bool in_tx = PQtransactionStatus(pg->conn) == PQTRANS_INTRANS;
    char name[24];
    rt_format(name, sizeof name, "rt%lu", ++pg->next_name);
    int rc = SQLITE_ERROR;
    bool ints_free = false, nulls_int = false;
    for (int tries = 0; tries < st->nparams + 2; tries++) {
        oids_for(st->types, st->nparams, ints_free, force, oids);
        if (in_tx && (rc = rt_pg_command(e, "SAVEPOINT rt_prepare")) != SQLITE_OK)
            break;
        PGresult *res = PQprepare(pg->conn, name, st->sql, st->nparams, oids);
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            PQclear(res);
            rc = in_tx ? rt_pg_command(e, "RELEASE SAVEPOINT rt_prepare") : SQLITE_OK;
            break;
        }
        rc = rt_pg_fail(e, res);
        PQclear(res);
        if (in_tx && !pg->broken)
            rt_pg_cleanup(e, "ROLLBACK TO SAVEPOINT rt_prepare; RELEASE SAVEPOINT rt_prepare");
        /* Only a type that did not fit is worth another try: a NULL whose
         * type was guessed as text is most often a time (int8); an integer
         * may belong in a text or a smaller integer; a parameter nothing
         * determines is named text. */
        int p;
        bool mismatch = !strcmp(pg->sqlstate, "42883") || !strcmp(pg->sqlstate, "42725") ||
                        !strcmp(pg->sqlstate, "42804");
        if (mismatch && !nulls_int && memchr(st->types, 'n', (size_t)st->nparams)) {
            nulls_int = true;
            for (int i = 0; i < st->nparams; i++)
                if (st->types[i] == 'n')
                    force[i] = 'I';
        } else if (mismatch && !ints_free && memchr(st->types, 'i', (size_t)st->nparams)) {
            ints_free = true;
        } else if ((!strcmp(pg->sqlstate, "42P18") || !strcmp(pg->sqlstate, "42P08")) &&
                   (p = param_named(pg->errmsg)) >= 1 && p <= st->nparams &&
                   force[p - 1] != 'T' && force[p - 1] != 'I') {
            force[p - 1] = st->types[p - 1] == 'i' ? 'I' : 'T';
        } else {
            break;
        }
    }
    if (oids != oids_small) {
        rt_free(&e->alloc, oids);
        rt_free(&e->alloc, force);
    }
    if (rc != SQLITE_OK)
        return rc;
    deallocate(st);
    rt_copy(st->name, sizeof st->name, name);
    st->generation = pg->generation;
    if (st->nparams)
        memcpy(st->prepared_types, st->types, (size_t)st->nparams);
    return SQLITE_OK;
}

/* Execute st's prepared statement; the deferred SAVEPOINT and RELEASE go
 * with it in one pipeline (one round trip). The result is the first that
 * failed, or the statement's. */
static PGresult *exec_prepared(rt_pgst *st)
{
    struct rt_pg *pg = st->e->pg;
    PGconn *c = pg->conn;
    const char *const *values = (const char *const *)st->values;
    int n = pg->npending;
#ifdef LIBPQ_HAS_PIPELINING
    if (n == 0 || !PQenterPipelineMode(c))
#endif
    {
        if (n > 0) {
            int rc = rt_pg_command(st->e, "SELECT 1"); /* sends what was deferred */
            if (rc != SQLITE_OK)
                return NULL;
        }
        return PQexecPrepared(c, st->name, st->nparams, values, NULL, NULL, 0);
    }
#ifdef LIBPQ_HAS_PIPELINING
    pg->npending = 0;
    bool sent = true;
    for (int i = 0; i < n && sent; i++)
        sent = PQsendQueryParams(c, pg->pending[i], 0, NULL, NULL, NULL, NULL, 0) == 1;
    sent = sent && PQsendQueryPrepared(c, st->name, st->nparams, values, NULL, NULL, 0) == 1 &&
           PQpipelineSync(c) == 1;
    PGresult *failed = NULL, *res = NULL;
    if (sent) {
        for (int i = 0; i < n; i++) {
            PGresult *r = PQgetResult(c);
            if (PQresultStatus(r) != PGRES_COMMAND_OK && !failed)
                failed = r;
            else
                PQclear(r);
            PQclear(PQgetResult(c)); /* the end of this command's results */
        }
        res = PQgetResult(c);
        if (res)
            PQclear(PQgetResult(c));
        PQclear(PQgetResult(c)); /* the pipeline's sync */
    }
    /* A pipeline that could not be sent whole (libpq out of memory) leaves
     * results nobody reads: the session is given up, the next call
     * reconnects. */
    if (PQexitPipelineMode(c) != 1 || !sent)
        pg->broken = true;
    if (failed) {
        PQclear(res);
        return failed;
    }
    return res; /* NULL when nothing could be sent: rt_pg_fail reads the connection */
#endif
}

static bool is_write_tag(const char *tag)
{
    return !strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) || !strncmp(tag, "DELETE", 6);
}

static int execute(rt_pgst *st)
{
    retain_engine *e = st->e;
    struct rt_pg *pg = e->pg;
    int rc = rt_pg_ready(e);
    if (rc != SQLITE_OK)
        return rc;
    if (st->begin_write || st->begin_worker) {
        /* A writer alone, as with SQLite, or workers side by side: the
         * store's transaction-scoped advisory lock, exclusive or shared
         * (pg_impl.h). */
        rc = rt_pg_command(e, st->begin_write
                                  ? "BEGIN; SELECT pg_advisory_xact_lock(" RT_PG_LOCK_STORE ")"
                                  : "BEGIN; SELECT pg_advisory_xact_lock_shared(" RT_PG_LOCK_STORE
                                    ")");
        if (rc != SQLITE_OK && PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
            rt_pg_cleanup(e, "ROLLBACK");
        return rc;
    }
    if (st->deferred)
        return rt_pg_defer(e, st->sql);
    if (st->control)
        return rt_pg_command(e, st->sql);
    if (!st->name[0] || st->generation != pg->generation ||
        (st->nparams && memcmp(st->types, st->prepared_types, (size_t)st->nparams) != 0)) {
        if ((rc = prepare_server(st)) != SQLITE_OK)
            return rc;
    }
    PGresult *res = exec_prepared(st);
    ExecStatusType s = PQresultStatus(res);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        rc = rt_pg_fail(e, res);
        PQclear(res);
        return rc;
    }
    const char *tag = PQcmdStatus(res);
    if (is_write_tag(tag))
        pg->changes = strtoll(PQcmdTuples(res), NULL, 10);
    if (st->returns_id) {
        if (PQntuples(res) > 0)
            pg->last_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return SQLITE_OK; /* no rows: SQLITE_DONE */
    }
    if (s == PGRES_TUPLES_OK) {
        st->res = res;
        st->nrows = PQntuples(res);
        st->ncols = PQnfields(res);
        st->row = -1;
        if (st->ncols > 0 && !(st->conv = rt_calloc(&e->alloc, (size_t)st->ncols,
                                                     sizeof *st->conv))) {
            rt_pg_reset(st);
            return SQLITE_NOMEM;
        }
        return SQLITE_OK;
    }
    PQclear(res);
    return SQLITE_OK;
}

int rt_pg_step(rt_pgst *st)
{
    if (st->res && st->row >= st->nrows)
        rt_pg_reset(st); /* stepping past the end runs it again, as SQLite does */
    if (!st->res) {
        int rc = execute(st);
        if (rc != SQLITE_OK)
            return rc;
        if (!st->res)
            return SQLITE_DONE;
    }
    free_conv(st);
    st->row++;
    return st->row < st->nrows ? SQLITE_ROW : SQLITE_DONE;
}

static bool has_value(rt_pgst *st, int col)
{
    return st->res && st->row >= 0 && st->row < st->nrows && col >= 0 && col < st->ncols &&
           !PQgetisnull(st->res, st->row, col);
}

static bool numeric_is_real(const char *s)
{
    return strpbrk(s, ".eEN") != NULL;
}

int rt_pg_column_type(rt_pgst *st, int col)
{
    if (!has_value(st, col))
        return SQLITE_NULL;
    switch (PQftype(st->res, col)) {
    case RT_OID_BOOL: case RT_OID_INT2: case RT_OID_INT4: case RT_OID_INT8: case RT_OID_OID:
        return SQLITE_INTEGER;
    case RT_OID_FLOAT4: case RT_OID_FLOAT8:
        return SQLITE_FLOAT;
    case RT_OID_NUMERIC:
        return numeric_is_real(PQgetvalue(st->res, st->row, col)) ? SQLITE_FLOAT : SQLITE_INTEGER;
    default:
        return SQLITE_TEXT;
    }
}

int64_t rt_pg_column_int64(rt_pgst *st, int col)
{
    if (!has_value(st, col))
        return 0;
    const char *s = PQgetvalue(st->res, st->row, col);
    Oid t = PQftype(st->res, col);
    if (t == RT_OID_BOOL)
        return s[0] == 't';
    if (t == RT_OID_FLOAT4 || t == RT_OID_FLOAT8 || (t == RT_OID_NUMERIC && numeric_is_real(s)))
        return (int64_t)strtod(s, NULL);
    return strtoll(s, NULL, 10);
}

double rt_pg_column_double(rt_pgst *st, int col)
{
    if (!has_value(st, col))
        return 0;
    const char *s = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == RT_OID_BOOL)
        return s[0] == 't';
    return strtod(s, NULL);
}

/* JSON as the server prints it has spaces after colons and commas; as
 * SQLite prints it, none. */
static char *compact_json(const retain_allocator *a, const char *s)
{
    char *out = rt_malloc(a, strlen(s) + 1), *o = out;
    if (!out)
        return NULL;
    bool in_str = false;
    for (; *s; s++) {
        if (in_str) {
            *o++ = *s;
            if (*s == '\\' && s[1])
                *o++ = *++s;
            else if (*s == '"')
                in_str = false;
        } else if (*s == '"') {
            in_str = true;
            *o++ = *s;
        } else if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r') {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

const char *rt_pg_column_text(rt_pgst *st, int col)
{
    if (!has_value(st, col))
        return NULL;
    const char *s = PQgetvalue(st->res, st->row, col);
    switch (PQftype(st->res, col)) {
    case RT_OID_BOOL:
        return s[0] == 't' ? "1" : "0";
    case RT_OID_JSON:
    case RT_OID_JSONB:
        if (!st->conv[col])
            st->conv[col] = compact_json(&st->e->alloc, s);
        return st->conv[col];
    default:
        return s;
    }
}
