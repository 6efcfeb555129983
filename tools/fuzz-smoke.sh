#!/bin/sh
# Runs each libFuzzer target in BUILD_DIR for SECONDS seconds on a scratch copy of its
# corpus (libFuzzer writes new inputs into its first corpus directory; the tree stays clean).
set -eu
build=$1
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "$build"/tests/fuzz-*; do
        [ -x "$bin" ] || continue
        name=$(basename "$bin")
        mkdir -p "$scratch/$name"
        if ! "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -print_final_stats=0 \
                -artifact_prefix="$scratch/$name/" \
                "$scratch/$name" "$root/tests/fuzz/corpus/$name" >"$scratch/$name.log" 2>&1; then
                echo "FAIL $name (log follows)"; tail -40 "$scratch/$name.log"
                status=1
        else
                echo "ok   $name: $(grep -Eo 'Done [0-9]+ runs' "$scratch/$name.log" || echo ran)"
        fi
done
exit $status
