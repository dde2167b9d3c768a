/*
 * main.c - the `retain` command-line tool: try libretain on your own data
 * from the shell.
 */
#include "cli.h"

#include <string.h>

static const cli_cmd commands[] = {
    { "init", "create a database", "retain init DB", cmd_init },
    { "import", "import orders from a CSV or CDNOW file",
      "retain import DB FILE [--format cdnow|csv] [--map customer=COL,order=COL,date=COL,"
      "total=COL,currency=COL,channel=COL,email=COL] [--currency USD] [--strict]",
      cmd_import },
    { "consents", "record consent statements from a CSV file (customer, channel, category, "
                  "status granted|revoked, at[, source])",
      "retain consents DB FILE [--source S] [--strict]", cmd_consents },
    { "lint", "check journey files", "retain lint FILE.yaml...", cmd_lint },
    { "load", "install journey files into a database", "retain load DB FILE.yaml... [--now T]",
      cmd_load },
    { "next", "the next touchpoint of a customer", "retain next DB CUSTOMER --now T [--json]",
      cmd_next },
    { "explain", "why a customer gets what they get", "retain explain DB CUSTOMER --now T",
      cmd_explain },
    { "stats", "what the database holds", "retain stats DB [--json]", cmd_stats },
    { "tick", "run the journeys, writing messages as JSON lines (channels email, sms, push, "
              "chat, whatsapp, call, webhook and those of --channels)",
      "retain tick DB --now T [--until T] [--step 1h] [--out FILE] [--channels a,b]", cmd_tick },
    { "metrics", "orders, revenue, AOV, repeat rate, LTV to date",
      "retain metrics DB --now T [--currency USD] [--cohorts week|month|quarter] [--json]",
      cmd_metrics },
    { "fit", "fit a customer-base model on the orders before --now",
      "retain fit DB --model bgnbd|pareto|mbgnbd|gg --now T [--currency USD] [--holdout DAYS] "
      "[--json]", cmd_fit },
    { "clv", "the customers of highest 12-month CLV, with P(alive)",
      "retain clv DB --now T [--currency USD] [--top N] [--json]", cmd_clv },
    { "report", "an HTML report: cohorts, LTV, BG/NBD holdout fit, RFM, journey funnels",
      "retain report DB -o FILE.html --now T [--currency USD] [--holdout-days N] "
      "[--period week|month|quarter] [--title TEXT]", cmd_report },
    { "audit", "score the post-purchase program and say what is missing",
      "retain audit DB [FILE.yaml...] --now T [--json]", cmd_audit },
};

#define NCMD (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: retain COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCMD; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nretain COMMAND --help shows a command's arguments. Times are ms since 1970 UTC\n"
               "or ISO dates (2026-01-31, 2026-01-31T09:30:00Z). Exit codes: 0 success,\n"
               "1 failure, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("retain %s\n", retain_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < NCMD; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        for (int k = 2; k < argc; k++) {
            if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
                printf("usage: %s\n%s\n", commands[i].usage, commands[i].summary);
                return CLI_OK;
            }
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "retain: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
