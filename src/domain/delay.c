/*
 * delay.c - shipment delay detection. A shipment is delayed when its
 * promised time passed without delivery (late), when the carrier reported an
 * exception (exception), or when its ETA moved past the promise by more than
 * the engine's margin (eta_slip). Each cause gives one shipment.delayed event,
 * recorded in the same transaction as the mark that stops it repeating.
 */
#include "domain.h"
#include "core/buf.h"
#include "store/domain_store.h"
#include "store/event.h"

#define BATCH 128

static void put_time(rt_buf *b, const char *name, int64_t t)
{
    rt_buf_printf(b, ",\"%s\":", name);
    if (t == INT64_MIN)
        rt_buf_puts(b, "null");
    else
        rt_buf_printf(b, "%lld", (long long)t);
}

static int announce(retain_engine *e, const ds_delay *d, int64_t now)
{
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"cause\":");
    rt_buf_json_str(&b, d->cause);
    rt_buf_puts(&b, ",\"shipment_id\":");
    rt_buf_json_str(&b, d->shipment_id);
    rt_buf_puts(&b, ",\"order_id\":");
    rt_buf_json_str(&b, d->order_id);
    rt_buf_puts(&b, ",\"carrier\":");
    if (d->carrier[0])
        rt_buf_json_str(&b, d->carrier);
    else
        rt_buf_puts(&b, "null");
    put_time(&b, "promised_at", d->promised_at);
    put_time(&b, "eta", d->eta);
    if (d->exception[0]) {
        rt_buf_puts(&b, ",\"exception\":");
        rt_buf_json_str(&b, d->exception);
    }
    rt_buf_putc(&b, '}');
    char *props = NULL;
    if (rt_buf_finish(&b, &props))
        return rt_nomem(e);
    int rc = ds_delay_mark(e, d->shipment, d->cause, d->at, now);
    if (rc == RETAIN_OK)
        rc = rt_event_emit(e, d->customer, "shipment.delayed", d->at, props, d->order_key,
                           d->shipment);
    rt_free(&e->alloc, props);
    return rc;
}

int rt_delay_detect(retain_engine *e, int64_t now)
{
    ds_delay *batch = rt_calloc(&e->alloc, BATCH, sizeof *batch);
    if (!batch)
        return rt_nomem(e);
    /* A read first: a tick with no delay to announce takes no write lock. */
    int n = 0;
    int rc = ds_delay_candidates(e, now, e->cfg.eta_slip_margin_ms, batch, 1, &n);
    while (rc == RETAIN_OK && n > 0) {
        if ((rc = rt_tx_begin(e)))
            break;
        rc = ds_delay_candidates(e, now, e->cfg.eta_slip_margin_ms, batch, BATCH, &n);
        for (int i = 0; i < n && rc == RETAIN_OK; i++)
            rc = announce(e, &batch[i], now);
        rc = rt_tx_end(e, rc);
        if (n < BATCH)
            break;
    }
    rt_free(&e->alloc, batch);
    return rc;
}
