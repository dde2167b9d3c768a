#!/bin/sh
# The README's C example compiles against the headers and runs.
readme="$1"; inc="$2"; libdir="$3"; cc="$4"; san="${5:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/{on=1; next} /^```$/{on=0} on' "$readme" > "$tmp/example.c"
if ! "$cc" $san -std=c11 -Wall -Wextra -Werror -I"$inc" "$tmp/example.c" -L"$libdir" -lretain \
        -Wl,-rpath,"$libdir" -o "$tmp/example"; then
    echo "readme: 0 passed, 1 failed (does not compile)"; exit 1
fi
if ! (cd "$tmp" && ./example); then
    echo "readme: 0 passed, 1 failed (exit status)"; exit 1
fi
[ -f "$tmp/shop.db" ] || { echo "readme: 0 passed, 1 failed (no shop.db)"; exit 1; }
echo "readme: 1 passed, 0 failed"
