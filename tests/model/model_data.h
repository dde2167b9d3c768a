/*
 * model_data.h - helpers shared by the model tests and the model benchmark:
 * loaders for the CDNOW and donation files in tests/data, calendar days,
 * and a seeded BG/NBD simulator (xoshiro256**, Marsaglia-Tsang gammas).
 */
#ifndef RT_TEST_MODEL_DATA_H
#define RT_TEST_MODEL_DATA_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- files ---- */

static inline FILE *md_open(const char *name)
{
    const char *dir = getenv("RETAIN_TEST_DATA");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data", name);
    return fopen(path, "rb");
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static inline int64_t md_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline int64_t md_yyyymmdd(long v)
{
    return md_days_from_civil(v / 10000, (v / 100) % 100, v % 100);
}

/* CDNOW_sample.txt: customer (sample id), day number, dollars. */
typedef struct md_txns {
    size_t n;
    int64_t *customer, *day;
    double *dollars;
} md_txns;

static inline int md_load_cdnow_txns(md_txns *t)
{
    FILE *f = md_open("CDNOW_sample.txt");
    if (!f)
        return -1;
    size_t cap = 8192;
    memset(t, 0, sizeof *t);
    t->customer = malloc(cap * sizeof(int64_t));
    t->day = malloc(cap * sizeof(int64_t));
    t->dollars = malloc(cap * sizeof(double));
    long master, id, date, cds;
    double dollars;
    while (fscanf(f, "%ld %ld %ld %ld %lf", &master, &id, &date, &cds, &dollars) == 5) {
        if (t->n == cap) {
            cap *= 2;
            t->customer = realloc(t->customer, cap * sizeof(int64_t));
            t->day = realloc(t->day, cap * sizeof(int64_t));
            t->dollars = realloc(t->dollars, cap * sizeof(double));
        }
        t->customer[t->n] = id;
        t->day[t->n] = md_yyyymmdd(date);
        t->dollars[t->n] = dollars;
        t->n++;
    }
    fclose(f);
    return t->n ? 0 : -1;
}

static inline void md_free_txns(md_txns *t)
{
    free(t->customer);
    free(t->day);
    free(t->dollars);
    memset(t, 0, sizeof *t);
}

/* A CSV of numbers with one header line (CRLF or LF, final newline or
 * not): columns into cols[c][row]. Returns rows, or -1. */
static inline long md_load_csv(const char *name, int ncols, double **cols)
{
    FILE *f = md_open(name);
    if (!f)
        return -1;
    char line[1024];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    size_t cap = 1024, n = 0;
    for (int c = 0; c < ncols; c++)
        cols[c] = malloc(cap * sizeof(double));
    while (fgets(line, sizeof line, f)) {
        char *p = line, *end;
        double v[16];
        int c;
        for (c = 0; c < ncols; c++) {
            v[c] = strtod(p, &end);
            if (end == p)
                break;
            p = end;
            while (*p == ',' || *p == ' ')
                p++;
        }
        if (c < ncols)
            continue; /* blank or short line */
        if (n == cap) {
            cap *= 2;
            for (int k = 0; k < ncols; k++)
                cols[k] = realloc(cols[k], cap * sizeof(double));
        }
        for (int k = 0; k < ncols; k++)
            cols[k][n] = v[k];
        n++;
    }
    fclose(f);
    return (long)n;
}

/* ---- random numbers ---- */

typedef struct md_rng {
    uint64_t s[4];
} md_rng;

static inline uint64_t md_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void md_seed(md_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = md_splitmix(&seed);
}

static inline uint64_t md_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t md_next(md_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = md_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = md_rotl(s[3], 45);
    return out;
}

/* uniform on (0, 1) */
static inline double md_unif(md_rng *r)
{
    return ((double)(md_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static inline double md_normal(md_rng *r)
{
    for (;;) {
        double u = 2.0 * md_unif(r) - 1.0, v = 2.0 * md_unif(r) - 1.0, s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * log(s) / s);
    }
}

/* Gamma(shape k, scale 1), Marsaglia and Tsang (2000). */
static inline double md_gamma(md_rng *r, double k)
{
    if (k < 1.0)
        return md_gamma(r, k + 1.0) * pow(md_unif(r), 1.0 / k);
    double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = md_normal(r), v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = md_unif(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

static inline double md_beta(md_rng *r, double a, double b)
{
    double x = md_gamma(r, a), y = md_gamma(r, b);
    return x / (x + y);
}

/*
 * One BG/NBD customer observed for T: purchase rate ~ Gamma(r, alpha)
 * (alpha a rate), dropout after each repeat purchase with p ~ Beta(a, b).
 * Writes up to cap repeat-purchase times (from the first purchase) into
 * times (may be NULL with cap 0) and the last one into *last (0 if none);
 * returns how many happened (possibly more than cap).
 */
static inline size_t md_bgnbd_customer(md_rng *rng, const double *par, double T, double *times,
                                       size_t cap, double *last)
{
    double lambda = md_gamma(rng, par[0]) / par[1];
    double p = md_beta(rng, par[2], par[3]);
    double t = 0.0;
    size_t x = 0;
    *last = 0.0;
    for (;;) {
        t += -log(md_unif(rng)) / lambda;
        if (t > T)
            break;
        if (x < cap)
            times[x] = t;
        *last = t;
        x++;
        if (md_unif(rng) < p)
            break;
    }
    return x;
}

#endif
