#!/bin/sh
# test_audit_cli.sh - `retain audit`: exit codes (0 whatever the score, 1 on
# failure, 2 on bad usage), the checklist, valid --json, and files audited
# without the database changing.
retain="$1"; src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/common.sh"
same() { # description, file a, file b
    if cmp -s "$2" "$3"; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $1: $2 and $3 differ"; fi
}
json() { # description, file, python expression over the parsed object `a`
    if /usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2"; then
        pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $1: ($3) is false for:"; cat "$2"; fi
}
pp="$src/examples/journeys/post-purchase.yaml"

check "no arguments" 2 "$retain" audit
check "no --now" 2 "$retain" audit "$tmp/shop.db"
check "bad --now" 2 "$retain" audit "$tmp/shop.db" --now yesterday
check "no DB" 2 "$retain" audit --now 2026-06-01
check "unknown option" 2 "$retain" audit "$tmp/shop.db" --now 2026-06-01 --jsn
contains "unknown option named" "$tmp/err" 'unknown option "--jsn"'
check "help" 0 "$retain" audit --help
contains "usage" "$tmp/out" "retain audit DB [FILE.yaml...] --now T [--json]"
check "missing database" 1 "$retain" audit "$tmp/none.db" --now 2026-06-01
if [ -e "$tmp/none.db" ]; then fail=$((fail+1)); echo "FAIL: audit created $tmp/none.db"; else pass=$((pass+1)); fi

check "init" 0 "$retain" init "$tmp/shop.db"
check "empty store" 0 "$retain" audit "$tmp/shop.db" --now 2026-06-01
contains "minimum score" "$tmp/out" "score 1/10 (0 of 12 practices in place)"
contains "advice shown" "$tmp/out" "trigger: order.placed"

cp "$tmp/shop.db" "$tmp/before.db"
check "with a journey file" 0 "$retain" audit "$tmp/shop.db" "$pp" --now 2026-06-01
contains "file's score" "$tmp/out" "score 3/10 (3 of 12 practices in place)"
contains "confirmation passed" "$tmp/out" "[ok] confirmation"
contains "found names the step" "$tmp/out" "post-purchase/confirm"
same "database untouched by a file audit" "$tmp/shop.db" "$tmp/before.db"
check "installed journeys only" 0 "$retain" audit "$tmp/shop.db" --now 2026-06-01
contains "still empty" "$tmp/out" "score 1/10"

check "json" 0 "$retain" audit "$tmp/shop.db" "$pp" --now 2026-06-01 --json
json "json parses with 12 items" "$tmp/out" "a['score'] == 3 and len(a['items']) == 12 and a['total_weight'] == 100"
json "json items" "$tmp/out" "[i['key'] for i in a['items'] if i['passed']] == ['confirmation', 'shipping', 'care']"

check "load" 0 "$retain" load "$tmp/shop.db" "$pp" --now 2026-01-01
check "installed" 0 "$retain" audit "$tmp/shop.db" --now 2026-06-01 --json
json "installed journeys audited" "$tmp/out" "a['score'] == 3"

printf 'journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    sned: { channel: email }\n' > "$tmp/bad.yaml"
check "bad journey file" 1 "$retain" audit "$tmp/shop.db" "$tmp/bad.yaml" --now 2026-06-01
contains "bad file position" "$tmp/err" "bad.yaml:5:5: unknown key \"sned\""
check "missing journey file" 1 "$retain" audit "$tmp/shop.db" "$tmp/nope.yaml" --now 2026-06-01
contains "missing file named" "$tmp/err" "nope.yaml"

# The whole journey pack of examples/journeys puts in place every practice a
# journey can; policy, marketplace and measured depend on the store's data.
check "pack init" 0 "$retain" init "$tmp/pack.db"
check "pack" 0 "$retain" audit "$tmp/pack.db" "$src"/examples/journeys/*.yaml --now 2026-06-01 --json
json "pack passes every journey practice" "$tmp/out" "[i['key'] for i in a['items'] if not i['passed']] == ['policy', 'marketplace', 'measured']"

echo "audit-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
