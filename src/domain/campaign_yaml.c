/*
 * campaign_yaml.c - coupon campaigns from YAML (retain_coupon_campaigns_load):
 * each mapping becomes a retain_coupon_campaign checked by the same code
 * as retain_coupon_campaign_define, and the file is all or nothing; the
 * first problem is reported as line:column.
 */
#include "check.h"
#include "core/check.h"
#include "core/text.h"
#include "journey/yaml.h"
#include "tz/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAMPAIGNS 256
#define MAX_CHANNELS 32

typedef struct cload {
    retain_engine *e;
    const char *origin;
    retain_diag *diag;
    bool failed;
} cload;

static bool fail(cload *L, const yn *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static bool fail(cload *L, const yn *at, const char *fmt, ...)
{
    if (L->failed)
        return false;
    L->failed = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = at ? at->line : 0, col = at ? at->column : 0;
    if (L->diag) {
        memset(L->diag, 0, sizeof *L->diag);
        L->diag->code = RETAIN_EPARSE;
        L->diag->line = line;
        L->diag->column = col;
        rt_copy(L->diag->message, sizeof L->diag->message, msg);
    }
    rt_error(L->e, RETAIN_EPARSE, "%s:%d:%d: %s", L->origin, line, col, msg);
    return false;
}

static const char *scalar(cload *L, const yn *n, const char *what)
{
    if (n && n->type == YN_SCALAR && n->len)
        return n->str;
    fail(L, n, "%s must be a value", what);
    return NULL;
}

static bool int_in(cload *L, const yn *n, const char *what, long lo, long hi, int *out)
{
    const char *s = scalar(L, n, what);
    if (!s)
        return false;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return fail(L, n, "%s must be a whole number from %ld to %ld", what, lo, hi);
    *out = (int)v;
    return true;
}

/* "12.5" in a currency of `digits` minor digits. */
static bool decimal(const char *s, int digits, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int fd = 0;
    const char *p = s;
    if (!(*p >= '0' && *p <= '9'))
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > INT64_MAX / 1000000)
            return false;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (fd == digits)
                return false; /* finer than the currency's minor unit */
            frac = frac * 10 + (*p - '0');
            fd++;
        }
    if (*p)
        return false;
    for (; fd < digits; fd++)
        frac *= 10;
    int64_t unit = 1;
    for (int i = 0; i < digits; i++)
        unit *= 10;
    *out = whole * unit + frac;
    return true;
}

/* { value: 5.00, currency: EUR } */
static bool money(cload *L, const yn *n, const char *what, retain_money *out)
{
    static const char *const keys[] = { "value", "currency", NULL };
    if (!n || n->type != YN_MAP)
        return fail(L, n, "%s must be { value: 5.00, currency: EUR }", what);
    for (int i = 0; i < n->n; i++) {
        bool ok = false;
        for (int k = 0; keys[k] && !ok; k++)
            ok = !strcmp(n->keys[i]->str, keys[k]);
        if (!ok)
            return fail(L, n->keys[i], "unknown key \"%s\" in %s", n->keys[i]->str, what);
    }
    const char *cur = scalar(L, yn_get(n, "currency"), "currency");
    const char *val = cur ? scalar(L, yn_get(n, "value"), "value") : NULL;
    if (!val)
        return false;
    int digits = rt_currency_digits(cur);
    if (digits < 0)
        return fail(L, yn_get(n, "currency"), "\"%.8s\" is not an ISO 4217 currency", cur);
    if (!decimal(val, digits, &out->amount))
        return fail(L, yn_get(n, "value"), "%s \"%.20s\" is not an amount of %s", what, val, cur);
    rt_copy(out->currency, sizeof out->currency, cur);
    return true;
}

/* 2026-12-31T00:00:00Z or 2026-12-31 (midnight UTC). */
static bool utc_time(cload *L, const yn *n, int64_t *out)
{
    const char *s = scalar(L, n, "expires_at");
    if (!s)
        return false;
    int y, mo, d, h = 0, mi = 0, se = 0;
    char z = 0, extra;
    int k = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &se, &z, &extra);
    bool date_only = k == 3 && strlen(s) == 10;
    if (!(date_only || (k == 7 && z == 'Z')) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || se > 59)
        return fail(L, n, "expires_at \"%.30s\" must be a UTC time like 2026-12-31T00:00:00Z", s);
    *out = ((rt_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + se * 1000LL;
    return true;
}

static const char *const campaign_keys[] = {
    "coupon_campaign", "description", "prefix", "code_length", "percent", "amount", "min_order",
    "valid_for", "expires_at", "uses", "per_customer", "sales_channels", NULL,
};

static bool campaign(cload *L, const yn *m, retain_coupon_campaign *c, const char **channels)
{
    if (m->type != YN_MAP)
        return fail(L, m, "a coupon campaign must be a mapping that starts with coupon_campaign: NAME");
    for (int i = 0; i < m->n; i++) {
        bool ok = false;
        for (int k = 0; campaign_keys[k] && !ok; k++)
            ok = !strcmp(m->keys[i]->str, campaign_keys[k]);
        if (!ok)
            return fail(L, m->keys[i], "unknown key \"%s\" in a coupon campaign", m->keys[i]->str);
    }
    const yn *v;
    if (!(c->name = scalar(L, yn_get(m, "coupon_campaign"), "coupon_campaign")))
        return false;
    if ((v = yn_get(m, "prefix")) && !(c->prefix = scalar(L, v, "prefix")))
        return false;
    if ((v = yn_get(m, "code_length")) && !int_in(L, v, "code_length", 6, 12, &c->code_length))
        return false;
    const yn *pc = yn_get(m, "percent"), *am = yn_get(m, "amount");
    if (!!pc == !!am)
        return fail(L, m, "a coupon campaign needs either percent or amount");
    if (pc && !int_in(L, pc, "percent", 1, 100, &c->percent))
        return false;
    if (am) {
        c->discount = RETAIN_DISCOUNT_FIXED;
        if (!money(L, am, "amount", &c->amount))
            return false;
    }
    if ((v = yn_get(m, "min_order")) && !money(L, v, "min_order", &c->min_total))
        return false;
    if ((v = yn_get(m, "valid_for"))) {
        const char *s = scalar(L, v, "valid_for");
        if (!s || !rt_parse_duration(s, &c->valid_for_ms))
            return s ? fail(L, v, "valid_for \"%.30s\" is not a duration (like 30d)", s) : false;
    }
    if ((v = yn_get(m, "expires_at")) && !utc_time(L, v, &c->expires_at))
        return false;
    if ((v = yn_get(m, "uses")) && !int_in(L, v, "uses", 1, 1000000, &c->max_uses))
        return false;
    if ((v = yn_get(m, "per_customer")) && !int_in(L, v, "per_customer", 0, 1000000, &c->per_customer))
        return false;
    if ((v = yn_get(m, "sales_channels"))) {
        if (v->type != YN_SEQ || v->n > MAX_CHANNELS)
            return fail(L, v, "sales_channels must be a list like [web, pos] (at most %d)",
                        MAX_CHANNELS);
        for (int i = 0; i < v->n; i++)
            if (!(channels[i] = scalar(L, v->items[i], "a sales channel")))
                return false;
        c->channels = channels;
        c->channels_count = (size_t)v->n;
    }
    return true;
}

int retain_coupon_campaigns_load(retain_engine *e, const char *yaml, size_t len,
                                 const char *origin, int64_t now, retain_diag *diag)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "yaml", yaml)) || (rc = rt_check_time(e, "now", now)))
        return rc;
    if (diag)
        memset(diag, 0, sizeof *diag);
    cload L = { e, origin ? origin : "<campaigns>", diag, false };
    yn_doc *doc = NULL;
    retain_diag pd;
    if ((rc = yn_parse(e, yaml, len, &doc, &pd))) {
        if (diag)
            *diag = pd;
        return rc == RETAIN_ENOMEM ? rt_nomem(e)
                                   : rt_error(e, rc, "%s:%d:%d: %s", L.origin, pd.line,
                                              pd.column, pd.message);
    }
    cs_campaign *rows = rt_calloc(&e->alloc, MAX_CAMPAIGNS, sizeof *rows);
    int n = 0;
    if (!rows)
        rc = rt_nomem(e);
    for (int d = 0; rc == RETAIN_OK && d < doc->ndocs && !L.failed; d++) {
        const yn *root = doc->docs[d];
        const yn *many = yn_get(root, "coupon_campaigns");
        int count = many ? (many->type == YN_SEQ ? many->n : -1) : 1;
        if (count < 0 || (many && root->n != 1)) {
            fail(&L, root, "coupon_campaigns must be the only key and hold a list");
            break;
        }
        for (int k = 0; k < count && !L.failed; k++) {
            const yn *m = many ? many->items[k] : root;
            retain_coupon_campaign c = RETAIN_COUPON_CAMPAIGN_INIT;
            const char *channels[MAX_CHANNELS];
            if (n == MAX_CAMPAIGNS) {
                fail(&L, m, "a file holds at most %d campaigns", MAX_CAMPAIGNS);
                break;
            }
            if (!campaign(&L, m, &c, channels))
                break;
            if (rt_campaign_convert(e, &c, &rows[n]) != RETAIN_OK) {
                char msg[sizeof e->errmsg];
                rt_copy(msg, sizeof msg, e->errmsg);
                fail(&L, m, "%s", msg);
                break;
            }
            for (int p = 0; p < n; p++)
                if (!strcmp(rows[p].name, rows[n].name))
                    fail(&L, m, "campaign \"%s\" appears twice", rows[n].name);
            n++;
        }
    }
    if (doc->ndocs == 0)
        fail(&L, NULL, "the file holds no coupon campaign");
    rt_object_free(doc);
    if (rc == RETAIN_OK && L.failed)
        rc = RETAIN_EPARSE;
    if (rc == RETAIN_OK && (rc = rt_tx_begin(e)) == RETAIN_OK) {
        for (int i = 0; i < n && rc == RETAIN_OK; i++)
            rc = cs_campaign_put(e, &rows[i], now);
        rc = rt_tx_end(e, rc);
    }
    rt_free(&e->alloc, rows);
    return rc;
}
