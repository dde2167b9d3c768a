/*
 * test_tz.c - the TZif reader: offsets around documented DST changes, the
 * POSIX footer for far-future dates, local-to-UTC in gaps and overlaps,
 * bad names, missing zones and corrupt files.
 *
 * Expected instants are the published DST dates (US: second Sunday of
 * March / first Sunday of November at 02:00 local; EU: last Sunday of
 * March / October at 01:00 UTC; New South Wales: first Sunday of October
 * at 02:00 / first Sunday of April at 03:00 local; Lord Howe: the same
 * Sundays at 02:00 with a 30-minute shift), turned into epoch seconds with
 * the C library's timegm(), never with the code under test.
 */
#include "util.h"
#include "tz/tz.h"

#include <sys/stat.h>
#include <unistd.h>

/* Epoch milliseconds of a UTC calendar time (or of a wall-clock reading
 * taken as if it were UTC, which is what rt_tz_local_to_utc expects). */
#define ms(y, mo, d, h, mi) t_utc((y), (mo), (d), (h), (mi), 0)

#define H(x) ((int32_t)((x) * 3600))

static retain_engine *open_engine(const char *dir)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.zoneinfo_dir = dir;
    return t_engine(&o);
}

static const rt_tz *zone(retain_engine *e, const char *name)
{
    const rt_tz *z = NULL;
    int rc = rt_tz_get(e, name, &z);
    if (rc) {
        T_FAIL("rt_tz_get(%s): %s", name, retain_errmsg(e));
        return rt_tz_utc();
    }
    return z;
}

/* Offset one second before and at a transition instant. */
typedef struct change {
    const char *zone;
    int y, mo, d, h, mi; /* UTC instant of the change */
    double before, after; /* hours east of UTC */
} change;

static const change changes[] = {
    /* America/New_York: EST -5 / EDT -4. */
    { "America/New_York", 2024, 3, 10, 7, 0, -5, -4 },
    { "America/New_York", 2024, 11, 3, 6, 0, -4, -5 },
    { "America/New_York", 2007, 3, 11, 7, 0, -5, -4 },   /* first year of the 2007 rules */
    { "America/New_York", 2006, 4, 2, 7, 0, -5, -4 },    /* old rule: first Sunday of April */
    /* Europe/Berlin: CET +1 / CEST +2, at 01:00 UTC. */
    { "Europe/Berlin", 2024, 3, 31, 1, 0, 1, 2 },
    { "Europe/Berlin", 2024, 10, 27, 1, 0, 2, 1 },
    /* Australia/Sydney: AEST +10 / AEDT +11. */
    { "Australia/Sydney", 2024, 4, 6, 16, 0, 11, 10 },
    { "Australia/Sydney", 2024, 10, 5, 16, 0, 10, 11 },
    /* Australia/Lord_Howe: +10:30 / +11 (a 30-minute shift). */
    { "Australia/Lord_Howe", 2024, 4, 6, 15, 0, 11, 10.5 },
    { "Australia/Lord_Howe", 2024, 10, 5, 15, 30, 10.5, 11 },
    /* Far future: beyond the files' last transition, from the footer. */
    { "America/New_York", 2100, 3, 14, 7, 0, -5, -4 },
    { "America/New_York", 2100, 11, 7, 6, 0, -4, -5 },
    { "Europe/Berlin", 2100, 3, 28, 1, 0, 1, 2 },
    { "Europe/Berlin", 2100, 10, 31, 1, 0, 2, 1 },
    { "Australia/Sydney", 2100, 4, 3, 16, 0, 11, 10 },
    { "Australia/Sydney", 2100, 10, 2, 16, 0, 10, 11 },
    { "Australia/Lord_Howe", 2100, 10, 2, 15, 30, 10.5, 11 },
    /* Asia/Kathmandu moved from +5:30 to +5:45 on 1986-01-01. */
    { "Asia/Kathmandu", 1985, 12, 31, 18, 30, 5.5, 5.75 },
};

static void test_changes(retain_engine *e)
{
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        const change *c = &changes[i];
        const rt_tz *z = zone(e, c->zone);
        int64_t t = ms(c->y, c->mo, c->d, c->h, c->mi);
        int32_t got_before = rt_tz_offset(z, t - 1000), got_after = rt_tz_offset(z, t);
        if (got_before != H(c->before) || got_after != H(c->after))
            T_FAIL("%s at %04d-%02d-%02dT%02d:%02dZ: offsets %d -> %d, expected %d -> %d",
                   c->zone, c->y, c->mo, c->d, c->h, c->mi, got_before, got_after,
                   H(c->before), H(c->after));
        else
            t_passed++;
        /* ... and an hour either side stays put. */
        CHECK_INT(rt_tz_offset(z, t - 3600 * 1000), H(c->before));
        CHECK_INT(rt_tz_offset(z, t + 3600 * 1000), H(c->after));
    }
}

static void test_fixed_offsets(retain_engine *e)
{
    const rt_tz *kol = zone(e, "Asia/Kolkata"), *ktm = zone(e, "Asia/Kathmandu");
    int64_t when[] = { ms(2000, 1, 1, 0, 0), ms(2024, 3, 10, 7, 0), ms(2024, 10, 27, 1, 0),
                       ms(2100, 6, 1, 0, 0), ms(2300, 1, 1, 0, 0) };
    for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
        CHECK_INT(rt_tz_offset(kol, when[i]), 5 * 3600 + 1800);
        CHECK_INT(rt_tz_offset(ktm, when[i]), 5 * 3600 + 2700);
        CHECK_INT(rt_tz_is_dst(kol, when[i]), 0);
    }
    const rt_tz *utc = zone(e, "UTC");
    CHECK_INT(rt_tz_offset(utc, ms(2024, 7, 1, 0, 0)), 0);
    CHECK_STR(rt_tz_name(zone(e, "Europe/Berlin")), "Europe/Berlin");
    CHECK_INT(rt_tz_is_dst(zone(e, "Europe/Berlin"), ms(2024, 7, 1, 0, 0)), 1);
    CHECK_INT(rt_tz_is_dst(zone(e, "Europe/Berlin"), ms(2024, 1, 1, 0, 0)), 0);
    CHECK_INT(rt_tz_is_dst(zone(e, "Australia/Sydney"), ms(2100, 1, 1, 0, 0)), 1);
    /* Cached: the same zone object comes back. */
    CHECK(zone(e, "Europe/Berlin") == zone(e, "Europe/Berlin"));
    /* Times far outside any table. */
    CHECK_INT(rt_tz_offset(zone(e, "America/New_York"), INT64_MIN / 2), rt_tz_offset(zone(e, "America/New_York"), ms(1850, 1, 1, 0, 0)));
    CHECK_INT(rt_tz_offset(kol, INT64_MAX / 2), 5 * 3600 + 1800);
}

typedef struct local_case {
    const char *zone;
    int y, mo, d, h, mi;      /* wall clock */
    int uy, umo, ud, uh, umi; /* expected UTC */
} local_case;

static const local_case locals[] = {
    /* Ordinary times. */
    { "America/New_York", 2024, 7, 1, 12, 0, 2024, 7, 1, 16, 0 },
    { "America/New_York", 2024, 1, 15, 7, 0, 2024, 1, 15, 12, 0 },
    { "Asia/Kolkata", 2024, 1, 15, 17, 30, 2024, 1, 15, 12, 0 },
    { "Asia/Kathmandu", 2024, 1, 15, 17, 45, 2024, 1, 15, 12, 0 },
    /* Gaps: moved forward by the gap. */
    { "America/New_York", 2024, 3, 10, 2, 30, 2024, 3, 10, 7, 30 },
    { "America/New_York", 2024, 3, 10, 2, 0, 2024, 3, 10, 7, 0 },
    { "America/New_York", 2024, 3, 10, 3, 0, 2024, 3, 10, 7, 0 },
    { "Europe/Berlin", 2024, 3, 31, 2, 30, 2024, 3, 31, 1, 30 },
    { "Australia/Sydney", 2024, 10, 6, 2, 30, 2024, 10, 5, 16, 30 },
    { "Australia/Lord_Howe", 2024, 10, 6, 2, 15, 2024, 10, 5, 15, 45 },
    { "America/New_York", 2100, 3, 14, 2, 30, 2100, 3, 14, 7, 30 },
    /* Overlaps: the earlier instant (still daylight time). */
    { "America/New_York", 2024, 11, 3, 1, 30, 2024, 11, 3, 5, 30 },
    { "America/New_York", 2024, 11, 3, 2, 0, 2024, 11, 3, 7, 0 },
    { "Europe/Berlin", 2024, 10, 27, 2, 30, 2024, 10, 27, 0, 30 },
    { "Australia/Sydney", 2024, 4, 7, 2, 30, 2024, 4, 6, 15, 30 },
    { "Australia/Lord_Howe", 2024, 4, 7, 1, 45, 2024, 4, 6, 14, 45 },
    { "Europe/Berlin", 2100, 10, 31, 2, 30, 2100, 10, 31, 0, 30 },
};

static void test_local_to_utc(retain_engine *e)
{
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
        const local_case *c = &locals[i];
        int64_t got = rt_tz_local_to_utc(zone(e, c->zone), ms(c->y, c->mo, c->d, c->h, c->mi));
        int64_t want = ms(c->uy, c->umo, c->ud, c->uh, c->umi);
        if (got != want)
            T_FAIL("%s local %04d-%02d-%02d %02d:%02d -> %lld, expected %lld (diff %lld s)",
                   c->zone, c->y, c->mo, c->d, c->h, c->mi, (long long)got, (long long)want,
                   (long long)(got - want) / 1000);
        else
            t_passed++;
    }
}

static void test_bad_names(retain_engine *e)
{
    static const char *bad[] = { "", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd",
                                 "Europe//Berlin", "Europe/Berlin/", "Europe/Berlin ",
                                 "Europe\\Berlin", "Europe/Berlin\n", ".", "Europe/.hidden",
                                 "Europe/Berl%in", "Ünicode/Zone" };
    const rt_tz *z;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(e, rt_tz_get(e, bad[i], &z), RETAIN_EINVAL);
        CHECK(z == NULL);
    }
    CHECK_RC(e, rt_tz_get(e, NULL, &z), RETAIN_EINVAL);
    char longname[400];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_RC(e, rt_tz_get(e, longname, &z), RETAIN_EINVAL);
    CHECK_RC(e, rt_tz_get(e, "Mars/Olympus_Mons", &z), RETAIN_ENOTFOUND);
    CHECK(strstr(retain_errmsg(e), "Mars/Olympus_Mons") != NULL);
    CHECK_RC(e, rt_tz_get(e, "America", &z), RETAIN_ENOTFOUND); /* a directory */
    CHECK_RC(e, rt_tz_get(e, "Europe/Berlin/x", &z), RETAIN_ENOTFOUND);
    /* The engine still works after errors. */
    CHECK_OK(e, rt_tz_get(e, "Europe/Paris", &z));
}

/* --- crafted files ----------------------------------------------------- */

typedef struct tzbuf {
    unsigned char b[4096];
    size_t n;
} tzbuf;

static void put(tzbuf *t, const void *p, size_t n)
{
    if (n)
        memcpy(t->b + t->n, p, n);
    t->n += n;
}
static void put32(tzbuf *t, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v };
    put(t, b, 4);
}
static void put64(tzbuf *t, int64_t v) { put32(t, (uint32_t)((uint64_t)v >> 32)); put32(t, (uint32_t)v); }

/* A TZif file: `n` transitions at `times` to types `idx`, types (off, dst).
 * version '\0' writes only the v1 block; '2'/'3' add the 64-bit block and
 * the footer. */
static void tzif(tzbuf *t, char version, int n, const int64_t *times, const unsigned char *idx,
                 int ntypes, const int32_t *offs, const unsigned char *dsts, const char *footer)
{
    t->n = 0;
    for (int pass = 0; pass < (version ? 2 : 1); pass++) {
        bool wide = pass == 1;
        put(t, "TZif", 4);
        unsigned char v = (unsigned char)version;
        put(t, &v, 1);
        unsigned char zero[15] = { 0 };
        put(t, zero, 15);
        put32(t, 0); put32(t, 0); put32(t, 0);
        put32(t, (uint32_t)n); put32(t, (uint32_t)ntypes); put32(t, 4);
        for (int i = 0; i < n; i++) {
            if (wide) put64(t, times[i]); else put32(t, (uint32_t)(int32_t)times[i]);
        }
        put(t, idx, (size_t)n);
        for (int i = 0; i < ntypes; i++) {
            put32(t, (uint32_t)offs[i]);
            unsigned char td[2] = { dsts[i], 0 };
            put(t, td, 2);
        }
        put(t, "ZZZ", 4);
    }
    if (version) {
        put(t, "\n", 1);
        put(t, footer, strlen(footer));
        put(t, "\n", 1);
    }
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

static void test_crafted(void)
{
    char dir[] = "/tmp/retain-tz-XXXXXX";
    if (!mkdtemp(dir)) {
        T_FAIL("mkdtemp");
        return;
    }
    tzbuf t;
    /* A v1 file: +1 until 1,000,000 s, then +2 (DST) until 2,000,000 s, then +1. */
    int64_t times[] = { 1000000, 2000000 };
    unsigned char idx[] = { 1, 0 };
    int32_t offs[] = { 3600, 7200 };
    unsigned char dsts[] = { 0, 1 };
    tzif(&t, 0, 2, times, idx, 2, offs, dsts, "");
    write_file(dir, "V1", t.b, t.n);
    /* v2 files with only a footer. */
    int32_t k_off[] = { 20700 };
    unsigned char no[] = { 0 };
    tzif(&t, '2', 0, NULL, NULL, 1, k_off, no, "<+0545>-5:45");
    write_file(dir, "Footer_Only", t.b, t.n);
    int32_t j_off[] = { -10800 };
    tzif(&t, '3', 0, NULL, NULL, 1, j_off, no, "<-03>3<-02>,J60/2,J300/2");
    write_file(dir, "Julian", t.b, t.n);
    tzif(&t, '3', 0, NULL, NULL, 1, j_off, no, "<-03>3<-02>,59/2,299/2");
    write_file(dir, "Zero_Based", t.b, t.n);
    tzif(&t, '2', 0, NULL, NULL, 1, j_off, no, "EST5EDT");
    write_file(dir, "Default_Rule", t.b, t.n);
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "");
    write_file(dir, "Empty_Footer", t.b, t.n);
    /* Corrupt ones. */
    write_file(dir, "Junk", "hello, world", 12);
    write_file(dir, "Empty", "", 0);
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "CET-1CEST,M3.5.0,M10.5.0/3");
    write_file(dir, "Truncated", t.b, t.n - 40);
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "CET-1CEST,M3.5.0,M10.5.0/3");
    write_file(dir, "No_Newline", t.b, t.n - 1);
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "CET-1CEST,M13.5.0,M10.5.0/3");
    write_file(dir, "Bad_Footer", t.b, t.n);
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "1CET");
    write_file(dir, "Bad_Footer2", t.b, t.n);
    unsigned char bad_idx[] = { 1, 7 };
    tzif(&t, '2', 2, times, bad_idx, 2, offs, dsts, "");
    write_file(dir, "Bad_Index", t.b, t.n);
    int64_t desc[] = { 2000000, 1000000 };
    tzif(&t, '2', 2, desc, idx, 2, offs, dsts, "");
    write_file(dir, "Descending", t.b, t.n);
    tzif(&t, '2', 2, times, idx, 0, offs, dsts, "");
    write_file(dir, "No_Types", t.b, t.n);
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "");
    t.b[4] = '9';
    write_file(dir, "Bad_Version", t.b, t.n);
    /* Every byte of a good file flipped in turn must never crash. */
    tzif(&t, '2', 2, times, idx, 2, offs, dsts, "CET-1CEST,M3.5.0,M10.5.0/3");
    tzbuf good = t;

    retain_engine *e = open_engine(dir);
    const rt_tz *z;
    z = zone(e, "V1");
    CHECK_INT(rt_tz_offset(z, 0), 3600);
    CHECK_INT(rt_tz_offset(z, 999999999), 3600);
    CHECK_INT(rt_tz_offset(z, 1000000000), 7200);
    CHECK_INT(rt_tz_offset(z, 1999999999), 7200);
    CHECK_INT(rt_tz_offset(z, 2000000000), 3600);
    CHECK_INT(rt_tz_offset(z, ms(2100, 7, 1, 0, 0)), 3600); /* v1: no footer, last type holds */
    CHECK_INT(rt_tz_offset(zone(e, "Empty_Footer"), ms(2100, 7, 1, 0, 0)), 3600);
    z = zone(e, "Footer_Only");
    CHECK_INT(rt_tz_offset(z, ms(1900, 1, 1, 0, 0)), 20700);
    CHECK_INT(rt_tz_offset(z, ms(2100, 1, 1, 0, 0)), 20700);
    /* J60 is 1 March in every year; J300 is 27 October. */
    z = zone(e, "Julian");
    CHECK_INT(rt_tz_offset(z, ms(2023, 3, 1, 5, 0) - 1000), -3 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2023, 3, 1, 5, 0)), -2 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 3, 1, 5, 0) - 1000), -3 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 3, 1, 5, 0)), -2 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2023, 10, 27, 4, 0) - 1000), -2 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2023, 10, 27, 4, 0)), -3 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 10, 27, 4, 0)), -3 * 3600);
    /* n counts 29 February: day 59 is 29 Feb in 2024, 1 March in 2023;
     * day 299 is 26 Oct in 2024, 27 Oct in 2023. */
    z = zone(e, "Zero_Based");
    CHECK_INT(rt_tz_offset(z, ms(2024, 2, 29, 5, 0) - 1000), -3 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 2, 29, 5, 0)), -2 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2023, 3, 1, 5, 0) - 1000), -3 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2023, 3, 1, 5, 0)), -2 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 10, 26, 4, 0) - 1000), -2 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 10, 26, 4, 0)), -3 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2023, 10, 27, 4, 0)), -3 * 3600);
    /* DST with no rule: the US rules. */
    z = zone(e, "Default_Rule");
    CHECK_INT(rt_tz_offset(z, ms(2024, 3, 10, 7, 0) - 1000), -5 * 3600);
    CHECK_INT(rt_tz_offset(z, ms(2024, 3, 10, 7, 0)), -4 * 3600);

    static const char *corrupt[] = { "Junk", "Empty", "Truncated", "No_Newline", "Bad_Footer",
                                     "Bad_Footer2", "Bad_Index", "Descending", "No_Types",
                                     "Bad_Version" };
    for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
        z = NULL;
        int rc = rt_tz_get(e, corrupt[i], &z);
        if (rc != RETAIN_EPARSE)
            T_FAIL("%s: rc %d (%s), expected RETAIN_EPARSE", corrupt[i], rc, retain_errmsg(e));
        else
            t_passed++;
        CHECK(z == NULL);
        CHECK(strstr(retain_errmsg(e), corrupt[i]) != NULL);
    }
    /* Built-in UTC although the directory has no UTC file. */
    CHECK_OK(e, rt_tz_get(e, "UTC", &z));
    CHECK_INT(rt_tz_offset(z, 0), 0);
    CHECK_RC(e, rt_tz_get(e, "Europe/Berlin", &z), RETAIN_ENOTFOUND);

    /* Flip every byte of a good file: parse or refuse, never crash. */
    retain_allocator a;
    rt_allocator_resolve(&a, NULL);
    int refused = 0, parsed = 0;
    for (size_t i = 0; i < good.n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            tzbuf m = good;
            m.b[i] ^= (unsigned char)(1u << bit);
            rt_tz *pz = NULL;
            const char *why = NULL;
            int rc = rt_tz_parse(&a, "M", m.b, m.n, &pz, &why);
            if (rc == RETAIN_OK) {
                parsed++;
                (void)rt_tz_offset(pz, ms(2050, 1, 1, 0, 0));
                (void)rt_tz_local_to_utc(pz, ms(2050, 6, 1, 0, 0));
                rt_tz_free(&a, pz);
            } else {
                refused++;
                CHECK(why != NULL && pz == NULL);
            }
        }
    }
    CHECK(refused > 0 && parsed > 0);
    retain_engine_close(e);

    static const char *names[] = { "V1", "Footer_Only", "Julian", "Zero_Based", "Default_Rule",
                                   "Empty_Footer", "Junk", "Empty", "Truncated", "No_Newline",
                                   "Bad_Footer", "Bad_Footer2", "Bad_Index", "Descending",
                                   "No_Types", "Bad_Version" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    rmdir(dir);
}

int main(void)
{
    retain_engine *e = t_engine(NULL);
    test_changes(e);
    test_fixed_offsets(e);
    test_local_to_utc(e);
    test_bad_names(e);
    retain_engine_close(e);
    test_crafted();
    return t_report("tz");
}
