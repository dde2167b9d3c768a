/* cli.h - shared helpers of the `retain` command-line tool. */
#ifndef RETAIN_CLI_H
#define RETAIN_CLI_H

#include <retain.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes: 0 success, 1 the operation failed, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_cmd {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(int argc, char **argv);
} cli_cmd;

/* Open DB or print why not; NULL on failure. */
retain_engine *cli_open(const char *path, bool readonly);
/* Parse a time: ms since the epoch, or an ISO date "2026-01-31" or
 * "2026-01-31T09:30:00Z". */
bool cli_parse_time(const char *s, int64_t *out);
/* "week", "month" or "quarter". */
bool cli_parse_period(const char *s, retain_period *out);
/* Parse a duration like 90s, 30m, 2h, 3d, 2w. */
bool cli_parse_duration(const char *s, int64_t *out);
/* Format ms UTC as ISO 8601. */
void cli_format_time(int64_t ms, char *buf, size_t size);
/* Does argv contain `flag`? Removes it when found. */
bool cli_flag(int *argc, char **argv, const char *flag);
/* Value of `--name VALUE`, removed from argv; NULL when absent. */
const char *cli_option(int *argc, char **argv, const char *name);

/* Parse the required `--now T`, removing it; false (with a message) when
 * it is missing or not a time. */
bool cli_need_now(int *argc, char **argv, int64_t *now);
/* 10^digits of the currency: minor units per major unit. */
double cli_minor_unit(const char *currency);

/* How `retain import` reads its rows. */
typedef struct cli_import_opts {
    bool strict;              /* stop at the first bad row */
    bool cdnow;               /* CDNOW transactions (whitespace-separated) instead of CSV */
    const char *map;          /* --map field=COLUMN,...; NULL for the defaults */
    const char *def_currency; /* currency of rows without a currency column */
    long progress_size;       /* bytes of input, to print progress; 0 for none */
} cli_import_opts;

/* Import the rows of `f` (named `fname` in messages) into `e` inside the
 * caller's transaction; bad rows are reported on `diag`. RETAIN_OK, or the
 * error that stopped the import (a bad header, a bad row with strict). */
int cli_import_rows(retain_engine *e, FILE *f, const char *fname, const cli_import_opts *o,
                    FILE *diag, long *good_out, long *bad_out);

int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_consents(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_tick(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_clv(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_audit(int argc, char **argv);

#endif
