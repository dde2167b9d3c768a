/*
 * test_outbox.c - transports that fail in scripted ways, with the exact
 * outbox histories they must leave: retry twice then succeed, permanent
 * failure with a fallback channel, garbage returns, a slow callback racing
 * another engine, a crash between send and record, re-entry, RETAIN_EUSER;
 * plus idempotency keys, backoff, receipts, and the outbox functions.
 */
#include "dutil.h"
#include "dispatch/key.h"

#include <stdarg.h>
#include <sys/wait.h>

/* Golden values (see test_keys): never change them without a migration
 * plan, since a changed key means a message sent twice. */
/* Cross-checked with Python's hashlib over the documented field encoding. */
#define GOLDEN_JOURNEY_KEY "4a3c8a62b8e183fbc5eefb52dd7724893497d4b81ec75e7bc1a90aeef9e8ca35"
#define GOLDEN_HOST_KEY "d32b4befe48807c06fd7708b83842d867e15fd75d598fd94d67ad293b96ee2a2"
#define GOLDEN_BACKOFF_1 58993
#define GOLDEN_BACKOFF_3 158621

static char hist[8192];

static const char *expect(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static const char *expect(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hist, sizeof hist, fmt, ap);
    va_end(ap);
    return hist;
}

static retain_engine *fresh(char *path, size_t size, const char *tag)
{
    d_tmpdb(path, size, tag);
    retain_engine *e = d_open(path);
    d_customer(e, "ann", NULL, T0 - DAY);
    return e;
}

/* ---- keys and backoff --------------------------------------------------- */

static void hexs(const unsigned char d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_keys(void)
{
    static const struct { const char *in, *want; } vectors[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        unsigned char d[32];
        char h[65];
        rt_sha256(vectors[i].in, strlen(vectors[i].in), d);
        hexs(d, h);
        CHECK_STR(h, vectors[i].want);
    }
    char a[RT_KEY_SIZE], b[RT_KEY_SIZE], c[RT_KEY_SIZE], f[RT_KEY_SIZE], h1[RT_KEY_SIZE];
    rt_key_journey("post-purchase", 1, 42, "confirm", NULL, a);
    rt_key_journey("post-purchase", 1, 42, "confirm", NULL, b);
    rt_key_journey("post-purchase", 2, 42, "confirm", NULL, c);
    rt_key_journey("post-purchase", 1, 42, "confirm", "email", f);
    rt_key_host("order-1-confirmation", NULL, h1);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK(strcmp(a, f) != 0);
    CHECK_INT(strlen(a), 64);
    /* Golden values: the same inputs give the same key on every machine and
     * in every version; changing the derivation would resend messages. */
    CHECK_STR(a, GOLDEN_JOURNEY_KEY);
    CHECK_STR(h1, GOLDEN_HOST_KEY);
    /* Fields are length-prefixed: ("ab","c") and ("a","bc") differ. */
    rt_key_journey("ab", 1, 1, "c", NULL, b);
    rt_key_journey("a", 1, 1, "bc", NULL, c);
    CHECK(strcmp(b, c) != 0);

    /* Backoff: exponential, capped, jittered into [d/2, d], reproducible. */
    int64_t base = 60000, cap = 3600000;
    for (int n = 1; n <= 10; n++) {
        int64_t d = base;
        for (int i = 1; i < n; i++)
            d = d * 2 > cap ? cap : d * 2;
        int64_t got = rt_backoff(a, n, base, cap);
        if (got < d / 2 || got > d)
            T_FAIL("backoff attempt %d = %lld outside [%lld, %lld]", n, (long long)got,
                   (long long)(d / 2), (long long)d);
        else
            t_passed++;
        CHECK_INT(rt_backoff(a, n, base, cap), got);
    }
    CHECK(rt_backoff(a, 1, base, cap) != rt_backoff(h1, 1, base, cap));
    CHECK_INT(rt_backoff(a, 1, 60000, 21600000), GOLDEN_BACKOFF_1);
    CHECK_INT(rt_backoff(a, 3, 60000, 21600000), GOLDEN_BACKOFF_3);
    CHECK_INT(rt_backoff(a, 40, 60000, 21600000) <= 21600000, 1);
}

/* ---- scripted transports ------------------------------------------------ */

static void test_retry_twice_then_sent(void)
{
    char path[512];
    retain_engine *e = fresh(path, sizeof path, "retry");
    d_script s = { { RETAIN_SEND_RETRY, RETAIN_SEND_RETRY, RETAIN_SEND_SENT }, 3, 0, 0, 0, {{0}}, 0,
                   0, 0 };
    d_transport(e, "email", &s);
    rt_send_request r = d_req(d_key(e, "ann"), 7, "confirm", "email", "transactional", T0);
    rt_gate_result g = d_enqueue(e, &r, T0);
    CHECK_INT(g.decision, RT_GATE_QUEUED);
    CHECK_INT(g.not_before, T0);
    int64_t id = g.message_id;
    CHECK(id > 0);
    char key[RT_KEY_SIZE];
    rt_key_journey("post-purchase", 1, 7, "confirm", NULL, key);

    retain_delivery_stats st = d_deliver(e, T0);
    CHECK_INT(st.retried, 1);
    CHECK_INT(st.sent, 0);
    long long t1 = T0 + rt_backoff(key, 1, 60000, 21600000);
    d_deliver(e, t1 - 1); /* not due yet */
    CHECK_INT(s.calls, 1);
    st = d_deliver(e, t1);
    CHECK_INT(st.retried, 1);
    long long t2 = t1 + rt_backoff(key, 2, 60000, 21600000);
    CHECK(t2 - t1 > t1 - T0 - 30000); /* roughly doubles */
    st = d_deliver(e, t2);
    CHECK_INT(st.sent, 1);
    d_deliver(e, t2 + DAY); /* nothing more */
    CHECK_INT(s.calls, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_STR(s.log[i].key, key);
        CHECK_INT(s.log[i].attempt, i + 1);
        CHECK_INT(s.log[i].id, id);
        CHECK_STR(s.log[i].recipient, "ann@example.com");
        CHECK_STR(s.log[i].customer, "ann");
    }
    CHECK_STR(d_history(e, id),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"retry\","
                     "\"retry_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":2,\"outcome\":\"retry\","
                     "\"retry_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":3,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-3\"}]",
                     T0, T0, T0, t1, t1, t2, t2, (long long)id));
    retain_outbox_entry *m = NULL;
    CHECK_OK(e, retain_outbox_get(&m, e, id));
    if (m) {
        CHECK_INT(m->state, RETAIN_OUTBOX_SENT);
        CHECK_INT(m->attempts, 3);
        CHECK_INT(m->sent_at, t2);
        CHECK_STR(m->provider_id, expect("p-%lld-3", (long long)id));
        CHECK_STR(m->idempotency_key, key);
        CHECK_STR(m->journey, "post-purchase");
        CHECK_STR(m->step, "confirm");
        CHECK(m->host_id == NULL);
        CHECK_INT(m->expires_at, RETAIN_TIME_NONE);
        retain_outbox_entry_free(m);
    }
    /* The same step never yields a second message. */
    g = d_enqueue(e, &r, t2);
    CHECK_INT(g.message_id, id);
    retain_engine_close(e);
    CHECK_INT(s.closed, 1);
    d_rmdb(path);
}

static void test_failure_and_fallback(void)
{
    char path[512];
    retain_engine *e = fresh(path, sizeof path, "fallback");
    d_script sms = { { RETAIN_SEND_FAILED }, 1, 0, "invalid_address", 0, {{0}}, 0, 0, 0 };
    d_script mail = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "sms", &sms);
    d_transport(e, "email", &mail);
    rt_send_request r = d_req(d_key(e, "ann"), 9, "shipped", "sms", "transactional", T0);
    r.fallback_channel = "email";
    r.max_age_ms = DAY;
    rt_gate_result g = d_enqueue(e, &r, T0);
    int64_t id = g.message_id;
    retain_delivery_stats st = d_deliver(e, T0);
    CHECK_INT(st.failed, 1);
    CHECK_INT(st.sent, 1);
    CHECK_INT(sms.calls, 1);
    CHECK_INT(mail.calls, 1);
    CHECK_STR(sms.log[0].recipient, "+14155550100");
    CHECK_STR(mail.log[0].recipient, "ann@example.com");
    int64_t fb = mail.log[0].id;
    CHECK(fb != id);
    CHECK_INT(d_state(e, id), RETAIN_OUTBOX_DEAD);
    CHECK_STR(d_history(e, id),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"failed\","
                     "\"reason\":\"invalid_address\"},"
                     "{\"at\":%lld,\"event\":\"dead\",\"stage\":\"result\",\"rule\":\"transport\","
                     "\"reason\":\"failed permanently: invalid_address\"},"
                     "{\"at\":%lld,\"event\":\"fallback\",\"stage\":\"result\","
                     "\"reason\":\"fallback on email queued as message %lld\"}]",
                     T0, T0, T0, T0, T0, (long long)fb));
    CHECK_STR(d_history(e, fb),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-1\"}]",
                     T0, T0, T0, (long long)fb));
    char fkey[RT_KEY_SIZE];
    rt_key_journey("post-purchase", 1, 9, "shipped", "email", fkey);
    CHECK_STR(mail.log[0].key, fkey);
    retain_outbox_entry *m = NULL;
    CHECK_OK(e, retain_outbox_get(&m, e, fb));
    if (m) {
        CHECK_INT(m->fallback_of, id);
        CHECK_STR(m->channel, "email");
        CHECK_INT(m->expires_at, T0 + DAY); /* the original's max_age still holds */
        retain_outbox_entry_free(m);
    }
    char props[512];
    CHECK_INT(d_events(e, "ann", "message.failed", props, sizeof props), 1);
    CHECK_CONTAINS(props, expect("\"message_id\":%lld", (long long)id));
    CHECK_CONTAINS(props, expect("\"fallback_message_id\":%lld", (long long)fb));
    CHECK_CONTAINS(props, "\"step\":\"shipped\"");

    /* A fallback goes through the gate too: no e-mail address, no fallback. */
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "bob";
    c.phone = "+14155550111";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_consent_set(e, "bob", "sms", "all", RETAIN_CONSENT_GRANTED, T0, NULL));
    rt_send_request rb = d_req(d_key(e, "bob"), 10, "shipped", "sms", "transactional", T0);
    rb.fallback_channel = "email";
    int64_t bid = d_enqueue(e, &rb, T0).message_id;
    retain_delivery_stats sb = d_deliver(e, T0);
    CHECK_INT(sb.failed, 1);
    CHECK_INT(sb.sent, 0);
    CHECK_CONTAINS(d_history(e, bid),
                   expect("{\"at\":%lld,\"event\":\"fallback\",\"stage\":\"result\","
                          "\"reason\":\"fallback on email not queued: customer \\\"bob\\\" has "
                          "no e-mail address for email\"}",
                          T0));
    CHECK_INT(d_events(e, "bob", "message.failed", props, sizeof props), 1);
    CHECK(strstr(props, "fallback_message_id") == NULL);

    /* Deleting a customer takes the outbox, its history and decisions along. */
    CHECK_OK(e, retain_customer_delete(e, "bob"));
    CHECK_RC(e, retain_outbox_get(&m, e, bid), RETAIN_ENOTFOUND);
    CHECK_OK(e, retain_customer_delete(e, "ann"));
    CHECK_RC(e, retain_outbox_get(&m, e, fb), RETAIN_ENOTFOUND);
    retain_engine_close(e);
    d_rmdb(path);
}

static void test_garbage(void)
{
    char path[512];
    retain_engine *e = fresh(path, sizeof path, "garbage");
    d_script s = { { 42 }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = d_send;
    t.userdata = &s;
    t.max_attempts = 2;
    t.backoff_base_ms = 1000;
    t.backoff_cap_ms = 1000;
    CHECK_OK(e, retain_transport_register(e, &t));
    rt_send_request r = d_req(d_key(e, "ann"), 3, "guide", "email", "transactional", T0);
    int64_t id = d_enqueue(e, &r, T0).message_id;
    char key[RT_KEY_SIZE];
    rt_key_journey("post-purchase", 1, 3, "guide", NULL, key);
    retain_delivery_stats st = d_deliver(e, T0);
    CHECK_INT(st.retried, 1);
    long long t1 = T0 + rt_backoff(key, 1, 1000, 1000);
    CHECK(t1 - T0 >= 500 && t1 - T0 <= 1000);
    st = d_deliver(e, t1);
    CHECK_INT(st.failed, 1);
    const char *why = "transport returned 42, not a retain_send_outcome; treated as a retry";
    CHECK_STR(d_history(e, id),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"garbage\","
                     "\"retry_at\":%lld,\"reason\":\"%s\"},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":2,\"outcome\":\"garbage\","
                     "\"reason\":\"%s\"},"
                     "{\"at\":%lld,\"event\":\"dead\",\"stage\":\"result\",\"rule\":\"transport\","
                     "\"reason\":\"gave up after 2 attempts: %s\"}]",
                     T0, T0, T0, t1, why, t1, why, t1, why));
    CHECK_INT(d_events(e, "ann", "message.failed", NULL, 0), 1);
    /* The host gives it a fresh budget; it goes through the gate again. */
    CHECK_OK(e, retain_outbox_retry(e, id, t1 + 5));
    CHECK_INT(d_state(e, id), RETAIN_OUTBOX_QUEUED);
    s.outcomes[0] = RETAIN_SEND_SENT;
    st = d_deliver(e, t1 + 5);
    CHECK_INT(st.sent, 1);
    CHECK_INT(s.log[2].attempt, 3);
    CHECK_CONTAINS(d_history(e, id),
                   expect("{\"at\":%lld,\"event\":\"retried\",\"stage\":\"host\","
                          "\"reason\":\"retried by the host (was dead)\"}",
                          t1 + 5));
    retain_engine_close(e);
    d_rmdb(path);
}

/* Inside the first callback another engine on the same file delivers: within
 * the lease it must see nothing; after the lease it takes the message over. */
typedef struct slow_ctx {
    const char *path;
    d_script other;
    int64_t first_run_calls;
} slow_ctx;

static void slow_hook(d_script *s, const retain_message *m)
{
    slow_ctx *c = s->ctx;
    if (s->calls != 1)
        return;
    retain_engine *b = d_open(c->path);
    d_transport(b, "email", &c->other);
    d_deliver(b, m->now + MIN);
    c->first_run_calls = c->other.calls;
    d_deliver(b, m->now + 11 * MIN);
    retain_engine_close(b);
}

static void test_slow_callback(void)
{
    char path[512];
    retain_engine *e = fresh(path, sizeof path, "slow");
    slow_ctx ctx = { path, { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 }, -1 };
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, slow_hook, &ctx };
    d_transport(e, "email", &s);
    rt_send_request r = d_req(d_key(e, "ann"), 5, "welcome", "email", "transactional", T0);
    int64_t id = d_enqueue(e, &r, T0).message_id;
    retain_delivery_stats st = d_deliver(e, T0);
    CHECK_INT(st.sent, 1);
    CHECK_INT(ctx.first_run_calls, 0); /* leased: the other engine left it alone */
    CHECK_INT(ctx.other.calls, 1);     /* after the lease it was handed over again ... */
    CHECK_STR(ctx.other.log[0].key, s.log[0].key); /* ... with the same key */
    CHECK_INT(ctx.other.log[0].attempt, 2);
    long long t2 = T0 + 11 * MIN;
    CHECK_STR(d_history(e, id),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-1\",\"reason\":\"late result (the lease had run "
                     "out)\"},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":2,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-2\"}]",
                     T0, T0, T0, (long long)id, t2, (long long)id));
    retain_outbox_entry *m = NULL;
    CHECK_OK(e, retain_outbox_get(&m, e, id));
    if (m) {
        CHECK_INT(m->state, RETAIN_OUTBOX_SENT);
        CHECK_INT(m->sent_at, t2);
        retain_outbox_entry_free(m);
    }
    retain_engine_close(e);
    d_rmdb(path);
}

/* Another engine deletes the customer while the transport runs. */
static void delete_hook(d_script *s, const retain_message *m)
{
    retain_engine *b = d_open(s->ctx);
    CHECK_OK(b, retain_customer_delete(b, m->customer_id));
    retain_engine_close(b);
}

static void test_deleted_during_send(void)
{
    char path[512];
    retain_engine *e = fresh(path, sizeof path, "deleted");
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, delete_hook, path };
    d_transport(e, "email", &s);
    rt_send_request r = d_req(d_key(e, "ann"), 1, "a", "email", "transactional", T0);
    int64_t id = d_enqueue(e, &r, T0).message_id;
    retain_delivery_stats st = d_deliver(e, T0);
    CHECK_INT(s.calls, 1);
    CHECK_INT(st.sent, 1);
    retain_outbox_entry *m = NULL;
    CHECK_RC(e, retain_outbox_get(&m, e, id), RETAIN_ENOTFOUND);
    retain_engine_close(e);
    d_rmdb(path);
}

/* A real crash between handing a message over and recording the result. */
static void crash_hook(d_script *s, const retain_message *m)
{
    int *fd = s->ctx;
    ssize_t w = write(*fd, m->idempotency_key, 64);
    (void)w;
    _exit(0);
}

static void test_crash(void)
{
    char path[512];
    retain_engine *e = fresh(path, sizeof path, "crash");
    rt_send_request r = d_req(d_key(e, "ann"), 11, "review", "email", "transactional", T0);
    int64_t id = d_enqueue(e, &r, T0).message_id;
    retain_engine_close(e);
    int fds[2];
    if (pipe(fds) != 0) {
        T_FAIL("pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        retain_engine *c = d_open(path);
        d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, crash_hook, &fds[1] };
        d_transport(c, "email", &s);
        retain_outbox_deliver(NULL, c, T0);
        _exit(3); /* not reached */
    }
    close(fds[1]);
    char child_key[65] = "";
    ssize_t n = read(fds[0], child_key, 64);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_INT(n, 64);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    e = d_open(path);
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);
    CHECK_INT(d_state(e, id), RETAIN_OUTBOX_SENDING);
    d_deliver(e, T0 + MIN);
    CHECK_INT(s.calls, 0); /* the crashed run's lease still holds */
    retain_delivery_stats st = d_deliver(e, T0 + 10 * MIN);
    CHECK_INT(st.sent, 1);
    CHECK_INT(s.calls, 1);
    CHECK_STR(s.log[0].key, child_key); /* never lost, same key */
    CHECK_INT(s.log[0].attempt, 2);
    long long t = T0 + 10 * MIN;
    CHECK_STR(d_history(e, id),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"lost\","
                     "\"reason\":\"no result was recorded before the lease ran out\"},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":2,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-2\"}]",
                     T0, T0, t, t, (long long)id));
    retain_engine_close(e);
    d_rmdb(path);
}

typedef struct reenter_ctx {
    retain_engine *e;
    int rc_get, rc_deliver, rc_register;
    char msg[256];
} reenter_ctx;

static void reenter_hook(d_script *s, const retain_message *m)
{
    reenter_ctx *c = s->ctx;
    retain_customer *cust = NULL;
    c->rc_get = retain_customer_get(&cust, c->e, "ann");
    snprintf(c->msg, sizeof c->msg, "%s", retain_errmsg(c->e));
    c->rc_deliver = retain_outbox_deliver(NULL, c->e, m->now);
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "sms";
    t.send = d_send;
    c->rc_register = retain_transport_register(c->e, &t);
    retain_customer_free(cust);
}

static void test_reentry_and_stop(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY);
    reenter_ctx rc = { e, 0, 0, 0, "" };
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, reenter_hook, &rc };
    d_transport(e, "email", &s);
    int64_t ann = d_key(e, "ann");
    rt_send_request r = d_req(ann, 1, "a", "email", "transactional", T0);
    int64_t id = d_enqueue(e, &r, T0).message_id;
    CHECK_INT(d_deliver(e, T0).sent, 1);
    CHECK_INT(rc.rc_get, RETAIN_EMISUSE);
    CHECK_INT(rc.rc_deliver, RETAIN_EMISUSE);
    CHECK_INT(rc.rc_register, RETAIN_EMISUSE);
    CHECK_CONTAINS(rc.msg, "retain_customer_get called from inside a transport callback");
    CHECK_STR(retain_errmsg(e), "");
    CHECK_INT(d_state(e, id), RETAIN_OUTBOX_SENT);

    /* RETAIN_EUSER stops the run: that message is retried at once by the
     * next run, the others were never handed over. */
    d_script stop = { { RETAIN_EUSER, RETAIN_SEND_SENT }, 2, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &stop);
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        char step[8];
        snprintf(step, sizeof step, "s%d", i);
        rt_send_request q = d_req(ann, 2, step, "email", "transactional", T0);
        ids[i] = d_enqueue(e, &q, T0).message_id;
    }
    retain_delivery_stats st;
    CHECK_RC(e, retain_outbox_deliver(&st, e, T0 + 1), RETAIN_EUSER);
    CHECK_CONTAINS(retain_errmsg(e), "email transport stopped the delivery run");
    CHECK_INT(st.retried, 1);
    CHECK_INT(stop.calls, 1);
    CHECK_INT(d_state(e, ids[0]), RETAIN_OUTBOX_QUEUED);
    retain_outbox_entry *m = NULL;
    CHECK_OK(e, retain_outbox_get(&m, e, ids[1]));
    if (m) {
        CHECK_INT(m->attempts, 0);
        CHECK_INT(m->state, RETAIN_OUTBOX_QUEUED);
        retain_outbox_entry_free(m);
    }
    st = d_deliver(e, T0 + 1);
    CHECK_INT(st.sent, 3);
    CHECK_INT(stop.calls, 4);
    CHECK_STR(d_history(e, ids[0]),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"retry\","
                     "\"retry_at\":%lld,\"reason\":\"transport stopped the run (RETAIN_EUSER)\"},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":2,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-2\"}]",
                     T0, T0, T0 + 1, T0 + 1, T0 + 1, (long long)ids[0]));
    retain_engine_close(e);
}

static void test_retry_after_and_registry(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY);
    int64_t ann = d_key(e, "ann");
    d_script s = { { RETAIN_SEND_RETRY, RETAIN_SEND_SENT }, 2, 5 * MIN, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);
    rt_send_request r = d_req(ann, 1, "a", "email", "transactional", T0);
    int64_t id = d_enqueue(e, &r, T0).message_id;
    d_deliver(e, T0);
    d_deliver(e, T0 + 5 * MIN - 1);
    CHECK_INT(s.calls, 1);
    d_deliver(e, T0 + 5 * MIN);
    CHECK_INT(s.calls, 2);
    CHECK_CONTAINS(d_history(e, id), expect("\"retry_at\":%lld", T0 + 5 * MIN));

    /* batch = 1: every claim and every result in a transaction of its own. */
    d_script one = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    retain_transport bt = RETAIN_TRANSPORT_INIT;
    bt.channel = "chat";
    bt.send = d_send;
    bt.userdata = &one;
    bt.batch = 1;
    CHECK_OK(e, retain_transport_register(e, &bt));
    CHECK_OK(e, retain_consent_set(e, "ann", "chat", "all", RETAIN_CONSENT_GRANTED, T0, NULL));
    for (int i = 0; i < 3; i++) {
        char step[8];
        snprintf(step, sizeof step, "c%d", i);
        rt_send_request q = d_req(ann, 9, step, "chat", "service", T0);
        CHECK_INT(d_enqueue(e, &q, T0).decision, RT_GATE_QUEUED);
    }
    CHECK_INT(d_deliver(e, T0).sent, 3);
    CHECK_INT(one.calls, 3);
    CHECK_STR(one.log[0].recipient, "ann"); /* other channels: the customer id */
    bt.batch = 1001;
    CHECK_RC(e, retain_transport_register(e, &bt), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e), "transport.batch") != NULL);

    /* A channel without a transport waits in the outbox. */
    rt_send_request q = d_req(ann, 1, "b", "sms", "transactional", T0);
    int64_t sms = d_enqueue(e, &q, T0).message_id;
    CHECK_INT(d_deliver(e, T0).sent, 0);
    CHECK_INT(d_state(e, sms), RETAIN_OUTBOX_QUEUED);
    d_script t = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "sms", &t);
    CHECK_INT(d_deliver(e, T0).sent, 1);

    /* Replacing and removing transports closes each userdata once. */
    d_script a = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 }, b = a, c = a;
    d_transport(e, "push", &a);
    d_transport(e, "push", &b);
    CHECK_INT(a.closed, 1);
    CHECK_INT(b.closed, 0);
    CHECK_OK(e, retain_transport_unregister(e, "push"));
    CHECK_INT(b.closed, 1);
    CHECK_RC(e, retain_transport_unregister(e, "push"), RETAIN_ENOTFOUND);
    d_transport(e, "push", &c);

    /* Argument validation. */
    retain_transport bad = RETAIN_TRANSPORT_INIT;
    CHECK_RC(e, retain_transport_register(e, NULL), RETAIN_EINVAL);
    CHECK_RC(e, retain_transport_register(e, &bad), RETAIN_EINVAL);
    bad.channel = "Email!";
    bad.send = d_send;
    CHECK_RC(e, retain_transport_register(e, &bad), RETAIN_EINVAL);
    bad.channel = "email";
    bad.max_attempts = 1000;
    CHECK_RC(e, retain_transport_register(e, &bad), RETAIN_EINVAL);
    CHECK_CONTAINS(retain_errmsg(e), "max_attempts");
    bad.max_attempts = 0;
    bad.backoff_base_ms = 10 * HOUR;
    bad.backoff_cap_ms = HOUR;
    CHECK_RC(e, retain_transport_register(e, &bad), RETAIN_EINVAL);
    bad.version = 99;
    CHECK_RC(e, retain_transport_register(e, &bad), RETAIN_EINVAL);
    CHECK_CONTAINS(retain_errmsg(e), "RETAIN_TRANSPORT_INIT");
    CHECK_INT(retain_transport_register(NULL, &bad), RETAIN_EINVAL);
    CHECK_RC(e, retain_outbox_deliver(NULL, e, INT64_MAX), RETAIN_EINVAL);
    CHECK_OK(e, retain_begin(e));
    CHECK_RC(e, retain_outbox_deliver(NULL, e, T0), RETAIN_EMISUSE);
    CHECK_OK(e, retain_rollback(e));
    retain_engine_close(e);
    CHECK_INT(c.closed, 1);
    CHECK_INT(s.closed, 1);
    CHECK_INT(t.closed, 1);
}

/* ---- host messages, receipts, the outbox functions ---------------------- */

static void test_host_messages_and_receipts(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY);
    d_customer(e, "bob", NULL, T0 - DAY);
    d_order(e, "o-1", "ann", "web", T0 - DAY);
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);

    retain_message_spec spec = RETAIN_MESSAGE_SPEC_INIT;
    spec.host_id = "newsletter-2024-01-ann";
    spec.customer_id = "ann";
    spec.channel = "email";
    spec.category = "marketing";
    spec.template_id = "newsletter";
    spec.order_id = "o-1";
    spec.extra_json = "{\"coupon\":{\"code\":\"TEA10\"}}";
    retain_queue_result q;
    CHECK_OK(e, retain_message_queue(&q, e, &spec, T0));
    CHECK_INT(q.decision, RETAIN_GATE_QUEUED);
    int64_t id = q.message_id;
    retain_queue_result q2;
    CHECK_OK(e, retain_message_queue(&q2, e, &spec, T0 + 1));
    CHECK_INT(q2.message_id, id); /* idempotent on the host's id */
    char key[RT_KEY_SIZE];
    rt_key_host("newsletter-2024-01-ann", NULL, key);
    int64_t found = 0;
    CHECK_OK(e, retain_message_find(&found, e, key));
    CHECK_INT(found, id);

    /* Bad specs. */
    retain_message_spec bad = spec;
    bad.host_id = NULL;
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_EINVAL);
    bad = spec;
    bad.host_id = "x1";
    bad.order_id = "nope";
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_ENOTFOUND);
    bad.customer_id = "bob";
    bad.order_id = "o-1";
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_EINVAL);
    CHECK_CONTAINS(retain_errmsg(e), "belongs to another customer");
    bad = spec;
    bad.host_id = "x2";
    bad.extra_json = "[1]";
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_EINVAL);
    bad = spec;
    bad.host_id = "x3";
    bad.channel = "E-Mail";
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_EINVAL);
    bad = spec;
    bad.version = 0;
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_EINVAL);
    bad = spec;
    bad.host_id = "x4";
    bad.on_cap = (retain_on_policy)7;
    CHECK_RC(e, retain_message_queue(&q, e, &bad, T0), RETAIN_EINVAL);

    /* A receipt needs a message that was handed over. */
    CHECK_RC(e, retain_message_report(e, id, RETAIN_RECEIPT_DELIVERED, T0), RETAIN_ECONFLICT);
    CHECK_INT(d_deliver(e, T0).sent, 1);
    /* The payload has what a template needs. */
    const char *p = s.log[0].payload;
    CHECK_CONTAINS(p, "\"customer\":{\"id\":\"ann\"");
    CHECK_CONTAINS(p, "\"order\":{\"id\":\"o-1\",\"channel\":\"web\"");
    CHECK_CONTAINS(p, "\"lines\":[{\"sku\":\"SKU-1\",\"title\":\"Green tea\",\"quantity\":2,"
                      "\"unit_price\":450}");
    CHECK_CONTAINS(p, "\"coupon\":{\"code\":\"TEA10\"}");
    CHECK_CONTAINS(p, expect("\"unsubscribe\":{\"customer_id\":\"ann\",\"channel\":\"email\","
                             "\"category\":\"marketing\",\"message_key\":\"%s\","
                             "\"list_unsubscribe_post\":\"List-Unsubscribe=One-Click\"}",
                             key));
    char prov[64];
    snprintf(prov, sizeof prov, "p-%lld-1", (long long)id);
    CHECK_OK(e, retain_message_find_provider(&found, e, "email", prov));
    CHECK_INT(found, id);
    CHECK_RC(e, retain_message_find_provider(&found, e, "email", "nope"), RETAIN_ENOTFOUND);

    CHECK_OK(e, retain_message_report(e, id, RETAIN_RECEIPT_DELIVERED, T0 + MIN));
    CHECK_OK(e, retain_message_report(e, id, RETAIN_RECEIPT_DELIVERED, T0 + MIN)); /* again */
    CHECK_OK(e, retain_message_report(e, id, RETAIN_RECEIPT_OPENED, T0 + HOUR));
    CHECK_INT(d_events(e, "ann", "message.delivered", NULL, 0), 1);
    char props[512];
    CHECK_INT(d_events(e, "ann", "message.opened", props, sizeof props), 1);
    CHECK_STR(props, expect("{\"message_id\":%lld,\"channel\":\"email\",\"category\":"
                            "\"marketing\",\"template\":\"newsletter\",\"journey\":null,"
                            "\"step\":null}",
                            (long long)id));
    CHECK_RC(e, retain_message_report(e, id, (retain_receipt)99, T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_message_report(e, 9999, RETAIN_RECEIPT_OPENED, T0), RETAIN_ENOTFOUND);

    /* An unsubscribe revokes that channel and category, and a queued message
     * of that kind is stopped just before it would be sent. */
    spec.host_id = "newsletter-2024-02-ann";
    CHECK_OK(e, retain_message_queue(&q, e, &spec, T0 + HOUR));
    int64_t next = q.message_id;
    CHECK_OK(e, retain_message_report(e, id, RETAIN_RECEIPT_UNSUBSCRIBED, T0 + 2 * HOUR));
    retain_consent_state cs;
    CHECK_OK(e, retain_consent_get(&cs, NULL, e, "ann", "email", "marketing"));
    CHECK_INT(cs, RETAIN_CONSENT_REVOKED);
    retain_delivery_stats st = d_deliver(e, T0 + 3 * HOUR);
    CHECK_INT(st.skipped, 1);
    CHECK_INT(d_state(e, next), RETAIN_OUTBOX_SKIPPED);
    char when[32];
    rt_format_time(T0 + 2 * HOUR, when, sizeof when);
    CHECK_CONTAINS(d_history(e, next),
                   expect("{\"at\":%lld,\"event\":\"skipped\",\"stage\":\"send\",\"rule\":"
                          "\"consent\",\"reason\":\"consent for email/marketing was revoked at "
                          "%s\"}",
                          T0 + 3 * HOUR, when));
    /* Transactional messages still go: only that category was revoked. */
    spec.host_id = "receipt-1";
    spec.category = "transactional";
    CHECK_OK(e, retain_message_queue(&q, e, &spec, T0 + 3 * HOUR));
    CHECK_INT(q.decision, RETAIN_GATE_QUEUED);
    CHECK_STR(d_history(e, id),
              expect("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-1\"},"
                     "{\"at\":%lld,\"event\":\"receipt\",\"status\":\"delivered\"},"
                     "{\"at\":%lld,\"event\":\"receipt\",\"status\":\"opened\"},"
                     "{\"at\":%lld,\"event\":\"receipt\",\"status\":\"unsubscribed\"}]",
                     T0, T0, T0, (long long)id, T0 + MIN, T0 + HOUR, T0 + 2 * HOUR));
    retain_outbox_entry *m = NULL;
    CHECK_OK(e, retain_outbox_get(&m, e, id));
    if (m) {
        CHECK_STR(m->delivery, "unsubscribed");
        CHECK_STR(m->host_id, "newsletter-2024-01-ann");
        CHECK_STR(m->order_id, "o-1");
        retain_outbox_entry_free(m);
    }
    /* A complaint revokes too. */
    CHECK_OK(e, retain_message_report(e, id, RETAIN_RECEIPT_COMPLAINED, T0 + 4 * HOUR));
    CHECK_INT(d_events(e, "ann", "consent.revoked", NULL, 0), 2);
    retain_engine_close(e);
}

static void test_outbox_listing(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY);
    d_customer(e, "bob", NULL, T0 - DAY);
    int64_t ann = d_key(e, "ann"), bob = d_key(e, "bob");
    int64_t ids[4];
    for (int i = 0; i < 4; i++) {
        char step[8];
        snprintf(step, sizeof step, "s%d", i);
        rt_send_request r = d_req(i % 2 ? bob : ann, 1 + i, step, "email", "transactional",
                                  T0 + (3 - i) * MIN);
        ids[i] = d_enqueue(e, &r, T0).message_id;
    }
    CHECK_OK(e, retain_outbox_cancel(e, ids[1], T0));
    CHECK_RC(e, retain_outbox_cancel(e, ids[1], T0), RETAIN_ECONFLICT);
    CHECK_RC(e, retain_outbox_cancel(e, 12345, T0), RETAIN_ENOTFOUND);
    retain_outbox_query q = RETAIN_OUTBOX_QUERY_INIT;
    q.states = RETAIN_OUTBOX_PENDING;
    retain_outbox_iter *it = NULL;
    CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
    const retain_outbox_entry *row;
    int64_t order[4];
    int n = 0;
    while (it && retain_outbox_iter_next(it, &row) == RETAIN_ROW && n < 4)
        order[n++] = row->id;
    retain_outbox_iter_free(it);
    CHECK_INT(n, 3); /* next due first */
    if (n == 3) {
        CHECK_INT(order[0], ids[3]);
        CHECK_INT(order[1], ids[2]);
        CHECK_INT(order[2], ids[0]);
    }
    q.states = RETAIN_OUTBOX_CANCELLED;
    CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
    n = 0;
    while (it && retain_outbox_iter_next(it, &row) == RETAIN_ROW) {
        CHECK_INT(row->id, ids[1]);
        CHECK_STR(row->customer_id, "bob");
        CHECK_STR(row->last_reason, "cancelled by the host");
        n++;
    }
    retain_outbox_iter_free(it);
    CHECK_INT(n, 1);
    q.states = 0;
    q.customer_id = "ann";
    q.limit = 1;
    CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
    n = 0;
    while (it && retain_outbox_iter_next(it, &row) == RETAIN_ROW)
        n++;
    retain_outbox_iter_free(it);
    CHECK_INT(n, 1);
    q.customer_id = "nobody";
    CHECK_RC(e, retain_outbox_iter_open(&it, e, &q), RETAIN_ENOTFOUND);
    q.customer_id = NULL;
    q.states = 1u << 10;
    CHECK_RC(e, retain_outbox_iter_open(&it, e, &q), RETAIN_EINVAL);
    CHECK_OK(e, retain_outbox_iter_open(&it, e, NULL));
    n = 0;
    while (it && retain_outbox_iter_next(it, &row) == RETAIN_ROW)
        n++;
    CHECK_RC(e, retain_outbox_iter_next(it, NULL), RETAIN_EINVAL);
    retain_outbox_iter_free(it);
    retain_outbox_iter_free(NULL);
    CHECK_INT(n, 4);
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);
    CHECK_INT(d_deliver(e, T0 + HOUR).sent, 3);
    CHECK_RC(e, retain_outbox_retry(e, ids[0], T0 + HOUR), RETAIN_ECONFLICT);
    CHECK_RC(e, retain_outbox_cancel(e, ids[0], T0 + HOUR), RETAIN_ECONFLICT);
    retain_outbox_entry *m = (retain_outbox_entry *)1;
    CHECK_RC(e, retain_outbox_get(&m, e, 777), RETAIN_ENOTFOUND);
    CHECK(m == NULL);
    char *json = NULL;
    CHECK_RC(e, retain_outbox_history(&json, e, 777), RETAIN_ENOTFOUND);
    retain_outbox_entry_free(NULL);

    /* Explain reads messages and message-less decisions per instance. */
    CHECK_OK(e, retain_consent_set(e, "ann", "email", "marketing", RETAIN_CONSENT_REVOKED, T0,
                                   "test"));
    rt_send_request r = d_req(ann, 1, "promo", "email", "marketing", T0);
    rt_gate_result g = d_enqueue(e, &r, T0 + HOUR);
    CHECK_INT(g.decision, RT_GATE_SKIPPED);
    CHECK_INT(g.message_id, 0);
    rt_buf b;
    rt_buf_init(&b, NULL);
    CHECK_OK(e, rt_dispatch_explain(e, 1, ann, &b));
    char *text = NULL;
    CHECK_INT(rt_buf_finish(&b, &text), RETAIN_OK);
    char k0[RT_KEY_SIZE], k1[RT_KEY_SIZE];
    rt_key_journey("post-purchase", 1, 1, "s0", NULL, k0);
    rt_key_journey("post-purchase", 1, 1, "promo", NULL, k1);
    char when[32];
    rt_format_time(T0, when, sizeof when);
    CHECK_STR(text,
              expect("[{\"message_id\":%lld,\"key\":\"%s\",\"journey\":\"post-purchase\","
                     "\"step\":\"s0\",\"channel\":\"email\",\"category\":\"transactional\","
                     "\"template\":\"tpl\",\"state\":\"sent\",\"not_before\":%lld,"
                     "\"sent_at\":%lld,\"attempts\":1,\"history\":["
                     "{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                     "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"sent\","
                     "\"provider_id\":\"p-%lld-1\"}]},"
                     "{\"message_id\":null,\"key\":\"%s\",\"step\":\"promo\",\"channel\":"
                     "\"email\",\"state\":\"skipped\",\"at\":%lld,\"stage\":\"enqueue\","
                     "\"rule\":\"consent\",\"reason\":\"consent for email/marketing was revoked "
                     "at %s\"}]",
                     (long long)ids[0], k0, T0 + HOUR + 10 * MIN, T0 + HOUR, T0, T0 + 3 * MIN,
                     T0 + HOUR, (long long)ids[0], k1, T0 + HOUR, when));
    free(text);
    rt_buf_init(&b, NULL);
    CHECK_OK(e, rt_dispatch_explain(e, 0, bob, &b));
    CHECK(b.data && strstr(b.data, "\"state\":\"cancelled\"") != NULL);
    rt_buf_free(&b);
    retain_engine_close(e);
}

int main(void)
{
    test_keys();
    test_retry_twice_then_sent();
    test_failure_and_fallback();
    test_garbage();
    test_slow_callback();
    test_deleted_during_send();
    test_crash();
    test_reentry_and_stop();
    test_retry_after_and_registry();
    test_host_messages_and_receipts();
    test_outbox_listing();
    return t_report("delivery/outbox");
}
