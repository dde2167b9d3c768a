/*
 * storefront.c - the demo storefront: a small program using libretain as a
 * store's backend would. It imports the CDNOW order history into a database
 * file and reports what the store now knows.
 *
 *   storefront [CDNOW_sample.txt] [database file]
 */
#include "cdnow.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "tests/data/CDNOW_sample.txt";
    const char *db = argc > 2 ? argv[2] : "storefront-demo.db";
    unlink(db);
    retain_engine *e;
    char err[512];
    int rc = retain_engine_open_ex(&e, db, NULL, err, sizeof err);
    if (rc) {
        fprintf(stderr, "storefront: %s\n", err);
        return 1;
    }
    printf("libretain %s, database %s\n", retain_version(), db);
    cdnow_stats st;
    rc = cdnow_import(e, data, 1, &st);
    if (rc) {
        fprintf(stderr, "storefront: import of %s failed at line %ld: %s\n", data, st.bad_line,
                retain_errmsg(e));
        retain_engine_close(e);
        return 1;
    }
    retain_counts n;
    retain_engine_counts(e, &n);
    printf("imported %ld CDNOW transactions\n", st.rows);
    printf("customers: %lld\norders:    %lld\nevents:    %lld\n", (long long)n.customers,
           (long long)n.orders, (long long)n.events);
    printf("revenue:   $%lld.%02lld\n", st.cents / 100, st.cents % 100);

    /* One customer as a support agent would see them. */
    retain_customer *c;
    if (retain_customer_get(&c, e, "00004") == RETAIN_OK) {
        printf("\ncustomer %s: %lld orders, revenue %s %lld.%02lld\n", c->id,
               (long long)c->orders_count, c->revenue_count ? c->revenue[0].currency : "USD",
               c->revenue_count ? (long long)c->revenue[0].amount / 100 : 0LL,
               c->revenue_count ? (long long)c->revenue[0].amount % 100 : 0LL);
        retain_customer_free(c);
        retain_order_iter *it;
        const retain_order *o;
        if (retain_order_iter_open(&it, e, "00004") == RETAIN_OK) {
            while (retain_order_iter_next(it, &o) == RETAIN_ROW)
                printf("  order %-12s day %5lld  %s %lld.%02lld\n", o->id,
                       (long long)(o->placed_at / 86400000), o->currency,
                       (long long)o->total / 100, (long long)o->total % 100);
            retain_order_iter_free(it);
        }
    }
    retain_engine_close(e);
    return 0;
}
