#!/bin/sh
# test_report_cli.sh RETAIN SRC - `retain report` on the CDNOW sample: the
# page is self-contained, has every section and chart with data points,
# its figures are those of `retain metrics` and `retain fit --holdout`,
# and bad arguments fail with exit code 2 (usage) or 1 (failure).
retain="$1"; src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
ko() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { # description, expected exit code, command...
    desc=$1; want=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok; else ko "$desc: exit $got, expected $want"; cat "$tmp/err"; fi
}
contains() { # description, file, text
    if grep -qF -- "$3" "$2"; then ok; else ko "$1: \"$3\" not in $2"; fi
}
absent() { # description, file, extended regex
    if grep -qE -- "$3" "$2"; then ko "$1: /$3/ found:"; grep -oE -- ".{0,40}$3.{0,40}" "$2" | head -3
    else ok; fi
}
json_num() { # file key: the number after the first "key":
    grep -o "\"$2\":[-0-9.e+]*" "$1" | head -1 | cut -d: -f2
}
attr() { # file data-metric: its data-value
    sed -n "s/.*data-metric=\"$2\" data-value=\"\([-0-9.e+]*\)\".*/\1/p" "$1"
}
same() { # description, got, expected, tolerance
    if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d;
            exit !(g != "" && w != "" && d <= t) }'; then ok; else ko "$1: \"$2\", expected \"$3\""; fi
}

if sh "$src/tests/report/cdnow_db.sh" "$retain" "$src" "$tmp"; then ok; else ko "building the CDNOW report"; fi
page="$tmp/report.html"

# self-contained: nothing from the network, no outside style sheet or script
absent "no http" "$page" 'https?:'
absent "no protocol-relative url" "$page" '(src|href)="//'
absent "no src attribute" "$page" ' src='
absent "no outside link" "$page" '<link'
absent "no script" "$page" '<script'
absent "no import in css" "$page" '@import|url\('
contains "viewport meta" "$page" '<meta name="viewport" content="width=device-width, initial-scale=1">'
contains "responsive svg" "$page" 'svg{display:block;width:100%;height:auto}'
for s in overview cohorts trend ltv model alive rfm journeys audit; do
    contains "section $s" "$page" "<section id=\"$s\">"
done
# the audit's score is the one `retain audit` gives
score=$("$retain" audit "$tmp/cdnow.db" --now 1998-07-01 --json | sed -n 's/^{"score":\([0-9]*\),.*/\1/p')
contains "audit score" "$page" "data-metric=\"audit_score\" data-value=\"$score\""
for c in cohorts revenue repeat ltv holdout alive rfm funnel-0; do
    n=$(sed -n "s/.*data-chart=\"$c\" data-n=\"\([0-9]*\)\".*/\1/p" "$page")
    if [ -n "$n" ] && [ "$n" -gt 0 ]; then ok; else ko "chart $c has \"$n\" points"; fi
done
charts=$(grep -o 'data-chart="' "$page" | wc -l)
[ "$charts" -eq 8 ] && ok || ko "$charts charts, expected 8"
pts=$(grep -o 'class="pt' "$page" | wc -l)
sum=$(grep -o 'data-n="[0-9]*"' "$page" | tr -dc '0-9\n' | awk '{ s += $1 } END { print s }')
[ "$pts" -eq "$sum" ] && ok || ko "$pts points, but the charts' data-n add up to $sum"

# the figures are the library's own
check "metrics json" 0 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01 --json
cp "$tmp/out" "$tmp/metrics.json"
for k in customers orders revenue repeat_rate aov; do
    same "$k" "$(attr "$page" $k)" "$(json_num "$tmp/metrics.json" $k)" 0.0000001
done
contains "revenue shown" "$page" "<b>244,091.94</b><span>revenue, USD</span>"
check "fit holdout" 0 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now 1998-07-01 --holdout 273 --json
cp "$tmp/out" "$tmp/fit.json"
pred=$(sed -n 's/.*data-holdout-predicted="\([-0-9.e+]*\)".*/\1/p' "$page")
act=$(sed -n 's/.*data-holdout-actual="\([-0-9.e+]*\)".*/\1/p' "$page")
same "holdout predicted" "$pred" "$(json_num "$tmp/fit.json" predicted)" 0.000001
same "holdout actual" "$act" "$(json_num "$tmp/fit.json" actual)" 0
same "holdout actual is CDNOW's" "$act" 1882 0
contains "fit table" "$page" "<tr><td>to</td><td>1997-09-30</td><td>1998-06-30</td></tr>"
contains "journey lift" "$page" "data-lift="
contains "holdout variant" "$page" "<tr><td>holdout</td>"
check "fit holdout text" 0 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now 1998-07-01 --holdout 273
contains "holdout line" "$tmp/out" "holdout    273 days: repeat purchases predicted 1653.4, actual 1882"

# a chosen holdout and title; the title is escaped
check "report with options" 0 "$retain" report "$tmp/cdnow.db" -o "$tmp/r2.html" --now 1998-07-01 \
    --holdout-days 182 --currency USD --period quarter --title 'Q&A <shop>'
contains "escaped title" "$tmp/r2.html" "<title>Q&amp;A &lt;shop&gt;</title>"
contains "quarter cohorts" "$tmp/r2.html" "1997 Q1"
# 182 days up to 1998-06-30 start on 1997-12-31
contains "182-day holdout" "$tmp/r2.html" "<tr><td>to</td><td>1997-12-30</td><td>1998-06-30</td></tr>"
contains "182-day holdout start" "$tmp/r2.html" "<tr><td>from</td><td>1997-01-01</td><td>1997-12-31</td></tr>"

# an empty store gives a page that says so
check "init empty" 0 "$retain" init "$tmp/empty.db"
check "report of empty store" 0 "$retain" report "$tmp/empty.db" -o "$tmp/empty.html" --now 2026-01-01
contains "empty says so" "$tmp/empty.html" "No orders in USD were placed by 2026-01-01"
absent "empty has no chart" "$tmp/empty.html" "data-chart="
contains "empty is whole" "$tmp/empty.html" "</html>"

# usage errors: 2; failures: 1; nothing written
check "help" 0 "$retain" report --help
contains "help lists -o" "$tmp/out" "retain report DB -o FILE.html --now T"
check "no arguments" 2 "$retain" report
check "no -o" 2 "$retain" report "$tmp/cdnow.db" --now 1998-07-01
contains "no -o message" "$tmp/err" "-o FILE.html is required"
check "no --now" 2 "$retain" report "$tmp/cdnow.db" -o "$tmp/x.html"
contains "no --now message" "$tmp/err" "--now T is required"
check "bad --now" 2 "$retain" report "$tmp/cdnow.db" -o "$tmp/x.html" --now someday
check "bad holdout" 2 "$retain" report "$tmp/cdnow.db" -o "$tmp/x.html" --now 1998-07-01 --holdout-days 0
contains "bad holdout message" "$tmp/err" '--holdout-days "0" is not a number of days'
check "bad period" 2 "$retain" report "$tmp/cdnow.db" -o "$tmp/x.html" --now 1998-07-01 --period fortnight
check "two databases" 2 "$retain" report "$tmp/cdnow.db" "$tmp/empty.db" -o "$tmp/x.html" --now 1998-07-01
check "bad currency" 1 "$retain" report "$tmp/cdnow.db" -o "$tmp/x.html" --now 1998-07-01 --currency XYZ
contains "bad currency message" "$tmp/err" 'opts->currency "XYZ" is not an ISO 4217 currency code'
check "missing database" 1 "$retain" report "$tmp/none.db" -o "$tmp/x.html" --now 1998-07-01
check "unwritable output" 1 "$retain" report "$tmp/cdnow.db" -o "$tmp/no/dir/x.html" --now 1998-07-01
contains "unwritable message" "$tmp/err" "writing the report to"
[ -e "$tmp/x.html" ] && ko "a failed report left x.html" || ok
check "fit holdout on gg" 2 "$retain" fit "$tmp/cdnow.db" --model gg --now 1998-07-01 --holdout 30
check "fit bad holdout" 2 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now 1998-07-01 --holdout -3
echo "report cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
