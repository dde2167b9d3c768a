/*
 * tz.c - the per-engine zone cache, zone lookup by name, and conversions
 * between UTC and local time.
 */
#include "tz_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TZ_MAX_FILE (1u << 20) /* real TZif files are a few KiB */
#define TZ_MAX_NAME 255

/* An open-addressing table of loaded zones, keyed by name. */
struct rt_tz_cache {
    rt_tz **slots;
    size_t cap;   /* power of two */
    size_t count;
};

static const int32_t utc_off = 0;
static const uint8_t utc_dst = 0;
static const rt_tz utc_zone = {
    (char *)"UTC", NULL, NULL, (int32_t *)&utc_off, (uint8_t *)&utc_dst, 0, 1, false,
    { 0, 0, false, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } },
};

const rt_tz *rt_tz_utc(void) { return &utc_zone; }

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static const rt_tz *cache_find(const struct rt_tz_cache *c, const char *name)
{
    if (!c || !c->cap)
        return NULL;
    for (size_t i = hash_name(name) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        if (!c->slots[i])
            return NULL;
        if (strcmp(c->slots[i]->name, name) == 0)
            return c->slots[i];
    }
}

static void cache_put_slot(rt_tz **slots, size_t cap, rt_tz *z)
{
    size_t i = hash_name(z->name) & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = z;
}

static int cache_add(retain_engine *e, rt_tz *z)
{
    struct rt_tz_cache *c = e->tz;
    if (!c) {
        c = rt_calloc(&e->alloc, 1, sizeof *c);
        if (!c)
            return RETAIN_ENOMEM;
        e->tz = c;
    }
    if ((c->count + 1) * 2 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        rt_tz **ns = rt_calloc(&e->alloc, ncap, sizeof *ns);
        if (!ns)
            return RETAIN_ENOMEM;
        for (size_t i = 0; i < c->cap; i++)
            if (c->slots[i])
                cache_put_slot(ns, ncap, c->slots[i]);
        rt_free(&e->alloc, c->slots);
        c->slots = ns;
        c->cap = ncap;
    }
    cache_put_slot(c->slots, c->cap, z);
    c->count++;
    return RETAIN_OK;
}

void rt_tz_cache_free(retain_engine *e)
{
    if (!e || !e->tz)
        return;
    struct rt_tz_cache *c = e->tz;
    for (size_t i = 0; i < c->cap; i++)
        rt_tz_free(&e->alloc, c->slots[i]);
    rt_free(&e->alloc, c->slots);
    rt_free(&e->alloc, c);
    e->tz = NULL;
}

/* Zone names are relative paths of [A-Za-z0-9_+-] components separated by
 * single slashes; that rules out absolute paths and "..". */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TZ_MAX_NAME || name[0] == '/' || name[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '-' || c == '/';
        if (!ok || (c == '/' && name[i + 1] == '/'))
            return false;
    }
    return true;
}

/* Read the whole file; RETAIN_ENOTFOUND when it does not exist or is not a
 * regular file. */
static int read_file(retain_engine *e, const char *path, unsigned char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT || errno == ENOTDIR ? RETAIN_ENOTFOUND : RETAIN_EIO;
    size_t cap = 4096, n = 0;
    unsigned char *buf = rt_malloc(&e->alloc, cap);
    int rc = RETAIN_OK;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap >= TZ_MAX_FILE) {
                rc = RETAIN_EPARSE;
                break;
            }
            unsigned char *nb = rt_realloc(&e->alloc, buf, cap * 2);
            if (!nb) {
                rt_free(&e->alloc, buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf)
        rc = RETAIN_ENOMEM;
    else if (rc == RETAIN_OK && ferror(f))
        rc = errno == EISDIR ? RETAIN_ENOTFOUND : RETAIN_EIO;
    fclose(f);
    if (rc) {
        rt_free(&e->alloc, buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return RETAIN_OK;
}

int rt_tz_get(retain_engine *e, const char *name, const rt_tz **out)
{
    *out = NULL;
    if (!name || !name_ok(name))
        return rt_error(e, RETAIN_EINVAL,
                        "invalid time zone name \"%.64s\": expected an IANA name such as "
                        "\"Europe/Berlin\"",
                        name ? name : "(null)");
    const rt_tz *hit = cache_find(e->tz, name);
    if (hit) {
        *out = hit;
        return RETAIN_OK;
    }
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%s", e->cfg.zoneinfo_dir ? e->cfg.zoneinfo_dir : "",
                      name);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return rt_error(e, RETAIN_EINVAL, "time zone path too long");
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_file(e, path, &data, &len);
    if (rc == RETAIN_ENOTFOUND && (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)) {
        *out = &utc_zone;
        return RETAIN_OK;
    }
    if (rc == RETAIN_ENOTFOUND)
        return rt_error(e, rc, "time zone \"%s\" does not exist (no file %s)", name, path);
    if (rc == RETAIN_EPARSE)
        return rt_error(e, rc, "time zone \"%s\": %s is too large for a TZif file", name, path);
    if (rc == RETAIN_EIO)
        return rt_error(e, rc, "time zone \"%s\": cannot read %s: %s", name, path,
                        strerror(errno));
    if (rc)
        return rt_nomem(e);
    rt_tz *z = NULL;
    const char *why = "";
    rc = rt_tz_parse(&e->alloc, name, data, len, &z, &why);
    rt_free(&e->alloc, data);
    if (rc == RETAIN_EPARSE)
        return rt_error(e, rc, "time zone \"%s\": %s: %s", name, path, why);
    if (rc)
        return rt_nomem(e);
    if (cache_add(e, z)) {
        rt_tz_free(&e->alloc, z);
        return rt_nomem(e);
    }
    *out = z;
    return RETAIN_OK;
}

const char *rt_tz_name(const rt_tz *z)
{
    return z->name;
}

/* Offset and DST flag at UTC second `t`. */
static int32_t offset_at(const rt_tz *z, int64_t t, int *is_dst)
{
    int32_t n = z->ntrans;
    if (n == 0 || t < z->trans[0]) {
        /* Before the first transition: type 0 (RFC 8536 section 3.2), or the
         * footer when the file has no transitions at all. */
        if (n == 0 && z->has_footer)
            return rt_posix_offset(&z->footer, t, is_dst);
        if (is_dst)
            *is_dst = z->type_dst[0];
        return z->type_off[0];
    }
    if (t >= z->trans[n - 1] && z->has_footer)
        return rt_posix_offset(&z->footer, t, is_dst);
    /* Last transition at or before t. */
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo + 1) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    uint8_t ty = z->trans_type[lo];
    if (is_dst)
        *is_dst = z->type_dst[ty];
    return z->type_off[ty];
}

int32_t rt_tz_offset(const rt_tz *z, int64_t utc_ms)
{
    return offset_at(z, rt_floor_div(utc_ms, 1000), NULL);
}

int rt_tz_is_dst(const rt_tz *z, int64_t utc_ms)
{
    int dst = 0;
    offset_at(z, rt_floor_div(utc_ms, 1000), &dst);
    return dst;
}

int64_t rt_tz_local_to_utc(const rt_tz *z, int64_t local_ms)
{
    /* Offsets in force a day and a half either side: more than the largest
     * change of offset ever made (Samoa skipped a whole day in 2011). */
    const int64_t span = 36 * 3600 * 1000LL;
    /* Every offset is under `span`, so after this clamp (which only moves
     * instants some 290 million years away) no sum below can overflow. */
    if (local_ms < INT64_MIN + 2 * span)
        local_ms = INT64_MIN + 2 * span;
    if (local_ms > INT64_MAX - 2 * span)
        local_ms = INT64_MAX - 2 * span;
    int64_t before = local_ms - span, after = local_ms + span;
    int64_t o1 = (int64_t)rt_tz_offset(z, before) * 1000;
    int64_t o2 = (int64_t)rt_tz_offset(z, after) * 1000;
    int64_t u1 = local_ms - o1, u2 = local_ms - o2;
    bool v1 = (int64_t)rt_tz_offset(z, u1) * 1000 == o1;
    bool v2 = (int64_t)rt_tz_offset(z, u2) * 1000 == o2;
    if (v1 && v2)
        return u1 < u2 ? u1 : u2; /* overlap: the earlier instant */
    if (v1)
        return u1;
    if (v2)
        return u2;
    /* A gap: read the wall time with the offset from before the change,
     * which moves it forward by the length of the gap. */
    return u1;
}
