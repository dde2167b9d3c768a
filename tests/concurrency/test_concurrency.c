/*
 * test_concurrency.c - two processes with four threads each, every thread
 * with its own engine on one WAL database file that none of them has seen
 * before: they create and migrate it together, load the same journeys,
 * then record customers and orders and tick (advance journeys and deliver)
 * or only deliver, at the same time, on one clock shared through memory,
 * and all queue the same host messages at once. Every transport
 * writes what it accepts into its thread's receiver file. At the end: no
 * call failed (no SQLITE_BUSY / RETAIN_EBUSY beyond the busy timeout), no
 * idempotency key was sent by two workers or twice by one (there is no
 * crash to justify it), and every message the orders call for was sent.
 *
 * RETAIN_LONG=1 (or meson -Dlong_tests=true) runs more rounds and orders.
 */
#include "harness.h"
#include "../crash/receiver.h"

#include <retain.h>
#include <retain/policy.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 1705309200000LL   /* 2024-01-15T09:00:00Z */

#define PROCS 2
#define THREADS 4
#define WORKERS (PROCS * THREADS)
#define CUSTOMERS 10         /* per worker */
#define BUSY_TIMEOUT_MS 5000

static int orders_per_worker = 40;
static int rounds = 1;

/* Shared by both processes (MAP_SHARED before fork). */
typedef struct shared {
    pthread_barrier_t barrier;
    _Atomic int64_t clock;   /* minutes since T0 */
    _Atomic long calls, errors, busy, sent, retried;
    _Atomic int victim_calls; /* the kill test's doomed worker's transport calls */
    char first_error[512];
    _Atomic int error_said;
} shared;

static shared *sh;
static char dir[400];
static char db_path[512];
static const char *yaml_path;

typedef struct worker {
    int id;          /* 0..WORKERS-1 */
    int round;
    int fd;          /* receiver file */
    retain_engine *e;
} worker;

static int64_t now_tick(void)
{
    return T0 + atomic_fetch_add(&sh->clock, 1) * MIN;
}

/* The delivery pass after a round (read when nobody moves the clock): the
 * next 10:00 UTC at least 4 h after the round's last call, so that every
 * step is due, no SMS is in quiet hours (08-21 local, UTC here), and none
 * is older than the journeys' stale_after (3 days). */
static int64_t final_time(void)
{
    int64_t t = T0 + atomic_load(&sh->clock) * MIN + 4 * HOUR;
    int64_t f = t - t % DAY + 10 * HOUR;
    return f < t ? f + DAY : f;
}

static void note_error(worker *w, const char *what, int rc)
{
    atomic_fetch_add(&sh->errors, 1);
    if (rc == RETAIN_EBUSY)
        atomic_fetch_add(&sh->busy, 1);
    if (atomic_fetch_add(&sh->error_said, 1) < 5)
        fprintf(stderr, "worker %d: %s: %s: %s\n", w->id, what, retain_errstr(rc),
                w->e ? retain_errmsg(w->e) : "");
}

/* Count a call and its failure, if any. */
static int call(worker *w, const char *what, int rc)
{
    atomic_fetch_add(&sh->calls, 1);
    if (rc)
        note_error(w, what, rc);
    return rc;
}

static int w_send(const retain_message *m, retain_send_result *r, void *ud)
{
    worker *w = ud;
    if (m->attempt == 1 && (rcv_fnv(0, m->idempotency_key) & 7) == 0) {
        atomic_fetch_add(&sh->retried, 1);
        r->retry_after_ms = 5 * MIN;
        return RETAIN_SEND_RETRY;
    }
    if (rcv_write(w->fd, m))
        return RETAIN_EUSER;
    atomic_fetch_add(&sh->sent, 1);
    return RETAIN_SEND_SENT;
}

static void cust_id(char *buf, size_t n, int round, int wk, int i)
{
    snprintf(buf, n, "r%dw%dc%d", round, wk, i);
}

static void order_id(char *buf, size_t n, int round, int wk, int j)
{
    snprintf(buf, n, "r%dw%do%d", round, wk, j);
}

/* A customer with e-mail, phone and marketing consent for e-mail. */
static int record_customer(retain_engine *e, const char *id, int phone_no, int64_t at)
{
    char email[64], phone[24];
    snprintf(email, sizeof email, "%s@conc.example", id);
    snprintf(phone, sizeof phone, "+1415555%04d", phone_no);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.phone = phone;
    c.at = at;
    int rc = retain_customer_upsert(e, &c);
    return rc ? rc
              : retain_consent_set(e, id, "email", "marketing", RETAIN_CONSENT_GRANTED, at,
                                   "checkout");
}

static int record_order(retain_engine *e, const char *id, const char *cust, int qty, int64_t at)
{
    retain_order_line line = { "SKU-TEA", "Green tea", qty, 450 };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = "web";
    o.placed_at = at;
    o.currency = "USD";
    o.total = line.quantity * line.unit_price;
    o.lines = &line;
    o.lines_count = 1;
    return retain_order_record(e, &o);
}

static void add_customer(worker *w, int i, int64_t at)
{
    char id[32];
    cust_id(id, sizeof id, w->round, w->id, i);
    call(w, "customer", record_customer(w->e, id, w->id * 1000 + w->round * 100 + i, at));
}

static void add_order(worker *w, int j, int64_t at)
{
    char id[32], cust[32];
    order_id(id, sizeof id, w->round, w->id, j);
    cust_id(cust, sizeof cust, w->round, w->id, j % CUSTOMERS);
    call(w, "order_record", record_order(w->e, id, cust, 1 + j % 3, at));
}

static void tick(worker *w, int64_t at)
{
    call(w, "engine_tick", retain_engine_tick(w->e, at, NULL));
}

/* Some workers also run delivery alone, as a delivery-only process would. */
static void deliver(worker *w, int64_t at)
{
    call(w, "outbox_deliver", retain_outbox_deliver(NULL, w->e, at));
}

/* Every worker queues the same host messages (one per customer of the
 * round) at once: each must exist once, and be sent once. */
static void queue_notes(worker *w, int64_t at)
{
    for (int k = 0; k < WORKERS * CUSTOMERS; k++) {
        int i = (k + w->id * 7) % (WORKERS * CUSTOMERS);
        char cust[32], host[48];
        cust_id(cust, sizeof cust, w->round, i / CUSTOMERS, i % CUSTOMERS);
        snprintf(host, sizeof host, "note-%s", cust);
        retain_message_spec m = RETAIN_MESSAGE_SPEC_INIT;
        m.host_id = host;
        m.customer_id = cust;
        m.channel = "email";
        m.category = "transactional";
        m.template_id = "note";
        call(w, "message_queue", retain_message_queue(NULL, w->e, &m, at));
    }
}

static void wait_all(void)
{
    pthread_barrier_wait(&sh->barrier);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    char rcv[600];
    snprintf(rcv, sizeof rcv, "%s/w%d.rcv", dir, w->id);
    w->fd = open(rcv, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (w->fd < 0) {
        note_error(w, "opening the receiver file", RETAIN_EIO);
        return NULL;
    }
    /* All at once on a file nobody created yet: one migrates, the others wait. */
    wait_all();
    retain_options opts = RETAIN_OPTIONS_INIT;
    opts.busy_timeout_ms = BUSY_TIMEOUT_MS;
    char err[256];
    int rc = retain_engine_open_ex(&w->e, db_path, &opts, err, sizeof err);
    atomic_fetch_add(&sh->calls, 1);
    if (rc) {
        atomic_fetch_add(&sh->errors, 1);
        if (rc == RETAIN_EBUSY)
            atomic_fetch_add(&sh->busy, 1);
        fprintf(stderr, "worker %d: open: %s: %s\n", w->id, retain_errstr(rc), err);
    }
    static const char *const channels[] = { "email", "sms" };
    static const int batches[] = { 1, 4, 16, 64 };
    for (int i = 0; i < 2 && w->e; i++) {
        retain_transport t = RETAIN_TRANSPORT_INIT;
        t.channel = channels[i];
        t.send = w_send;
        t.userdata = w;
        t.batch = batches[w->id % 4];
        /* Longer than the whole run: a second hand-over can only be a bug. */
        t.lease_ms = 30 * DAY;
        call(w, "transport_register", retain_transport_register(w->e, &t));
    }
    if (w->e) {
        retain_diag d[4];
        size_t nd = 0;
        call(w, "journeys_load", retain_journeys_load_file(w->e, yaml_path, T0 - DAY, d, 4, &nd));
        rc = retain_policy_cap_remove(w->e, "email", "marketing");
        call(w, "policy_cap_remove", rc == RETAIN_ENOTFOUND ? RETAIN_OK : rc);
    }
    wait_all();
    for (w->round = 0; w->round < rounds; w->round++) {
        if (w->e) {
            for (int i = 0; i < CUSTOMERS; i++)
                add_customer(w, i, now_tick());
            for (int j = 0; j < orders_per_worker; j++) {
                add_order(w, j, now_tick());
                if (j % 2 == 1)
                    tick(w, now_tick());
            }
            /* Ticks while the others still record. */
            for (int k = 0; k < 8; k++) {
                if (w->id % 2 && k % 2)
                    deliver(w, now_tick());
                else
                    tick(w, now_tick());
            }
        }
        wait_all();
        if (w->e)
            queue_notes(w, final_time() - HOUR);
        wait_all();
        /* Every worker delivers everything at once; then once more for the
         * retries the first pass scheduled. */
        int64_t final = final_time();
        if (w->e)
            tick(w, final);
        wait_all();
        if (w->e)
            tick(w, final + HOUR);
        wait_all();
    }
    retain_engine_close(w->e);
    w->e = NULL;
    close(w->fd);
    return NULL;
}

static void run_process(int p)
{
    pthread_t th[THREADS];
    worker ws[THREADS];
    memset(ws, 0, sizeof ws);
    for (int t = 0; t < THREADS; t++) {
        ws[t].id = p * THREADS + t;
        if (pthread_create(&th[t], NULL, worker_main, &ws[t])) {
            fprintf(stderr, "pthread_create failed\n");
            _exit(3);
        }
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
}


static void expected_messages(rcv_list *want)
{
    static const char *const steps[] = { "confirm", "thanks", "ship_note" };
    for (int r = 0; r < rounds; r++)
        for (int w = 0; w < WORKERS; w++)
            for (int j = 0; j < orders_per_worker; j++) {
                char cust[32], ord[32];
                cust_id(cust, sizeof cust, r, w, j % CUSTOMERS);
                order_id(ord, sizeof ord, r, w, j);
                for (int s = 0; s < 3; s++)
                    rcv_expect(want, cust, ord, "crash-order", steps[s]);
                if (j < CUSTOMERS) {
                    rcv_expect(want, cust, ord, "crash-welcome", "welcome");
                    rcv_expect(want, cust, "-", "-", "-");
                }
            }
}

static const char outbox_counts[] =
    "SELECT count(*), count(*) FILTER (WHERE state='sent'),"
    " (SELECT count(*) FROM outbox_attempt WHERE outcome='lost'),"
    " (SELECT count(*) FROM outbox_attempt WHERE outcome='sent')"
    " FROM outbox";

/* Read the receiver files DIR/PREFIX0.rcv ... (removing them) and check
 * that every expected message arrived, each under one key with one content,
 * nothing else, and at most `max_duplicates` handed over twice. */
static rcv_verdict receivers_check(const char *prefix, int n, rcv_list *got, rcv_list *want,
                                   size_t max_duplicates)
{
    int bad = 0;
    for (int w = 0; w < n; w++) {
        char rcv[600];
        snprintf(rcv, sizeof rcv, "%s/%s%d.rcv", dir, prefix, w);
        bad += rcv_read(rcv, got);
        unlink(rcv);
    }
    CHECK_INT(bad, 0);
    rcv_verdict vd = rcv_check(got, want, stderr);
    CHECK_INT(vd.lost, 0);
    CHECK(vd.duplicates <= max_duplicates);
    CHECK_INT(vd.conflicting, 0);
    CHECK_INT(vd.two_keys, 0);
    CHECK_INT(vd.unexpected, 0);
    CHECK_INT(vd.distinct, want->n);
    return vd;
}

static void db_check(int64_t want_rows)
{
    if (t_backend_pg()) {
        int64_t v[4] = { -1, -1, -1, -1 };
        CHECK_INT(t_backend_query(db_path, outbox_counts, v, 4), 0);
        CHECK_INT(v[0], want_rows);
        CHECK_INT(v[1], want_rows);
        CHECK_INT(v[2], 0); /* no lease ran out */
        CHECK_INT(v[3], want_rows);
        return;
    }
    sqlite3 *h = NULL;
    CHECK(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    else
        T_FAIL("integrity_check: %s", sqlite3_errmsg(h));
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(h, outbox_counts, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        CHECK_INT(sqlite3_column_int64(st, 0), want_rows);
        CHECK_INT(sqlite3_column_int64(st, 1), want_rows);
        CHECK_INT(sqlite3_column_int64(st, 2), 0); /* no lease ran out */
        CHECK_INT(sqlite3_column_int64(st, 3), want_rows);
    } else {
        T_FAIL("counting the outbox: %s", sqlite3_errmsg(h));
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
}


/* ---- the busy timeout, one engine against a lock held elsewhere ---------- */

static retain_engine *open_engine(const char *path, int busy_ms)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.busy_timeout_ms = busy_ms;
    retain_engine *e = NULL;
    char err[256];
    if (retain_engine_open_ex(&e, path, &o, err, sizeof err))
        T_FAIL("open %s: %s", path, err);
    return e;
}

static void queue_one(retain_engine *e, const char *host_id, int64_t at)
{
    retain_message_spec m = RETAIN_MESSAGE_SPEC_INIT;
    m.host_id = host_id;
    m.customer_id = "b1";
    m.channel = "email";
    m.category = "transactional";
    m.template_id = "note";
    CHECK_OK(e, retain_message_queue(NULL, e, &m, at));
}

typedef struct holder {
    const char *path;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stage; /* 1: lock held, 2: release it, 3: released */
} holder;

/* Hold the write lock of the file from another connection until told. */
static void *hold_lock(void *arg)
{
    holder *h = arg;
    sqlite3 *db = NULL;
    sqlite3_open_v2(h->path, &db, SQLITE_OPEN_READWRITE, NULL);
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    pthread_mutex_lock(&h->mu);
    h->stage = rc == SQLITE_OK ? 1 : -1;
    pthread_cond_broadcast(&h->cv);
    while (h->stage != 2)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    pthread_mutex_lock(&h->mu);
    h->stage = 3;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void holder_wait(holder *h, int stage)
{
    pthread_mutex_lock(&h->mu);
    while (h->stage != stage && h->stage >= 0)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void holder_release(holder *h)
{
    pthread_mutex_lock(&h->mu);
    h->stage = 2;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    holder_wait(h, 3);
}

static int nop_send(const retain_message *m, retain_send_result *r, void *ud)
{
    (*(int *)ud)++;
    return RETAIN_SEND_SENT;
}

static void busy_checks(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/busy.db", dir);
    retain_engine *e = open_engine(path, 50);
    if (!e)
        return;
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "b1";
    c.email = "b1@conc.example";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    int sends = 0;
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = nop_send;
    t.userdata = &sends;
    CHECK_OK(e, retain_transport_register(e, &t));
    queue_one(e, "m1", T0);

    /* A lock held past the timeout: RETAIN_EBUSY with a message, nothing
     * written, and the engine works once the lock is gone. */
    holder h = { path, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
    pthread_t th;
    pthread_create(&th, NULL, hold_lock, &h);
    holder_wait(&h, 1);
    CHECK_INT(h.stage, 1);
    c.name = "Busy";
    CHECK_RC(e, retain_customer_upsert(e, &c), RETAIN_EBUSY);
    CHECK(strstr(retain_errmsg(e), "locked") != NULL);
    CHECK_RC(e, retain_engine_tick(e, T0 + MIN, NULL), RETAIN_EBUSY);
    CHECK_INT(sends, 0);
    holder_release(&h);
    pthread_join(th, NULL);
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_engine_tick(e, T0 + MIN, NULL));
    CHECK_INT(sends, 1);

    /* With nothing due a tick only reads: it succeeds, sending nothing,
     * while another connection holds the write lock. */
    holder h2 = { path, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
    pthread_create(&th, NULL, hold_lock, &h2);
    holder_wait(&h2, 1);
    CHECK_INT(h2.stage, 1);
    CHECK_OK(e, retain_engine_tick(e, T0 + 2 * MIN, NULL));
    CHECK_OK(e, retain_outbox_deliver(NULL, e, T0 + 2 * MIN));
    CHECK_INT(sends, 1);
    holder_release(&h2);
    pthread_join(th, NULL);

    /* A write while an iterator of the same engine is open, after another
     * engine wrote: it must wait like any other write, not fail at once. */
    retain_engine *e2 = open_engine(path, 5000);
    queue_one(e, "m2", T0 + 2 * MIN);
    queue_one(e, "m3", T0 + 2 * MIN);
    retain_outbox_query q = RETAIN_OUTBOX_QUERY_INIT;
    q.states = RETAIN_OUTBOX_QUEUED;
    retain_outbox_iter *it = NULL;
    CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
    const retain_outbox_entry *row = NULL;
    int n = 0;
    while (it && retain_outbox_iter_next(it, &row) == RETAIN_ROW) {
        c.name = n ? "Other B" : "Other A";
        if (e2)
            CHECK_OK(e2, retain_customer_upsert(e2, &c));
        CHECK_OK(e, retain_outbox_cancel(e, row->id, T0 + 3 * MIN));
        n++;
    }
    retain_outbox_iter_free(it);
    CHECK_INT(n, 2);

    /* Orders deleted (with their customer) by another engine while an
     * order iterator is open are passed over, not an error. */
    CHECK_OK(e, record_customer(e, "b2", 9003, T0));
    CHECK_OK(e, record_order(e, "bo0", "b2", 1, T0));
    CHECK_OK(e, record_order(e, "bo1", "b2", 1, T0 + MIN));
    retain_order_iter *oi = NULL;
    const retain_order *ord = NULL;
    CHECK_OK(e, retain_order_iter_open(&oi, e, "b2"));
    CHECK_RC(e, retain_order_iter_next(oi, &ord), RETAIN_ROW);
    if (e2)
        CHECK_OK(e2, retain_customer_delete(e2, "b2"));
    CHECK_RC(e, retain_order_iter_next(oi, &ord), RETAIN_DONE);
    retain_order_iter_free(oi);
    retain_engine_close(e2);
    retain_engine_close(e);
    rcv_rm_db(path);
}

/* ---- journeys installed by another engine ------------------------------- */

/* An engine that was in use before another engine installed the journeys
 * must enroll the orders it records into them, and advance the instances
 * the other engine enrolled, instead of ending them as "journey version not
 * loaded". */
static void stale_journeys_check(void)
{
    char path[512], rcv[600];
    snprintf(path, sizeof path, "%s/stale.db", dir);
    snprintf(rcv, sizeof rcv, "%s/stale.rcv", dir);
    retain_engine *a = open_engine(path, 5000), *b = open_engine(path, 5000);
    worker wb = { 99, 0, open(rcv, O_WRONLY | O_CREAT | O_APPEND, 0644), b };
    if (!a || !b || wb.fd < 0) {
        T_FAIL("stale journeys: setup failed");
        retain_engine_close(a);
        retain_engine_close(b);
        return;
    }
    static const char *const channels[] = { "email", "sms" };
    for (int i = 0; i < 2; i++) {
        retain_transport t = RETAIN_TRANSPORT_INIT;
        t.channel = channels[i];
        t.send = w_send;
        t.userdata = &wb;
        CHECK_OK(b, retain_transport_register(b, &t));
    }
    CHECK_OK(b, retain_engine_tick(b, T0 - HOUR, NULL)); /* b reads the (empty) journeys */
    retain_diag d[4];
    size_t nd = 0;
    CHECK_OK(a, retain_journeys_load_file(a, yaml_path, T0 - DAY, d, 4, &nd));
    CHECK_OK(a, retain_policy_cap_remove(a, "email", "marketing"));
    CHECK_OK(b, record_customer(b, "s1", 9001, T0));
    CHECK_OK(b, record_order(b, "so1", "s1", 1, T0));
    CHECK_OK(a, record_customer(a, "s2", 9002, T0));
    CHECK_OK(a, record_order(a, "so2", "s2", 1, T0));
    /* Loading what is installed already is a no-op for b too. */
    CHECK_OK(b, retain_journeys_load_file(b, yaml_path, T0 - DAY, d, 4, &nd));
    for (int64_t t = T0; t <= T0 + 4 * HOUR; t += 20 * MIN)
        CHECK_OK(b, retain_engine_tick(b, t, NULL));
    close(wb.fd);
    rcv_list got = { 0 }, want = { 0 };
    static const char *const steps[] = { "confirm", "thanks", "ship_note" };
    for (int k = 0; k < 3; k++) {
        rcv_expect(&want, "s1", "so1", "crash-order", steps[k]);
        rcv_expect(&want, "s2", "so2", "crash-order", steps[k]);
    }
    rcv_expect(&want, "s1", "so1", "crash-welcome", "welcome");
    rcv_expect(&want, "s2", "so2", "crash-welcome", "welcome");
    CHECK_INT(rcv_read(rcv, &got), 0);
    rcv_verdict v = rcv_check(&got, &want, stderr);
    CHECK_INT(v.lost, 0);
    CHECK_INT(v.duplicates + v.conflicting + v.two_keys + v.unexpected, 0);
    rcv_free(&got);
    rcv_free(&want);
    retain_engine_close(a);
    retain_engine_close(b);
    unlink(rcv);
    rcv_rm_db(path);
}

/* ---- a worker killed mid-batch ---------------------------------------------
 * Four processes tick one store: a journey sends a note to each of 120 new
 * customers, who arrive in 12 groups of 10, ten simulated minutes apart.
 * One process, the victim, dies by SIGKILL in its transport in the middle
 * of a batch it claimed: it takes the first group alone, and the others
 * start when it has handed over the first message of its second batch,
 * the next call being its last. Its claims run out (the lease) and the
 * others hand those messages over again with the same key: nothing is
 * lost, and what is received twice is at most what the dead batch had
 * already handed over, with the same key and content. */
#define KILL_PROCS 4
#define KILL_MESSAGES 120
#define KILL_GROUP 10
#define KILL_BATCH 4

static int kill_fd, kill_countdown;

static int k_send(const retain_message *m, retain_send_result *r, void *ud)
{
    (void)r, (void)ud;
    if (kill_countdown) {
        atomic_fetch_add(&sh->victim_calls, 1);
        if (--kill_countdown == 0)
            raise(SIGKILL); /* the batch's earlier messages are out, unrecorded */
    }
    return rcv_write(kill_fd, m) ? RETAIN_EUSER : RETAIN_SEND_SENT;
}

static void kill_worker(const char *path, int id)
{
    char rcv[600];
    snprintf(rcv, sizeof rcv, "%s/k%d.rcv", dir, id);
    kill_fd = open(rcv, O_WRONLY | O_CREAT | O_APPEND, 0644);
    kill_countdown = id == 0 ? KILL_BATCH + 2 : 0; /* the 2nd of its 2nd batch */
    retain_engine *e = NULL;
    retain_options o = RETAIN_OPTIONS_INIT;
    o.busy_timeout_ms = BUSY_TIMEOUT_MS;
    if (kill_fd < 0 || retain_engine_open(&e, path, &o) != RETAIN_OK)
        _exit(3);
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = k_send;
    t.batch = KILL_BATCH;
    /* The victim's claims run out after an hour; the others' outlast the
     * run, so that only the dead batch can be handed over twice. */
    t.lease_ms = id == 0 ? HOUR : 30 * DAY;
    int rc = retain_transport_register(e, &t);
    /* The others wait for the victim's last batch to be out. */
    for (int waited = 0; id != 0 && atomic_load(&sh->victim_calls) <= KILL_BATCH; waited++) {
        if (waited > 60000)
            _exit(5);
        usleep(1000);
    }
    /* One clock for all, a minute a pass, until every group has arrived and
     * the victim's lease has run out with time to spare. */
    for (int64_t now = now_tick(); rc == RETAIN_OK && now < T0 + 4 * HOUR; now = now_tick())
        rc = retain_engine_tick(e, now, NULL);
    if (rc)
        fprintf(stderr, "kill worker %d: %s\n", id, retain_errmsg(e));
    retain_engine_close(e);
    close(kill_fd);
    _exit(rc ? 4 : 0);
}

static void kill_check(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/kill.db", dir);
    retain_engine *e = NULL;
    CHECK_INT(retain_engine_open(&e, path, NULL), RETAIN_OK);
    static const char note[] =
        "journey: kill-note\nversion: 1\ntrigger: customer.created\nentry: once\nsteps:\n"
        "  - id: note\n    send: { channel: email, template: note, category: transactional }\n";
    retain_diag d;
    size_t nd = 0;
    if (e)
        CHECK_OK(e, retain_journeys_load(e, note, "kill-note.yaml", T0 - DAY, &d, 1, &nd));
    rcv_list want = { 0 }, got = { 0 };
    for (int i = 0; e && i < KILL_MESSAGES; i++) {
        char cust[32], email[64];
        snprintf(cust, sizeof cust, "k%d", i);
        snprintf(email, sizeof email, "k%d@conc.example", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = cust;
        c.email = email;
        c.at = T0 + (i / KILL_GROUP) * 10 * MIN;
        CHECK_OK(e, retain_customer_upsert(e, &c)); /* enters kill-note then */
        rcv_expect(&want, cust, "-", "kill-note", "note");
    }
    retain_engine_close(e);
    atomic_store(&sh->clock, 0);
    atomic_store(&sh->victim_calls, 0);
    fflush(NULL);
    pid_t pids[KILL_PROCS];
    for (int p = 0; p < KILL_PROCS; p++)
        if ((pids[p] = fork()) == 0)
            kill_worker(path, p);
    for (int p = 0; p < KILL_PROCS; p++) {
        int status = 0;
        while (pids[p] > 0 && waitpid(pids[p], &status, 0) < 0 && errno == EINTR)
            ;
        if (p == 0)
            CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        else
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* Who sent what (printed: how the survivors shared the work). */
    char shares[64] = "";
    for (int p = 0; p < KILL_PROCS; p++) {
        char rcv[600];
        snprintf(rcv, sizeof rcv, "%s/k%d.rcv", dir, p);
        rcv_list mine = { 0 };
        rcv_read(rcv, &mine);
        size_t len = strlen(shares);
        snprintf(shares + len, sizeof shares - len, "%s%zu", p ? "/" : "", mine.n);
        rcv_free(&mine);
    }
    rcv_verdict vd = receivers_check("k", KILL_PROCS, &got, &want, KILL_BATCH - 1);
    /* Every message is sent, once in the outbox's own record. */
    CHECK_INT(retain_engine_open(&e, path, NULL), RETAIN_OK);
    int counts[2] = { 0, 0 };
    const unsigned states[2] = { RETAIN_OUTBOX_PENDING, RETAIN_OUTBOX_SENT };
    for (int k = 0; e && k < 2; k++) {
        retain_outbox_query q = RETAIN_OUTBOX_QUERY_INIT;
        q.states = states[k];
        retain_outbox_iter *it = NULL;
        const retain_outbox_entry *row;
        CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
        while (it && retain_outbox_iter_next(it, &row) == RETAIN_ROW)
            counts[k]++;
        retain_outbox_iter_free(it);
    }
    CHECK_INT(counts[0], 0);
    CHECK_INT(counts[1], KILL_MESSAGES);
    retain_engine_close(e);
    printf("concurrency: %d processes tick %d journeys' notes, one killed mid-batch: %zu received"
           " (by each: %s), %zu sent twice (the dead batch), %zu lost\n",
           KILL_PROCS, KILL_MESSAGES, vd.received, shares, vd.duplicates, vd.lost);
    rcv_free(&got);
    rcv_free(&want);
    rcv_rm_db(path);
}

int main(void)
{
    const char *v = getenv("RETAIN_LONG");
    if (v && *v && strcmp(v, "0")) {
        rounds = 3;
        orders_per_worker = 100;
    }
    const char *data = getenv("RETAIN_CRASH_DIR");
    char yaml[600];
    snprintf(yaml, sizeof yaml, "%s/journeys.yaml", data ? data : "tests/crash");
    yaml_path = yaml;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/retain-conc-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(db_path, sizeof db_path, "%s/shared.db", dir);

    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(sh, 0, sizeof *sh);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->barrier, &ba, WORKERS);
    pthread_barrierattr_destroy(&ba);

    fflush(NULL);
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        if (pids[p] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[p] == 0) {
            run_process(p);
            fflush(NULL);
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int status = 0;
        while (waitpid(pids[p], &status, 0) < 0 && errno == EINTR)
            ;
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    CHECK_INT(atomic_load(&sh->errors), 0);
    CHECK_INT(atomic_load(&sh->busy), 0);

    rcv_list got = { 0 }, want = { 0 };
    expected_messages(&want);
    rcv_verdict vd = receivers_check("w", WORKERS, &got, &want, 0);
    db_check((int64_t)want.n);
    if (!t_backend_pg()) /* they hold SQLite's lock from outside the library */
        busy_checks();
    stale_journeys_check();
    kill_check();
    printf("concurrency: %d processes x %d threads, %d round(s), %ld calls, %ld errors "
           "(%ld busy; busy timeout %d ms), %zu messages expected, %zu received, "
           "%zu sent twice, %zu lost, %ld first attempts retried\n",
           PROCS, THREADS, rounds, (long)sh->calls, (long)sh->errors, (long)sh->busy,
           BUSY_TIMEOUT_MS, want.n, vd.received, vd.duplicates, vd.lost, (long)sh->retried);
    rcv_free(&got);
    rcv_free(&want);
    pthread_barrier_destroy(&sh->barrier);
    munmap(sh, sizeof *sh);
    if (t_failed && getenv("RETAIN_KEEP"))
        fprintf(stderr, "kept %s\n", db_path);
    else {
        rcv_rm_db(db_path);
        rmdir(dir);
    }
    return t_report("concurrency");
}
