/*
 * rulec.c - compile rules, one per line of a file, and report each failure as
 * "line: column: message". Used by the docs check to prove that every rule
 * shown in docs/ compiles.
 */
#include <retain.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rulec FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    retain_engine *e;
    if (retain_engine_open(&e, ":memory:", NULL) != RETAIN_OK) {
        fprintf(stderr, "rulec: cannot open an engine\n");
        fclose(f);
        return 1;
    }
    char line[4096];
    int failed = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        n++;
        retain_rule *r;
        retain_diag d;
        if (retain_rule_compile(&r, e, line, &d) != RETAIN_OK) {
            printf("rule %d: %d:%d: %s\n  %s\n", n, d.line, d.column, d.message, line);
            failed++;
            continue;
        }
        retain_rule_free(r);
    }
    fclose(f);
    retain_engine_close(e);
    return failed ? 1 : 0;
}
