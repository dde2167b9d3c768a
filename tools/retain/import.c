/*
 * import.c - `retain import`: orders from a CSV file with a header (columns
 * mapped by name) or from the CDNOW transaction format. Bad rows are
 * reported with their line numbers; the good ones are imported in one
 * transaction, or none of them with --strict. `retain consents`: consent
 * statements from a CSV file, the same way.
 */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 64

typedef struct mapping {
    int customer, order, date, total, currency, channel, email;
} mapping;

/* Split a CSV line in place (RFC 4180 quotes; no embedded newlines). */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        if (*p == '"') {
            char *out = ++p, *start = p;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            *out = '\0';
            fields[n++] = start;
            if (*p == ',')
                p++;
            else if (*p == '\0' || *p == '\r' || *p == '\n')
                return n;
            else
                return -1;
        } else {
            fields[n++] = p;
            while (*p && *p != ',' && *p != '\r' && *p != '\n')
                p++;
            if (*p == ',') {
                *p++ = '\0';
            } else {
                *p = '\0';
                return n;
            }
        }
    }
}

static int split_ws(char *line, char **fields, int max)
{
    int n = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        if (n == max)
            return -1;
        fields[n++] = tok;
    }
    return n;
}

/* "12.34" -> 1234 minor units for `digits`; false if malformed. */
static bool parse_money(const char *s, int digits, int64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '-' || !*s)
        return false;
    int64_t whole = 0, frac = 0;
    int fd = 0;
    const char *p = s;
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > (INT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++) {
            if (fd < digits) {
                frac = frac * 10 + (*p - '0');
                fd++;
            } else if (*p != '0') {
                return false; /* more precision than the currency has */
            }
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return false;
    for (; fd < digits; fd++)
        frac *= 10;
    int64_t scale = 1;
    for (int i = 0; i < digits; i++)
        scale *= 10;
    if (whole > (INT64_MAX - frac) / scale)
        return false;
    *out = whole * scale + frac;
    return true;
}

static bool parse_date(const char *s, int64_t *out)
{
    if (strlen(s) == 8 && strspn(s, "0123456789") == 8) {
        char iso[11] = { s[0], s[1], s[2], s[3], '-', s[4], s[5], '-', s[6], s[7], 0 };
        return cli_parse_time(iso, out);
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%s", s);
    char *sp = strchr(buf, ' ');
    if (sp) {
        *sp = 'T';
        if (!strchr(buf, 'Z') && strlen(buf) < sizeof buf - 1)
            strcat(buf, "Z");
    }
    return cli_parse_time(buf, out);
}

static int column(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(hdr[i], name))
            return i;
    return -1;
}

static bool parse_map(const char *spec, char **hdr, int n, mapping *m, const char **bad)
{
    /* Defaults: columns named like the fields. */
    m->customer = column(hdr, n, "customer");
    m->order = column(hdr, n, "order");
    m->date = column(hdr, n, "date");
    m->total = column(hdr, n, "total");
    m->currency = column(hdr, n, "currency");
    m->channel = column(hdr, n, "channel");
    m->email = column(hdr, n, "email");
    if (!spec)
        return true;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            *bad = "--map entries look like field=COLUMN";
            return false;
        }
        *eq = '\0';
        int c = column(hdr, n, eq + 1);
        if (c < 0) {
            *bad = "--map names a column the header does not have";
            return false;
        }
        if (!strcmp(tok, "customer")) m->customer = c;
        else if (!strcmp(tok, "order")) m->order = c;
        else if (!strcmp(tok, "date")) m->date = c;
        else if (!strcmp(tok, "total")) m->total = c;
        else if (!strcmp(tok, "currency")) m->currency = c;
        else if (!strcmp(tok, "channel")) m->channel = c;
        else if (!strcmp(tok, "email")) m->email = c;
        else {
            *bad = "--map fields are customer, order, date, total, currency, channel, email";
            return false;
        }
    }
    return true;
}

int cli_import_rows(retain_engine *e, FILE *f, const char *fname, const cli_import_opts *o,
                    FILE *diag, long *good_out, long *bad_out)
{
    bool cdnow = o->cdnow;
    char line[8192], hdrline[8192];
    char *hdr[MAX_FIELDS], *fields[MAX_FIELDS];
    int nh = 0;
    mapping m = { 0, -1, 1, 3, -1, -1, -1 }; /* CDNOW: set per row below */
    long lineno = 0, good = 0, bad = 0;
    int rc = RETAIN_OK;
    while (rc == RETAIN_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (lineno == 1 && !cdnow) {
            memcpy(hdrline, line, sizeof line);
            nh = split_csv(hdrline, hdr, MAX_FIELDS);
            const char *why = NULL;
            if (nh <= 0 || !parse_map(o->map, hdr, nh, &m, &why) || m.customer < 0 ||
                m.date < 0 || m.total < 0) {
                fprintf(diag, "%s:1: %s\n", fname,
                        why ? why : "the header must name customer, date and total columns "
                                    "(or map them with --map)");
                rc = RETAIN_EINVAL;
                break;
            }
            continue;
        }
        if (cdnow && lineno == 1 && strstr(line, "customer_id"))
            continue; /* CDNOW_master header */
        int n = cdnow ? split_ws(line, fields, MAX_FIELDS) : split_csv(line, fields, MAX_FIELDS);
        if (cdnow && n == 5) { /* CDNOW_sample: master id, sample id, date, cds, dollars */
            m.customer = 0; m.date = 2; m.total = 4;
        } else if (cdnow) { /* CDNOW_master: id, date, cds, dollars */
            m.customer = 0; m.date = 1; m.total = 3;
        }
        const char *why = NULL;
        int64_t at = 0, total = 0;
        const char *cur = m.currency >= 0 && m.currency < n ? fields[m.currency] : o->def_currency;
        int digits = retain_currency_digits(cur);
        if (n < 0)
            why = "malformed line";
        else if (m.customer >= n || m.date >= n || m.total >= n)
            why = "too few fields";
        else if (!parse_date(fields[m.date], &at))
            why = "bad date";
        else if (digits < 0)
            why = "unknown currency";
        else if (!parse_money(fields[m.total], digits, &total))
            why = "bad amount";
        if (!why) {
            retain_customer c = RETAIN_CUSTOMER_INIT;
            c.id = fields[m.customer];
            c.at = at;
            /* A customer's address comes from the first row that creates
             * them; later rows never overwrite what the store holds. */
            if (m.email >= 0 && m.email < n && fields[m.email][0])
                c.email = fields[m.email];
            retain_customer *old = NULL;
            int grc = retain_customer_get(&old, e, c.id);
            retain_customer_free(old);
            if (grc == RETAIN_ENOTFOUND && retain_customer_upsert(e, &c) != RETAIN_OK)
                why = retain_errmsg(e);
            char oid[300];
            if (m.order >= 0 && m.order < n)
                snprintf(oid, sizeof oid, "%s", fields[m.order]);
            else
                snprintf(oid, sizeof oid, "import-%ld", lineno);
            retain_order o2 = RETAIN_ORDER_INIT;
            o2.id = oid;
            o2.customer_id = c.id;
            o2.channel = m.channel >= 0 && m.channel < n ? fields[m.channel] : "web";
            o2.placed_at = at;
            o2.currency = cur;
            o2.total = total;
            if (!why && retain_order_record(e, &o2) != RETAIN_OK)
                why = retain_errmsg(e);
        }
        if (why) {
            bad++;
            fprintf(diag, "%s:%ld: %s\n", fname, lineno, why);
            if (o->strict)
                rc = RETAIN_EINVAL;
        } else {
            good++;
        }
        if (o->progress_size > 0 && lineno % 2000 == 0)
            fprintf(diag, "\r%3ld%% %ld rows", (long)(ftell(f) * 100 / o->progress_size), good);
    }
    *good_out = good;
    *bad_out = bad;
    return rc;
}

int cmd_import(int argc, char **argv)
{
    cli_import_opts o = { 0 };
    o.strict = cli_flag(&argc, argv, "--strict");
    const char *format = cli_option(&argc, argv, "--format");
    o.map = cli_option(&argc, argv, "--map");
    o.def_currency = cli_option(&argc, argv, "--currency");
    if (argc < 3) {
        fprintf(stderr, "usage: retain import DB FILE [--format cdnow|csv] [--map ...] "
                        "[--currency USD] [--strict]\n");
        return CLI_USAGE;
    }
    if (!o.def_currency)
        o.def_currency = "USD";
    if (retain_currency_digits(o.def_currency) < 0) {
        fprintf(stderr, "retain: --currency \"%s\" is not an ISO 4217 code\n", o.def_currency);
        return CLI_USAGE;
    }
    o.cdnow = format && !strcmp(format, "cdnow");
    if (format && !o.cdnow && strcmp(format, "csv")) {
        fprintf(stderr, "retain: --format must be cdnow or csv\n");
        return CLI_USAGE;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        fprintf(stderr, "retain: cannot open %s\n", argv[2]);
        return CLI_FAIL;
    }
    bool tty = isatty(2);
    if (tty) {
        fseek(f, 0, SEEK_END);
        o.progress_size = ftell(f);
        fseek(f, 0, SEEK_SET);
    }
    retain_engine *e = cli_open(argv[1], false);
    if (!e) {
        fclose(f);
        return CLI_FAIL;
    }
    long good = 0, bad = 0;
    int rc = retain_begin(e);
    if (rc == RETAIN_OK)
        rc = cli_import_rows(e, f, argv[2], &o, stderr, &good, &bad);
    fclose(f);
    if (tty)
        fprintf(stderr, "\r");
    if (rc == RETAIN_OK)
        rc = retain_commit(e);
    else
        retain_rollback(e);
    if (rc == RETAIN_OK)
        printf("imported %ld orders from %s (%ld bad rows skipped)\n", good, argv[2], bad);
    else
        fprintf(stderr, "retain: nothing imported%s\n", o.strict && bad ? " (--strict)" : "");
    retain_engine_close(e);
    return rc == RETAIN_OK ? CLI_OK : CLI_FAIL;
}

/* ---- retain consents: consent statements from a CSV file ----------------- */

/* One consent row; NULL when good, else why not. */
static const char *consent_row(retain_engine *e, char **f, int n, const int *col,
                               const char *def_source)
{
    for (int k = 0; k < 5; k++)
        if (col[k] >= n)
            return "too few fields";
    retain_consent_state state;
    const char *s = f[col[3]];
    if (!strcmp(s, "granted"))
        state = RETAIN_CONSENT_GRANTED;
    else if (!strcmp(s, "revoked"))
        state = RETAIN_CONSENT_REVOKED;
    else
        return "status must be granted or revoked";
    int64_t at;
    if (!parse_date(f[col[4]], &at))
        return "bad date";
    const char *source = col[5] >= 0 && col[5] < n && f[col[5]][0] ? f[col[5]] : def_source;
    if (retain_consent_set(e, f[col[0]], f[col[1]], f[col[2]], state, at, source) != RETAIN_OK)
        return retain_errmsg(e);
    return NULL;
}

int cmd_consents(int argc, char **argv)
{
    bool strict = cli_flag(&argc, argv, "--strict");
    const char *def_source = cli_option(&argc, argv, "--source");
    if (argc != 3) {
        fprintf(stderr, "usage: retain consents DB FILE [--source S] [--strict]\n");
        return CLI_USAGE;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        fprintf(stderr, "retain: cannot open %s\n", argv[2]);
        return CLI_FAIL;
    }
    retain_engine *e = cli_open(argv[1], false);
    if (!e) {
        fclose(f);
        return CLI_FAIL;
    }
    static const char *const names[] = { "customer", "channel", "category", "status", "at",
                                         "source" };
    char line[8192];
    char *fields[MAX_FIELDS];
    int col[6];
    long lineno = 0, good = 0, bad = 0;
    int rc = retain_begin(e);
    while (rc == RETAIN_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        int n = split_csv(line, fields, MAX_FIELDS);
        if (lineno == 1) {
            for (int k = 0; k < 6; k++)
                col[k] = n > 0 ? column(fields, n, names[k]) : -1;
            if (col[0] < 0 || col[1] < 0 || col[2] < 0 || col[3] < 0 || col[4] < 0) {
                fprintf(stderr, "%s:1: the header must name customer, channel, category, "
                                "status and at columns (source is optional)\n", argv[2]);
                rc = RETAIN_EINVAL;
            }
            continue;
        }
        const char *why = n < 0 ? "malformed line" : consent_row(e, fields, n, col, def_source);
        if (why) {
            bad++;
            fprintf(stderr, "%s:%ld: %s\n", argv[2], lineno, why);
            if (strict)
                rc = RETAIN_EINVAL;
        } else {
            good++;
        }
    }
    fclose(f);
    if (rc == RETAIN_OK && lineno == 0) {
        fprintf(stderr, "%s: empty file (a header line is needed)\n", argv[2]);
        rc = RETAIN_EINVAL;
    }
    if (rc == RETAIN_OK)
        rc = retain_commit(e);
    else
        retain_rollback(e);
    if (rc == RETAIN_OK)
        printf("recorded %ld consent statements from %s (%ld bad rows skipped)\n", good, argv[2],
               bad);
    else
        fprintf(stderr, "retain: nothing recorded%s\n", strict && bad ? " (--strict)" : "");
    retain_engine_close(e);
    return rc == RETAIN_OK ? CLI_OK : CLI_FAIL;
}
