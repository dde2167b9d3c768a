/* words.c - small text helpers shared by the YAML loaders: durations and
 * the edit distance behind "did you mean" suggestions. */
#include "text.h"

#include <stdlib.h>
#include <string.h>

bool rt_parse_duration(const char *s, int64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    int64_t unit;
    if (!strcmp(end, "ms")) unit = 1;
    else if (!strcmp(end, "s")) unit = 1000;
    else if (!strcmp(end, "m")) unit = 60000;
    else if (!strcmp(end, "h")) unit = 3600000;
    else if (!strcmp(end, "d")) unit = 86400000;
    else if (!strcmp(end, "w")) unit = 7LL * 86400000;
    else return false;
    if (v < 0 || v > INT64_MAX / unit / 2)
        return false;
    *out = v * unit;
    return true;
}

int rt_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int prev[41], cur[41];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = c < del ? (c < ins ? c : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}
