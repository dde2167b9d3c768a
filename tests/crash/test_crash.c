/*
 * test_crash.c - crash recovery. Each iteration forks a child that runs a
 * small store (customers, orders enrolling the journeys of journeys.yaml,
 * ticks delivering to a receiver file) on a WAL database file and SIGKILLs
 * itself at a seeded moment: at the Nth write or sync SQLite makes (before
 * or after it: during ingest, mid tick, inside a commit), inside the
 * transport callback before or after the receiver's fsync'd write, or
 * between two calls. The parent then checks the file (integrity_check),
 * finishes the work with the same transport, and checks that every message
 * the inputs call for arrived at least once, no key arrived with two
 * contents, no step arrived under two keys, and the outbox holds exactly
 * the expected rows, all sent.
 *
 * Fast form: 200 iterations. Long form (RETAIN_LONG=1, or meson
 * -Dlong_tests=true): 5,000. RETAIN_CRASH_ITERS=N overrides, and
 * RETAIN_CRASH_ONLY=I reruns one iteration (printed on failure), and
 * RETAIN_CRASH_TMP=DIR puts the files in DIR (default /dev/shm if writable).
 */
#include "harness.h"
#include "killvfs.h"
#include "receiver.h"

#include <retain.h>
#include <retain/policy.h>

#include <sys/stat.h>
#include <sys/wait.h>

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 2024-01-15T09:00:00Z: the SMS step lands inside the default 08-21 window. */
#define T0 1705309200000LL

#define N_CUSTOMERS 6
#define N_ORDERS 10
#define TICK_EVERY (20 * MIN)
#define LAST_TICK (T0 + 8 * HOUR)
#define FINAL_TICK (T0 + 2 * DAY)
#define MAX_OPS 64

typedef enum op_kind { OP_CUSTOMER, OP_ORDER, OP_TICK, OP_BEGIN, OP_COMMIT } op_kind;
typedef struct op {
    op_kind kind;
    int index;   /* customer or order number */
    int64_t at;
} op;

static op schedule[MAX_OPS];
static char g_yaml[600]; /* journeys.yaml */
static int n_ops;

static int64_t order_time(int j)
{
    return T0 + j * 25 * MIN;
}

static int order_customer(int j)
{
    return j % N_CUSTOMERS;
}

/* The store's day: customers first, then orders and ticks in time order.
 * Orders 1-2, 5-6 and 9 (alone) are recorded in one host transaction
 * (retain_begin/retain_commit), so a kill can land inside a group. */
static void build_schedule(void)
{
    n_ops = 0;
    for (int i = 0; i < N_CUSTOMERS; i++)
        schedule[n_ops++] = (op){ OP_CUSTOMER, i, T0 };
    int j = 0;
    for (int64_t t = T0; t <= LAST_TICK; t += TICK_EVERY) {
        while (j < N_ORDERS && order_time(j) <= t) {
            bool group = j % 4 == 1;
            int last = group && j + 1 < N_ORDERS ? j + 1 : j;
            if (order_time(last) > t)
                break; /* record it with its partner */
            if (group)
                schedule[n_ops++] = (op){ OP_BEGIN, 0, t };
            for (; j <= last; j++)
                schedule[n_ops++] = (op){ OP_ORDER, j, order_time(j) };
            if (group)
                schedule[n_ops++] = (op){ OP_COMMIT, 0, t };
        }
        schedule[n_ops++] = (op){ OP_TICK, 0, t };
    }
    schedule[n_ops++] = (op){ OP_TICK, 0, FINAL_TICK };
}

/* Every message the inputs call for, whatever happened to the outbox. */
static void expected_messages(rcv_list *want)
{
    static const char *const order_steps[] = { "confirm", "thanks", "ship_note" };
    bool has_first[N_CUSTOMERS] = { false };
    for (int j = 0; j < N_ORDERS; j++) {
        char cust[16], ord[16];
        snprintf(cust, sizeof cust, "c%d", order_customer(j));
        snprintf(ord, sizeof ord, "o%d", j);
        for (int s = 0; s < 3; s++)
            rcv_expect(want, cust, ord, "crash-order", order_steps[s]);
        if (!has_first[order_customer(j)]) {
            has_first[order_customer(j)] = true;
            rcv_expect(want, cust, ord, "crash-welcome", "welcome");
        }
    }
}

/* ---- kill points ---------------------------------------------------------- */

typedef enum kill_mode {
    KILL_VFS_BEFORE,  /* before the Nth write/sync */
    KILL_VFS_AFTER,   /* after it */
    KILL_SEND_BEFORE, /* in the Nth transport call, before the receiver write */
    KILL_SEND_AFTER,  /* in it, after the receiver's fsync */
    KILL_BETWEEN,     /* after the Nth completed operation */
    KILL_MODES
} kill_mode;

static kill_mode g_mode;
static int64_t g_kill_at;  /* for the send and between modes */
static int64_t g_calls;    /* transport calls so far */
static int64_t g_writes;   /* receiver writes so far */

/* What an uninterrupted run does, to place kills inside it. */
typedef struct calibration {
    int64_t vfs_ops, calls, writes;
    int64_t vfs_open;              /* kv_ops when the engine was open */
    int64_t vfs_after_op[MAX_OPS]; /* kv_ops when operation i had completed */
} calibration;

/* ---- the store ------------------------------------------------------------ */

typedef struct sink {
    int fd;
} sink;

static int sink_send(const retain_message *m, retain_send_result *r, void *ud)
{
    sink *s = ud;
    g_calls++;
    if (g_kill_at && g_calls == g_kill_at && g_mode == KILL_SEND_BEFORE)
        raise(SIGKILL);
    /* A quarter of the messages fail their first attempt: retries cross crashes too. */
    if (m->attempt == 1 && (rcv_fnv(0, m->idempotency_key) & 3) == 0) {
        r->retry_after_ms = 5 * MIN;
        return RETAIN_SEND_RETRY;
    }
    if (rcv_write(s->fd, m) != 0)
        return RETAIN_EUSER;
    g_writes++;
    if (g_kill_at && g_writes == g_kill_at && g_mode == KILL_SEND_AFTER)
        raise(SIGKILL);
    snprintf(r->provider_id, sizeof r->provider_id, "p-%.16s", m->idempotency_key);
    return RETAIN_SEND_SENT;
}

static int register_sinks(retain_engine *e, sink *s, int batch)
{
    static const char *const channels[] = { "email", "sms" };
    for (int i = 0; i < 2; i++) {
        retain_transport t = RETAIN_TRANSPORT_INIT;
        t.channel = channels[i];
        t.send = sink_send;
        t.userdata = s;
        t.batch = batch;
        int rc = retain_transport_register(e, &t);
        if (rc)
            return rc;
    }
    return RETAIN_OK;
}

static int do_op(retain_engine *e, const op *o)
{
    char id[16], cust[16], phone[24];
    int rc;
    switch (o->kind) {
    case OP_CUSTOMER: {
        snprintf(id, sizeof id, "c%d", o->index);
        char email[48];
        snprintf(email, sizeof email, "c%d@crash.example", o->index);
        snprintf(phone, sizeof phone, "+1415555%04d", 100 + o->index);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = email;
        c.phone = phone;
        c.at = o->at;
        if ((rc = retain_customer_upsert(e, &c)))
            return rc;
        return retain_consent_set(e, id, "email", "marketing", RETAIN_CONSENT_GRANTED, o->at,
                                  "checkout");
    }
    case OP_ORDER: {
        snprintf(id, sizeof id, "o%d", o->index);
        snprintf(cust, sizeof cust, "c%d", order_customer(o->index));
        retain_order_line line = { "SKU-TEA", "Green tea", 1 + o->index % 3, 450 };
        retain_order ord = RETAIN_ORDER_INIT;
        ord.id = id;
        ord.customer_id = cust;
        ord.channel = "web";
        ord.placed_at = o->at;
        ord.currency = "USD";
        ord.total = line.quantity * line.unit_price;
        ord.lines = &line;
        ord.lines_count = 1;
        return retain_order_record(e, &ord);
    }
    case OP_TICK:
        return retain_engine_tick(e, o->at, NULL);
    case OP_BEGIN:
        return retain_begin(e);
    case OP_COMMIT:
        return retain_commit(e);
    }
    return RETAIN_EINTERNAL;
}

/* Run the whole schedule (the child until it dies; the parent to finish).
 * Every operation is idempotent, so the parent replays from the start. */
static int run_store(const char *db, const char *rcv_path, int batch, calibration *cal,
                     char *err, size_t errsz)
{
    retain_engine *e = NULL;
    int rc = retain_engine_open_ex(&e, db, NULL, err, errsz);
    if (rc)
        return rc;
    sink s = { open(rcv_path, O_WRONLY | O_CREAT | O_APPEND, 0644) };
    if (s.fd < 0) {
        snprintf(err, errsz, "cannot open %s", rcv_path);
        retain_engine_close(e);
        return RETAIN_EIO;
    }
    rc = register_sinks(e, &s, batch);
    /* Setup, also idempotent: a fresh file gets its journeys and policy here. */
    retain_diag d[4];
    size_t nd = 0;
    if (rc == RETAIN_OK)
        rc = retain_journeys_load_file(e, g_yaml, T0 - DAY, d, 4, &nd);
    if (rc == RETAIN_OK) {
        /* Caps would hold some marketing e-mails past the end of the run. */
        rc = retain_policy_cap_remove(e, "email", "marketing");
        if (rc == RETAIN_ENOTFOUND)
            rc = RETAIN_OK;
    }
    if (rc)
        snprintf(err, errsz, "setup: %s", retain_errmsg(e));
    if (cal)
        cal->vfs_open = kv_ops;
    for (int i = 0; i < n_ops && rc == RETAIN_OK; i++) {
        rc = do_op(e, &schedule[i]);
        if (rc)
            snprintf(err, errsz, "operation %d: %s", i, retain_errmsg(e));
        if (cal)
            cal->vfs_after_op[i] = kv_ops;
        if (g_mode == KILL_BETWEEN && g_kill_at == i + 1)
            raise(SIGKILL);
    }
    if (cal) {
        cal->vfs_ops = kv_ops;
        cal->calls = g_calls;
        cal->writes = g_writes;
    }
    retain_engine_close(e);
    close(s.fd);
    return rc;
}

/* ---- checks in the parent ------------------------------------------------- */

static bool integrity_ok(const char *db, char *why, size_t size)
{
    sqlite3 *h = NULL;
    bool ok = false;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            const char *r = (const char *)sqlite3_column_text(st, 0);
            ok = r && !strcmp(r, "ok");
            snprintf(why, size, "%s", r ? r : "(null)");
        } else {
            snprintf(why, size, "%s", sqlite3_errmsg(h));
        }
        sqlite3_finalize(st);
    } else {
        snprintf(why, size, "cannot open");
    }
    sqlite3_close(h);
    return ok;
}

typedef struct outbox_counts {
    int64_t rows, sent, other, lost_attempts;
} outbox_counts;

static void count_outbox(const char *db, outbox_counts *c)
{
    memset(c, 0, sizeof *c);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h,
                           "SELECT count(*), count(*) FILTER (WHERE state='sent'),"
                           " count(*) FILTER (WHERE state<>'sent'),"
                           " (SELECT count(*) FROM outbox_attempt WHERE outcome='lost')"
                           " FROM outbox",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        c->rows = sqlite3_column_int64(st, 0);
        c->sent = sqlite3_column_int64(st, 1);
        c->other = sqlite3_column_int64(st, 2);
        c->lost_attempts = sqlite3_column_int64(st, 3);
    } else {
        c->rows = -1;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
}


static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    bool ok = in && out;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out))
        ok = false;
    return ok;
}

/* The database most iterations start from: schema, journeys, policy (the
 * others start from no file, so that kills land in the migration too). */
static bool make_template(const char *path)
{
    rcv_rm_db(path);
    retain_engine *e = NULL;
    char err[256];
    if (retain_engine_open_ex(&e, path, NULL, err, sizeof err)) {
        T_FAIL("template: %s", err);
        return false;
    }
    retain_diag d[4];
    size_t nd = 0;
    CHECK_OK(e, retain_journeys_load_file(e, g_yaml, T0 - DAY, d, 4, &nd));
    if (nd)
        T_FAIL("%s:%d:%d: %s", g_yaml, d[0].line, d[0].column, d[0].message);
    CHECK_OK(e, retain_policy_cap_remove(e, "email", "marketing"));
    retain_engine_close(e);
    return t_failed == 0;
}

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Run the child; returns its wait status. When `cal` is given the child
 * runs uninterrupted and sends its counts back through a pipe. */
static int run_child(const char *db, const char *rcv, int batch, kill_mode mode, int64_t at,
                     calibration *cal)
{
    int p[2] = { -1, -1 };
    if (cal && pipe(p))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (kv_install() != SQLITE_OK)
            _exit(3);
        g_mode = mode;
        g_calls = g_writes = 0;
        kv_ops = 0;
        if (mode == KILL_VFS_BEFORE || mode == KILL_VFS_AFTER) {
            kv_kill_at = at;
            kv_kill_after = mode == KILL_VFS_AFTER;
        } else {
            g_kill_at = at;
        }
        calibration local;
        memset(&local, 0, sizeof local);
        char err[512] = "";
        int rc = run_store(db, rcv, batch, cal ? &local : NULL, err, sizeof err);
        if (rc)
            fprintf(stderr, "child: %s (%s)\n", retain_errstr(rc), err);
        if (cal) {
            close(p[0]);
            bool ok = write(p[1], &local, sizeof local) == (ssize_t)sizeof local;
            close(p[1]);
            _exit(rc || !ok ? 4 : 0);
        }
        _exit(rc ? 4 : 5); /* 5: it should have been killed */
    }
    if (cal) {
        close(p[1]);
        ssize_t n = read(p[0], cal, sizeof *cal);
        close(p[0]);
        if (n != (ssize_t)sizeof *cal)
            memset(cal, 0, sizeof *cal);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

typedef struct totals {
    long iterations, kills, lost, corrupt, conflicting, two_keys, unexpected, bad_outbox;
    long duplicates, lost_attempts, fresh;
    long by_phase[4]; /* opening, ingest, tick, in the transport */
    long by_mode[KILL_MODES];
} totals;

static const char *const mode_names[KILL_MODES] = { "vfs-before", "vfs-after", "send-before",
                                                    "send-after", "between" };

/* Which operation a kill at vfs op `k` fell into: 0 opening, 1 ingest, 2 tick. */
static int phase_of(const calibration *cal, int64_t k)
{
    if (k <= cal->vfs_open)
        return 0;
    for (int i = 0; i < n_ops; i++)
        if (k <= cal->vfs_after_op[i])
            return schedule[i].kind == OP_TICK ? 2 : 1;
    return 2;
}

/* Start a run: from the template, or (fresh) from no file at all. */
static bool start_db(const char *db, const char *rcv, const char *tmpl, bool fresh)
{
    rcv_rm_db(db);
    unlink(rcv);
    return fresh || copy_file(tmpl, db);
}

static bool iteration(long it, uint64_t seed, const char *dir, const char *tmpl,
                      const calibration cals[2], totals *tot)
{
    char db[512], rcv[512], err[512];
    snprintf(db, sizeof db, "%s/run.db", dir);
    snprintf(rcv, sizeof rcv, "%s/run.rcv", dir);
    uint64_t r = splitmix(seed ^ (uint64_t)it * 0x2545F4914F6CDD1DULL);
    kill_mode mode = (kill_mode)(r % KILL_MODES);
    static const int batches[] = { 1, 3, 64 };
    int batch = batches[(r >> 8) % 3];
    bool fresh = (r >> 16) % 4 == 0;
    const calibration *cal = &cals[fresh];
    if (!start_db(db, rcv, tmpl, fresh)) {
        T_FAIL("iteration %ld: cannot copy the template", it);
        return false;
    }
    uint64_t r2 = splitmix(r);
    int64_t at = 0;
    int phase = 3;
    switch (mode) {
    case KILL_VFS_BEFORE:
    case KILL_VFS_AFTER:
        /* From no file, half of these land in the migration and setup. */
        at = 1 + (int64_t)(r2 % (uint64_t)(fresh && (r >> 24) % 2 && cal->vfs_open > 0
                                               ? cal->vfs_open
                                               : cal->vfs_ops));
        phase = phase_of(cal, at);
        break;
    case KILL_SEND_BEFORE:
        at = 1 + (int64_t)(r2 % (uint64_t)cal->calls);
        break;
    case KILL_SEND_AFTER:
        at = 1 + (int64_t)(r2 % (uint64_t)cal->writes);
        break;
    default:
        at = 1 + (int64_t)(r2 % (uint64_t)(n_ops - 1));
        phase = schedule[at - 1].kind == OP_TICK ? 2 : 1;
        break;
    }
    int status = run_child(db, rcv, batch, mode, at, NULL);
    bool ok = true;
#define IT_FAIL(...)                                                              \
    do {                                                                          \
        ok = false;                                                               \
        T_FAIL("iteration %ld (RETAIN_CRASH_ONLY=%ld, mode %s at %lld, batch %d%s): ", it,  \
               it, mode_names[mode], (long long)at, batch, fresh ? ", fresh file" : ""); \
        fprintf(stderr, __VA_ARGS__);                                             \
        fputc('\n', stderr);                                                      \
    } while (0)
    tot->iterations++;
    tot->fresh += fresh;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        tot->kills++;
        tot->by_mode[mode]++;
        tot->by_phase[phase]++;
    } else {
        IT_FAIL("the child was not killed (status 0x%x)", status);
    }
    char why[256];
    if (!integrity_ok(db, why, sizeof why)) {
        tot->corrupt++;
        IT_FAIL("integrity_check after the crash: %s", why);
    }
    /* Finish the work in this process, with the same transport. */
    g_mode = KILL_MODES;
    g_kill_at = 0;
    int rc = run_store(db, rcv, batch, NULL, err, sizeof err);
    if (rc)
        IT_FAIL("finishing after the crash: %s: %s", retain_errstr(rc), err);
    if (!integrity_ok(db, why, sizeof why)) {
        tot->corrupt++;
        IT_FAIL("integrity_check after finishing: %s", why);
    }
    rcv_list got = { 0 }, want = { 0 };
    expected_messages(&want);
    int bad = rcv_read(rcv, &got);
    if (bad)
        IT_FAIL("%d torn lines in the receiver file", bad);
    rcv_verdict v = rcv_check(&got, &want, NULL);
    tot->lost += (long)v.lost;
    tot->conflicting += (long)v.conflicting;
    tot->two_keys += (long)v.two_keys;
    tot->unexpected += (long)v.unexpected;
    tot->duplicates += (long)v.duplicates;
    /* At most the batch in flight is handed over again, and a kill
     * between two calls hands nothing over again. */
    size_t dup_bound = mode == KILL_BETWEEN ? 0 : (size_t)batch;
    if (v.duplicates > dup_bound)
        IT_FAIL("%zu messages received twice; at most %zu can be after this crash",
                v.duplicates, dup_bound);
    if (v.lost || v.conflicting || v.two_keys || v.unexpected) {
        IT_FAIL("lost %zu, conflicting %zu, two keys for one step %zu, unexpected %zu", v.lost,
                v.conflicting, v.two_keys, v.unexpected);
        rcv_check(&got, &want, stderr);
    }
    outbox_counts oc;
    count_outbox(db, &oc);
    tot->lost_attempts += (long)oc.lost_attempts;
    if (oc.rows != (int64_t)want.n || oc.sent != (int64_t)want.n || oc.other) {
        tot->bad_outbox++;
        IT_FAIL("outbox: %lld rows, %lld sent, %lld in other states; expected %zu sent",
                (long long)oc.rows, (long long)oc.sent, (long long)oc.other, want.n);
    }
    rcv_free(&got);
    rcv_free(&want);
#undef IT_FAIL
    if (ok)
        t_passed++;
    return ok;
}

static bool env_on(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0");
}

int main(void)
{
    build_schedule();
    const char *data = getenv("RETAIN_CRASH_DIR");
    snprintf(g_yaml, sizeof g_yaml, "%s/journeys.yaml", data ? data : "tests/crash");
    long iters = env_on("RETAIN_LONG") ? 5000 : 200;
    if (getenv("RETAIN_CRASH_ITERS"))
        iters = atol(getenv("RETAIN_CRASH_ITERS"));
    long only = getenv("RETAIN_CRASH_ONLY") ? atol(getenv("RETAIN_CRASH_ONLY")) : -1;
    uint64_t seed = getenv("RETAIN_CRASH_SEED") ? strtoull(getenv("RETAIN_CRASH_SEED"), NULL, 0)
                                                : 0x5EEDC0FFEEULL;
    /* A SIGKILL loses nothing the kernel already has, so memory-backed
     * files behave as a disk does here, without the fsync latency (the
     * receiver still calls fsync after every line). */
    const char *t = getenv("RETAIN_CRASH_TMP");
    if (!t || !*t)
        t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/retain-crash-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char tmpl[512], db[512], rcv[512];
    snprintf(tmpl, sizeof tmpl, "%s/template.db", dir);
    snprintf(db, sizeof db, "%s/run.db", dir);
    snprintf(rcv, sizeof rcv, "%s/run.rcv", dir);
    if (!make_template(tmpl))
        return t_report("crash");

    /* Uninterrupted runs, from the template and from no file: where the
     * kills can land, and baselines that pass the checks without a crash. */
    calibration cals[2];
    memset(cals, 0, sizeof cals);
    for (int fresh = 0; fresh < 2; fresh++) {
        if (!start_db(db, rcv, tmpl, fresh))
            T_FAIL("cannot copy the template");
        int status = run_child(db, rcv, 64, KILL_MODES, 0, &cals[fresh]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(cals[fresh].vfs_ops > 0 && cals[fresh].calls > 0);
        rcv_list got = { 0 }, want = { 0 };
        expected_messages(&want);
        CHECK_INT(rcv_read(rcv, &got), 0);
        rcv_verdict v = rcv_check(&got, &want, stderr);
        CHECK_INT(v.lost, 0);
        CHECK_INT(v.duplicates, 0);
        CHECK_INT(v.conflicting + v.two_keys + v.unexpected, 0);
        CHECK_INT(v.distinct, want.n);
        rcv_free(&got);
        rcv_free(&want);
    }
    if (t_failed)
        return t_report("crash");

    totals tot;
    memset(&tot, 0, sizeof tot);
    for (long it = 0; it < iters; it++) {
        if (only >= 0 && it != only)
            continue;
        iteration(it, seed, dir, tmpl, cals, &tot);
        if (t_failed > 20)
            break;
    }
    rcv_rm_db(tmpl);
    rcv_rm_db(db);
    unlink(rcv);
    rmdir(dir);
    printf("crash: %ld iterations (%ld from no file), %ld kills (opening and setup %ld, ingest %ld, mid tick %ld, in the "
           "transport %ld; vfs-before %ld, vfs-after %ld, send-before %ld, send-after %ld, "
           "between calls %ld), lost %ld, corrupt %ld, conflicting %ld, two keys for a step "
           "%ld, bad outbox %ld, duplicates seen %ld (lost attempts recorded %ld); a run has "
           "%lld writes/syncs and %lld transport calls, seed 0x%llx\n",
           tot.iterations, tot.fresh, tot.kills, tot.by_phase[0], tot.by_phase[1], tot.by_phase[2],
           tot.by_phase[3], tot.by_mode[0], tot.by_mode[1], tot.by_mode[2], tot.by_mode[3],
           tot.by_mode[4], tot.lost, tot.corrupt, tot.conflicting, tot.two_keys,
           tot.bad_outbox, tot.duplicates, tot.lost_attempts, (long long)cals[0].vfs_ops,
           (long long)cals[0].calls, (unsigned long long)seed);
    CHECK_INT(tot.kills, tot.iterations);
    return t_report("crash");
}
