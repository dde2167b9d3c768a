# common.sh - helpers of the tool's test scripts (sourced): set `tmp` first.
# Each helper counts into pass/fail; end with
#   echo "NAME: $pass passed, $fail failed"; [ "$fail" -eq 0 ]
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
