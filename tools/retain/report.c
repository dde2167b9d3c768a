/* report.c - `retain report`: the HTML report of a database, written by
 * retain_report_write (include/retain/report.h). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define REPORT_USAGE "retain report DB -o FILE.html --now T [--currency USD] [--holdout-days N] " \
                     "[--period week|month|quarter] [--title TEXT]"

int cmd_report(int argc, char **argv)
{
    retain_report_options o = RETAIN_REPORT_OPTIONS_INIT;
    const char *out = cli_option(&argc, argv, "-o");
    if (!out)
        out = cli_option(&argc, argv, "--out");
    const char *hold = cli_option(&argc, argv, "--holdout-days");
    const char *period = cli_option(&argc, argv, "--period");
    o.currency = cli_option(&argc, argv, "--currency");
    o.title = cli_option(&argc, argv, "--title");
    if (!cli_need_now(&argc, argv, &o.now))
        return CLI_USAGE;
    if (hold) {
        char *end;
        long days = strtol(hold, &end, 10);
        if (*end || end == hold || days < 1 || days > 36500) {
            fprintf(stderr, "retain: --holdout-days \"%s\" is not a number of days (1 to 36500)\n",
                    hold);
            return CLI_USAGE;
        }
        o.holdout_days = (int)days;
    }
    if (period && !cli_parse_period(period, &o.period)) {
        fprintf(stderr, "retain: --period \"%s\" is not week, month or quarter\n", period);
        return CLI_USAGE;
    }
    if (argc != 2 || !out) {
        fprintf(stderr, "%susage: %s\n", argc == 2 ? "retain: -o FILE.html is required\n" : "",
                REPORT_USAGE);
        return CLI_USAGE;
    }
    retain_engine *e = cli_open(argv[1], true);
    if (!e)
        return CLI_FAIL;
    int rc = retain_report_write(e, out, &o);
    if (rc)
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
    else
        printf("wrote %s\n", out);
    retain_engine_close(e);
    return rc ? CLI_FAIL : CLI_OK;
}
