/* PLACEHOLDER written by the lead so the tree builds: existence check only.
 * The TZif reader replaces this file entirely. */
#include "tz.h"
#include <stdio.h>
#include <string.h>

struct rt_tz { int dummy; };
static struct rt_tz utc;

int rt_tz_get(retain_engine *e, const char *name, const rt_tz **out)
{
    char path[512];
    if (!name || !*name || name[0] == '/' || strstr(name, ".."))
        return rt_error(e, RETAIN_EINVAL, "invalid time zone name");
    snprintf(path, sizeof path, "%s/%s", e->cfg.zoneinfo_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rt_error(e, RETAIN_ENOTFOUND, "time zone \"%s\" does not exist", name);
    fclose(f);
    *out = &utc;
    return RETAIN_OK;
}
const char *rt_tz_name(const rt_tz *z) { (void)z; return "UTC"; }
int32_t rt_tz_offset(const rt_tz *z, int64_t utc_ms) { (void)z; (void)utc_ms; return 0; }
int64_t rt_tz_local_to_utc(const rt_tz *z, int64_t local_ms) { (void)z; return local_ms; }
void rt_tz_cache_free(retain_engine *e) { (void)e; }
