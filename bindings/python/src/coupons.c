/*
 * coupons.c - Engine methods of retain/coupon.h and retain/feedback.h:
 * coupon campaigns, codes and checks; feedback answers, escalation and
 * metrics (as JSON text, like metrics.c).
 */
#include "pyretain.h"

#include <stdbool.h>
#include <string.h>

static int64_t opt_time(PyObject *o, int *bad)
{
    if (o == Py_None)
        return INT64_MIN;
    long long v = PyLong_AsLongLong(o);
    *bad = v == -1 && PyErr_Occurred();
    return v;
}

#define MAX_CHANNELS 64

PyObject *rp_coupon_campaign_define(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_coupon_campaign c = RETAIN_COUPON_CAMPAIGN_INIT;
    const char *amount_cur, *min_cur;
    int kind;
    long long amount, min_total, valid_for, now;
    PyObject *expires, *channels;
    if (!PyArg_ParseTuple(args, "sziiLsLsOLiiOL:coupon_campaign_define", &c.name, &c.prefix,
                          &c.code_length, &kind, &amount, &amount_cur, &min_total, &min_cur,
                          &expires, &valid_for, &c.max_uses, &c.per_customer, &channels, &now))
        return NULL;
    int bad = 0;
    c.expires_at = opt_time(expires, &bad);
    if (bad)
        return NULL;
    c.discount = (retain_discount_kind)kind;
    if (kind == RETAIN_DISCOUNT_PERCENT)
        c.percent = (int)amount;
    else
        c.amount.amount = amount;
    snprintf(c.amount.currency, sizeof c.amount.currency, "%.3s", amount_cur);
    c.min_total.amount = min_total;
    snprintf(c.min_total.currency, sizeof c.min_total.currency, "%.3s", min_cur);
    c.valid_for_ms = valid_for;
    const char *names[MAX_CHANNELS];
    if (channels != Py_None) {
        if (!PyTuple_Check(channels) || PyTuple_GET_SIZE(channels) > MAX_CHANNELS) {
            PyErr_SetString(PyExc_TypeError, "channels must be a tuple of at most 64 names");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(channels); i++)
            if (!(names[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(channels, i))))
                return NULL;
        c.channels = names;
        c.channels_count = (size_t)PyTuple_GET_SIZE(channels);
    }
    int rc;
    RP_LOCKED_CALL(self, rc, retain_coupon_campaign_define(self->e, &c, now));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_coupon_campaigns_load(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *yaml, *origin;
    Py_ssize_t len;
    long long now;
    if (!PyArg_ParseTuple(args, "s#zL:coupon_campaigns_load", &yaml, &len, &origin, &now))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_coupon_campaigns_load(self->e, yaml, (size_t)len, origin, now, NULL));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_coupon_seed(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    Py_buffer secret;
    if (!PyArg_ParseTuple(args, "y*:coupon_seed", &secret))
        return NULL;
    int rc;
    if (rp_enter(self)) {
        PyBuffer_Release(&secret);
        return NULL;
    }
    rc = retain_coupon_seed(self->e, secret.buf, (size_t)secret.len);
    PyBuffer_Release(&secret);
    return rp_none_or_raise(self, rc);
}

PyObject *rp_coupon_issue(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *campaign, *customer;
    long long now;
    if (!PyArg_ParseTuple(args, "szL:coupon_issue", &campaign, &customer, &now))
        return NULL;
    char code[RETAIN_COUPON_CODE_MAX];
    int rc;
    RP_LOCKED_CALL(self, rc, retain_coupon_issue(code, sizeof code, self->e, campaign, customer, now));
    PyObject *res = rc ? rp_raise_engine(self, rc) : PyUnicode_FromString(code);
    rp_leave(self);
    return res;
}

/* (reason, message, campaign, discount_amount, discount_currency, expires_at|None, uses_left) */
static PyObject *check_tuple(const retain_coupon_check *c)
{
    PyObject *exp = c->expires_at == INT64_MIN ? Py_NewRef(Py_None)
                                               : PyLong_FromLongLong(c->expires_at);
    if (!exp)
        return NULL;
    return Py_BuildValue("(sssLsNL)", retain_coupon_reason_name(c->reason), c->message,
                         c->campaign, (long long)c->discount_amount.amount,
                         c->discount_amount.currency, exp, (long long)c->uses_left);
}

static PyObject *check_call(PyObject *op, PyObject *args, bool redeem)
{
    EngineObject *self = (EngineObject *)op;
    const char *code, *customer, *order = NULL, *currency, *channel;
    PyObject *amount;
    long long now;
    int ok = redeem ? PyArg_ParseTuple(args, "szsOzzL:coupon_redeem", &code, &customer, &order,
                                       &amount, &currency, &channel, &now)
                    : PyArg_ParseTuple(args, "szOzzL:coupon_validate", &code, &customer,
                                       &amount, &currency, &channel, &now);
    if (!ok)
        return NULL;
    retain_money total = { 0, "" };
    const retain_money *tp = NULL;
    if (amount != Py_None) {
        total.amount = PyLong_AsLongLong(amount);
        if (total.amount == -1 && PyErr_Occurred())
            return NULL;
        snprintf(total.currency, sizeof total.currency, "%.3s", currency ? currency : "");
        tp = &total;
    }
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    int rc;
    if (redeem)
        RP_LOCKED_CALL(self, rc, retain_coupon_redeem(&c, self->e, code, customer, order, tp, channel, now));
    else
        RP_LOCKED_CALL(self, rc, retain_coupon_validate(&c, self->e, code, customer, tp, channel, now));
    PyObject *res = rc ? rp_raise_engine(self, rc) : check_tuple(&c);
    rp_leave(self);
    return res;
}

PyObject *rp_coupon_validate(PyObject *op, PyObject *args)
{
    return check_call(op, args, false);
}

PyObject *rp_coupon_redeem(PyObject *op, PyObject *args)
{
    return check_call(op, args, true);
}

PyObject *rp_coupon_revoke(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *code, *reason;
    long long now;
    if (!PyArg_ParseTuple(args, "szL:coupon_revoke", &code, &reason, &now))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_coupon_revoke(self->e, code, reason, now));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_feedback_record(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *customer, *order, *comment;
    int score, scale;
    long long at;
    if (!PyArg_ParseTuple(args, "sziizL:feedback_record", &customer, &order, &score, &scale,
                          &comment, &at))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_feedback_record(self->e, customer, order, score,
                                          (retain_feedback_scale)scale, comment, at));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_feedback_configure(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_feedback_config c = RETAIN_FEEDBACK_CONFIG_INIT;
    if (!PyArg_ParseTuple(args, "isz:feedback_configure", &c.escalate_at, &c.task_kind,
                          &c.task_note))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_feedback_configure(self->e, &c));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_feedback_metrics(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    int by, period;
    PyObject *since_o;
    long long as_of;
    if (!PyArg_ParseTuple(args, "iiOL:feedback_metrics", &by, &period, &since_o, &as_of))
        return NULL;
    int bad = 0;
    int64_t since = opt_time(since_o, &bad);
    if (bad)
        return NULL;
    char *json = NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_feedback_metrics_json(&json, self->e, (retain_feedback_by)by,
                                                (retain_period)period, since, as_of));
    PyObject *res = rc ? rp_raise_engine(self, rc) : PyUnicode_FromString(json);
    retain_free(self->e, json);
    rp_leave(self);
    return res;
}
