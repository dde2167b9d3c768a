/*
 * fuzz_journey.c - the journey YAML loader. Every input is loaded as a
 * journey file. A failed load must report at least one diagnostic with a
 * message and change nothing: a known-good journey still loads afterwards.
 * A successful load must be repeatable (the same text again is a no-op).
 * Successful loads pile up in the engine, so it is reopened now and then to
 * keep each run's state small.
 */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"

#include <string.h>

#define NOW 1710061200000 /* 2024-03-10T09:00Z */
#define REOPEN_AFTER 32   /* successful loads */

static retain_engine *engine;
static int installed;

static const char canary[] =
    "journey: fuzz-canary-7f3a\n"
    "version: 1\n"
    "trigger: { event: order.placed, when: 'order.total >= 10.00' }\n"
    "steps:\n"
    "  - id: hello\n"
    "    send: { channel: email, template: t, category: transactional }\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    engine = fuzz_engine();
    return 0;
}

void fuzz_teardown(void)
{
    retain_engine_close(engine);
    engine = NULL;
}

static void reopen(void)
{
    retain_engine_close(engine);
    engine = fuzz_engine();
    installed = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        LLVMFuzzerInitialize(NULL, NULL);
    if (memmem(data, size, "fuzz-canary-7f3a", 16))
        return 0; /* would clash with the check below by design */
    char *yaml = fuzz_cstr(data, size);
    retain_diag diags[4];
    size_t count = 99;
    int rc = retain_journeys_load(engine, yaml, "fuzz.yaml", NOW, diags, 4, &count);
    if (rc == RETAIN_OK) {
        FUZZ_CHECK(count == 0, "success with %zu diagnostics", count);
        rc = retain_journeys_load(engine, yaml, "fuzz.yaml", NOW, diags, 4, &count);
        FUZZ_CHECK(rc == RETAIN_OK, "loading the same text again: %d %s", rc,
                   retain_errmsg(engine));
        /* Exercise the runner over what was installed. */
        retain_tick_stats st;
        rc = retain_engine_tick(engine, NOW + 86400000, &st);
        FUZZ_CHECK(rc == RETAIN_OK, "tick: %d %s", rc, retain_errmsg(engine));
        if (++installed >= REOPEN_AFTER)
            reopen();
    } else {
        FUZZ_CHECK(rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT || rc == RETAIN_ECONFLICT ||
                       rc == RETAIN_EINVAL,
                   "unexpected status %d: %s", rc, retain_errmsg(engine));
        FUZZ_CHECK(retain_errmsg(engine)[0], "failure without a message");
        if (rc == RETAIN_EPARSE) {
            FUZZ_CHECK(count >= 1, "parse error without diagnostics");
            for (size_t i = 0; i < count && i < 4; i++) {
                FUZZ_CHECK(memchr(diags[i].message, '\0', sizeof diags[i].message) &&
                               diags[i].message[0],
                           "diagnostic %zu without a message", i);
                FUZZ_CHECK(diags[i].line >= 0 && diags[i].column >= 0, "negative position");
            }
        }
        rc = retain_journeys_load(engine, canary, "canary.yaml", NOW, NULL, 0, NULL);
        FUZZ_CHECK(rc == RETAIN_OK, "a good journey no longer loads: %d %s", rc,
                   retain_errmsg(engine));
    }
    free(yaml);
    return 0;
}
