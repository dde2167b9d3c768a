/*
 * harness.h - a tiny test harness: CHECK macros that count instead of
 * aborting, and a closing "N passed, N failed" line.
 */
#ifndef RT_TEST_HARNESS_H
#define RT_TEST_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static int t_passed, t_failed;

#define T_FAIL(...)                                                   \
    do {                                                              \
        t_failed++;                                                   \
        fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);         \
        fprintf(stderr, __VA_ARGS__);                                 \
        fputc('\n', stderr);                                          \
    } while (0)

#define CHECK(cond)                                                   \
    do {                                                              \
        if (cond) t_passed++;                                         \
        else T_FAIL("%s", #cond);                                     \
    } while (0)

#define CHECK_INT(got, want)                                          \
    do {                                                              \
        long long g_ = (long long)(got), w_ = (long long)(want);      \
        if (g_ == w_) t_passed++;                                     \
        else T_FAIL("%s == %lld, expected %lld", #got, g_, w_);       \
    } while (0)

#define CHECK_STR(got, want)                                          \
    do {                                                              \
        const char *g_ = (got), *w_ = (want);                         \
        if ((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0)) t_passed++; \
        else T_FAIL("%s == \"%s\", expected \"%s\"", #got,            \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");          \
    } while (0)

#define CHECK_NEAR(got, want, tol)                                    \
    do {                                                              \
        double g_ = (double)(got), w_ = (double)(want);               \
        if (fabs(g_ - w_) <= (tol)) t_passed++;                       \
        else T_FAIL("%s == %.10g, expected %.10g (tol %g)", #got, g_, w_, (double)(tol)); \
    } while (0)

/* Relative tolerance check (for model parameters). */
#define CHECK_REL(got, want, rel)                                     \
    do {                                                              \
        double g_ = (double)(got), w_ = (double)(want);               \
        if (fabs(g_ - w_) <= (rel) * fabs(w_)) t_passed++;            \
        else T_FAIL("%s == %.10g, expected %.10g (rel %g)", #got, g_, w_, (double)(rel)); \
    } while (0)

/* rc must equal want; on mismatch print the engine's message. */
#define CHECK_RC(e, expr, want)                                       \
    do {                                                              \
        int r_ = (expr);                                              \
        if (r_ == (want)) t_passed++;                                 \
        else T_FAIL("%s returned %d (%s: %s), expected %d", #expr, r_, \
                    retain_errstr(r_), retain_errmsg(e), (int)(want)); \
    } while (0)

#define CHECK_OK(e, expr) CHECK_RC(e, expr, RETAIN_OK)

static inline int t_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, t_passed, t_failed);
    return t_failed ? 1 : 0;
}

#endif
