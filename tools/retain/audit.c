/* audit.c - `retain audit`: score the post-purchase program of a database,
 * or of journey files as if they were installed, without writing to it. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_USAGE "retain audit DB [FILE.yaml...] --now T [--json]"

/* The whole file as a NUL-terminated string, or NULL (with a message). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "retain: cannot open \"%s\"\n", path);
        return NULL;
    }
    size_t len = 0, cap = 8192, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *grown = realloc(text, cap * 2);
            if (!grown) {
                free(text);
                text = NULL;
            }
            text = grown;
            cap *= 2;
        }
    }
    bool bad = ferror(f) || !text;
    fclose(f);
    if (bad) {
        fprintf(stderr, "retain: cannot read \"%s\"\n", path);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* Print `text` with every line after the first indented by `indent`. */
static void print_indented(const char *text, const char *indent)
{
    for (const char *p = text; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1] && p[1] != '\n')
            fputs(indent, stdout);
    }
    if (*text && text[strlen(text) - 1] != '\n')
        putchar('\n');
}

static void print_report(const retain_audit *a)
{
    size_t n = retain_audit_count(a), passed = 0;
    for (size_t i = 0; i < n; i++) {
        struct retain_audit_item it;
        if (retain_audit_item(a, i, &it) == RETAIN_OK)
            passed += it.passed != 0;
    }
    printf("post-purchase audit: score %d/10 (%zu of %zu practices in place)\n\n",
           retain_audit_score(a), passed, n);
    for (size_t i = 0; i < n; i++) {
        struct retain_audit_item it;
        if (retain_audit_item(a, i, &it) != RETAIN_OK)
            continue;
        printf("[%s] %-15s %s (weight %d)\n", it.passed ? "ok" : "  ", it.key, it.title,
               it.weight);
        printf("     found: ");
        print_indented(it.detail, "            ");
        if (!it.passed && it.advice[0]) {
            printf("     to add: ");
            print_indented(it.advice, "       ");
        }
    }
}

int cmd_audit(int argc, char **argv)
{
    bool json = cli_flag(&argc, argv, "--json");
    int64_t now;
    if (!cli_need_now(&argc, argv, &now))
        return CLI_USAGE;
    if (argc < 2) {
        fprintf(stderr, "usage: %s\n", AUDIT_USAGE);
        return CLI_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "retain: unknown option \"%s\"\nusage: %s\n", argv[i], AUDIT_USAGE);
            return CLI_USAGE;
        }
    }
    /* Read-only: the audit never changes the database, files or not. */
    retain_engine *e = cli_open(argv[1], true);
    if (!e)
        return CLI_FAIL;
    int nfiles = argc - 2, rc = RETAIN_OK;
    char **texts = calloc((size_t)nfiles + 1, sizeof *texts);
    for (int i = 0; texts && i < nfiles && rc == RETAIN_OK; i++)
        if (!(texts[i] = slurp(argv[2 + i])))
            rc = RETAIN_EIO;
    retain_audit *a = NULL;
    retain_diag d[50];
    size_t nd = 0;
    if (!texts) {
        fprintf(stderr, "retain: out of memory\n");
        rc = RETAIN_ENOMEM;
    } else if (rc == RETAIN_OK) {
        rc = nfiles ? retain_audit_run_yaml(&a, e, (const char *const *)texts,
                                            (const char *const *)argv + 2, (size_t)nfiles, now,
                                            d, 50, &nd)
                    : retain_audit_run(&a, e, now);
        if (rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT) {
            fprintf(stderr, "retain: %s\n", retain_errmsg(e));
            for (size_t i = 1; i < nd && i < 50; i++)
                fprintf(stderr, "  %d:%d: %s\n", d[i].line, d[i].column, d[i].message);
        } else if (rc) {
            fprintf(stderr, "retain: %s\n", retain_errmsg(e));
        }
    }
    if (rc == RETAIN_OK) {
        if (json) {
            char *out = NULL;
            rc = retain_audit_json(&out, a);
            if (rc == RETAIN_OK)
                printf("%s\n", out);
            else
                fprintf(stderr, "retain: %s\n", retain_errstr(rc));
            retain_free(e, out);
        } else {
            print_report(a);
        }
    }
    retain_audit_free(a);
    for (int i = 0; texts && i < nfiles; i++)
        free(texts[i]);
    free(texts);
    retain_engine_close(e);
    return rc == RETAIN_OK ? CLI_OK : CLI_FAIL;
}
