#!/bin/sh
# test_cli.sh - the `retain` tool: exit codes, messages on stderr, imports
# with bad rows, lint errors as file:line:col, next/explain.
retain="$1"; src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { # description, expected exit code, command...
    desc=$1; want=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"; got=$?
    if [ "$got" -eq "$want" ]; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $desc: exit $got, expected $want"; cat "$tmp/err"; fi
}
contains() { # description, file, text
    if grep -qF -- "$3" "$2"; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $1: \"$3\" not in:"; cat "$2"; fi
}

check "no command" 2 "$retain"
check "unknown command" 2 "$retain" frobnicate
contains "unknown command message" "$tmp/err" 'unknown command "frobnicate"'
check "help" 0 "$retain" --help
check "import help" 0 "$retain" import --help
check "init" 0 "$retain" init "$tmp/shop.db"
check "stats on missing args" 2 "$retain" stats

printf 'customer,order,date,total,currency\nc1,o1,2026-01-02,19.99,EUR\nc2,o2,not-a-date,5.00,EUR\nc1,o3,2026-02-01,7.5,EUR\nc3,o4,2026-02-03,1.999,EUR\n' > "$tmp/orders.csv"
check "import with bad rows" 0 "$retain" import "$tmp/shop.db" "$tmp/orders.csv"
contains "bad date reported with line" "$tmp/err" "orders.csv:3: bad date"
contains "too precise amount reported" "$tmp/err" "orders.csv:5: bad amount"
contains "count of imported rows" "$tmp/out" "imported 2 orders"
check "strict import refuses all" 1 "$retain" import "$tmp/shop2.db" "$tmp/orders.csv" --strict
check "stats json" 0 "$retain" stats "$tmp/shop.db" --json
contains "two orders" "$tmp/out" '"orders":2'
check "cdnow import" 0 "$retain" import "$tmp/cdnow.db" "$src/tests/data/CDNOW_sample.txt" --format cdnow
contains "cdnow count" "$tmp/out" "imported 6919 orders"

printf 'journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    sned: { channel: email }\n' > "$tmp/bad.yaml"
check "lint bad" 1 "$retain" lint "$tmp/bad.yaml"
contains "lint position" "$tmp/err" "bad.yaml:5:5: unknown key \"sned\""
check "lint good" 0 "$retain" lint "$src/examples/journeys/post-purchase.yaml"
check "load" 0 "$retain" load "$tmp/shop.db" "$src/examples/journeys/post-purchase.yaml" --now 2026-01-01
check "next needs now" 2 "$retain" next "$tmp/shop.db" c1
check "next unknown customer" 1 "$retain" next "$tmp/shop.db" nobody --now 2026-03-01
contains "not found message" "$tmp/err" 'customer "nobody" does not exist'
check "next" 0 "$retain" next "$tmp/shop.db" c1 --now 2026-03-01 --json
contains "next json" "$tmp/out" '"outlook"'
check "explain" 0 "$retain" explain "$tmp/shop.db" c1 --now 2026-03-01
contains "explain json" "$tmp/out" '"customer":"c1"'
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
