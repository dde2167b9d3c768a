/*
 * engine.c - opening and closing engines, resolving options, and the host's
 * transaction grouping.
 */
#include "engine.h"
#include "store/store.h"
#include "tz/tz.h"
#include "journey/journey.h"
#include "dispatch/dispatch.h"
#include "domain/domain.h"

#include <string.h>

/* Version 2 members: durations are 0 (default) to 10 years. */
static int resolve_domain(rt_config *c, const retain_options *o, char *errbuf, size_t errsz)
{
    const int64_t max = 3660LL * 86400000;
    const struct { const char *name; int64_t v; int64_t *slot; } d[] = {
        { "eta_slip_margin_ms", o->eta_slip_margin_ms, &c->eta_slip_margin_ms },
        { "replenish_lead_ms", o->replenish_lead_ms, &c->replenish_lead_ms },
        { "replenish_fallback_cycle_ms", o->replenish_fallback_cycle_ms,
          &c->replenish_fallback_cycle_ms },
        { "replenish_grace_ms", o->replenish_grace_ms, &c->replenish_grace_ms },
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        if (d[i].v < 0 || d[i].v > max) {
            rt_format(errbuf, errsz, "options.%s is %lld; it must be 0 (default) to 10 years",
                      d[i].name, (long long)d[i].v);
            return RETAIN_EINVAL;
        }
        if (d[i].v)
            *d[i].slot = d[i].v;
    }
    if (o->replenish_min_samples < 0 || o->replenish_min_samples > 1000000) {
        rt_format(errbuf, errsz, "options.replenish_min_samples is %d; it must be 0 (default) "
                  "to 1000000", o->replenish_min_samples);
        return RETAIN_EINVAL;
    }
    if (o->replenish_min_samples)
        c->replenish_min_samples = o->replenish_min_samples;
    return RETAIN_OK;
}

static int resolve_config(retain_engine *e, const retain_options *o, char *errbuf, size_t errsz)
{
    rt_config *c = &e->cfg;
    c->busy_timeout_ms = 5000;
    c->cache_kib = 16384;
    c->rule_max_source = 65536;
    c->rule_max_depth = 200;
    c->rule_max_list = 1024;
    c->regex_match_limit = 100000;
    c->regex_depth_limit = 1000;
    c->regex_max_subject = 65536;
    c->eta_slip_margin_ms = 86400000;
    c->replenish_lead_ms = 7 * 86400000LL;
    c->replenish_min_samples = 5;
    c->replenish_grace_ms = 7 * 86400000LL;
    const char *zdir = "/usr/share/zoneinfo", *zone = "UTC", *country = NULL;
    if (o) {
        if (o->busy_timeout_ms < 0) {
            rt_format(errbuf, errsz, "options.busy_timeout_ms is %d; it must be >= 0",
                      o->busy_timeout_ms);
            return RETAIN_EINVAL;
        }
        if (o->rule_max_depth < 0) {
            rt_format(errbuf, errsz, "options.rule_max_depth is %d; it must be >= 0",
                      o->rule_max_depth);
            return RETAIN_EINVAL;
        }
        if (o->cache_kib < 0) {
            rt_format(errbuf, errsz, "options.cache_kib is %d; it must be >= 0", o->cache_kib);
            return RETAIN_EINVAL;
        }
        if (o->busy_timeout_ms) c->busy_timeout_ms = o->busy_timeout_ms;
        if (o->cache_kib) c->cache_kib = o->cache_kib;
        if (o->zoneinfo_dir) zdir = o->zoneinfo_dir;
        if (o->default_timezone) zone = o->default_timezone;
        if (o->default_country) country = o->default_country;
        if (o->rule_max_source) c->rule_max_source = o->rule_max_source;
        if (o->rule_max_depth) c->rule_max_depth = o->rule_max_depth;
        if (o->rule_max_list) c->rule_max_list = o->rule_max_list;
        if (o->regex_match_limit) c->regex_match_limit = o->regex_match_limit;
        if (o->regex_depth_limit) c->regex_depth_limit = o->regex_depth_limit;
        if (o->regex_max_subject) c->regex_max_subject = o->regex_max_subject;
        c->flags = o->flags;
        if (o->version >= 2) {
            int rc = resolve_domain(c, o, errbuf, errsz);
            if (rc)
                return rc;
        }
        if (o->version >= 4) {
            if (o->mmap_mib < 0 || o->mmap_mib > 1048576) {
                rt_format(errbuf, errsz, "options.mmap_mib is %d; it must be 0 to 1048576",
                          o->mmap_mib);
                return RETAIN_EINVAL;
            }
            c->mmap_mib = o->mmap_mib;
        }
        if (o->version >= 3 && o->vfs) {
            if (!sqlite3_vfs_find(o->vfs)) {
                rt_format(errbuf, errsz,
                          "options.vfs is \"%.64s\", which is not a registered SQLite VFS "
                          "(register it with sqlite3_vfs_register first)",
                          o->vfs);
                return RETAIN_EINVAL;
            }
            if (!(c->vfs = rt_strdup(&e->alloc, o->vfs))) {
                rt_format(errbuf, errsz, "out of memory");
                return RETAIN_ENOMEM;
            }
        }
    }
    if (c->flags & ~(RETAIN_OPEN_READONLY | RETAIN_OPEN_AUTOLINK)) {
        rt_format(errbuf, errsz, "options.flags has unknown bits 0x%x",
                  c->flags & ~(RETAIN_OPEN_READONLY | RETAIN_OPEN_AUTOLINK));
        return RETAIN_EINVAL;
    }
    if (c->rule_max_depth > 10000) {
        rt_format(errbuf, errsz, "options.rule_max_depth is %d; at most 10000 is allowed",
                  c->rule_max_depth);
        return RETAIN_EINVAL;
    }
    c->zoneinfo_dir = rt_strdup(&e->alloc, zdir);
    c->default_timezone = rt_strdup(&e->alloc, zone);
    c->default_country = country ? rt_strdup(&e->alloc, country) : NULL;
    if (!c->zoneinfo_dir || !c->default_timezone || (country && !c->default_country)) {
        rt_format(errbuf, errsz, "out of memory");
        return RETAIN_ENOMEM;
    }
    return RETAIN_OK;
}

static void engine_free(retain_engine *e)
{
    retain_allocator a = e->alloc;
    rt_journeys_free(e);
    rt_reco_free(e);
    rt_dispatch_free(e);
    rt_domain_free(e);
    rt_store_close(e);
    rt_tz_cache_free(e);
    rt_free(&a, e->cfg.zoneinfo_dir);
    rt_free(&a, e->cfg.default_timezone);
    rt_free(&a, e->cfg.default_country);
    rt_free(&a, e->cfg.vfs);
    rt_free(&a, e);
}

int retain_engine_open_ex(retain_engine **out, const char *path, const retain_options *opts,
                          char *errbuf, size_t errsz)
{
    if (errbuf && errsz)
        errbuf[0] = '\0';
    if (!out) {
        rt_format(errbuf, errsz, "out is NULL; pass the address of a retain_engine pointer");
        return RETAIN_EINVAL;
    }
    *out = NULL;
    if (!path || !*path) {
        rt_format(errbuf, errsz, "path is %s; pass a file name or \":memory:\"",
                  path ? "empty" : "NULL");
        return RETAIN_EINVAL;
    }
    if (opts && (opts->version == 0 || opts->version > RETAIN_OPTIONS_VERSION)) {
        rt_format(errbuf, errsz,
                  "options.version is %u; initialize options with RETAIN_OPTIONS_INIT (version %d)",
                  opts->version, RETAIN_OPTIONS_VERSION);
        return RETAIN_EINVAL;
    }
    if (opts && (opts->allocator.malloc || opts->allocator.realloc || opts->allocator.free) &&
        !(opts->allocator.malloc && opts->allocator.realloc && opts->allocator.free)) {
        rt_format(errbuf, errsz, "options.allocator must set malloc, realloc and free together");
        return RETAIN_EINVAL;
    }
    retain_allocator a;
    rt_allocator_resolve(&a, opts ? &opts->allocator : NULL);
    retain_engine *e = rt_calloc(&a, 1, sizeof *e);
    if (!e) {
        rt_format(errbuf, errsz, "out of memory");
        return RETAIN_ENOMEM;
    }
    e->alloc = a;
    int rc = resolve_config(e, opts, errbuf, errsz);
    if (rc == RETAIN_OK) {
        rc = rt_store_open(e, path);
        if (rc)
            rt_copy(errbuf, errsz, e->errmsg);
    }
    if (rc == RETAIN_OK) {
        const rt_tz *z;
        rc = rt_tz_get(e, e->cfg.default_timezone, &z);
        if (rc) {
            rt_format(errbuf, errsz, "options.default_timezone: %s", e->errmsg);
            rc = rc == RETAIN_ENOTFOUND ? RETAIN_EINVAL : rc;
        }
    }
    if (rc) {
        engine_free(e);
        return rc;
    }
    rt_clear_error(e);
    *out = e;
    return RETAIN_OK;
}

int retain_engine_open(retain_engine **out, const char *path, const retain_options *opts)
{
    return retain_engine_open_ex(out, path, opts, NULL, 0);
}

void retain_engine_close(retain_engine *e)
{
    if (!e)
        return;
    if (e->in_host_tx && (e->db || e->pg))
        rt_exec_script(e, "ROLLBACK");
    engine_free(e);
}

int retain_begin(retain_engine *e)
{
    RT_ENGINE_GUARD(e);
    if (e->in_host_tx)
        return rt_error(e, RETAIN_EMISUSE, "retain_begin: a transaction is already open");
    int rc = rt_check_writable(e);
    if (rc)
        return rc;
    rc = rt_exec(e, rt_sql_begin);
    if (rc == RETAIN_OK) {
        e->tx_serial++;
        e->in_host_tx = true;
        e->host_tx_lost = 0;
    }
    return rc;
}

int retain_commit(retain_engine *e)
{
    RT_ENGINE_GUARD(e);
    if (!e->in_host_tx)
        return rt_error(e, RETAIN_EMISUSE, "retain_commit: no transaction is open");
    if (e->host_tx_lost) {
        int code = e->host_tx_lost;
        e->in_host_tx = false;
        e->host_tx_lost = 0;
        return rt_error(e, code,
                        "retain_commit: an earlier error (%s) rolled back the whole "
                        "transaction; nothing was committed",
                        retain_errstr(code));
    }
    if (rt_autocommit(e)) {
        /* Every known way to lose the transaction sets host_tx_lost; this
         * is the net under them: never COMMIT into "no transaction". */
        e->in_host_tx = false;
        return rt_error(e, RETAIN_EINTERNAL,
                        "retain_commit: the transaction ended under it; what the calls in it "
                        "wrote may be committed or not");
    }
    int rc = rt_exec(e, rt_sql_commit);
    if (rc == RETAIN_OK || rt_autocommit(e))
        e->in_host_tx = false;
    return rc;
}

int retain_rollback(retain_engine *e)
{
    RT_ENGINE_GUARD(e);
    if (!e->in_host_tx)
        return rt_error(e, RETAIN_EMISUSE, "retain_rollback: no transaction is open");
    e->in_host_tx = false;
    if (e->host_tx_lost || rt_autocommit(e)) {
        e->host_tx_lost = 0;
        return RETAIN_OK; /* already rolled back */
    }
    return rt_exec(e, rt_sql_rollback);
}

void retain_free(retain_engine *e, void *ptr)
{
    if (!ptr)
        return;
    rt_free(e ? &e->alloc : NULL, ptr);
}
