/*
 * tzif.c - parse a TZif file (RFC 8536, versions 1 to 4) into an rt_tz.
 * Version 1 files are read from their 32-bit block; later versions from
 * the 64-bit block and the footer. Leap-second records are skipped: rules
 * work in POSIX time, so a "right/" zone is read as its POSIX twin.
 * Every count and index is checked; a malformed file is refused with a
 * reason, never read out of bounds.
 */
#include "tz_impl.h"

#include <string.h>

typedef struct header {
    int version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} header;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(const unsigned char *p, size_t len, header *h, const char **why)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0) {
        *why = "not a TZif file (bad magic)";
        return false;
    }
    if (p[4] == 0)
        h->version = 1;
    else if (p[4] >= '2' && p[4] <= '4')
        h->version = p[4] - '0';
    else {
        *why = "unknown TZif version";
        return false;
    }
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
        (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
        (h->isstdcnt != 0 && h->isstdcnt != h->typecnt) || h->timecnt > 1000000 ||
        h->leapcnt > 100000 || h->charcnt > 1000000) {
        *why = "inconsistent counts in the TZif header";
        return false;
    }
    return true;
}

/* Size of a data block whose times are `tsize` bytes wide. */
static size_t block_size(const header *h, size_t tsize)
{
    return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

void rt_tz_free(const retain_allocator *a, rt_tz *z)
{
    if (!z)
        return;
    rt_free(a, z->name);
    rt_free(a, z->trans);
    rt_free(a, z->trans_type);
    rt_free(a, z->type_off);
    rt_free(a, z->type_dst);
    rt_free(a, z);
}

int rt_tz_parse(const retain_allocator *a, const char *name, const unsigned char *data,
                size_t len, rt_tz **out, const char **why)
{
    header h;
    *out = NULL;
    if (!read_header(data, len, &h, why))
        return RETAIN_EPARSE;
    size_t v1 = block_size(&h, 4);
    if (len - 44 < v1) {
        *why = "truncated TZif data";
        return RETAIN_EPARSE;
    }
    const unsigned char *p = data + 44;
    size_t tsize = 4;
    const unsigned char *footer = NULL;
    size_t footer_len = 0;
    if (h.version >= 2) {
        /* Skip the 32-bit block; the second header describes the 64-bit one. */
        const unsigned char *h2 = p + v1;
        size_t rest = len - 44 - v1;
        if (!read_header(h2, rest, &h, why))
            return RETAIN_EPARSE;
        size_t v2 = block_size(&h, 8);
        if (rest - 44 < v2) {
            *why = "truncated TZif data";
            return RETAIN_EPARSE;
        }
        p = h2 + 44;
        tsize = 8;
        const unsigned char *f = p + v2, *end = data + len;
        if (f >= end || *f != '\n') {
            *why = "TZif footer missing";
            return RETAIN_EPARSE;
        }
        const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
        if (!nl) {
            *why = "TZif footer not terminated";
            return RETAIN_EPARSE;
        }
        footer = f + 1;
        footer_len = (size_t)(nl - footer);
    }

    rt_tz *z = rt_calloc(a, 1, sizeof *z);
    if (!z)
        return RETAIN_ENOMEM;
    z->ntrans = (int32_t)h.timecnt;
    z->ntypes = (int32_t)h.typecnt;
    z->name = rt_strdup(a, name);
    z->trans = rt_calloc(a, h.timecnt ? h.timecnt : 1, sizeof *z->trans);
    z->trans_type = rt_calloc(a, h.timecnt ? h.timecnt : 1, 1);
    z->type_off = rt_calloc(a, h.typecnt, sizeof *z->type_off);
    z->type_dst = rt_calloc(a, h.typecnt, 1);
    if (!z->name || !z->trans || !z->trans_type || !z->type_off || !z->type_dst) {
        rt_tz_free(a, z);
        return RETAIN_ENOMEM;
    }
    const unsigned char *times = p, *idx = p + (size_t)h.timecnt * tsize;
    const unsigned char *types = idx + h.timecnt;
    for (uint32_t i = 0; i < h.timecnt; i++) {
        z->trans[i] = tsize == 8 ? be64(times + 8 * (size_t)i)
                                 : (int64_t)(int32_t)be32(times + 4 * (size_t)i);
        if (i > 0 && z->trans[i] <= z->trans[i - 1]) {
            *why = "TZif transition times are not ascending";
            goto bad;
        }
        if (idx[i] >= h.typecnt) {
            *why = "TZif transition refers to a missing local time type";
            goto bad;
        }
        z->trans_type[i] = idx[i];
    }
    for (uint32_t i = 0; i < h.typecnt; i++) {
        const unsigned char *t = types + 6 * (size_t)i;
        int32_t off = (int32_t)be32(t);
        /* RFC 8536: -2^31 is not allowed; real offsets stay within a day. */
        if (off < -89999 || off > 93599 || t[4] > 1 || t[5] >= h.charcnt) {
            *why = "TZif local time type out of range";
            goto bad;
        }
        z->type_off[i] = off;
        z->type_dst[i] = t[4];
    }
    if (footer && footer_len > 0) {
        if (!rt_posix_parse((const char *)footer, footer_len, &z->footer)) {
            *why = "TZif footer is not a valid POSIX TZ string";
            goto bad;
        }
        z->has_footer = true;
    }
    *out = z;
    return RETAIN_OK;
bad:
    rt_tz_free(a, z);
    return RETAIN_EPARSE;
}
