/*
 * key.c - idempotency keys and retry backoff. A key is the SHA-256 of
 * length-prefixed fields, so it is the same on every machine and for every
 * attempt; the backoff jitter is drawn from the key, so retries of one
 * message are spread out yet reproducible.
 */
#include "key.h"

#include <stdio.h>
#include <string.h>

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t used;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void block(sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->used = 0;
}

static void sha_update(sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->len += n;
    while (n) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->buf + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) {
            block(s, s->buf);
            s->used = 0;
        }
    }
}

static void sha_final(sha256 *s, unsigned char out[32])
{
    /* The padding is written in place: fed a byte at a time through
     * sha_update it cost more than the compression itself. */
    uint64_t bits = s->len * 8;
    s->buf[s->used++] = 0x80;
    if (s->used > 56) {
        memset(s->buf + s->used, 0, 64 - s->used);
        block(s, s->buf);
        s->used = 0;
    }
    memset(s->buf + s->used, 0, 56 - s->used);
    for (int i = 0; i < 8; i++)
        s->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    block(s, s->buf);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(s->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)s->h[i];
    }
}

void rt_sha256(const void *data, size_t n, unsigned char out[32])
{
    sha256 s;
    sha_init(&s);
    sha_update(&s, data, n);
    sha_final(&s, out);
}

/* A field as 4-byte big-endian length and bytes: no two field lists collide. */
static void field(sha256 *s, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    unsigned char len[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n };
    sha_update(s, len, 4);
    sha_update(s, v ? v : "", n);
}

static void hex(const unsigned char d[32], char out[RT_KEY_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

static void key_start(sha256 *s, const char *kind)
{
    sha_init(s);
    field(s, "retain.message.v1");
    field(s, kind);
}

static void key_finish(sha256 *s, const char *fallback_channel, char out[RT_KEY_SIZE])
{
    if (fallback_channel) {
        field(s, "fallback");
        field(s, fallback_channel);
    }
    unsigned char d[32];
    sha_final(s, d);
    hex(d, out);
}

void rt_key_journey(const char *journey, int version, int64_t instance, const char *step,
                    const char *fallback_channel, char out[RT_KEY_SIZE])
{
    char num[32];
    sha256 s;
    key_start(&s, "journey");
    field(&s, journey);
    snprintf(num, sizeof num, "%d", version);
    field(&s, num);
    snprintf(num, sizeof num, "%lld", (long long)instance);
    field(&s, num);
    field(&s, step);
    key_finish(&s, fallback_channel, out);
}

void rt_key_host(const char *host_id, const char *fallback_channel, char out[RT_KEY_SIZE])
{
    sha256 s;
    key_start(&s, "host");
    field(&s, host_id);
    key_finish(&s, fallback_channel, out);
}

int64_t rt_backoff(const char *key, int attempt, int64_t base_ms, int64_t cap_ms)
{
    /* Exponential, capped, then "equal jitter": half fixed, half drawn. */
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < cap_ms; i++)
        d = d > cap_ms / 2 ? cap_ms : d * 2;
    if (d > cap_ms)
        d = cap_ms;
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s#%d", key, attempt);
    unsigned char h[32];
    rt_sha256(buf, n > 0 ? (size_t)n : 0, h);
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | h[i];
    int64_t half = d / 2;
    /* (u / 2^64) * (d - half) in integers; span < 2^32 (caps are at most 30 days). */
    uint64_t span = (uint64_t)(d - half);
    int64_t j = (int64_t)(((u >> 32) * span) >> 32);
    int64_t r = half + j;
    return r > 0 ? r : 1;
}
