/*
 * killvfs.h - a SQLite VFS shim for the crash suite: it forwards everything
 * to the default VFS and counts the writes and syncs of every file (database,
 * WAL, shared memory excluded), so that a child process can SIGKILL itself
 * in the middle of a commit at a chosen, reproducible write.
 */
#ifndef RT_TEST_KILLVFS_H
#define RT_TEST_KILLVFS_H

#include <sqlite3.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>

typedef struct kv_file {
    sqlite3_file base; /* must be first */
    sqlite3_file *real; /* follows this struct in the same allocation */
} kv_file;

static sqlite3_vfs *kv_real;
static sqlite3_vfs kv_vfs;
static int64_t kv_ops;       /* writes and syncs so far */
static int64_t kv_kill_at;   /* kill at this op (0: never) */
static int kv_kill_after;    /* kill after the op instead of before it */

static void kv_tick(int after)
{
    if (kv_kill_at && after == kv_kill_after && kv_ops == kv_kill_at)
        raise(SIGKILL);
}

#define KV_REAL(f) (((kv_file *)(f))->real)

static int kv_close(sqlite3_file *f)
{
    return KV_REAL(f)->pMethods->xClose(KV_REAL(f));
}
static int kv_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return KV_REAL(f)->pMethods->xRead(KV_REAL(f), p, n, off);
}
static int kv_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    kv_ops++;
    kv_tick(0);
    int rc = KV_REAL(f)->pMethods->xWrite(KV_REAL(f), p, n, off);
    kv_tick(1);
    return rc;
}
static int kv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return KV_REAL(f)->pMethods->xTruncate(KV_REAL(f), size);
}
static int kv_sync(sqlite3_file *f, int flags)
{
    kv_ops++;
    kv_tick(0);
    int rc = KV_REAL(f)->pMethods->xSync(KV_REAL(f), flags);
    kv_tick(1);
    return rc;
}
static int kv_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return KV_REAL(f)->pMethods->xFileSize(KV_REAL(f), size);
}
static int kv_lock(sqlite3_file *f, int l)
{
    return KV_REAL(f)->pMethods->xLock(KV_REAL(f), l);
}
static int kv_unlock(sqlite3_file *f, int l)
{
    return KV_REAL(f)->pMethods->xUnlock(KV_REAL(f), l);
}
static int kv_reserved(sqlite3_file *f, int *out)
{
    return KV_REAL(f)->pMethods->xCheckReservedLock(KV_REAL(f), out);
}
static int kv_fcntl(sqlite3_file *f, int op, void *arg)
{
    return KV_REAL(f)->pMethods->xFileControl(KV_REAL(f), op, arg);
}
static int kv_sector(sqlite3_file *f)
{
    return KV_REAL(f)->pMethods->xSectorSize(KV_REAL(f));
}
static int kv_devchar(sqlite3_file *f)
{
    return KV_REAL(f)->pMethods->xDeviceCharacteristics(KV_REAL(f));
}
static int kv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return KV_REAL(f)->pMethods->xShmMap(KV_REAL(f), pg, pgsz, extend, pp);
}
static int kv_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return KV_REAL(f)->pMethods->xShmLock(KV_REAL(f), off, n, flags);
}
static void kv_shm_barrier(sqlite3_file *f)
{
    KV_REAL(f)->pMethods->xShmBarrier(KV_REAL(f));
}
static int kv_shm_unmap(sqlite3_file *f, int del)
{
    return KV_REAL(f)->pMethods->xShmUnmap(KV_REAL(f), del);
}
static int kv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return KV_REAL(f)->pMethods->xFetch(KV_REAL(f), off, n, pp);
}
static int kv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return KV_REAL(f)->pMethods->xUnfetch(KV_REAL(f), off, p);
}

static const sqlite3_io_methods kv_methods = {
    3, kv_close, kv_read, kv_write, kv_truncate, kv_sync, kv_size, kv_lock, kv_unlock,
    kv_reserved, kv_fcntl, kv_sector, kv_devchar, kv_shm_map, kv_shm_lock, kv_shm_barrier,
    kv_shm_unmap, kv_fetch, kv_unfetch,
};

static int kv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    kv_file *kf = (kv_file *)f;
    kf->real = (sqlite3_file *)(kf + 1);
    int rc = kv_real->xOpen(kv_real, name, kf->real, flags, out_flags);
    /* Without methods the real open failed and nothing must be closed. */
    kf->base.pMethods = kf->real->pMethods ? &kv_methods : NULL;
    return rc;
}

static int kv_delete(sqlite3_vfs *v, const char *name, int sync)
{
    return kv_real->xDelete(kv_real, name, sync);
}
static int kv_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    return kv_real->xAccess(kv_real, name, flags, out);
}
static int kv_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
    return kv_real->xFullPathname(kv_real, name, n, out);
}
static int kv_random(sqlite3_vfs *v, int n, char *out)
{
    return kv_real->xRandomness(kv_real, n, out);
}
static int kv_sleep(sqlite3_vfs *v, int us)
{
    return kv_real->xSleep(kv_real, us);
}
static int kv_time(sqlite3_vfs *v, double *out)
{
    return kv_real->xCurrentTime(kv_real, out);
}
static int kv_lasterr(sqlite3_vfs *v, int n, char *out)
{
    return kv_real->xGetLastError(kv_real, n, out);
}
static int kv_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    return kv_real->xCurrentTimeInt64(kv_real, out);
}

/* Install the shim as the default VFS (once per process). */
static int kv_install(void)
{
    if (kv_real)
        return SQLITE_OK;
    kv_real = sqlite3_vfs_find(NULL);
    if (!kv_real)
        return SQLITE_ERROR;
    memset(&kv_vfs, 0, sizeof kv_vfs);
    kv_vfs.iVersion = 2;
    kv_vfs.szOsFile = (int)sizeof(kv_file) + kv_real->szOsFile;
    kv_vfs.mxPathname = kv_real->mxPathname;
    kv_vfs.zName = "retain-killvfs";
    kv_vfs.xOpen = kv_open;
    kv_vfs.xDelete = kv_delete;
    kv_vfs.xAccess = kv_access;
    kv_vfs.xFullPathname = kv_fullpath;
    kv_vfs.xRandomness = kv_random;
    kv_vfs.xSleep = kv_sleep;
    kv_vfs.xCurrentTime = kv_time;
    kv_vfs.xGetLastError = kv_lasterr;
    kv_vfs.xCurrentTimeInt64 = kv_time64;
    return sqlite3_vfs_register(&kv_vfs, 1);
}

#endif
