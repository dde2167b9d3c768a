/*
 * svg.c - the report's charts as inline SVG: vertical and horizontal bars,
 * lines and a heatmap. Each chart has a fixed viewBox and is scaled to the
 * width of the screen by CSS, so it never needs horizontal scrolling.
 * Every data point is one element of class "pt" with a <title> tooltip,
 * and the <svg> says how many there are in data-n.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The coordinate system of every chart: width W, plot inset L/R/T/B. */
#define W 400.0
#define L 44.0
#define R 12.0
#define T 14.0
#define B 34.0
#define PLOT_H 170.0
#define PLOT_W (W - L - R)
#define MAX_XLABELS 6

static void open_chart(rt_buf *b, const rt_chart *c, double height, size_t points)
{
    rt_buf_puts(b, "<figure>\n<figcaption>");
    rt_html_esc(b, c->title);
    rt_buf_printf(b, "</figcaption>\n<svg data-chart=\"%s\" data-n=\"%zu\" viewBox=\"0 0 %.0f %.0f\" "
                     "role=\"img\" aria-label=\"", c->name, points, W, height);
    rt_html_esc(b, c->title);
    rt_buf_puts(b, "\">\n");
}

static void close_chart(rt_buf *b)
{
    rt_buf_puts(b, "</svg>\n</figure>\n");
}

/* <text> at (x, y) with an anchor, its content escaped. */
static void text(rt_buf *b, double x, double y, const char *anchor, const char *cls,
                 const char *s)
{
    rt_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s%s>", x, y, anchor,
                  cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    rt_html_esc(b, s);
    rt_buf_puts(b, "</text>\n");
}

/* The tooltip of a point: "label: value". */
static void tooltip(rt_buf *b, const rt_chart *c, size_t i, const char *series, double v)
{
    char label[96], shown[64];
    c->label(label, sizeof label, i, c->ctx);
    rt_num_format(shown, sizeof shown, v, &c->y, false);
    rt_buf_puts(b, "<title>");
    if (series) {
        rt_html_esc(b, series);
        rt_buf_puts(b, ", ");
    }
    rt_html_esc(b, label);
    rt_buf_puts(b, ": ");
    rt_html_esc(b, shown);
    rt_buf_puts(b, "</title>");
}

/* A round top of the value axis at or above vmax, in steps of 1, 2, 2.5
 * or 5 times a power of ten; *step receives the gridline spacing. */
static double nice_top(double vmax, double *step)
{
    if (!(vmax > 0) || !isfinite(vmax))
        vmax = 1.0;
    double raw = vmax / 4.0, p = pow(10.0, floor(log10(raw)));
    static const double mult[] = { 1.0, 2.0, 2.5, 5.0, 10.0 };
    double s = p * 10.0;
    for (size_t k = 0; k < sizeof mult / sizeof mult[0]; k++) {
        if (p * mult[k] >= raw) {
            s = p * mult[k];
            break;
        }
    }
    *step = s;
    return s * ceil(vmax / s - 1e-9);
}

static double max_of(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > m)
            m = v[i];
    return m;
}

/* Gridlines and labels of the value axis; returns its top. */
static double value_axis(rt_buf *b, const rt_chart *c, double vmax)
{
    double step, top = nice_top(vmax, &step);
    for (double g = 0.0; g <= top + step / 2; g += step) {
        double y = T + PLOT_H - g / top * PLOT_H;
        char lab[48];
        rt_num_format(lab, sizeof lab, g, &c->y, true);
        rt_buf_printf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                      L, y, W - R, y);
        text(b, L - 6, y + 4, "end", NULL, lab);
    }
    rt_buf_printf(b, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", L,
                  T + PLOT_H, W - R, T + PLOT_H);
    return top;
}

/* Category labels under the plot, at most MAX_XLABELS of them, label i at
 * x0 + i * dx. */
static void category_axis(rt_buf *b, const rt_chart *c, double x0, double dx)
{
    size_t every = (c->n + MAX_XLABELS - 1) / MAX_XLABELS;
    if (every == 0)
        every = 1;
    for (size_t i = 0; i < c->n; i += every) {
        char lab[96];
        c->label(lab, sizeof lab, i, c->ctx);
        text(b, x0 + dx * (double)i, T + PLOT_H + 16, "middle", NULL, lab);
    }
}

void rt_svg_bars(rt_buf *b, const rt_chart *c, const double *v)
{
    open_chart(b, c, T + PLOT_H + B, c->n);
    double top = value_axis(b, c, max_of(v, c->n));
    double bw = PLOT_W / (double)(c->n ? c->n : 1), gap = bw > 6 ? bw * 0.18 : 0.5;
    for (size_t i = 0; i < c->n; i++) {
        double h = isfinite(v[i]) && v[i] > 0 ? v[i] / top * PLOT_H : 0.0;
        rt_buf_printf(b, "<rect class=\"pt bar\" data-i=\"%zu\" data-v=\"%.17g\" x=\"%.2f\" "
                         "y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">",
                      i, v[i], L + bw * (double)i + gap / 2, T + PLOT_H - h, bw - gap, h);
        tooltip(b, c, i, NULL, v[i]);
        rt_buf_puts(b, "</rect>\n");
    }
    category_axis(b, c, L + bw / 2, bw);
    close_chart(b);
}

#define HB_ROW 26.0
#define HB_LABEL 138.0
#define HB_VALUE 58.0
#define HB_LABEL_MAX 20 /* bytes of a label that fit left of the bars */

/* Shorten a label that would run off the chart to HB_LABEL_MAX bytes and an
 * ellipsis, cutting between UTF-8 characters; the tooltip keeps it whole. */
static void clip_label(char *s, size_t size)
{
    size_t n = strlen(s);
    if (n <= HB_LABEL_MAX + 2 || size < HB_LABEL_MAX + 4)
        return;
    n = HB_LABEL_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(s + n, "\xe2\x80\xa6", 4);
}

void rt_svg_hbars(rt_buf *b, const rt_chart *c, const double *v)
{
    open_chart(b, c, 8 + HB_ROW * (double)c->n, c->n);
    double top = max_of(v, c->n), span = W - HB_LABEL - HB_VALUE;
    for (size_t i = 0; i < c->n; i++) {
        char lab[96], shown[64];
        double y = 4 + HB_ROW * (double)i;
        double len = top > 0 && isfinite(v[i]) ? v[i] / top * span : 0.0;
        c->label(lab, sizeof lab, i, c->ctx);
        clip_label(lab, sizeof lab);
        rt_num_format(shown, sizeof shown, v[i], &c->y, false);
        text(b, HB_LABEL - 8, y + HB_ROW / 2 + 4, "end", NULL, lab);
        rt_buf_printf(b, "<rect class=\"pt bar\" data-i=\"%zu\" data-v=\"%.17g\" x=\"%.1f\" "
                         "y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" rx=\"2\">",
                      i, v[i], HB_LABEL, y + 3, len > 0 ? len : 0.5, HB_ROW - 6);
        tooltip(b, c, i, NULL, v[i]);
        rt_buf_puts(b, "</rect>\n");
        text(b, HB_LABEL + len + 5, y + HB_ROW / 2 + 4, "start", "val", shown);
    }
    close_chart(b);
}

static size_t finite_count(const double *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += isfinite(v[i]) != 0;
    return k;
}

void rt_svg_lines(rt_buf *b, const rt_chart *c, const rt_series *s, size_t ns, double mark,
                  const char *mark_label)
{
    size_t points = 0;
    double vmax = 0.0;
    for (size_t k = 0; k < ns; k++) {
        points += finite_count(s[k].y, c->n);
        double m = max_of(s[k].y, c->n);
        vmax = m > vmax ? m : vmax;
    }
    open_chart(b, c, T + PLOT_H + B, points);
    double top = value_axis(b, c, vmax);
    double dx = c->n > 1 ? PLOT_W / (double)(c->n - 1) : 0.0;
    double x0 = c->n > 1 ? L : L + PLOT_W / 2;
    if (mark >= 0) {
        double x = x0 + dx * mark;
        rt_buf_printf(b, "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                      x, T, x, T + PLOT_H);
        bool left = x > W - 130; /* keep the label inside the chart */
        text(b, left ? x - 4 : x + 4, T + 10, left ? "end" : "start", "mark", mark_label);
    }
    for (size_t k = 0; k < ns; k++) {
        /* one polyline per run of defined values */
        bool open = false;
        for (size_t i = 0; i <= c->n; i++) {
            bool ok = i < c->n && isfinite(s[k].y[i]);
            if (ok && !open)
                rt_buf_printf(b, "<polyline class=\"s%zu\" points=\"", k % 4);
            if (ok)
                rt_buf_printf(b, "%.1f,%.1f ", x0 + dx * (double)i,
                              T + PLOT_H - s[k].y[i] / top * PLOT_H);
            if (!ok && open)
                rt_buf_puts(b, "\"/>\n");
            open = ok;
        }
        for (size_t i = 0; i < c->n; i++) {
            if (!isfinite(s[k].y[i]))
                continue;
            rt_buf_printf(b, "<circle class=\"pt s%zu\" data-i=\"%zu\" data-v=\"%.17g\" "
                             "cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\">",
                          k % 4, i, s[k].y[i], x0 + dx * (double)i,
                          T + PLOT_H - s[k].y[i] / top * PLOT_H);
            tooltip(b, c, i, s[k].name, s[k].y[i]);
            rt_buf_puts(b, "</circle>\n");
        }
    }
    category_axis(b, c, x0, dx);
    close_chart(b);
    rt_buf_puts(b, "<div class=\"legend\">");
    for (size_t k = 0; k < ns; k++) {
        rt_buf_printf(b, "<span><i class=\"s%zu\"></i>", k % 4);
        rt_html_esc(b, s[k].name);
        rt_buf_puts(b, "</span>");
    }
    rt_buf_puts(b, "</div>\n");
}

#define HM_LABEL 60.0
#define HM_HEAD 18.0
#define HM_ROW 20.0

void rt_svg_heat(rt_buf *b, const rt_chart *c, size_t cols, const double *cells,
                 rt_label_fn col_label)
{
    open_chart(b, c, T + HM_HEAD + HM_ROW * (double)c->n + 4, finite_count(cells, c->n * cols));
    double cw = (W - HM_LABEL - R) / (double)(cols ? cols : 1);
    size_t every = cols / 12 + 1;
    for (size_t k = 0; k < cols; k += every) {
        char lab[32];
        col_label(lab, sizeof lab, k, c->ctx);
        text(b, HM_LABEL + cw * ((double)k + 0.5), T + 10, "middle", NULL, lab);
    }
    for (size_t r = 0; r < c->n; r++) {
        char lab[96];
        double y = T + HM_HEAD + HM_ROW * (double)r;
        c->label(lab, sizeof lab, r, c->ctx);
        text(b, HM_LABEL - 6, y + HM_ROW / 2 + 4, "end", NULL, lab);
        for (size_t k = 0; k < cols; k++) {
            double v = cells[r * cols + k];
            if (!isfinite(v))
                continue;
            /* square root: the small shares of later periods stay visible */
            double t = sqrt(v < 0 ? 0 : v > 1 ? 1 : v);
            int red = (int)(238 - t * 208), green = (int)(242 - t * 178), blue = (int)(255 - t * 80);
            char shown[32];
            rt_num_format(shown, sizeof shown, v, &c->y, true);
            rt_buf_printf(b, "<rect class=\"pt\" data-i=\"%zu\" data-k=\"%zu\" data-v=\"%.17g\" "
                             "x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                             "fill=\"rgb(%d,%d,%d)\"><title>",
                          r, k, v, HM_LABEL + cw * (double)k, y, cw - 1, HM_ROW - 1, red, green,
                          blue);
            rt_html_esc(b, lab);
            rt_buf_printf(b, ", +%zu: ", k);
            rt_html_esc(b, shown);
            rt_buf_puts(b, "</title></rect>\n");
            if (cw >= 22)
                rt_buf_printf(b, "<text class=\"cell-t\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"%s>"
                                 "%s</text>\n",
                              HM_LABEL + cw * ((double)k + 0.5), y + HM_ROW / 2 + 3,
                              t > 0.6 ? " style=\"fill:#fff\"" : "", shown);
        }
    }
    close_chart(b);
}
