#!/usr/bin/env bash
# run_tests.sh - run the tests of the Python package `retain` (bindings/python/tests).
#
#   bindings/python/run_tests.sh BUILD_DIR [pytest args...]
#       BUILD_DIR is a libretain build configured with -Dpython=enabled. The
#       extension built there and the package sources are put together in a
#       temporary directory on PYTHONPATH; nothing is installed.
#   bindings/python/run_tests.sh --standalone [pytest args...]
#       Build and install the package with meson-python (pip, offline, no
#       build isolation) into a temporary venv, and test that.
#
# Always Debian's /usr/bin/python3. Exits non-zero when a test fails or when
# no test ran at all. Works offline on a fresh clone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR|--standalone [pytest args...]" >&2
    exit 2
fi
target=$1
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/retain-pytest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export PYTHONDONTWRITEBYTECODE=1   # keep __pycache__ out of the source tree
export RETAIN_TEST_DATA="$root/tests/data"
python=$PY

if [ "$target" = --standalone ]; then
    $PY -m venv --system-site-packages "$tmp/venv"
    "$tmp/venv/bin/pip" install --no-build-isolation --no-index --no-deps -q "$here"
    python="$tmp/venv/bin/python"
    unset PYTHONPATH
else
    build=$(cd "$target" && pwd)
    mapfile -t exts < <(find "$build" -path '*/bindings/python/src/_retain*.so' -type f)
    if [ ${#exts[@]} -ne 1 ]; then
        echo "run_tests.sh: expected one retain/_retain extension under $build, found" \
             "${#exts[@]}; configure the build with -Dpython=enabled and build it" >&2
        exit 1
    fi
    mkdir -p "$tmp/pkg/retain"
    for f in "$here"/retain/*; do
        case $f in *__pycache__) continue ;; esac
        ln -s "$f" "$tmp/pkg/retain/"
    done
    ln -s "${exts[0]}" "$tmp/pkg/retain/"
    export PYTHONPATH="$tmp/pkg"

    # A build with sanitizers: load their run-times first (CPython is not
    # instrumented), and leave leak checking to the leak test: the interpreter
    # keeps memory until exit by design.
    sanitize=$(meson introspect --buildoptions "$build" 2>/dev/null |
        $PY -c 'import json,sys
for o in json.load(sys.stdin):
    if o["name"] == "b_sanitize": print(o["value"])' || true)
    preload=()
    case $sanitize in *address*) preload+=("$(gcc -print-file-name=libasan.so)") ;; esac
    case $sanitize in *undefined*) preload+=("$(gcc -print-file-name=libubsan.so)") ;; esac
    if [ ${#preload[@]} -gt 0 ]; then
        export LD_PRELOAD="${preload[*]}"
        export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
        export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
        export RETAIN_TEST_SANITIZED=1
    fi
fi

cd "$root"
rc=0
"$python" -m pytest -q -p no:cacheprovider "$here/tests" "$@" || rc=$?
if [ $rc -eq 5 ]; then
    echo "run_tests.sh: pytest collected no tests" >&2
    exit 1
fi
exit $rc
