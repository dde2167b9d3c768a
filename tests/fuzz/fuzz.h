/*
 * fuzz.h - what the libFuzzer targets share: the entry points, an engine
 * on ":memory:", NUL-terminated copies of the input, and a check that
 * aborts (so both libFuzzer and the replay driver report it) when an
 * invariant of the library does not hold.
 */
#ifndef RETAIN_FUZZ_H
#define RETAIN_FUZZ_H

#include <retain.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
/* Called by the replay driver after the last input, so that the state a
 * target keeps between inputs is freed and leak checking sees the rest. */
void fuzz_teardown(void);

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* An engine on ":memory:" with default options; aborts when it cannot be
 * opened (nothing can be fuzzed then). */
retain_engine *fuzz_engine(void);

/* The input as a NUL-terminated string (free with free()). */
char *fuzz_cstr(const uint8_t *data, size_t size);

#endif
