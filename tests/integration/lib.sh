# Shared by the integration tests: sourced, not run. Provides $AIOPS (the binary under test),
# $WORK (a scratch directory removed on exit), and small assertion helpers that print what
# was expected and what was seen.
# shellcheck shell=sh

set -eu

: "${AIOPS:?run through ctest, which sets AIOPS to the binary under test}"
export NO_COLOR=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aiops-it-XXXXXX")
CLEANUP=""
cleanup() {
        status=$?
        # shellcheck disable=SC2086 # a list of pids
        [ -z "$CLEANUP" ] || kill $CLEANUP 2>/dev/null || true
        rm -rf "$WORK"
        exit $status
}
trap cleanup EXIT INT TERM

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

pass() {
        echo "ok: $*"
}

# expect_rc WANT CMD...: runs CMD, fails unless its exit status is WANT; keeps its stdout in
# $WORK/out and stderr in $WORK/err.
expect_rc() {
        want=$1
        shift
        set +e
        "$@" >"$WORK/out" 2>"$WORK/err"
        rc=$?
        set -e
        [ "$rc" -eq "$want" ] || {
                echo "--- stdout" >&2; head -20 "$WORK/out" >&2
                echo "--- stderr" >&2; head -20 "$WORK/err" >&2
                fail "'$*' exited $rc, expected $want"
        }
}

# expect_grep PATTERN FILE: FILE must contain the extended regex PATTERN.
expect_grep() {
        grep -Eq -- "$1" "$2" || {
                echo "--- $2" >&2; head -20 "$2" >&2
                fail "'$2' does not match /$1/"
        }
}

# skip REASON: the test cannot run here (a server or a privilege is missing); exits 0 after
# saying so, so that ctest counts it as passed with a visible "SKIP:" line.
skip() {
        echo "SKIP: $*"
        exit 0
}

# need_cmd CMD...: skips unless every CMD is an executable (a name on $PATH or a path).
need_cmd() {
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed"
        done
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
        "${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
        tries=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                tries=$((tries - 1))
                [ "$tries" -gt 0 ] || fail "timed out waiting for: $*"
                sleep 0.1
        done
}
