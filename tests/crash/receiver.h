/*
 * receiver.h - the far side of the transports in the crash and concurrency
 * suites: every message a transport accepts is appended to a receiver file
 * (one line, fsync'd) as "key customer order journey step hash", and the
 * files are read back and checked against the messages the test expects,
 * computed from what it recorded, never from the library's outbox. Shared
 * by the crash and concurrency suites.
 */
#ifndef RT_TEST_RECEIVER_H
#define RT_TEST_RECEIVER_H

#include <retain/transport.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RCV_FIELD 72

/* One received message, or one expected (key and hash unused). */
typedef struct rcv_rec {
    char key[RCV_FIELD];
    char customer[RCV_FIELD];
    char order[RCV_FIELD];
    char journey[RCV_FIELD];
    char step[RCV_FIELD];
    uint64_t hash;
} rcv_rec;

typedef struct rcv_list {
    rcv_rec *v;
    size_t n, cap;
} rcv_list;

static rcv_rec *rcv_push(rcv_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) {
            fprintf(stderr, "receiver: out of memory\n");
            exit(2);
        }
    }
    rcv_rec *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void rcv_free(rcv_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void rcv_expect(rcv_list *l, const char *customer, const char *order, const char *journey,
                       const char *step)
{
    rcv_rec *r = rcv_push(l);
    snprintf(r->customer, sizeof r->customer, "%s", customer);
    snprintf(r->order, sizeof r->order, "%s", order);
    snprintf(r->journey, sizeof r->journey, "%s", journey);
    snprintf(r->step, sizeof r->step, "%s", step);
}

static uint64_t rcv_fnv(uint64_t h, const char *s)
{
    /* The field and a separator, so ("ab","c") and ("a","bc") differ. */
    for (const unsigned char *p = (const unsigned char *)(s ? s : "\x01"); *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;
}

/* What the provider would deliver: everything but the attempt counters. */
static uint64_t rcv_content_hash(const retain_message *m)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = rcv_fnv(h, m->channel);
    h = rcv_fnv(h, m->category);
    h = rcv_fnv(h, m->template_id);
    h = rcv_fnv(h, m->recipient);
    h = rcv_fnv(h, m->locale);
    h = rcv_fnv(h, m->payload_json);
    return h;
}

static const char *rcv_or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Append the message to the receiver file and make it durable. Returns 0,
 * or -1 with errno set. One write() per line: a SIGKILL cannot tear it. */
static int rcv_write(int fd, const retain_message *m)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s %s %s %s %016llx\n", m->idempotency_key,
                     m->customer_id, rcv_or_dash(m->order_id), rcv_or_dash(m->journey),
                     rcv_or_dash(m->step), (unsigned long long)rcv_content_hash(m));
    if (n <= 0 || (size_t)n >= sizeof line) {
        errno = EOVERFLOW;
        return -1;
    }
    if (write(fd, line, (size_t)n) != n)
        return -1;
    return fsync(fd);
}

/* Read every complete line of `path` into `l`; returns the number of
 * malformed lines (a missing file has none). */
static int rcv_read(const char *path, rcv_list *l)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n')) {
            bad++;
            continue;
        }
        rcv_rec *r = rcv_push(l);
        unsigned long long h = 0;
        if (sscanf(line, "%71s %71s %71s %71s %71s %llx", r->key, r->customer, r->order,
                   r->journey, r->step, &h) != 6) {
            l->n--;
            bad++;
            continue;
        }
        r->hash = h;
    }
    fclose(f);
    return bad;
}

/* Remove a database file and the WAL and shared memory beside it. */
static void rcv_rm_db(const char *path)
{
    char side[700];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* What a check found. */
typedef struct rcv_verdict {
    size_t received;    /* lines */
    size_t distinct;    /* distinct keys */
    size_t duplicates;  /* lines beyond the first for a key (allowed: at-least-once) */
    size_t lost;        /* expected messages never received */
    size_t conflicting; /* keys received with different content */
    size_t two_keys;    /* steps of a customer received under two different keys */
    size_t unexpected;  /* received messages the test never asked for */
} rcv_verdict;

static int rcv_cmp_key(const void *a, const void *b)
{
    return strcmp(((const rcv_rec *)a)->key, ((const rcv_rec *)b)->key);
}

static int rcv_cmp_step(const void *a, const void *b)
{
    const rcv_rec *x = a, *y = b;
    int c;
    if ((c = strcmp(x->customer, y->customer)) || (c = strcmp(x->journey, y->journey)) ||
        (c = strcmp(x->step, y->step)) || (c = strcmp(x->order, y->order)))
        return c;
    return strcmp(x->key, y->key);
}

static int rcv_same_step(const rcv_rec *x, const rcv_rec *y)
{
    return !strcmp(x->customer, y->customer) && !strcmp(x->journey, y->journey) &&
           !strcmp(x->step, y->step) && !strcmp(x->order, y->order);
}

/* Check `got` against `want` (both are sorted in place). When `report` is
 * not NULL, each problem is described there (first few only). */
static rcv_verdict rcv_check(rcv_list *got, rcv_list *want, FILE *report)
{
    rcv_verdict v;
    memset(&v, 0, sizeof v);
    v.received = got->n;
    int said = 0;
#define RCV_SAY(...)                                              \
    do {                                                          \
        if (report && said++ < 8)                                 \
            fprintf(report, __VA_ARGS__);                         \
    } while (0)
    qsort(got->v, got->n, sizeof *got->v, rcv_cmp_key);
    for (size_t i = 0; i < got->n; i++) {
        if (i && !strcmp(got->v[i].key, got->v[i - 1].key)) {
            v.duplicates++;
            if (got->v[i].hash != got->v[i - 1].hash || !rcv_same_step(&got->v[i], &got->v[i - 1])) {
                v.conflicting++;
                RCV_SAY("  key %.16s... received with different content\n", got->v[i].key);
            }
        } else {
            v.distinct++;
        }
    }
    /* By step: one key per step, and every expected step present. */
    qsort(got->v, got->n, sizeof *got->v, rcv_cmp_step);
    qsort(want->v, want->n, sizeof *want->v, rcv_cmp_step);
    size_t i = 0, j = 0;
    while (i < got->n || j < want->n) {
        int c = i == got->n ? 1 : j == want->n ? -1 : rcv_cmp_step(&got->v[i], &want->v[j]);
        if (i < got->n && j < want->n && rcv_same_step(&got->v[i], &want->v[j]))
            c = 0;
        if (c < 0) {
            v.unexpected++;
            RCV_SAY("  unexpected: %s %s %s %s\n", got->v[i].customer, got->v[i].order,
                    got->v[i].journey, got->v[i].step);
            i++;
            continue;
        }
        if (c > 0) {
            v.lost++;
            RCV_SAY("  lost: %s %s %s %s\n", want->v[j].customer, want->v[j].order,
                    want->v[j].journey, want->v[j].step);
            j++;
            continue;
        }
        size_t k = i + 1;
        for (; k < got->n && rcv_same_step(&got->v[k], &want->v[j]); k++)
            if (strcmp(got->v[k].key, got->v[k - 1].key)) {
                v.two_keys++;
                RCV_SAY("  two messages for %s %s %s %s\n", want->v[j].customer,
                        want->v[j].order, want->v[j].journey, want->v[j].step);
            }
        i = k;
        j++;
    }
#undef RCV_SAY
    return v;
}

#endif
