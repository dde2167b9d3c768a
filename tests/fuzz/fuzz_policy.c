/*
 * fuzz_policy.c - the marketplace profile loader (YAML, through the same
 * YAML layer as journeys). Every input is loaded as a profile. A failure
 * must carry a message and leave the engine usable: a known-good profile
 * still loads. A profile that loads must load again (it replaces itself)
 * and leave profile lookups working.
 */
#include "fuzz.h"

#include <string.h>

#define NOW 1710061200000 /* 2024-03-10T09:00Z */

static retain_engine *engine;

static const char canary[] =
    "profile: fuzz-canary\n"
    "description: a profile that always loads\n"
    "sales_channels: [fuzz-canary-shop]\n";

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        LLVMFuzzerInitialize(NULL, NULL);
    char *yaml = fuzz_cstr(data, size);
    retain_diag d;
    memset(&d, 0, sizeof d);
    int rc = retain_policy_profile_load(engine, yaml, "fuzz.yaml", NOW, &d);
    if (rc == RETAIN_OK) {
        rc = retain_policy_profile_load(engine, yaml, "fuzz.yaml", NOW, &d);
        FUZZ_CHECK(rc == RETAIN_OK, "loading the same profile again: %d %s", rc,
                   retain_errmsg(engine));
    } else {
        FUZZ_CHECK(rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT || rc == RETAIN_EINVAL ||
                       rc == RETAIN_ECONFLICT,
                   "unexpected status %d: %s", rc, retain_errmsg(engine));
        FUZZ_CHECK(retain_errmsg(engine)[0], "failure without a message");
        FUZZ_CHECK(memchr(d.message, '\0', sizeof d.message), "diag message not terminated");
        rc = retain_policy_profile_load(engine, canary, "canary.yaml", NOW, NULL);
        FUZZ_CHECK(rc == RETAIN_OK, "a good profile no longer loads: %d %s", rc,
                   retain_errmsg(engine));
    }
    char name[128];
    static const char *const channels[] = { "amazon", "ebay", "web", "fuzz-canary-shop" };
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        rc = retain_policy_profile_of(name, sizeof name, engine, channels[i]);
        FUZZ_CHECK(rc == RETAIN_OK, "profile of %s: %d %s", channels[i], rc,
                   retain_errmsg(engine));
    }
    free(yaml);
    return 0;
}
