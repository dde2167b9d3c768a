/* tick.c - `retain tick`: run the journeys from --now to --until with a
 * transport on every common channel (and those --channels names) that
 * writes each message as one JSON line, for trying journeys without a
 * provider. */
#include "cli.h"

#include <string.h>

static const char *const channels[] = { "email", "sms", "push", "chat", "whatsapp", "call",
                                        "webhook" };

static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int send_line(const retain_message *m, retain_send_result *r, void *userdata)
{
    FILE *f = userdata;
    const struct { const char *key, *value; } fields[] = {
        { "idempotency_key", m->idempotency_key }, { "customer", m->customer_id },
        { "channel", m->channel }, { "category", m->category }, { "template", m->template_id },
        { "journey", m->journey }, { "step", m->step },
    };
    fprintf(f, "{\"id\":%lld", (long long)m->id);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        fprintf(f, ",\"%s\":", fields[i].key);
        json_str(f, fields[i].value);
    }
    fprintf(f, ",\"due_at\":%lld,\"now\":%lld,\"payload\":%s}\n", (long long)m->due_at,
            (long long)m->now, m->payload_json ? m->payload_json : "null");
    if (ferror(f))
        return RETAIN_SEND_RETRY;
    snprintf(r->provider_id, sizeof r->provider_id, "retain-cli-%lld", (long long)m->id);
    return RETAIN_SEND_SENT;
}

/* The line-writing transport on `channel`. */
static int line_transport(retain_engine *e, const char *channel, FILE *f)
{
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = channel;
    t.send = send_line;
    t.userdata = f;
    return retain_transport_register(e, &t);
}

/* The common channels, then each of the comma-separated `extra`. */
static int register_all(retain_engine *e, const char *extra, FILE *f)
{
    int rc = RETAIN_OK;
    for (size_t i = 0; !rc && i < sizeof channels / sizeof channels[0]; i++)
        rc = line_transport(e, channels[i], f);
    while (!rc && extra && *extra) {
        char name[80];
        size_t n = strcspn(extra, ",");
        if (n == 0 || n >= sizeof name) {
            fprintf(stderr, "retain: --channels needs names of 1 to 64 characters, "
                            "separated by commas\n");
            return RETAIN_EINVAL;
        }
        memcpy(name, extra, n);
        name[n] = '\0';
        if ((rc = line_transport(e, name, f)))
            fprintf(stderr, "retain: --channels: %s\n", retain_errmsg(e));
        extra += n + (extra[n] == ',');
    }
    return rc;
}

static void add(retain_tick_stats *sum, const retain_tick_stats *t)
{
    sum->steps += t->steps;
    sum->instances += t->instances;
    sum->completed += t->completed;
    sum->queued += t->queued;
    sum->sent += t->sent;
    sum->retried += t->retried;
    sum->failed += t->failed;
    sum->deferred += t->deferred;
    sum->skipped += t->skipped;
}

int cmd_tick(int argc, char **argv)
{
    const char *until_s = cli_option(&argc, argv, "--until");
    const char *step_s = cli_option(&argc, argv, "--step");
    const char *out_s = cli_option(&argc, argv, "--out");
    const char *channels_s = cli_option(&argc, argv, "--channels");
    int64_t now, until, step = 3600000;
    if (!cli_need_now(&argc, argv, &now))
        return CLI_USAGE;
    until = now;
    if (until_s && (!cli_parse_time(until_s, &until) || until < now)) {
        fprintf(stderr, "retain: --until \"%s\" is not a time at or after --now\n", until_s);
        return CLI_USAGE;
    }
    if (step_s && (!cli_parse_duration(step_s, &step) || step <= 0)) {
        fprintf(stderr, "retain: --step \"%s\" is not a positive duration (90s, 30m, 1h, 1d)\n",
                step_s);
        return CLI_USAGE;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: retain tick DB --now T [--until T] [--step 1h] [--out FILE]"
                        " [--channels a,b]\n");
        return CLI_USAGE;
    }
    FILE *f = out_s ? fopen(out_s, "w") : stdout;
    if (!f) {
        perror(out_s);
        return CLI_FAIL;
    }
    retain_engine *e = cli_open(argv[1], false);
    int rc = e ? register_all(e, channels_s, f) : RETAIN_EINVAL;
    bool bad_channels = e && rc;
    retain_tick_stats sum;
    memset(&sum, 0, sizeof sum);
    int ticks = 0;
    for (int64_t t = now; !rc; t += step) {
        retain_tick_stats one;
        rc = retain_engine_tick(e, t, &one);
        if (!rc) {
            add(&sum, &one);
            ticks++;
        }
        if (t > until - step)
            break;
    }
    if (bad_channels) {
        retain_engine_close(e);
        if (out_s)
            fclose(f);
        return CLI_USAGE;
    }
    if (e && rc)
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
    if (e)
        fprintf(stderr, "%d tick%s: %lld steps, %lld instances advanced, %lld completed, "
                        "%lld queued, %lld sent, %lld retried, %lld failed, %lld deferred, "
                        "%lld skipped\n",
                ticks, ticks == 1 ? "" : "s", (long long)sum.steps, (long long)sum.instances,
                (long long)sum.completed, (long long)sum.queued, (long long)sum.sent,
                (long long)sum.retried, (long long)sum.failed, (long long)sum.deferred,
                (long long)sum.skipped);
    retain_engine_close(e);
    if (out_s && fclose(f) != 0) {
        perror(out_s);
        rc = RETAIN_EINVAL;
    } else if (!out_s) {
        fflush(stdout);
    }
    return rc ? CLI_FAIL : CLI_OK;
}
