/*
 * code.c - coupon codes: where the random bits come from (the host's
 * generator, or SHA-256 keyed by the host's secret and a draw counter kept
 * in the database), and how 64 bits become a uniform code over the
 * unambiguous alphabet. The library itself never looks for entropy.
 */
#include "code.h"
#include "core/check.h"
#include "dispatch/key.h"
#include "store/coupon_store.h"

#include <string.h>

/* 2-9 and A-Z without I, L, O: nothing a person can misread as 0/O or 1/I/L. */
static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
#define NALPHA 31

_Static_assert(sizeof alphabet - 1 == NALPHA, "31 characters");

#define MAX_SECRET 64

struct rt_domain_state {
    retain_coupon_rng rng;    /* next == NULL: the keyed generator */
    unsigned char secret[MAX_SECRET];
    size_t secret_len;        /* 0: not seeded */
};

static rt_domain_state *state(retain_engine *e)
{
    if (!e->domain)
        e->domain = rt_calloc(&e->alloc, 1, sizeof *e->domain);
    return e->domain;
}

void rt_domain_free(retain_engine *e)
{
    if (!e->domain)
        return;
    /* The secret does not outlive the engine in freed memory. */
    volatile unsigned char *p = e->domain->secret;
    for (size_t i = 0; i < sizeof e->domain->secret; i++)
        p[i] = 0;
    rt_free(&e->alloc, e->domain);
    e->domain = NULL;
}

int retain_coupon_set_rng(retain_engine *e, const retain_coupon_rng *rng)
{
    RT_ENGINE_GUARD(e);
    if (rng && (rng->version == 0 || rng->version > RETAIN_COUPON_RNG_VERSION))
        return rt_error(e, RETAIN_EINVAL,
                        "rng.version is %u; initialize with RETAIN_COUPON_RNG_INIT", rng->version);
    if (rng && !rng->next)
        return rt_error(e, RETAIN_EINVAL, "rng.next is NULL");
    rt_domain_state *s = state(e);
    if (!s)
        return rt_nomem(e);
    if (rng)
        s->rng = *rng;
    else
        memset(&s->rng, 0, sizeof s->rng);
    return RETAIN_OK;
}

int retain_coupon_seed(retain_engine *e, const void *secret, size_t len)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "secret", secret);
    if (rc)
        return rc;
    if (len < 16 || len > MAX_SECRET)
        return rt_error(e, RETAIN_EINVAL, "the coupon secret is %zu bytes; it must be 16 to %d",
                        len, MAX_SECRET);
    rt_domain_state *s = state(e);
    if (!s)
        return rt_nomem(e);
    memcpy(s->secret, secret, len);
    s->secret_len = len;
    return RETAIN_OK;
}

/* 64 random bits for campaign `c`. */
static int draw(retain_engine *e, const cs_campaign *c, uint64_t *out)
{
    rt_domain_state *s = e->domain;
    if (s && s->rng.next) {
        int rc = s->rng.next(s->rng.userdata, out);
        if (rc)
            return rt_error(e, rc < 0 ? rc : RETAIN_EUSER,
                            "the host's coupon generator failed (%d)", rc);
        return RETAIN_OK;
    }
    if (!s || !s->secret_len)
        return rt_error(e, RETAIN_EMISUSE,
                        "no source of randomness for coupon codes: call retain_coupon_seed() "
                        "with a secret or retain_coupon_set_rng() with a generator first");
    int64_t k;
    int rc = cs_campaign_draw(e, c->id, 1, &k);
    if (rc)
        return rc;
    /* secret | campaign id | draw number, fixed widths: no two inputs collide. */
    unsigned char buf[MAX_SECRET + 16];
    memcpy(buf, s->secret, s->secret_len);
    for (int i = 0; i < 8; i++) {
        buf[s->secret_len + i] = (unsigned char)((uint64_t)c->id >> (56 - 8 * i));
        buf[s->secret_len + 8 + i] = (unsigned char)((uint64_t)k >> (56 - 8 * i));
    }
    unsigned char h[32];
    rt_sha256(buf, s->secret_len + 16, h);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    *out = v;
    return RETAIN_OK;
}

bool rt_code_from_bits(uint64_t v, int length, char *out)
{
    uint64_t space = 1;
    for (int i = 0; i < length; i++)
        space *= NALPHA;
    /* 2^64 mod space values at the bottom would make small codes likelier:
     * reject them, and v % space is uniform. */
    uint64_t threshold = (0 - space) % space;
    if (v < threshold)
        return false;
    v %= space;
    for (int i = 0; i < length; i++) {
        out[i] = alphabet[v % NALPHA];
        v /= NALPHA;
    }
    out[length] = '\0';
    return true;
}

#define MAX_COLLISIONS 16
#define MAX_DRAWS 64

int rt_code_new(retain_engine *e, const cs_campaign *c, char code[RETAIN_COUPON_CODE_MAX])
{
    size_t plen = strlen(c->prefix);
    int collisions = 0;
    for (int d = 0; d < MAX_DRAWS; d++) {
        uint64_t v;
        int rc = draw(e, c, &v);
        if (rc)
            return rc;
        memcpy(code, c->prefix, plen);
        if (!rt_code_from_bits(v, c->code_length, code + plen))
            continue;
        bool exists = false;
        if ((rc = cs_code_exists(e, code, &exists)))
            return rc;
        if (!exists)
            return RETAIN_OK;
        if (++collisions == MAX_COLLISIONS)
            break;
    }
    return rt_error(e, RETAIN_ECONFLICT,
                    "no free code for campaign \"%s\" after %d draws (%d collided with issued "
                    "codes): its code space is too full or the generator repeats; use longer codes",
                    c->name, MAX_DRAWS, collisions);
}

bool rt_code_normalize(const char *in, char out[RETAIN_COUPON_CODE_MAX])
{
    size_t n = strlen(in);
    if (n == 0 || n >= RETAIN_COUPON_CODE_MAX)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char ch = in[i];
        out[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
    }
    return true;
}
