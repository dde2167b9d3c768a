/* commands.c - init, lint, load, next, explain and stats. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int need(int argc, int n, const char *usage)
{
    if (argc < n) {
        fprintf(stderr, "usage: %s\n", usage);
        return 0;
    }
    return 1;
}

int cmd_init(int argc, char **argv)
{
    if (!need(argc, 2, "retain init DB"))
        return CLI_USAGE;
    retain_engine *e = cli_open(argv[1], false);
    if (!e)
        return CLI_FAIL;
    printf("%s: libretain database, schema version %d\n", argv[1], retain_schema_version());
    retain_engine_close(e);
    return CLI_OK;
}

static void print_diags(const char *file, const retain_diag *d, size_t n, size_t cap)
{
    for (size_t i = 0; i < n && i < cap; i++)
        fprintf(stderr, "%s:%d:%d: %s\n", file, d[i].line, d[i].column, d[i].message);
    if (n > cap)
        fprintf(stderr, "%s: %zu more errors\n", file, n - cap);
}

/* A marketplace profile names itself with a top-level `profile:` key; anything
 * else is a journey file. Only the start of the file is looked at. */
static bool is_profile(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;   /* the loader reports the error */
    char line[512];
    bool found = false;
    for (int n = 0; !found && n < 200 && fgets(line, sizeof line, f); n++)
        found = !strncmp(line, "profile:", 8);
    fclose(f);
    return found;
}

/* Load journey files and marketplace profiles into `e`; returns the number
 * of files that failed. */
static int load_files(retain_engine *e, int nfiles, char **files, int64_t now)
{
    int failed = 0;
    for (int i = 0; i < nfiles; i++) {
        retain_diag d[50];
        size_t n = 0;
        int rc;
        if (is_profile(files[i])) {
            rc = retain_policy_profile_load_file(e, files[i], now, &d[0]);
            n = rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT;
        } else {
            rc = retain_journeys_load_file(e, files[i], now, d, 50, &n);
        }
        if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT)
            print_diags(files[i], d, n, 50);
        else if (rc)
            fprintf(stderr, "%s: %s\n", files[i], retain_errmsg(e));
        failed += rc != RETAIN_OK;
    }
    return failed;
}

int cmd_lint(int argc, char **argv)
{
    if (!need(argc, 2, "retain lint FILE.yaml..."))
        return CLI_USAGE;
    /* Check against a scratch database so nothing real changes. */
    retain_engine *e = cli_open(":memory:", false);
    if (!e)
        return CLI_FAIL;
    int failed = load_files(e, argc - 1, argv + 1, 0);
    retain_engine_close(e);
    if (!failed)
        printf("%d file%s OK\n", argc - 1, argc == 2 ? "" : "s");
    return failed ? CLI_FAIL : CLI_OK;
}

int cmd_load(int argc, char **argv)
{
    const char *now_s = cli_option(&argc, argv, "--now");
    if (!need(argc, 3, "retain load DB FILE.yaml... [--now T]"))
        return CLI_USAGE;
    int64_t now = 0;
    if (now_s && !cli_parse_time(now_s, &now)) {
        fprintf(stderr, "retain: --now \"%s\" is not a time\n", now_s);
        return CLI_USAGE;
    }
    retain_engine *e = cli_open(argv[1], false);
    if (!e)
        return CLI_FAIL;
    int failed = load_files(e, argc - 2, argv + 2, now);
    retain_engine_close(e);
    return failed ? CLI_FAIL : CLI_OK;
}

int cmd_next(int argc, char **argv)
{
    bool json = cli_flag(&argc, argv, "--json");
    int64_t now;
    if (!cli_need_now(&argc, argv, &now))
        return CLI_USAGE;
    if (!need(argc, 3, "retain next DB CUSTOMER --now T [--json]"))
        return CLI_USAGE;
    retain_engine *e = cli_open(argv[1], false);
    if (!e)
        return CLI_FAIL;
    retain_touchpoint tp;
    int rc = retain_customer_next(&tp, e, argv[2], now);
    if (rc) {
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
        retain_engine_close(e);
        return CLI_FAIL;
    }
    static const char *const outlooks[] = { "none", "send", "defer", "suppress" };
    char due[32], send[32];
    cli_format_time(tp.due_at, due, sizeof due);
    cli_format_time(tp.send_at, send, sizeof send);
    if (json) {
        printf("{\"outlook\":\"%s\"", outlooks[tp.outlook]);
        if (tp.outlook)
            printf(",\"journey\":\"%s\",\"step\":\"%s\",\"channel\":\"%s\",\"template\":\"%s\","
                   "\"due_at\":%lld,\"send_at\":%lld",
                   tp.journey, tp.step, tp.channel, tp.template_id, (long long)tp.due_at,
                   (long long)tp.send_at);
        printf("}\n");
    } else if (tp.outlook == RETAIN_OUTLOOK_NONE) {
        printf("%s: nothing planned\n", argv[2]);
    } else {
        printf("%s: %s via %s (%s, step %s of %s v%d) due %s", argv[2], tp.template_id, tp.channel,
               tp.category, tp.step, tp.journey, tp.version, due);
        if (tp.outlook == RETAIN_OUTLOOK_DEFER)
            printf(", deferred to %s", send);
        if (tp.outlook == RETAIN_OUTLOOK_SUPPRESS)
            printf(", suppressed");
        if (tp.reason[0])
            printf(" (%s)", tp.reason);
        printf("\n");
    }
    retain_engine_close(e);
    return CLI_OK;
}

int cmd_explain(int argc, char **argv)
{
    int64_t now;
    if (!cli_need_now(&argc, argv, &now))
        return CLI_USAGE;
    if (!need(argc, 3, "retain explain DB CUSTOMER --now T"))
        return CLI_USAGE;
    retain_engine *e = cli_open(argv[1], false);
    if (!e)
        return CLI_FAIL;
    char *json = NULL;
    int rc = retain_customer_explain(&json, e, argv[2], now);
    if (rc)
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
    else
        printf("%s\n", json);
    retain_free(e, json);
    retain_engine_close(e);
    return rc ? CLI_FAIL : CLI_OK;
}

int cmd_stats(int argc, char **argv)
{
    bool json = cli_flag(&argc, argv, "--json");
    if (!need(argc, 2, "retain stats DB [--json]"))
        return CLI_USAGE;
    retain_engine *e = cli_open(argv[1], true);
    if (!e)
        return CLI_FAIL;
    retain_counts n;
    int rc = retain_engine_counts(e, &n);
    if (rc) {
        fprintf(stderr, "retain: %s\n", retain_errmsg(e));
    } else if (json) {
        printf("{\"customers\":%lld,\"orders\":%lld,\"order_lines\":%lld,\"shipments\":%lld,"
               "\"events\":%lld}\n",
               (long long)n.customers, (long long)n.orders, (long long)n.order_lines,
               (long long)n.shipments, (long long)n.events);
    } else {
        printf("customers   %lld\norders      %lld\norder lines %lld\nshipments   %lld\n"
               "events      %lld\n",
               (long long)n.customers, (long long)n.orders, (long long)n.order_lines,
               (long long)n.shipments, (long long)n.events);
    }
    retain_engine_close(e);
    return rc ? CLI_FAIL : CLI_OK;
}
