/*
 * fuzz_import.c - the CSV and CDNOW importer of `retain import`
 * (tools/retain/import.c, compiled into this target). The first byte of an
 * input picks the options (bit 0: CDNOW format, bit 1: --strict, bit 2: a
 * --map spec taken from the first line); the rest is the file. Rows are
 * imported inside a transaction that is rolled back, so every input starts
 * from an empty store; afterwards a known-good row must still import.
 */
#include "fuzz.h"
#include "../../tools/retain/cli.h"

#include <string.h>

static retain_engine *engine;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    engine = fuzz_engine();
    devnull = fopen("/dev/null", "w");
    FUZZ_CHECK(devnull != NULL, "cannot open /dev/null");
    return 0;
}

void fuzz_teardown(void)
{
    retain_engine_close(engine);
    fclose(devnull);
    engine = NULL;
}

static int import(const char *text, size_t len, const cli_import_opts *o, long *good, long *bad)
{
    FILE *f = fmemopen((void *)text, len, "r");
    FUZZ_CHECK(f != NULL, "fmemopen");
    FUZZ_CHECK(retain_begin(engine) == RETAIN_OK, "begin: %s", retain_errmsg(engine));
    *good = *bad = -1;
    int rc = cli_import_rows(engine, f, "fuzz.csv", o, devnull, good, bad);
    fclose(f);
    FUZZ_CHECK(retain_rollback(engine) == RETAIN_OK, "rollback: %s", retain_errmsg(engine));
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1)
        return 0;
    cli_import_opts o = { 0 };
    o.cdnow = data[0] & 1;
    o.strict = data[0] & 2;
    o.def_currency = "USD";
    data++;
    size--;
    char *map = NULL;
    if (o.cdnow == 0 && (data[-1] & 4)) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) : size;
        map = fuzz_cstr(data, n);
        o.map = map;
        data += nl ? n + 1 : n;
        size -= nl ? n + 1 : n;
    }
    long good, bad;
    if (size > 0) {
        int rc = import((const char *)data, size, &o, &good, &bad);
        FUZZ_CHECK(rc == RETAIN_OK || rc == RETAIN_EINVAL || rc == RETAIN_ELIMIT,
                   "import: %d %s", rc, retain_errmsg(engine));
        FUZZ_CHECK(good >= 0 && bad >= 0, "counts not set");
    }
    free(map);

    static const char csv[] = "customer,order,date,total,currency\nc1,o1,2024-03-10,19.99,EUR\n";
    static const char cdnow[] = "00001 19970101 1 11.77\n";
    cli_import_opts good_o = { 0 };
    good_o.cdnow = o.cdnow;
    good_o.strict = true;
    good_o.def_currency = "USD";
    const char *text = o.cdnow ? cdnow : csv;
    int rc = import(text, strlen(text), &good_o, &good, &bad);
    FUZZ_CHECK(rc == RETAIN_OK && good == 1 && bad == 0, "a good row no longer imports: %d %s",
               rc, retain_errmsg(engine));
    return 0;
}
