/* consent.c - per-channel, per-category consent with event-time ordering. */
#include "store.h"
#include "event.h"
#include "core/check.h"
#include "retain/customer.h"

int retain_consent_set(retain_engine *e, const char *customer_id, const char *channel,
                       const char *category, retain_consent_state state, int64_t at,
                       const char *source)
{
    /* The newer statement wins; at equal times a revocation wins. */
    static const char sql[] =
        "INSERT INTO consent(customer,channel,category,granted,at,source) VALUES(?1,?2,?3,?4,?5,?6)"
        " ON CONFLICT(customer,channel,category) DO UPDATE SET"
        " granted=excluded.granted, at=excluded.at, source=excluded.source"
        " WHERE excluded.at > consent.at OR (excluded.at = consent.at AND excluded.granted = 0)";
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "customer_id", customer_id)) ||
        (rc = rt_check_name(e, "channel", channel)) ||
        (rc = rt_check_name(e, "category", category)) || (rc = rt_check_time(e, "at", at)) ||
        (rc = rt_check_text(e, "source", source, 256)))
        return rc;
    if (state != RETAIN_CONSENT_GRANTED && state != RETAIN_CONSENT_REVOKED)
        return rt_error(e, RETAIN_EINVAL,
                        "consent state is %d; use RETAIN_CONSENT_GRANTED or RETAIN_CONSENT_REVOKED",
                        (int)state);
    if ((rc = rt_tx_begin(e)))
        return rc;
    int64_t key;
    rc = rt_customer_key(e, customer_id, &key);
    rt_st *st;
    if (rc == RETAIN_OK && (rc = rt_stmt(e, sql, &st)) == RETAIN_OK) {
        rt_bind_int64(st, 1, key);
        rt_bind_textn(st, 2, channel, -1, SQLITE_STATIC);
        rt_bind_textn(st, 3, category, -1, SQLITE_STATIC);
        rt_bind_int(st, 4, state == RETAIN_CONSENT_GRANTED);
        rt_bind_int64(st, 5, at);
        rt_bind_text(st, 6, source);
        int src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            rc = rt_sqlerr(e, src, "recording consent");
        else if (rt_changes(e) > 0)
            rc = rt_event_emit(e, key,
                               state == RETAIN_CONSENT_GRANTED ? "consent.granted"
                                                               : "consent.revoked",
                               at, NULL, 0, 0);
    }
    return rt_tx_end(e, rc);
}

int retain_consent_get(retain_consent_state *state_out, int64_t *at_out, retain_engine *e,
                       const char *customer_id, const char *channel, const char *category)
{
    static const char sql[] =
        "SELECT granted, at FROM consent WHERE customer=? AND channel=? AND category=?";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "state_out", state_out)))
        return rc;
    *state_out = RETAIN_CONSENT_UNKNOWN;
    if (at_out)
        *at_out = RETAIN_TIME_NONE;
    if ((rc = rt_check_id(e, "customer_id", customer_id)) ||
        (rc = rt_check_name(e, "channel", channel)) ||
        (rc = rt_check_name(e, "category", category)))
        return rc;
    int64_t key;
    if ((rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, key);
    rt_bind_textn(st, 2, channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 3, category, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *state_out = rt_column_int(st, 0) ? RETAIN_CONSENT_GRANTED : RETAIN_CONSENT_REVOKED;
        if (at_out)
            *at_out = rt_column_int64(st, 1);
    } else if (src != SQLITE_DONE) {
        rc = rt_sqlerr(e, src, "reading consent");
    }
    rt_reset(st);
    return rc;
}
