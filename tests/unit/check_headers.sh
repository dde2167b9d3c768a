#!/bin/sh
# Compile each public header alone, as C11 and as C++11, with warnings as errors.
inc="$1"; cc="$2"; cxx="$3"
fail=0; pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in "$inc"/retain.h "$inc"/retain/*.h; do
    rel=${h#"$inc"/}
    printf '#include <%s>\nint main(void) { return 0; }\n' "$rel" > "$tmp/t.c"
    if "$cc" -std=c11 -Wall -Wextra -Werror -pedantic -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"; then
        pass=$((pass+1)); else echo "FAIL: $rel as C"; fail=$((fail+1)); fi
    if [ -n "$cxx" ]; then
        cp "$tmp/t.c" "$tmp/t.cpp"
        if "$cxx" -std=c++11 -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
            pass=$((pass+1)); else echo "FAIL: $rel as C++"; fail=$((fail+1)); fi
    else
        echo "FAIL: no C++ compiler found"; fail=$((fail+1))
    fi
done
echo "headers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
