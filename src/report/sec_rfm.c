/* sec_rfm.c - customers per RFM segment (retain_rfm_scores_get). */
#include "report.h"

/* Display names, in the order of retain_rfm_segment. */
static const char *const names[RETAIN_SEGMENT_COUNT] = {
    "Champions",   "Loyal",           "Potential loyalists", "New",
    "Promising",   "Needs attention", "About to sleep",      "At risk",
    "Cannot lose", "Hibernating",     "Lost",
};

static void seg_label(char *buf, size_t size, size_t i, const void *ctx)
{
    (void)ctx;
    rt_copy(buf, size, names[i]);
}

int rt_sec_rfm(rt_report *r)
{
    retain_rfm_scores *s = NULL;
    int rc = retain_rfm_scores_get(&s, r->e, r->o.currency, r->o.now);
    if (rc)
        return rc;
    rt_html_section_open(r->b, "rfm", "RFM segments",
                         "Customers scored 1 to 5 on recency, frequency (purchase days) and "
                         "monetary value, and grouped by recency against frequency and value.");
    if (s->count == 0) {
        rt_html_empty(r->b, "No customer has ordered yet, so nobody has a segment.");
    } else {
        double v[RETAIN_SEGMENT_COUNT];
        for (size_t i = 0; i < RETAIN_SEGMENT_COUNT; i++)
            v[i] = (double)s->segment_customers[i];
        rt_chart c = { "rfm", "Customers per RFM segment", RETAIN_SEGMENT_COUNT, seg_label, NULL,
                       { RT_NUM_COUNT, 0 } };
        rt_svg_hbars(r->b, &c, v);
    }
    rt_html_section_close(r->b);
    retain_rfm_scores_free(s);
    return RETAIN_OK;
}
