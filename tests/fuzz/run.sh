#!/usr/bin/env bash
# run.sh [TARGET...] - the long form of the fuzz suite: builds the libFuzzer
# targets with clang (-fsanitize=fuzzer,address,undefined, the library
# instrumented for coverage) in build-fuzz/ and fuzzes each target in turn
# for FUZZ_SECONDS (default 600) seconds. TARGETs: rule journey policy import tzif
# json (default: all). Exits non-zero if any run found a crash, leak,
# undefined behaviour or timeout; reproducers are in
# build-fuzz/tests/fuzz/found-TARGET.artifacts/. See tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-600}
dir=${FUZZ_BUILD:-build-fuzz}
if ! command -v clang >/dev/null; then
    echo "run.sh: needs clang and its runtime (apt-get install clang libclang-rt-dev)" >&2
    exit 2
fi
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" -Dfuzzing=true -Dfuzz_seconds="$secs" -Dwerror=true \
        -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all -Dpython=disabled -Dbenchmarks=false >/dev/null
else
    meson configure "$dir" -Dfuzz_seconds="$secs"
fi
ninja -C "$dir" >/dev/null
tests=()
for t in "${@:-rule journey policy import tzif json}"; do
    for n in $t; do tests+=("fuzz-long-$n"); done
done
meson test -C "$dir" --suite fuzz-long --num-processes 1 --print-errorlogs "${tests[@]}"
