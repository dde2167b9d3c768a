/* test_cdnow.c - import the CDNOW sample and check counts and revenue to the cent. */
#include "harness.h"
#include "util.h"
#include "cdnow.h"

int main(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "cdnow");
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    cdnow_stats st;
    CHECK_OK(e, cdnow_import(e, t_data("CDNOW_sample.txt"), 1, &st));
    CHECK_INT(st.bad_line, 0);
    retain_counts n;
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 2357);
    CHECK_INT(n.orders, 6919);
    /* The file's dollar column sums to this, computed independently with awk
     * over CDNOW_sample.txt (column 5). */
    long long file_cents = 0;
    FILE *f = fopen(t_data("CDNOW_sample.txt"), "rb");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        char a[32], b[32], d[16], dollars[32];
        int cds;
        if (sscanf(line, "%31s %31s %15s %d %31s", a, b, d, &cds, dollars) == 5) {
            double v = atof(dollars);
            file_cents += (long long)llround(v * 100.0);
        }
    }
    if (f)
        fclose(f);
    CHECK_INT(st.cents, file_cents);
    /* Revenue to date summed over every customer's stats equals the file. */
    long long stats_cents = 0;
    for (int id = 1; id <= 23570; id++) {
        char cid[16];
        snprintf(cid, sizeof cid, "%05d", id);
        retain_customer *c = NULL;
        if (retain_customer_get(&c, e, cid) != RETAIN_OK)
            continue;
        for (size_t i = 0; i < c->revenue_count; i++)
            stats_cents += c->revenue[i].amount;
        retain_customer_free(c);
    }
    CHECK_INT(stats_cents, file_cents);
    retain_engine_close(e);
    t_rmdb(path);
    printf("cdnow: %ld orders, %ld customers, $%lld.%02lld\n", st.rows, st.customers,
           st.cents / 100, st.cents % 100);
    return t_report("cdnow");
}
