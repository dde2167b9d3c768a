/*
 * cdnow.h - load the CDNOW transaction files (Hardie's CDNOW_master /
 * CDNOW_sample format) into an engine through the public API. Used by the
 * demo storefront and by the tests.
 */
#ifndef CDNOW_H
#define CDNOW_H

#include <retain.h>

typedef struct cdnow_stats {
    long rows;           /* transactions recorded as orders */
    long customers;      /* distinct customers created */
    long long cents;     /* sum of all order totals */
    long bad_line;       /* first malformed line (1-based), 0 if none */
} cdnow_stats;

/* Import `path`. `sample_format` is 1 for CDNOW_sample.txt (5 columns, no
 * header), 0 for CDNOW_master.txt (4 columns, header). Rows are grouped in
 * transactions of 1000. Returns a retain status. */
int cdnow_import(retain_engine *e, const char *path, int sample_format, cdnow_stats *stats);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
long long cdnow_days_from_civil(int y, int m, int d);

#endif
