/* fuzz_util.c - helpers shared by the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <string.h>

retain_engine *fuzz_engine(void)
{
    retain_engine *e = NULL;
    char err[256];
    int rc = retain_engine_open_ex(&e, ":memory:", NULL, err, sizeof err);
    FUZZ_CHECK(rc == RETAIN_OK, "cannot open an engine: %s", err);
    return e;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
