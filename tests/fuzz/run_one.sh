#!/bin/sh
# run_one.sh EXE SCRATCH_DIR SEED_DIR SECONDS - one libFuzzer run of the
# long form (called by the fuzz-long suite). New inputs go to SCRATCH_DIR,
# crash reproducers to SCRATCH_DIR.artifacts/; the exit status is
# libFuzzer's: 0 when the run ended without a crash, leak, UB or timeout.
set -eu
exe=$1 scratch=$2 seeds=$3 secs=$4
# A dictionary of the target's keywords, when there is one (TARGET.dict
# beside corpus/TARGET).
dict=$(dirname "$seeds")/../$(basename "$seeds").dict
dictflag=
[ -f "$dict" ] && dictflag="-dict=$dict"
mkdir -p "$scratch" "$scratch.artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$scratch.artifacts/" $dictflag ${FUZZ_FLAGS:-} \
    "$scratch" "$seeds"
