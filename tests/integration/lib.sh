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
