/*
 * checks.c - the practices of a post-purchase program, one check each:
 * what counts as having it (docs/audit.md says the same in prose), its
 * weight in the score, and the advice that adds it when it is missing.
 * The journey snippets in the advice install as they are (the audit suite
 * loads each one and checks that it turns its own item on).
 */
#include "audit.h"

#include <string.h>

/* ---- small helpers ------------------------------------------------------- */

static bool is_cat(const au_send *s, const char *cat)
{
    return s->step->u.send.category && !strcmp(s->step->u.send.category, cat);
}

static bool has(const au_send *s, au_event ev)
{
    return (s->after >> ev) & 1u;
}

static bool triggered_by(const jr_journey *j, au_event ev)
{
    return j->trigger_event && !strcmp(j->trigger_event, au_event_names[ev]);
}

/* "; " between the parts of a detail. */
static void sep(rt_buf *b)
{
    if (b->len)
        rt_buf_puts(b, "; ");
}

static void put_send(rt_buf *b, const au_send *s)
{
    rt_buf_printf(b, "%s/%s (%s %s, %s)", s->journey->name, s->step->id,
                  s->step->u.send.channel ? s->step->u.send.channel : "?",
                  s->step->u.send.template_id ? s->step->u.send.template_id : "?",
                  s->step->u.send.category ? s->step->u.send.category : "?");
}

/* The first send matching `pred`, or NULL. */
static const au_send *first(const au_facts *f, bool (*pred)(const au_send *, const void *),
                            const void *arg)
{
    for (int i = 0; i < f->nsends; i++)
        if (pred(&f->sends[i], arg))
            return &f->sends[i];
    return NULL;
}

/* List every send matching `pred` into the detail; returns how many. */
static int list(const au_facts *f, rt_buf *d, bool (*pred)(const au_send *, const void *),
                const void *arg)
{
    int n = 0;
    for (int i = 0; i < f->nsends; i++) {
        if (!pred(&f->sends[i], arg))
            continue;
        sep(d);
        put_send(d, &f->sends[i]);
        n++;
    }
    return n;
}

/* Pass with the matching sends in the detail, or say `none` and advise. */
static int sends_or_advice(const au_facts *f, rt_buf *d, rt_buf *adv,
                           bool (*pred)(const au_send *, const void *), const void *arg,
                           const char *suffix, const char *none, const char *advice)
{
    if (list(f, d, pred, arg)) {
        rt_buf_puts(d, suffix);
        return 1;
    }
    rt_buf_puts(d, none);
    rt_buf_puts(adv, advice);
    return 0;
}

static const char *const feedback_words[] = { "feedback", "review", "survey", "rating", "nps",
                                              NULL };
static const char *const care_words[] = { "care", "tip", "guide", "howto", "how_to", "welcome",
                                          "onboard", "activat", "manual", "video", NULL };

/* ---- confirmation -------------------------------------------------------- */

static bool confirms(const au_send *s, const void *arg)
{
    bool want_immediate = *(const bool *)arg;
    return triggered_by(s->journey, AU_PLACED) && is_cat(s, "transactional") &&
           s->immediate == want_immediate;
}

static int check_confirmation(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    bool yes = true, no = false;
    int n = list(f, d, confirms, &yes);
    if (n) {
        rt_buf_puts(d, " at once on order.placed");
        return 1;
    }
    if (list(f, d, confirms, &no))
        rt_buf_puts(d, ": transactional on order.placed, but only after a wait");
    else
        rt_buf_puts(d, "no journey on order.placed sends a transactional message");
    rt_buf_puts(adv,
                "Confirm every order the moment it is placed: a journey triggered by order.placed "
                "whose first step is a transactional send, with no wait before it (if something "
                "must wait, send the confirmation first and say why).\n\n"
                "journey: order-confirmation\n"
                "trigger: order.placed\n"
                "steps:\n"
                "  - id: confirm\n"
                "    send: { channel: email, template: order_confirmation, category: transactional }\n");
    return 0;
}

/* ---- shipping updates ---------------------------------------------------- */

static bool update_on(const au_send *s, const void *arg)
{
    return has(s, *(const au_event *)arg) && is_cat(s, "transactional");
}

static int check_shipping(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    static const au_event evs[] = { AU_SHIPPED, AU_OUT_FOR_DELIVERY, AU_DELIVERED };
    bool shipped = false;
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        const au_send *s = first(f, update_on, &evs[i]);
        sep(d);
        rt_buf_printf(d, "%s: ", au_event_names[evs[i]]);
        if (s)
            put_send(d, s);
        else
            rt_buf_puts(d, "no transactional message");
        shipped |= s && evs[i] == AU_SHIPPED;
    }
    if (shipped)
        return 1;
    rt_buf_puts(adv,
                "Tell the customer when the parcel leaves, with the carrier and tracking link "
                "(the payload carries them): a transactional send after shipment.shipped, either "
                "in the order's journey (wait_for: { event: shipment.shipped, timeout: 3d }) or "
                "in a journey of its own; shipment.out_for_delivery and shipment.delivered work "
                "the same way.\n\n"
                "journey: shipping-updates\n"
                "trigger: shipment.shipped\n"
                "steps:\n"
                "  - id: shipped\n"
                "    send: { channel: email, template: order_shipped, category: transactional }\n");
    return 0;
}

/* ---- proactive delay notice ---------------------------------------------- */

static bool after_event(const au_send *s, const void *arg)
{
    return has(s, *(const au_event *)arg);
}

static int check_delay(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    au_event ev = AU_DELAYED;
    if (sends_or_advice(
            f, d, adv, after_event, &ev, " on shipment.delayed", "no message on shipment.delayed",
            "Warn the customer before they have to ask: shipment.delayed is raised when a "
            "shipment passes its promised date undelivered or the carrier reports an "
            "exception; a journey on it sends an apology with the new ETA (a compensation "
            "coupon is optional).\n\n"
            "journey: delay-notice\n"
            "trigger: shipment.delayed\n"
            "steps:\n"
            "  - id: notice\n"
            "    send: { channel: email, template: delivery_delayed, category: transactional }\n"))
        return 1;
    /* A notice sent when a wait for the shipment times out is a guess from a
     * fixed delay, not from the promised date: say so, it is close. */
    for (int i = 0; i < f->njourneys; i++) {
        const jr_journey *j = f->journeys[i];
        for (int k = 0; k < j->nsteps; k++) {
            const jr_step *s = &j->steps[k];
            if (s->kind != JR_WAIT_FOR || s->u.wait_for.on_timeout < 0 ||
                strncmp(s->u.wait_for.event, "shipment.", 9))
                continue;
            const jr_step *t = &j->steps[s->u.wait_for.on_timeout];
            if (t->kind == JR_SEND)
                rt_buf_printf(d, "; %s/%s sends %s when the wait for %s times out (a fixed "
                              "delay, not the promised date)", j->name, t->id,
                              t->u.send.template_id, s->u.wait_for.event);
        }
    }
    return 0;
}

/* ---- care tips and onboarding -------------------------------------------- */

static bool care(const au_send *s, const void *arg)
{
    (void)arg;
    if (!has(s, AU_DELIVERED) || au_send_is(s, feedback_words))
        return false;
    return !is_cat(s, "transactional") || au_send_is(s, care_words);
}

static int check_care(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    return sends_or_advice(
        f, d, adv, care, NULL, " after shipment.delivered",
        "nothing after shipment.delivered but status or feedback messages",
        "Help the customer enjoy what they bought: after shipment.delivered, send care "
        "tips, a product guide or a welcome / activation message (a video link).\n\n"
        "journey: care-tips\n"
        "trigger: shipment.delivered\n"
        "steps:\n"
        "  - id: tips\n"
        "    wait: 2d\n"
        "    send: { channel: email, template: care_tips, category: service }\n");
}

/* ---- feedback request and acknowledgement -------------------------------- */

static bool asks_feedback(const au_send *s, const void *arg)
{
    (void)arg;
    return has(s, AU_DELIVERED) && au_send_is(s, feedback_words);
}

static int check_feedback(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    au_event ev = AU_FEEDBACK;
    const au_send *ask = first(f, asks_feedback, NULL), *ack = first(f, after_event, &ev);
    rt_buf_puts(d, "request after delivery: ");
    if (ask)
        put_send(d, ask);
    else
        rt_buf_puts(d, "none");
    rt_buf_puts(d, "; acknowledgement on feedback.received: ");
    if (ack)
        put_send(d, ack);
    else
        rt_buf_puts(d, "none");
    if (ask && ack)
        return 1;
    if (!ask)
        rt_buf_puts(adv, "Ask how it went once the order has arrived: a feedback request (rate "
                         "1 to 10) some days after shipment.delivered. ");
    if (!ack)
        rt_buf_puts(adv, "Answer every reply: a journey on feedback.received thanks the customer "
                         "and hands a low score to a person.");
    rt_buf_puts(adv, "\n\n");
    if (!ask)
        rt_buf_puts(adv,
                    "journey: feedback-request\n"
                    "trigger: shipment.delivered\n"
                    "steps:\n"
                    "  - id: ask\n"
                    "    wait: 5d\n"
                    "    send: { channel: email, template: feedback_request, category: feedback }\n");
    if (!ask && !ack)
        rt_buf_puts(adv, "---\n");
    if (!ack)
        rt_buf_puts(adv,
                    "journey: feedback-thanks\n"
                    "trigger: feedback.received\n"
                    "entry: always\n"
                    "steps:\n"
                    "  - id: low\n"
                    "    branch:\n"
                    "      - when: 'event.props.rating <= 6'\n"
                    "        goto: call\n"
                    "      - else: thanks\n"
                    "  - id: call\n"
                    "    task: { kind: call, note: \"A low rating: call the customer\" }\n"
                    "  - id: thanks\n"
                    "    send: { channel: email, template: feedback_thanks, category: transactional }\n");
    return 0;
}

/* ---- returns and refunds ------------------------------------------------- */

static bool status_message(const au_send *s, const void *arg)
{
    au_event ev = *(const au_event *)arg;
    return triggered_by(s->journey, ev) && s->immediate;
}

static int check_returns(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    static const au_event evs[] = { AU_RETURNED, AU_REFUNDED };
    static const char *const snippets[] = {
        "journey: return-received\n"
        "trigger: order.returned\n"
        "steps:\n"
        "  - id: notice\n"
        "    send: { channel: email, template: return_received, category: transactional }\n",
        "journey: refund-issued\n"
        "trigger: order.refunded\n"
        "steps:\n"
        "  - id: notice\n"
        "    send: { channel: email, template: refund_issued, category: transactional }\n",
    };
    const au_send *got[2];
    for (int i = 0; i < 2; i++) {
        got[i] = first(f, status_message, &evs[i]);
        sep(d);
        rt_buf_printf(d, "%s: ", au_event_names[evs[i]]);
        if (got[i])
            put_send(d, got[i]);
        else
            rt_buf_puts(d, "no message at once");
    }
    if (got[0] && got[1])
        return 1;
    rt_buf_puts(adv, "Tell the customer at once where their return or refund stands: journeys "
                     "triggered by order.returned and order.refunded whose first step is a "
                     "transactional send.\n\n");
    for (int i = 0, n = 0; i < 2; i++) {
        if (got[i])
            continue;
        if (n++)
            rt_buf_puts(adv, "---\n");
        rt_buf_puts(adv, snippets[i]);
    }
    return 0;
}

/* ---- replenishment ------------------------------------------------------- */

static int check_replenishment(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    au_event ev = AU_REPLENISH;
    return sends_or_advice(
        f, d, adv, after_event, &ev, " on replenishment.due", "no message on replenishment.due",
        "Remind the customer before they run out: replenishment.due comes about one "
        "consumption cycle after an order of a consumable SKU (configured per SKU or "
        "learned from its repurchase intervals); a journey on it sends the reminder.\n\n"
        "journey: replenishment\n"
        "trigger: replenishment.due\n"
        "steps:\n"
        "  - id: remind\n"
        "    send: { channel: email, template: replenish_reminder, category: marketing }\n");
}

/* ---- recommendations and coupons ----------------------------------------- */

static int missing_step(rt_buf *d, rt_buf *adv, const char *kind, const char *advice)
{
    rt_buf_printf(d, "no journey has a %s step", kind);
    rt_buf_puts(adv, advice);
    return 0;
}

static int check_recommendations(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    int n = 0;
    for (int i = 0; i < f->njourneys; i++) {
        const jr_journey *j = f->journeys[i];
        for (int k = 0; k < j->nsteps; k++) {
            if (j->steps[k].kind != JR_RECOMMEND)
                continue;
            sep(d);
            rt_buf_printf(d, "%s/%s recommends %d product%s", j->name, j->steps[k].id,
                          j->steps[k].u.recommend.count,
                          j->steps[k].u.recommend.count == 1 ? "" : "s");
            n++;
        }
    }
    if (n)
        return 1;
    return missing_step(d, adv, "recommend",
                        "Suggest what goes with the purchase: some time after the order, a recommend: step "
                        "puts the products most often bought together with what the customer "
                        "owns into the payload of the later sends (retain_recommend_build() "
                        "learns them from co-purchases).\n\n"
                        "journey: recommendations\n"
                        "trigger: order.placed\n"
                        "steps:\n"
                        "  - id: pick\n"
                        "    wait: 14d\n"
                        "    recommend: { count: 3 }\n"
                        "  - id: suggest\n"
                        "    send: { channel: email, template: goes_well_with, category: marketing }\n");
}

static int check_coupon(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    int n = 0;
    for (int i = 0; i < f->njourneys; i++) {
        const jr_journey *j = f->journeys[i];
        for (int k = 0; k < j->nsteps; k++) {
            if (j->steps[k].kind != JR_COUPON)
                continue;
            sep(d);
            rt_buf_printf(d, "%s/%s issues a code of campaign %s", j->name, j->steps[k].id,
                          j->steps[k].u.coupon.campaign);
            n++;
        }
    }
    if (n)
        return 1;
    return missing_step(d, adv, "coupon",
                        "Give codes that work: define a campaign (retain_coupon_campaign_define() "
                        "or examples/coupons/campaigns.yaml), then a coupon: step issues a unique "
                        "code and validates it before the message that carries it is sent; "
                        "on_invalid names the step to take when no working code can be given "
                        "(docs/audit.md#recommendations-and-coupon, docs/domain.md).");
}

/* ---- consent, quiet hours and frequency caps ----------------------------- */

/* Channels that interrupt: they need quiet hours at night. */
static bool interrupts(const char *channel)
{
    static const char *const v[] = { "sms", "mms", "push", "call", "voice", "whatsapp", NULL };
    for (size_t i = 0; v[i]; i++)
        if (!strcmp(v[i], channel))
            return true;
    return false;
}

static bool has_quiet(const rt_policy *p, const char *channel)
{
    for (int i = 0; i < p->nquiet; i++)
        if (!strcmp(p->quiet[i].channel, channel))
            return true;
    return false;
}

static bool has_cap(const rt_policy *p, const char *channel)
{
    for (int i = 0; i < p->ncaps; i++)
        if (!strcmp(p->caps[i].channel, channel))
            return true;
    return false;
}

/* Whether an earlier send already raised the same (channel, category). */
static bool seen_before(const au_facts *f, int i, bool with_category)
{
    const jr_step *s = f->sends[i].step;
    for (int k = 0; k < i; k++) {
        const jr_step *t = f->sends[k].step;
        if (!strcmp(s->u.send.channel, t->u.send.channel) &&
            (!with_category || !strcmp(s->u.send.category, t->u.send.category)))
            return true;
    }
    return false;
}

static int check_policy(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    const rt_policy *p = f->policy;
    int64_t granted = 0;
    int rc = as_consent_granted(f->e, NULL, NULL, &granted);
    if (rc)
        return rc;
    bool ok = granted > 0 && p->nquiet > 0 && p->ncaps > 0;
    rt_buf_printf(d, "%lld customer%s with consent on record, quiet hours on %d channel%s, "
                  "%d frequency cap%s", (long long)granted, granted == 1 ? "" : "s", p->nquiet,
                  p->nquiet == 1 ? "" : "s", p->ncaps, p->ncaps == 1 ? "" : "s");
    if (!granted)
        rt_buf_puts(adv, "Record consent where customers give it (checkout, preference centre); "
                         "without it every non-transactional message is skipped:\n"
                         "  retain_consent_set(e, customer_id, \"email\", \"marketing\", "
                         "RETAIN_CONSENT_GRANTED, now, \"checkout\");\n");
    if (!p->nquiet)
        rt_buf_puts(adv, "Keep the night quiet on the channels that interrupt:\n"
                         "  retain_policy_quiet_hours_set(e, \"sms\", 21 * 60, 8 * 60);\n");
    if (!p->ncaps)
        rt_buf_puts(adv, "Cap how often a customer hears from you:\n"
                         "  retain_policy_cap_set(e, \"email\", \"marketing\", 3, 7 * 86400000LL);\n");
    for (int i = 0; i < f->nsends; i++) {
        const jr_step *s = f->sends[i].step;
        const char *ch = s->u.send.channel, *cat = s->u.send.category;
        bool transactional = !strcmp(cat, "transactional");
        if (!transactional && !seen_before(f, i, true)) {
            int64_t n = 0;
            if ((rc = as_consent_granted(f->e, ch, cat, &n)))
                return rc;
            if (n == 0 && granted > 0) {
                ok = false;
                rt_buf_printf(d, "; nobody has consented to %s/%s (%s/%s sends it)", ch, cat,
                              f->sends[i].journey->name, s->id);
                rt_buf_printf(adv, "Ask for %s consent for %s messages, or %s/%s is always "
                              "skipped:\n  retain_consent_set(e, customer_id, \"%s\", \"%s\", "
                              "RETAIN_CONSENT_GRANTED, now, \"preferences\");\n",
                              ch, cat, f->sends[i].journey->name, s->id, ch, cat);
            }
        }
        if (seen_before(f, i, false))
            continue;
        if (interrupts(ch) && !has_quiet(p, ch)) {
            ok = false;
            rt_buf_printf(d, "; %s has no quiet hours", ch);
            rt_buf_printf(adv, "Give %s quiet hours (local time, 21:00 to 08:00):\n"
                          "  retain_policy_quiet_hours_set(e, \"%s\", 21 * 60, 8 * 60);\n", ch, ch);
        }
    }
    for (int i = 0; i < f->nsends; i++) {
        const jr_step *s = f->sends[i].step;
        const char *ch = s->u.send.channel;
        if (!strcmp(s->u.send.category, "transactional") || has_cap(p, ch))
            continue;
        bool dup = false; /* one line per channel */
        for (int k = 0; k < i && !dup; k++)
            dup = !strcmp(f->sends[k].step->u.send.channel, ch) &&
                  strcmp(f->sends[k].step->u.send.category, "transactional");
        if (dup)
            continue;
        ok = false;
        rt_buf_printf(d, "; %s has no frequency cap (%s/%s sends %s there)", ch,
                      f->sends[i].journey->name, s->id, s->u.send.category);
        rt_buf_printf(adv, "Cap the %s messages that are not transactional:\n"
                      "  retain_policy_cap_set(e, \"%s\", \"all\", 2, 7 * 86400000LL);\n", ch, ch);
    }
    return ok ? 1 : 0;
}

/* ---- marketplace compliance ---------------------------------------------- */

/* Sales channels that are marketplaces with their own messaging rules. */
static bool marketplace(const char *channel)
{
    static const char *const v[] = {
        "amazon", "ebay", "etsy", "walmart", "zalando", "otto", "kaufland", "cdiscount", "bol",
        "allegro", "mercadolibre", "mercadolivre", "rakuten", "aliexpress", "temu", "shein",
        "wayfair", "newegg", "target", "fnac", "manomano", "flipkart", "shopee", "lazada",
        "tiktok", "noon", "trendyol", "wish", NULL,
    };
    for (size_t i = 0; v[i]; i++) {
        size_t n = strlen(v[i]);
        if (!strncmp(channel, v[i], n) &&
            (channel[n] == '\0' || channel[n] == '-' || channel[n] == '_' || channel[n] == '.'))
            return true;
    }
    return false;
}

typedef struct mp_walk {
    const au_facts *f;
    rt_buf *d, *adv;
    int channels, ungoverned;
} mp_walk;

static int mp_channel(const char *channel, int64_t orders, void *ctx)
{
    mp_walk *w = ctx;
    const rt_profile *pr = rt_profile_for(w->f->policy, channel);
    bool governed = pr && strcmp(pr->name, "default");
    w->channels++;
    sep(w->d);
    rt_buf_printf(w->d, "%s (%lld order%s): ", channel, (long long)orders, orders == 1 ? "" : "s");
    if (governed)
        rt_buf_printf(w->d, "profile %s%s", pr->name, pr->builtin ? " (built in)" : "");
    else if (marketplace(channel))
        rt_buf_puts(w->d, "a marketplace without a profile");
    else
        rt_buf_puts(w->d, "own channel");
    if (governed || !marketplace(channel))
        return RETAIN_OK;
    w->ungoverned++;
    rt_buf_printf(w->adv,
                  "Orders come from %s, but no marketplace profile governs them, so they get "
                  "what web orders get. Write its rules as a profile (examples/policies/amazon.yaml "
                  "is one) and load it with retain_policy_profile_load_file():\n\n"
                  "profile: %s\n"
                  "description: %s messaging rules\n"
                  "sales_channels: [\"%s\"]\n"
                  "allow_categories: [transactional, service, feedback]\n",
                  channel, channel, channel, channel);
    return RETAIN_OK;
}

static int check_marketplace(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    mp_walk w = { f, d, adv, 0, 0 };
    int rc = as_order_channels(f->e, mp_channel, &w);
    if (rc)
        return rc;
    if (w.channels == 0) {
        rt_buf_puts(d, "no orders recorded, so no sales channel to check");
        rt_buf_puts(adv, "Record orders with the channel they came from (order.channel: web, "
                         "pos, amazon, ebay ...) so that marketplace orders get their "
                         "marketplace's rules: retain_order_record(), or retain import for "
                         "past orders.");
        return 0;
    }
    return w.ungoverned == 0;
}

/* ---- measured retention -------------------------------------------------- */

#define AU_MIN_CUSTOMERS 100
#define AU_MIN_HISTORY_MS (90 * 86400000LL)

static int check_measured(const au_facts *f, rt_buf *d, rt_buf *adv)
{
    const as_history *h = &f->history;
    int64_t span = h->orders ? f->now - h->first_at : 0;
    bool history = h->customers >= AU_MIN_CUSTOMERS && span >= AU_MIN_HISTORY_MS;
    rt_buf_printf(d, "%lld customer%s with orders over %lld day%s", (long long)h->customers,
                  h->customers == 1 ? "" : "s", (long long)(span / 86400000LL),
                  span / 86400000LL == 1 ? "" : "s");
    const au_measured *m = NULL;
    for (int i = 0; i < f->nmeasured && !m; i++)
        if (f->measured[i].split)
            m = &f->measured[i];
    if (m) {
        rt_buf_printf(d, "; %s has goal %s and a %d%% holdout at step %s", m->journey->name,
                      m->journey->goal_event, m->holdout_pct, m->split->id);
    } else {
        for (int i = 0; i < f->nmeasured; i++)
            rt_buf_printf(d, "; %s has goal %s but no holdout group", f->measured[i].journey->name,
                          f->measured[i].journey->goal_event);
        if (!f->nmeasured)
            rt_buf_puts(d, "; no journey has a goal");
    }
    if (history && m)
        return 1;
    if (!history)
        rt_buf_printf(adv, "Give the measurements something to stand on: at least %d customers "
                           "with orders over at least %lld days (retain import DB orders.csv, or "
                           "retain_order_record() for past orders). ",
                      AU_MIN_CUSTOMERS, AU_MIN_HISTORY_MS / 86400000LL);
    if (!m)
        rt_buf_puts(adv,
                    "Give a journey a goal and keep a holdout group that gets nothing, so that "
                    "its lift is measured rather than assumed (docs/metrics.md).\n\n"
                    "journey: second-order\n"
                    "trigger: order.placed\n"
                    "goal: { event: order.placed, within: 60d }\n"
                    "steps:\n"
                    "  - id: split\n"
                    "    split: { nudge: 90, holdout: 10 }\n"
                    "  - id: nudge\n"
                    "    wait: 30d\n"
                    "    send: { channel: email, template: second_order_nudge, category: marketing }\n");
    return 0;
}

/* ---- the table ----------------------------------------------------------- */

/* Weights add up to 100; why each weighs what it does is in docs/audit.md. */
const au_check au_checks[] = {
    { "confirmation", "Instant order confirmation", 15, check_confirmation },
    { "shipping", "Shipping and tracking updates", 10, check_shipping },
    { "delay", "Proactive delay notice", 10, check_delay },
    { "care", "Care tips or onboarding after delivery", 8, check_care },
    { "feedback", "Feedback request, and every answer acknowledged", 10, check_feedback },
    { "returns", "Return and refund status messages", 8, check_returns },
    { "replenishment", "Replenishment reminders", 7, check_replenishment },
    { "recommendations", "Complementary product recommendations", 6, check_recommendations },
    { "coupon", "Unique coupons that are validated before sending", 6, check_coupon },
    { "policy", "Consent, quiet hours and frequency caps", 8, check_policy },
    { "marketplace", "Marketplace rules for marketplace orders", 6, check_marketplace },
    { "measured", "Retention measured: history, goals and holdout groups", 6, check_measured },
};
const int au_ncheck = (int)(sizeof au_checks / sizeof au_checks[0]);

int au_score(int passed_weight, int total_weight)
{
    if (total_weight <= 0)
        return 1;
    return 1 + 9 * passed_weight / total_weight;
}
