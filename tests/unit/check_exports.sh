#!/bin/sh
# The shared library must export only retain_* functions and data.
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^retain_' | grep -v '^LIBRETAIN_')
count=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -c '^retain_')
if [ -n "$bad" ]; then
    echo "exports: non-retain symbols exported:"; echo "$bad"
    echo "exports: 0 passed, 1 failed"; exit 1
fi
if [ "$count" -lt 10 ]; then
    echo "exports: only $count retain_ symbols found"; echo "exports: 0 passed, 1 failed"; exit 1
fi
echo "exports: $count retain_* symbols; 1 passed, 0 failed"
