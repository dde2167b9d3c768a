/* bench.h - timing and memory helpers shared by the benchmarks. */
#ifndef RT_BENCH_H
#define RT_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set size of this process in MiB. */
static inline double bench_peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Worker processes (the PostgreSQL runs: one engine, one connection each).
 * `step` is a barrier of the workers alone (for lockstep, such as one
 * simulated hour at a time); `count` what they did between them. */
typedef struct bench_shared {
    pthread_barrier_t start; /* the workers and the parent */
    pthread_barrier_t step;  /* the workers */
    atomic_long count;
    atomic_int failed;
} bench_shared;

typedef int (*bench_worker_fn)(int idx, int workers, bench_shared *sh, void *ctx);

/* Fork `workers` processes running fn(idx, ...). Each must wait on
 * sh->start once it is ready (engine open); the clock starts when all have,
 * and stops when the last has exited. Returns the seconds between, or -1
 * when a worker failed (fn returned non-zero, or died). */
static inline double bench_workers(int workers, bench_worker_fn fn, void *ctx, long *count)
{
    bench_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                            -1, 0);
    if (sh == MAP_FAILED)
        return -1;
    pthread_barrierattr_t a;
    pthread_barrierattr_init(&a);
    pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->start, &a, (unsigned)workers + 1);
    pthread_barrier_init(&sh->step, &a, (unsigned)workers);
    pthread_barrierattr_destroy(&a);
    atomic_init(&sh->count, 0);
    atomic_init(&sh->failed, 0);
    fflush(NULL);
    int started = 0;
    for (int i = 0; i < workers; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(fn(i, workers, sh, ctx) ? 1 : 0);
        if (pid > 0)
            started++;
    }
    double t0 = 0, dt = -1;
    if (started == workers) {
        pthread_barrier_wait(&sh->start);
        t0 = bench_now();
    }
    int bad = started != workers;
    for (int i = 0; i < started; i++) {
        int status = 0;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    if (!bad && !atomic_load(&sh->failed))
        dt = bench_now() - t0;
    *count = atomic_load(&sh->count);
    pthread_barrier_destroy(&sh->start);
    pthread_barrier_destroy(&sh->step);
    munmap(sh, sizeof *sh);
    return dt;
}

#endif
