/*
 * store.h (internal) - the only door to SQL. Connection setup, schema
 * migrations, the per-engine prepared-statement cache, transactions, and
 * the mapping of SQLite result codes to retain status codes.
 */
#ifndef RT_STORE_H
#define RT_STORE_H

#include "core/engine.h"

#include "db.h"

/* Open the connection and bring the schema up to date (one transaction). */
int rt_store_open(retain_engine *e, const char *path);
void rt_store_close(retain_engine *e);

/* The statement for `sql`, prepared once per engine and cached. The cache is
 * keyed by the address of `sql`, so pass a string literal or a static array.
 * The statement comes back reset with its bindings cleared. */
int rt_stmt(retain_engine *e, const char *sql, rt_st **out);
/* A cached statement that reads no table (SQLite's JSON functions over bound
 * values): on an in-memory SQLite when the store is PostgreSQL, so that
 * JSON comes out the same from both backends. */
int rt_stmt_local(retain_engine *e, const char *sql, rt_st **out);

/* Run the cached `sql` (no parameters): *out is the first column of its
 * first row, or 0 when there is no row. */
int rt_query_int64(retain_engine *e, const char *sql, int64_t *out, const char *doing);

/* Prepare the statement of a public iterator (not cached), which keeps a
 * read transaction open between its calls. `doing` names it in errors. */
int rt_iter_prepare(retain_engine *e, const char *sql, rt_st **out, const char *doing);

/* Run a statement without results (or run a cached one to completion). */
int rt_exec(retain_engine *e, const char *sql);

/* Every public call that writes wraps its work in rt_tx_begin/rt_tx_end.
 * Outside a host transaction this is BEGIN IMMEDIATE ... COMMIT; inside one
 * it is a SAVEPOINT, so a failed call undoes only its own changes. */
int rt_tx_begin(retain_engine *e);
/* Commit when rc == RETAIN_OK, roll back otherwise; returns rc, or the
 * commit's error. */
int rt_tx_end(retain_engine *e, int rc);

/* A worker's transaction (a tick advancing journeys, a delivery run
 * claiming and recording messages), ended by rt_tx_end. On SQLite it is
 * rt_tx_begin's: one writer at a time. On PostgreSQL workers on any number
 * of hosts run side by side, and hosts' writes wait for them (and they for
 * those); a worker takes each customer it touches for the rest of its
 * transaction: the due rows it claims are chosen with rt_claim(customer)
 * (false: another worker has that customer, leave the row) and locked with
 * FOR UPDATE SKIP LOCKED; rt_store_lock waits for a customer or a resource
 * instead. */
int rt_tx_begin_worker(retain_engine *e);

/* True when workers of other engines may run beside this one's (the store
 * is PostgreSQL): the locks of rt_store_lock are worth taking. */
bool rt_store_shared(const retain_engine *e);

/* What rt_store_lock can wait for besides customers. */
enum { RT_LOCK_CUSTOMER = 0, RT_LOCK_TASK_ROUTING = 1 };
/* In a worker's transaction on PostgreSQL, wait until no other transaction
 * holds `space` (for RT_LOCK_CUSTOMER: customer `key`) and hold it until
 * this one ends; nothing on SQLite, where a writer is alone. */
int rt_store_lock(retain_engine *e, int space, int64_t key);

/* The statements of retain_begin/commit/rollback, and their preparation
 * when the engine opens (so that ending a transaction never allocates). */
extern const char rt_sql_begin[], rt_sql_commit[], rt_sql_rollback[];
int rt_tx_prepare(retain_engine *e);
/* A deferred read transaction (a consistent snapshot for several queries). */
int rt_read_begin(retain_engine *e);
/* Roll back whatever transaction is open, keeping the engine's error. */
void rt_tx_abort(retain_engine *e);

/* Translate a SQLite result code into a status, recording a message that
 * says what was being done ("recording order \"A1\""). */
int rt_sqlerr(retain_engine *e, int sqlite_rc, const char *doing);

/* Step `st`: RETAIN_ROW with a row current, RETAIN_DONE at the end, or the
 * error (statement reset, message "doing: ..."). A failed step must never
 * read as "no row": SQLite may have rolled the whole transaction back, and
 * going on would commit the rest of the call statement by statement. */
int rt_step(retain_engine *e, rt_st *st, const char *doing);

/* Helpers to bind optional text (NULL -> SQL NULL). */
int rt_bind_text(rt_st *st, int idx, const char *s);
/* The integer id of a customer from the host's id; RETAIN_ENOTFOUND if absent. */
int rt_customer_key(retain_engine *e, const char *ext_id, int64_t *key);

/* Recompute a customer's first and last order times from its orders. */
int rt_customer_refresh_span(retain_engine *e, int64_t customer_key);

/* Identity (identity.c): on creating customer `new_id` with these normalized
 * contacts, link it to an existing customer with the same e-mail (not a
 * marketplace relay address) or phone. *linked is true when it was linked:
 * `new_id` is then an alias of *key and no new customer exists. */
int rt_identity_autolink(retain_engine *e, const char *new_id, const char *email,
                         const char *phone, int64_t at, bool *linked, int64_t *key);

/* Column text as a C string or NULL. */
const char *rt_col_text(rt_st *st, int col);
/* Column text into *out (NULL for SQL NULL), or RETAIN_ENOMEM when SQLite
 * could not allocate the text of a value that is not NULL: then
 * rt_col_text gives NULL too, and taking that for SQL NULL loses data. */
int rt_col_str(retain_engine *e, rt_st *st, int col, const char **out);
/* After reading the columns of a row: RETAIN_ENOMEM when one of them could
 * not be converted for want of memory (rt_col_copy then copied ""), else
 * RETAIN_OK. SQLite records such a failure as the connection's error. */
int rt_row_check(retain_engine *e);
/* Column text copied into dst, truncated to size; SQL NULL gives "". */
void rt_col_copy(char *dst, size_t size, rt_st *st, int col);
/* Column time, or INT64_MIN (RETAIN_TIME_NONE) for SQL NULL. */
int64_t rt_col_time(rt_st *st, int col);

/* Run the cached `sql` with the host id `id` bound to ?1 and step to its
 * row. RETAIN_OK: the row is current (call sqlite3_reset when done);
 * RETAIN_ENOTFOUND: "NOUN \"id\" does not exist"; else an SQL error. */
int rt_lookup(retain_engine *e, const char *sql, const char *id, const char *noun,
              rt_st **out);

/* A WITH clause naming `chain(id)`: the step-history entries of the
 * journey instances of customer ?1, found along each instance's chain
 * (nothing indexes entries by instance; schema migration 11). */
#define RT_CUSTOMER_STEP_LOG                                                               \
    "WITH RECURSIVE chain(id) AS (SELECT log_head FROM journey_instance"                 \
    " WHERE customer=?1 AND log_head IS NOT NULL UNION ALL SELECT l.prev"                \
    " FROM journey_step_log l JOIN chain c ON l.id=c.id WHERE l.prev IS NOT NULL) "

#endif
