/*
 * html.c - the report's page: escaping, number formats, the page frame
 * with its inline style sheet, sections, headline figures and tables.
 * Nothing here refers to anything outside the page (no fonts, scripts or
 * style sheets from the network).
 */
#include "report.h"
#include "tz/tz.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rt_html_esc(rt_buf *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&': rt_buf_puts(b, "&amp;"); break;
        case '<': rt_buf_puts(b, "&lt;"); break;
        case '>': rt_buf_puts(b, "&gt;"); break;
        case '"': rt_buf_puts(b, "&quot;"); break;
        case '\'': rt_buf_puts(b, "&#39;"); break;
        default: rt_buf_putc(b, *p); break;
        }
    }
}

void rt_html_date(char *buf, size_t size, int64_t ms)
{
    int64_t y;
    int m, d;
    rt_civil_from_days(rt_floor_div(ms, RT_MS_PER_DAY), &y, &m, &d);
    snprintf(buf, size, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* Digits of a non-negative whole number with thousands separators. */
static void grouped(char *buf, size_t size, double whole)
{
    char raw[48];
    snprintf(raw, sizeof raw, "%.0f", whole);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
}

void rt_num_format(char *buf, size_t size, double v, const rt_numfmt *f, bool compact)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "\xe2\x80\x93");
        return;
    }
    if (f->kind == RT_NUM_PCT) {
        snprintf(buf, size, compact ? "%.0f%%" : "%.1f%%", 100.0 * v);
        return;
    }
    double scale = 1.0;
    int digits = f->kind == RT_NUM_MONEY ? f->digits : 0;
    for (int i = 0; i < digits; i++)
        scale *= 10.0;
    double a = fabs(v) / scale;
    const char *sign = v < 0 ? "-" : "";
    if (compact || f->kind == RT_NUM_REAL) {
        /* axis labels and model figures: three significant digits */
        double shown = a >= 1e6 && compact ? a / 1e6 : a >= 1e4 && compact ? a / 1e3 : a;
        const char *suffix = a >= 1e6 && compact ? "M" : a >= 1e4 && compact ? "k" : "";
        snprintf(buf, size, shown >= 100 ? "%s%.0f%s" : "%s%.3g%s", sign, shown, suffix);
        return;
    }
    double minor = floor(fabs(v) + 0.5); /* rounded to the last digit shown */
    double whole = floor(minor / scale);
    char w[48];
    grouped(w, sizeof w, whole);
    if (digits > 0)
        snprintf(buf, size, "%s%s.%0*.0f", sign, w, digits, minor - whole * scale);
    else
        snprintf(buf, size, "%s%s", sign, w);
}

/* Phone first: one column, charts as wide as the screen; figures wrap. */
static const char style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#1f2933;"
    "font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}"
    "header,main,footer{max-width:880px;margin:0 auto;padding:0 14px}"
    "header{padding-top:22px}"
    "h1{font-size:1.6rem;margin:0 0 4px}"
    "h2{font-size:1.2rem;margin:0 0 6px}"
    "h3{font-size:1rem;margin:14px 0 2px}"
    ".sub{color:#52606d;margin:0 0 14px}"
    "nav{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:.9rem;margin-bottom:8px}"
    "nav a{color:#2563eb;text-decoration:none}"
    "section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);"
    "padding:16px;margin:0 0 16px}"
    "p{overflow-wrap:anywhere}"
    "@media (max-width:500px){header,main,footer{padding:0 8px}section{padding:12px 10px}"
    "table{font-size:.82rem}th,td{padding:4px 3px}}"
    ".intro{color:#52606d;font-size:.92rem;margin:0 0 12px}"
    ".empty{background:#fef9e7;border-left:4px solid #d4a017;padding:8px 12px;margin:8px 0}"
    "figure{margin:8px 0 14px;max-width:640px}"
    "figcaption{font-size:.85rem;color:#52606d;margin:2px 0 4px}"
    "svg{display:block;width:100%;height:auto}"
    "svg text{font-size:12px;fill:#52606d}"
    "svg .grid{stroke:#e4e7eb;stroke-width:1}"
    "svg .axis{stroke:#9aa5b1;stroke-width:1}"
    "svg line.mark{stroke:#c2410c;stroke-width:1.5;stroke-dasharray:4 3}"
    "svg text.mark{fill:#c2410c}"
    "svg .bar{fill:#2563eb}"
    "svg .val{fill:#1f2933}"
    "svg .cell-t{font-size:9px;fill:#1f2933}"
    ".s0{stroke:#2563eb;fill:#2563eb}.s1{stroke:#c2410c;fill:#c2410c}"
    ".s2{stroke:#059669;fill:#059669}.s3{stroke:#7c3aed;fill:#7c3aed}"
    "svg polyline[class]{fill:none;stroke-width:2}"
    "svg polyline.s1{stroke-dasharray:6 4}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85rem;margin:4px 0}"
    ".legend i{display:inline-block;width:14px;height:3px;margin-right:5px;"
    "vertical-align:middle}"
    ".legend .s0{background:#2563eb}.legend .s1{background:#c2410c}"
    ".legend .s2{background:#059669}.legend .s3{background:#7c3aed}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}"
    ".kpi{background:#f4f5f7;border-radius:8px;padding:10px}"
    ".kpi b{display:block;font-size:1.25rem}"
    ".kpi span{font-size:.85rem;color:#52606d}"
    ".tw{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem;margin:6px 0 10px}"
    "th,td{padding:4px 6px;border-bottom:1px solid #e4e7eb;text-align:right}"
    "th:first-child,td:first-child{text-align:left}"
    "th{font-weight:600;color:#52606d}td{white-space:nowrap}td:first-child{white-space:normal}"
    "table[data-table=cohorts] td:first-child{white-space:nowrap}"
    "footer{color:#7b8794;font-size:.8rem;padding-bottom:24px}";

static const struct { const char *id, *title; } toc[] = {
    { "overview", "Overview" },     { "cohorts", "Cohorts" },   { "trend", "Over time" },
    { "ltv", "LTV" },               { "model", "BG/NBD fit" },  { "alive", "P(alive)" },
    { "rfm", "RFM segments" },
    { "journeys", "Journeys" },
};

void rt_html_page_open(rt_buf *b, const char *title, const char *subtitle)
{
    rt_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
    rt_html_esc(b, title);
    rt_buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", style);
    rt_html_esc(b, title);
    rt_buf_puts(b, "</h1>\n<p class=\"sub\">");
    rt_html_esc(b, subtitle);
    rt_buf_puts(b, "</p>\n<nav>");
    for (size_t i = 0; i < sizeof toc / sizeof toc[0]; i++)
        rt_buf_printf(b, "<a href=\"#%s\">%s</a>", toc[i].id, toc[i].title);
    rt_buf_puts(b, "</nav>\n</header>\n<main>\n");
}

void rt_html_page_close(rt_buf *b)
{
    rt_buf_printf(b, "</main>\n<footer>Written by libretain %s. Definitions: Fader &amp; "
                     "Hardie; see docs/report.md.</footer>\n</body>\n</html>\n",
                  retain_version());
}

void rt_html_section_open(rt_buf *b, const char *id, const char *title, const char *intro)
{
    rt_buf_printf(b, "<section id=\"%s\">\n<h2>", id);
    rt_html_esc(b, title);
    rt_buf_puts(b, "</h2>\n");
    if (intro) {
        rt_buf_puts(b, "<p class=\"intro\">");
        rt_html_esc(b, intro);
        rt_buf_puts(b, "</p>\n");
    }
}

void rt_html_section_close(rt_buf *b)
{
    rt_buf_puts(b, "</section>\n");
}

void rt_html_empty(rt_buf *b, const char *why)
{
    rt_buf_puts(b, "<p class=\"empty\">");
    rt_html_esc(b, why);
    rt_buf_puts(b, "</p>\n");
}

void rt_html_note(rt_buf *b, const char *text)
{
    rt_buf_puts(b, "<p>");
    rt_html_esc(b, text);
    rt_buf_puts(b, "</p>\n");
}

void rt_html_kpis_open(rt_buf *b)
{
    rt_buf_puts(b, "<div class=\"kpis\">\n");
}

void rt_html_kpi(rt_buf *b, const char *name, const char *label, double v, const rt_numfmt *f)
{
    char shown[64];
    rt_num_format(shown, sizeof shown, v, f, false);
    rt_buf_printf(b, "<div class=\"kpi\" data-metric=\"%s\" data-value=\"%.17g\"><b>", name, v);
    rt_html_esc(b, shown);
    rt_buf_puts(b, "</b><span>");
    rt_html_esc(b, label);
    rt_buf_puts(b, "</span></div>\n");
}

void rt_html_kpis_close(rt_buf *b)
{
    rt_buf_puts(b, "</div>\n");
}

static void cells(rt_buf *b, const char *tag, const char *const *c, size_t n)
{
    rt_buf_puts(b, "<tr>");
    for (size_t i = 0; i < n; i++) {
        rt_buf_printf(b, "<%s>", tag);
        rt_html_esc(b, c[i]);
        rt_buf_printf(b, "</%s>", tag);
    }
    rt_buf_puts(b, "</tr>\n");
}

void rt_html_table_open(rt_buf *b, const char *name, const char *const *head, size_t n)
{
    rt_buf_printf(b, "<div class=\"tw\"><table data-table=\"%s\">\n<thead>", name);
    cells(b, "th", head, n);
    rt_buf_puts(b, "</thead>\n<tbody>\n");
}

void rt_html_table_row(rt_buf *b, const char *const *c, size_t n)
{
    cells(b, "td", c, n);
}

void rt_html_table_close(rt_buf *b)
{
    rt_buf_puts(b, "</tbody></table></div>\n");
}
