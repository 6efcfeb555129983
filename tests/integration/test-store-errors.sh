#!/bin/sh
# Broken stores give one clear error naming the file, and the agent keeps collecting in
# memory and saves the samples once the store can be written again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# A foreign SQLite file and a garbage file where aiops.db should be.
mkdir -p "$WORK/foreign" "$WORK/garbage"
sqlite3 "$WORK/foreign/aiops.db" 'CREATE TABLE customers(id INTEGER, name TEXT);'
expect_rc 3 "$AIOPS" status --data-dir "$WORK/foreign"
expect_grep "'$WORK/foreign/aiops.db' is not an aiops database" "$WORK/err"
head -c 65536 /dev/urandom >"$WORK/garbage/aiops.db"
expect_rc 3 "$AIOPS" status --data-dir "$WORK/garbage"
expect_grep "'$WORK/garbage/aiops.db'" "$WORK/err"
expect_rc 3 "$AIOPS" collect --data-dir "$WORK/garbage"
expect_grep "'$WORK/garbage/aiops.db'" "$WORK/err"
[ "$(grep -c "garbage/aiops.db" "$WORK/err")" -eq 1 ] || fail "the error should be said once"
pass "foreign and garbage database files are refused with the file named"

# A database damaged after it was written (a page overwritten in the middle).
"$AIOPS" collect --count 3 --interval 100ms --data-dir "$WORK/damaged" >/dev/null
sqlite3 "$WORK/damaged/aiops.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
size=$(stat -c %s "$WORK/damaged/aiops.db")
dd if=/dev/urandom of="$WORK/damaged/aiops.db" bs=4096 seek=2 count=$((size / 4096 - 3)) \
        conv=notrunc status=none
set +e
"$AIOPS" query host_load1 --data-dir "$WORK/damaged" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "query of a damaged store exited $rc, expected 3"
expect_grep "'$WORK/damaged/aiops.db'" "$WORK/err"
pass "a damaged database gives exit 3 naming the file"

# Read-only and full file systems need a private mount namespace (root, as in CI).
if ! unshare -m true 2>/dev/null; then
        echo "SKIP: no mount namespaces here (needs root)"
        exit 0
fi

# Read-only directory: monitor keeps collecting in memory, then saves it all.
mkdir -p "$WORK/ro"
cat >"$WORK/ro.sh" <<EOS
set -e
mount -t tmpfs -o size=16m tmpfs "$WORK/ro"
mount -o remount,ro "$WORK/ro"
"$AIOPS" monitor --interval 100ms --data-dir "$WORK/ro" 2>"$WORK/ro.log" &
mon=\$!
sleep 1.5
start=\$(date +%s%3N)
mount -o remount,rw "$WORK/ro"
sleep 3.5 # the retry backs off: 1, 2, 4 ... s
kill -TERM \$mon
wait \$mon
"$AIOPS" query host_uptime_seconds --since 1h --json --data-dir "$WORK/ro" >"$WORK/ro.json"
echo \$start >"$WORK/ro.start"
EOS
unshare -m --propagation private sh "$WORK/ro.sh" || fail "read-only scenario"
expect_grep "aiops.db" "$WORK/ro.log"
[ "$(grep -c 'collecting in memory' "$WORK/ro.log")" -eq 1 ] ||
        fail "the read-only error should be logged once: $(cat "$WORK/ro.log")"
expect_grep "writable again" "$WORK/ro.log"
python3 - "$WORK/ro.json" "$(cat "$WORK/ro.start")" <<'PY' || fail "samples from the read-only period were lost"
import json, sys
s = json.load(open(sys.argv[1]))[0]["samples"]
start = int(sys.argv[2])
early = [t for t, _ in s if t < start - 300]
assert len(early) >= 8, f"only {len(early)} samples from the read-only period"
print(f"ok: {len(early)} samples collected while read-only were saved, {len(s)} in all")
PY

# Full disk: fill the file system under a running monitor, then free it. 16 MiB: the WAL
# alone grows to SQLite's 4 MiB autocheckpoint while the first second stores hundreds of new
# series (host, log counts, their anomaly scores).
mkdir -p "$WORK/full"
cat >"$WORK/full.sh" <<EOS
set -e
mount -t tmpfs -o size=16m tmpfs "$WORK/full"
"$AIOPS" monitor --interval 100ms --data-dir "$WORK/full" 2>"$WORK/full.log" &
mon=\$!
sleep 1
dd if=/dev/zero of="$WORK/full/filler" bs=64k status=none 2>/dev/null || true
full_at=\$(date +%s%3N)
sleep 2
rm -f "$WORK/full/filler"
sleep 1.5
kill -TERM \$mon
wait \$mon
"$AIOPS" query host_uptime_seconds --since 1h --json --data-dir "$WORK/full" >"$WORK/full.json"
echo \$full_at >"$WORK/full.at"
EOS
unshare -m --propagation private sh "$WORK/full.sh" || fail "disk-full scenario"
expect_grep "full" "$WORK/full.log"
expect_grep "writable again" "$WORK/full.log"
python3 - "$WORK/full.json" "$(cat "$WORK/full.at")" <<'PY' || fail "samples from the disk-full period were lost"
import json, sys
s = [t for t, _ in json.load(open(sys.argv[1]))[0]["samples"]]
at = int(sys.argv[2])
during = [t for t in s if at + 200 <= t <= at + 1800]
assert len(during) >= 10, f"only {len(during)} samples from the 2 s the disk was full"
gaps = [b - a for a, b in zip(s, s[1:])]
assert max(gaps) < 1000, f"a gap of {max(gaps)} ms in the samples"
print(f"ok: {len(during)} samples taken while the disk was full were saved; no gap")
PY
