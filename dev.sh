#!/usr/bin/env bash
# dev.sh - build, test and demo libretain on a Debian machine.
#
#   ./dev.sh demo     build and run the demo storefront
#   ./dev.sh test     build and run every test suite (also under ASan+UBSan)
#   ./dev.sh bench    build and run the benchmarks (JSON on stdout)
#   ./dev.sh coverage line and branch coverage of src/ by the test suites (gcovr)
#   ./dev.sh analyze  gcc's static analyzer (-fanalyzer) over src/ (also run by test)
#   ./dev.sh build    configure and build only
#
# Missing Debian packages are installed with apt-get (through sudo when not
# root). Set RETAIN_NO_INSTALL=1 to skip that step.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(meson ninja-build pkg-config gcc g++ libsqlite3-dev libyaml-dev libpcre2-dev doxygen
          tzdata python3 python3-dev python3-pytest python3-numpy python3-scipy
          python3-mesonpy chromium libpq-dev postgresql)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
    [ "${RETAIN_NO_INSTALL:-0}" = 1 ] && return 0
    PACKAGES+=("$@")
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure DIR [meson options...]: set up a build directory once.
configure() {
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        log "configuring $dir"
        meson setup "$dir" -Dwerror=true "$@" >/dev/null
    fi
}

build() {
    configure build -Dbuildtype=debugoptimized -Dpython=enabled
    log "building"
    ninja -C build >/dev/null
}

# Print "N passed, N failed" from a meson test log.
summarize() {
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            res = r.get("result")
            if res in ("OK", "EXPECTEDFAIL"): passed += 1
            elif res == "SKIP": skipped += 1
            else: failed += 1; print("FAILED:", path.split("/")[0], r.get("name"), res, file=sys.stderr)
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
PY
}

cmd_test() {
    ensure_packages
    build
    local rc=0
    log "running tests"
    meson test -C build --print-errorlogs --num-processes 2 || rc=1
    log "building and running tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    configure build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbenchmarks=false -Dpython=enabled
    ninja -C build-asan >/dev/null
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite python || rc=1
    # The interpreter itself does not free everything at exit, so leak
    # checking is off for the Python suite; memory errors still abort.
    cp build-asan/meson-logs/testlog.json build-asan/meson-logs/testlog-c.json
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        meson test -C build-asan --print-errorlogs --suite python || rc=1
    summarize build/meson-logs/testlog.json build-asan/meson-logs/testlog-c.json \
        build-asan/meson-logs/testlog.json || rc=1
    return $rc
}

cmd_demo() {
    ensure_packages
    build
    log "running the demo storefront"
    ./build/examples/storefront/storefront "${1:-tests/data/CDNOW_sample.txt}" \
        "${2:-storefront-demo.db}" examples
}

cmd_bench() {
    ensure_packages
    build
    meson test -C build --benchmark --verbose "$@"
}

cmd_coverage() {
    ensure_packages gcovr
    # Atomic counters: the concurrency and crash suites count from several
    # threads and forked processes at once.
    configure build-cov -Dbuildtype=debug -Db_coverage=true -Dbenchmarks=false -Dpython=enabled \
        -Dc_args=-fprofile-update=atomic
    log "building with coverage"
    ninja -C build-cov >/dev/null
    find build-cov -name '*.gcda' -delete
    log "running tests"
    local rc=0
    meson test -C build-cov --num-processes 2 "$@" >/dev/null || rc=1
    mkdir -p build-cov/coverage
    gcovr -r . --object-directory build-cov --filter 'src/' --exclude-unreachable-branches \
        --exclude-throw-branches --html-details build-cov/coverage/index.html \
        --print-summary --txt build-cov/coverage/summary.txt
    log "per-file table: build-cov/coverage/summary.txt, HTML: build-cov/coverage/index.html"
    return $rc
}

cmd_analyze() {
    ensure_packages
    build
    log "running gcc -fanalyzer over src/"
    /usr/bin/python3 tools/analyze.py build
}

case "${1:-}" in
    test) shift; cmd_test "$@" ;;
    demo) shift; cmd_demo "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    coverage) shift; cmd_coverage "$@" ;;
    analyze) cmd_analyze ;;
    build) ensure_packages; build ;;
    *) echo "usage: ./dev.sh demo|test|bench|coverage|analyze|build" >&2; exit 2 ;;
esac
