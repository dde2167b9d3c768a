/* sec_audit.c - the post-purchase self-audit (retain_audit_run): the score
 * and the checklist, with what to add for each missing practice. */
#include "report.h"
#include "retain/audit.h"

#include <stdio.h>

int rt_sec_audit(rt_report *r)
{
    retain_audit *a = NULL;
    int rc = retain_audit_run(&a, r->e, r->o.now);
    if (rc)
        return rc;
    rt_html_section_open(r->b, "audit", "Post-purchase self-audit",
                         "The configured journeys and policies against the practices stores "
                         "are judged by, weighted by what they do for retention "
                         "(docs/audit.md).");
    rt_html_kpis_open(r->b);
    rt_numfmt count = { RT_NUM_COUNT, 0 };
    rt_html_kpi(r->b, "audit_score", "Score out of 10", retain_audit_score(a), &count);
    rt_html_kpis_close(r->b);
    static const char *const head[] = { "Practice", "Weight", "In place" };
    rt_html_table_open(r->b, "audit", head, 3);
    size_t n = retain_audit_count(a);
    for (size_t i = 0; i < n; i++) {
        struct retain_audit_item it;
        if (retain_audit_item(a, i, &it) != RETAIN_OK)
            continue;
        char weight[16];
        snprintf(weight, sizeof weight, "%d", it.weight);
        const char *cells[] = { it.title, weight, it.passed ? "yes" : "missing" };
        rt_html_table_row(r->b, cells, 3);
    }
    rt_html_table_close(r->b);
    for (size_t i = 0; i < n; i++) {
        struct retain_audit_item it;
        if (retain_audit_item(a, i, &it) != RETAIN_OK || it.passed)
            continue;
        rt_buf_puts(r->b, "<details><summary>");
        rt_html_esc(r->b, it.title);
        rt_buf_puts(r->b, "</summary><p>");
        rt_html_esc(r->b, it.detail);
        rt_buf_puts(r->b, "</p><pre>");
        rt_html_esc(r->b, it.advice);
        rt_buf_puts(r->b, "</pre></details>");
    }
    rt_html_section_close(r->b);
    retain_audit_free(a);
    return RETAIN_OK;
}
