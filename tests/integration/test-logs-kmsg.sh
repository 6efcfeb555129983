#!/bin/sh
# The kernel ring buffer, /dev/kmsg: lines written to it (as root) are read with their
# severity, the first collect reads the buffer's history, and the cursor (boot id and sequence
# number) carries the next collect exactly past what was read: N lines injected between two
# runs add exactly N to their template.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-logs.sh
. "$(dirname "$0")/lib-logs.sh"

[ "$(id -u)" -eq 0 ] || skip "not root: cannot write to /dev/kmsg"
if ! [ -c /dev/kmsg ] || ! [ -w /dev/kmsg ] || ! [ -r /dev/kmsg ]; then
        skip "/dev/kmsg is not readable and writable"
fi

N=25
TAG="aiops-it-$$"
# inject FROM TO: one record per line, each with its own open (the kernel rate-limits writes
# per open file).
inject() {
        i=$1
        while [ "$i" -le "$2" ]; do
                printf '<3>%s-%s: injected test line %s\n' "$TAG" "$i" "$i" >/dev/kmsg
                i=$((i + 1))
        done
}
# last_seq: the sequence number of the last record of ours in the buffer.
last_seq() {
        "$PYTHON" - "$TAG-" <<'PY'
import os, sys
fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
last = None
while True:
    try:
        rec = os.read(fd, 8192).decode("utf-8", "replace")
    except BlockingIOError:
        break
    except BrokenPipeError:  # records overwritten while we read: go on
        continue
    head, _, msg = rec.partition(";")
    if msg.startswith(sys.argv[1]):
        last = int(head.split(",")[1])
if last is None:
    sys.exit("FAIL: none of our lines in /dev/kmsg")
print(last)
PY
}
# cursor_seq: the seq of the kmsg source's cursor "boot=ID seq=N".
cursor_seq() {
        c=$(source_field kmsg cursor)
        boot=$(cat /proc/sys/kernel/random/boot_id)
        case "$c" in
        "boot=$boot seq="*) echo "${c##*seq=}" ;;
        *) fail "the kmsg cursor '$c' is not 'boot=$boot seq=N'" ;;
        esac
}

D="$WORK/data"
CFG="$WORK/aiops.yaml"
cat >"$CFG" <<EOF
logs:
  discover: false
  journal: false
  kmsg: true
  backfill: false
  learning_period: 0s
  count_interval: 1s
EOF

echo "injecting $N lines '<3>$TAG-i: injected test line i'; collect #1 reads the buffer's history"
inject 1 $N
seq1=$(last_seq)
collect_once
lines1=$(source_field kmsg lines)
[ "$lines1" -ge $N ] || fail "collect #1 read $lines1 kmsg records, expected at least $N"
expect_eq "source kind" kmsg "$(source_field kmsg kind)"
cur1=$(cursor_seq)
[ "$cur1" -ge "$seq1" ] || fail "cursor seq $cur1 is before our last record's seq $seq1"
t=$(template_for kmsg "$TAG-1: injected test line 1")
# shellcheck disable=SC2086 # COUNT SEVERITY ID
set -- $t
count1=$1
tpl_id=$3
[ "$count1" -ge $N ] || fail "the template of our lines has count $count1, expected >= $N"
expect_eq "severity of our lines' template" err "$2"
err1=$(metric_sum log_lines 1 --label source=kmsg --label severity=err)
pass "history: $lines1 records read, our $N among them, cursor at seq $cur1"

echo "injecting $N more; collect #2 reads from the cursor"
inject $((N + 1)) $((2 * N))
seq2=$(last_seq)
collect_once
lines2=$(source_field kmsg lines)
cur2=$(cursor_seq)
[ "$cur2" -ge "$seq2" ] || fail "cursor seq $cur2 is before our last record's seq $seq2"
t=$(template_for kmsg "$TAG-$((N + 1)): injected test line $((N + 1))")
# shellcheck disable=SC2086
set -- $t
expect_eq "our template's id" "$tpl_id" "$3"
expect_eq "our template's count after $N more lines" $((count1 + N)) "$1"
[ $((lines2 - lines1)) -ge $N ] || fail "collect #2 read $((lines2 - lines1)) records, expected >= $N"
[ $((cur2 - cur1)) -eq $((lines2 - lines1)) ] ||
        echo "note: $((cur2 - cur1 - lines2 + lines1)) records between the runs were lost to buffer overrun"
err2=$(metric_sum log_lines 1 --label source=kmsg --label severity=err)
[ $((err2 - err1)) -ge $N ] || fail "log_lines{err} grew by $((err2 - err1)), expected >= $N"
[ $((lines2 - lines1)) -eq $N ] ||
        echo "note: $((lines2 - lines1 - N)) other kernel records arrived between the runs"
pass "collect #2: exactly $N more lines of our template, cursor seq $cur1 -> $cur2"

echo "collect #3 with nothing injected"
collect_once
t=$(template_for kmsg "$TAG-1: injected test line 1")
# shellcheck disable=SC2086
set -- $t
expect_eq "our template's count after a run without new lines" $((count1 + N)) "$1"
pass "collect #3 reads none of our lines again"
