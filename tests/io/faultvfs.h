/*
 * faultvfs.h - a SQLite VFS shim over the default (unix) VFS that fails
 * the Nth read, write (and truncate), fsync or lock of the files it opens,
 * once (transient) or from then on (persistent), with a chosen SQLite code:
 * SQLITE_IOERR_* for a broken disk, SQLITE_FULL for a full one, SQLITE_BUSY
 * for a lock another process holds. Everything else passes through.
 *
 * Locks counted are the database file's xLock and the WAL write lock (an
 * exclusive xShmLock of slot 0): the ones a writer waits for. WAL read
 * locks are left alone, since SQLite retries those internally for seconds.
 */
#ifndef RT_TEST_FAULTVFS_H
#define RT_TEST_FAULTVFS_H

#include <sqlite3.h>
#include <string.h>

typedef enum fv_kind { FV_READ, FV_WRITE, FV_SYNC, FV_LOCK, FV_KINDS } fv_kind;

static const char *const fv_kind_names[FV_KINDS] = { "read", "write", "fsync", "lock" };

typedef struct fv_state {
    fv_kind kind;      /* what is counted */
    long calls;        /* calls of that kind since fv_arm */
    long fail_at;      /* 0: disarmed */
    int persistent;
    int err;           /* what a failing call returns */
    long injected;
    long seen[FV_KINDS]; /* every call, armed or not, by kind */
} fv_state;

static fv_state FV;
static sqlite3_vfs *fv_real;

static void fv_arm(fv_kind kind, long n, int persistent, int err)
{
    FV.kind = kind;
    FV.calls = 0;
    FV.injected = 0;
    FV.fail_at = n;
    FV.persistent = persistent;
    FV.err = err;
}

static void fv_disarm(void) { FV.fail_at = 0; }

/* Hold faults off (on = 1) and resume them (0), keeping the count. */
static void fv_pause(int on)
{
    static long held;
    if (on) {
        held = FV.fail_at;
        FV.fail_at = 0;
    } else {
        FV.fail_at = held;
    }
}

/* 0, or the code this call of `kind` must fail with. */
static int fv_fail(fv_kind kind)
{
    FV.seen[kind]++;
    if (!FV.fail_at || FV.kind != kind)
        return 0;
    long c = ++FV.calls;
    if (c == FV.fail_at || (FV.persistent && c > FV.fail_at)) {
        FV.injected++;
        return FV.err;
    }
    return 0;
}

typedef struct fv_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same block */
} fv_file;

#define REAL(f) (((fv_file *)(f))->real)

static int fv_close(sqlite3_file *f)
{
    return REAL(f)->pMethods->xClose(REAL(f));
}

static int fv_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    int rc = fv_fail(FV_READ);
    return rc ? rc : REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int fv_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    int rc = fv_fail(FV_WRITE);
    return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = fv_fail(FV_WRITE);
    return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int fv_sync(sqlite3_file *f, int flags)
{
    int rc = fv_fail(FV_SYNC);
    return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int fv_size(sqlite3_file *f, sqlite3_int64 *out)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), out);
}

static int fv_lock(sqlite3_file *f, int level)
{
    int rc = fv_fail(FV_LOCK);
    return rc ? rc : REAL(f)->pMethods->xLock(REAL(f), level);
}

static int fv_unlock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int fv_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int fv_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int fv_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int fv_device(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int fv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int fv_shm_lock(sqlite3_file *f, int ofst, int n, int flags)
{
    if (ofst == 0 && n == 1 && flags == (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE)) {
        int rc = fv_fail(FV_LOCK);
        if (rc)
            return rc;
    }
    return REAL(f)->pMethods->xShmLock(REAL(f), ofst, n, flags);
}

static void fv_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int fv_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int fv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fv_methods = {
    3, fv_close, fv_read, fv_write, fv_truncate, fv_sync, fv_size, fv_lock, fv_unlock,
    fv_reserved, fv_control, fv_sector, fv_device, fv_shm_map, fv_shm_lock, fv_shm_barrier,
    fv_shm_unmap, fv_fetch, fv_unfetch,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    fv_file *ff = (fv_file *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    memset(ff->real, 0, (size_t)fv_real->szOsFile);
    int rc = fv_real->xOpen(fv_real, name, ff->real, flags, out);
    ff->base.pMethods = ff->real->pMethods ? &fv_methods : NULL;
    return rc;
}

static int fv_delete(sqlite3_vfs *v, const char *name, int sync)
{
    (void)v;
    return fv_real->xDelete(fv_real, name, sync);
}

static int fv_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return fv_real->xAccess(fv_real, name, flags, out);
}

static int fv_fullname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return fv_real->xFullPathname(fv_real, name, n, out);
}

static void *fv_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return fv_real->xDlOpen(fv_real, name);
}

static void fv_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    fv_real->xDlError(fv_real, n, msg);
}

static void (*fv_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return fv_real->xDlSym(fv_real, h, sym);
}

static void fv_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    fv_real->xDlClose(fv_real, h);
}

static int fv_random(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return fv_real->xRandomness(fv_real, n, out);
}

static int fv_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return fv_real->xSleep(fv_real, us);
}

static int fv_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return fv_real->xCurrentTime(fv_real, out);
}

static int fv_lasterror(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return fv_real->xGetLastError ? fv_real->xGetLastError(fv_real, n, out) : 0;
}

static int fv_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return fv_real->xCurrentTimeInt64(fv_real, out);
}

static sqlite3_vfs fv_vfs = {
    2, 0, 1024, NULL, "faulty", NULL, fv_open, fv_delete, fv_access, fv_fullname, fv_dlopen,
    fv_dlerror, fv_dlsym, fv_dlclose, fv_random, fv_sleep, fv_time, fv_lasterror, fv_time64,
    NULL, NULL, NULL,
};

/* Register "faulty" over the default VFS (not as the default). */
static int fv_register(void)
{
    fv_real = sqlite3_vfs_find(NULL);
    if (!fv_real)
        return SQLITE_ERROR;
    fv_vfs.szOsFile = (int)sizeof(fv_file) + fv_real->szOsFile;
    fv_vfs.mxPathname = fv_real->mxPathname;
    return sqlite3_vfs_register(&fv_vfs, 0);
}

#undef REAL
#endif
