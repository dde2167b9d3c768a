/*
 * carrier.c - the host's per-carrier tracking URL templates.
 */
#include "domain.h"
#include "core/check.h"
#include "store/domain_store.h"
#include "retain/shipping.h"

#include <string.h>

int retain_carrier_set(retain_engine *e, const char *carrier, const char *url_template,
                       int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "carrier", carrier)) ||
        (rc = rt_check_text(e, "url_template", url_template, 2048)) ||
        (rc = rt_check_time(e, "now", now)))
        return rc;
    if (strlen(carrier) > 64)
        return rt_error(e, RETAIN_EINVAL, "carrier \"%.64s...\" is over 64 bytes", carrier);
    if (url_template) {
        bool http = !strncmp(url_template, "https://", 8) || !strncmp(url_template, "http://", 7);
        if (!http || !strstr(url_template, "{tracking}"))
            return rt_error(e, RETAIN_EINVAL,
                            "url_template \"%.80s\" must be an http(s) URL containing {tracking}",
                            url_template);
        for (const char *p = url_template; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == '\n')
                return rt_error(e, RETAIN_EINVAL, "url_template \"%.80s\" contains white space",
                                url_template);
    }
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, ds_carrier_set(e, carrier, url_template, now));
}
