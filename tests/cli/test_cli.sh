#!/bin/sh
# test_cli.sh - the `retain` tool: exit codes, messages on stderr, imports
# with bad rows, lint errors as file:line:col, next/explain.
retain="$1"; src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/common.sh"
near() { # description, file, json key, expected, relative tolerance
    got=$(sed -n "s/.*\"$3\":\([-0-9.e+]*\).*/\1/p" "$2")
    if awk -v g="$got" -v w="$4" -v t="$5" 'BEGIN { d = g - w; if (d < 0) d = -d;
            a = w < 0 ? -w : w; exit !(g != "" && d <= t * a) }'; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $1: $3 = \"$got\", expected $4"; fi
}
lines() { # description, file, expected line count
    n=$(wc -l < "$2" | tr -d ' ')
    if [ "$n" -eq "$3" ]; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $1: $n lines, expected $3"; fi
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
# CDNOW_master rows have four columns: id, date, cds, dollars.
printf '00001 19970101 1 11.77\n00002 19970112 2 89.00\n' > "$tmp/master.txt"
check "cdnow master import" 0 "$retain" import "$tmp/master.db" "$tmp/master.txt" --format cdnow --strict
contains "cdnow master count" "$tmp/out" "imported 2 orders"

printf 'journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    sned: { channel: email }\n' > "$tmp/bad.yaml"
check "lint bad" 1 "$retain" lint "$tmp/bad.yaml"
contains "lint position" "$tmp/err" "bad.yaml:5:5: unknown key \"sned\""
check "lint good" 0 "$retain" lint "$src/examples/journeys/post-purchase.yaml"
check "lint profiles" 0 "$retain" lint "$src/examples/policies/amazon.yaml" "$src/examples/policies/default.yaml"
printf 'profile: shop\nsales_channels: 3\n' > "$tmp/badprofile.yaml"
check "lint bad profile" 1 "$retain" lint "$tmp/badprofile.yaml"
contains "lint profile position" "$tmp/err" "badprofile.yaml:2:17: sales_channels must be a list"
check "load" 0 "$retain" load "$tmp/shop.db" "$src/examples/journeys/post-purchase.yaml" --now 2026-01-01
check "next needs now" 2 "$retain" next "$tmp/shop.db" c1
check "next unknown customer" 1 "$retain" next "$tmp/shop.db" nobody --now 2026-03-01
contains "not found message" "$tmp/err" 'customer "nobody" does not exist'
check "next" 0 "$retain" next "$tmp/shop.db" c1 --now 2026-03-01 --json
contains "next json" "$tmp/out" '"outlook"'
check "explain" 0 "$retain" explain "$tmp/shop.db" c1 --now 2026-03-01
contains "explain json" "$tmp/out" '"customer":"c1"'
# tick: a webhook journey (recipient = customer id), messages as JSON lines
printf 'journey: hook\ntrigger: { event: order.placed }\nsteps:\n  - id: ping\n    send: { channel: webhook, template: order_hook, category: transactional }\n' > "$tmp/hook.yaml"
check "tick help" 0 "$retain" tick --help
contains "tick usage" "$tmp/out" "--until T"
check "init hook db" 0 "$retain" init "$tmp/hook.db"
check "load hook" 0 "$retain" load "$tmp/hook.db" "$tmp/hook.yaml" --now 2026-01-01
check "import hook orders" 0 "$retain" import "$tmp/hook.db" "$tmp/orders.csv"
check "tick needs now" 2 "$retain" tick "$tmp/hook.db"
check "tick bad now" 2 "$retain" tick "$tmp/hook.db" --now yesterday
contains "tick bad now message" "$tmp/err" '--now "yesterday" is not a time'
check "tick bad step" 2 "$retain" tick "$tmp/hook.db" --now 2026-01-01 --step 0h
check "tick until before now" 2 "$retain" tick "$tmp/hook.db" --now 2026-02-01 --until 2026-01-01
check "tick missing db" 2 "$retain" tick --now 2026-01-01
check "tick unopenable db" 1 "$retain" tick "$tmp/no/such/dir.db" --now 2026-01-01
check "tick" 0 "$retain" tick "$tmp/hook.db" --now 2026-01-02 --until 2026-02-03 --step 12h --out "$tmp/msgs.jsonl"
contains "tick summary" "$tmp/err" "65 ticks:"
contains "tick sent both" "$tmp/err" "2 queued, 2 sent"
contains "message of c1" "$tmp/msgs.jsonl" '"customer":"c1","channel":"webhook","category":"transactional","template":"order_hook"'
contains "first order's message due" "$tmp/msgs.jsonl" '"due_at":1767312000000'
contains "second order's message due" "$tmp/msgs.jsonl" '"due_at":1769904000000'
lines "one line per message" "$tmp/msgs.jsonl" 2
check "tick again sends nothing" 0 "$retain" tick "$tmp/hook.db" --now 2026-02-03
contains "nothing twice" "$tmp/err" "0 queued, 0 sent"
[ -s "$tmp/out" ] && { fail=$((fail+1)); echo "FAIL: second tick wrote messages"; } || pass=$((pass+1))

# a channel outside the common ones: queued but not sent, until --channels
# names it; bad names are a usage error that sends nothing.
printf 'journey: chan\ntrigger: { event: order.placed }\nsteps:\n  - id: ping\n    send: { channel: line, template: order_hook, category: transactional }\n' > "$tmp/chan.yaml"
check "init chan db" 0 "$retain" init "$tmp/chan.db"
check "load chan" 0 "$retain" load "$tmp/chan.db" "$tmp/chan.yaml" --now 2026-01-01
check "import chan orders" 0 "$retain" import "$tmp/chan.db" "$tmp/orders.csv"
check "tick without the channel" 0 "$retain" tick "$tmp/chan.db" --now 2026-01-02 --until 2026-02-03 --step 12h
contains "queued, not sent" "$tmp/err" "2 queued, 0 sent"
check "tick bad channel name" 2 "$retain" tick "$tmp/chan.db" --now 2026-02-03 --channels "line,Bad Name"
contains "bad channel named" "$tmp/err" "--channels"
check "tick empty channel name" 2 "$retain" tick "$tmp/chan.db" --now 2026-02-03 --channels "line,,x"
check "tick with the channel" 0 "$retain" tick "$tmp/chan.db" --now 2026-02-03 --channels line,telegram --out "$tmp/chan.jsonl"
contains "sent on line" "$tmp/err" "2 sent"
contains "line message" "$tmp/chan.jsonl" '"channel":"line"'
lines "two line messages" "$tmp/chan.jsonl" 2

# consents from a CSV: a marketing journey sends only to customers whose
# grant was imported (o1's offer is past its staleness either way); bad
# rows are reported by line, --strict keeps nothing.
printf 'journey: promo\ntrigger: { event: order.placed }\nsteps:\n  - id: offer\n    send: { channel: webhook, template: promo, category: marketing }\n' > "$tmp/promo.yaml"
for db in promo nopromo; do
    check "init $db" 0 "$retain" init "$tmp/$db.db"
    check "load $db" 0 "$retain" load "$tmp/$db.db" "$tmp/promo.yaml" --now 2026-01-01
    check "import $db orders" 0 "$retain" import "$tmp/$db.db" "$tmp/orders.csv"
done
printf 'customer,channel,category,status,at,source\nc1,webhook,marketing,granted,2026-01-01,checkout\nc1,sms,marketing,maybe,2026-01-01,\nnobody,webhook,marketing,granted,2026-01-01,\nc1,webhook,feedback,revoked,2026-01-01 10:00:00,\n' > "$tmp/consents.csv"
check "consents strict" 1 "$retain" consents "$tmp/promo.db" "$tmp/consents.csv" --strict
contains "strict keeps nothing" "$tmp/err" "nothing recorded (--strict)"
check "consents" 0 "$retain" consents "$tmp/promo.db" "$tmp/consents.csv" --source migration
contains "bad status by line" "$tmp/err" "consents.csv:3: status must be granted or revoked"
contains "unknown customer by line" "$tmp/err" "consents.csv:4:"
contains "consents counted" "$tmp/out" "recorded 2 consent statements"
printf 'customer,channel,status\nc1,webhook,granted\n' > "$tmp/badhdr.csv"
check "consents bad header" 1 "$retain" consents "$tmp/promo.db" "$tmp/badhdr.csv"
contains "header named" "$tmp/err" "badhdr.csv:1:"
check "consents usage" 2 "$retain" consents "$tmp/promo.db"
check "tick with consent" 0 "$retain" tick "$tmp/promo.db" --now 2026-02-03
contains "granted: sent" "$tmp/err" "1 queued, 1 sent"
check "tick without consent" 0 "$retain" tick "$tmp/nopromo.db" --now 2026-02-03
contains "no grant: none sent" "$tmp/err" "0 queued, 0 sent"

# import with an e-mail column: the address reaches the message payload;
# a bad address fails only its row.
printf 'journey: mail\ntrigger: { event: order.placed }\nsteps:\n  - id: confirm\n    send: { channel: email, template: order_confirmation, category: transactional }\n' > "$tmp/mail.yaml"
printf 'customer,order,date,total,currency,mail\nm1,p1,2026-01-02,10.00,EUR,Ann.Lee@Example.COM\nm2,p2,2026-01-02,10.00,EUR,not-an-address\n' > "$tmp/mail.csv"
check "init mail db" 0 "$retain" init "$tmp/mail.db"
check "load mail journey" 0 "$retain" load "$tmp/mail.db" "$tmp/mail.yaml" --now 2026-01-01
check "import unknown map field" 1 "$retain" import "$tmp/mail.db" "$tmp/mail.csv" --map phone=mail
contains "map fields named" "$tmp/err" "email"
check "import with email" 0 "$retain" import "$tmp/mail.db" "$tmp/mail.csv" --map email=mail
contains "bad address reported with line" "$tmp/err" "mail.csv:3:"
contains "one mail order imported" "$tmp/out" "imported 1 orders"
check "tick mail" 0 "$retain" tick "$tmp/mail.db" --now 2026-01-02 --out "$tmp/mail.jsonl"
contains "address in the payload" "$tmp/mail.jsonl" '"email":"Ann.Lee@example.com"'
lines "one e-mail" "$tmp/mail.jsonl" 1

# metrics, fit, clv on the CDNOW sample; the published fits (Fader, Hardie
# & Lee 2005; tests/model) use the 39 weeks to 1997-09-30.
check "metrics needs now" 2 "$retain" metrics "$tmp/cdnow.db"
check "metrics missing db" 2 "$retain" metrics --now 1998-07-01
check "metrics bad now" 2 "$retain" metrics "$tmp/cdnow.db" --now 1998-13-01
check "metrics" 0 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01
contains "metrics customers" "$tmp/out" "customers          2357"
contains "metrics orders" "$tmp/out" "orders             6919"
check "metrics json" 0 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01 --json
contains "metrics json orders" "$tmp/out" '"orders":6919'
check "metrics cohorts" 0 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01 --cohorts month
contains "metrics cohorts head" "$tmp/out" "month cohorts: share of each cohort buying again"
contains "metrics cohort row" "$tmp/out" "1997-01-01       781 15.9%"
lines "metrics three cohorts" "$tmp/out" 18
check "metrics cohorts json" 0 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01 --cohorts week --json
contains "metrics cohorts json keys" "$tmp/out" '{"summary":{'
contains "metrics cohorts json cohorts" "$tmp/out" '"cohorts":{'
check "metrics bad cohorts" 2 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01 --cohorts year
check "metrics unknown currency" 1 "$retain" metrics "$tmp/cdnow.db" --now 1998-07-01 --currency XYZ
check "fit help" 0 "$retain" fit --help
check "fit needs model" 2 "$retain" fit "$tmp/cdnow.db" --now 1997-10-01
check "fit unknown model" 2 "$retain" fit "$tmp/cdnow.db" --model weibull --now 1997-10-01
contains "unknown model message" "$tmp/err" 'unknown model "weibull"'
check "fit bad now" 2 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now soon
check "fit missing db file" 1 "$retain" fit "$tmp/nothing.db" --model bgnbd --now 1997-10-01
check "fit before any order" 1 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now 1996-01-01
check "fit bgnbd" 0 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now 1997-10-01
contains "bgnbd table" "$tmp/out" "loglik     -9582.4"
check "fit bgnbd json" 0 "$retain" fit "$tmp/cdnow.db" --model bgnbd --now 1997-10-01 --json
near "bgnbd r" "$tmp/out" r 0.243 0.002
near "bgnbd alpha" "$tmp/out" alpha 4.414 0.0002
near "bgnbd a" "$tmp/out" a 0.793 0.001
near "bgnbd b" "$tmp/out" b 2.426 0.0003
near "bgnbd loglik" "$tmp/out" loglik -9582.4 0.000006
check "fit pareto json" 0 "$retain" fit "$tmp/cdnow.db" --model pareto --now 1997-10-01 --json
near "pareto r" "$tmp/out" r 0.553 0.001
near "pareto alpha" "$tmp/out" alpha 10.58 0.0005
near "pareto s" "$tmp/out" s 0.606 0.001
near "pareto beta" "$tmp/out" beta 11.67 0.0005
near "pareto loglik" "$tmp/out" loglik -9595.0 0.000006
contains "pareto converged" "$tmp/out" '"converged":true'
check "fit gg" 0 "$retain" fit "$tmp/cdnow.db" --model gg --now 1997-10-01
contains "gg on repeat buyers" "$tmp/out" "gamma_gamma (946 customers"
check "fit gg json" 0 "$retain" fit "$tmp/cdnow.db" --model gg --now 1997-10-01 --json
near "gg p" "$tmp/out" p 6.25 0.001
near "gg q" "$tmp/out" q 3.74 0.002
near "gg gamma (cents)" "$tmp/out" gamma 1544 0.0005
check "clv bad top" 2 "$retain" clv "$tmp/cdnow.db" --now 1997-10-01 --top 0
check "clv needs now" 2 "$retain" clv "$tmp/cdnow.db"
check "clv" 0 "$retain" clv "$tmp/cdnow.db" --now 1997-10-01 --top 3
lines "header and three customers" "$tmp/out" 4
check "clv json" 0 "$retain" clv "$tmp/cdnow.db" --now 1997-10-01 --top 2 --json
contains "clv json row" "$tmp/out" '[{"customer":"'
contains "clv p_alive" "$tmp/out" '"p_alive":0.'
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
