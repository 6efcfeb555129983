#!/bin/sh
# A real MariaDB on loopback writes its error log from the first startup line to the last
# shutdown line; in between it is made to log "The table 'm' is full", "Got a packet bigger
# than 'max_allowed_packet'" and "Access denied for user". aiops reads the log twice, once as
# format mysql and once auto-detected (from a file name that says nothing): the lines,
# severities and templates it stores must match the file exactly.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-logs.sh
. "$(dirname "$0")/lib-logs.sh"

need_cmd mariadbd mariadb mariadb-install-db mariadb-admin python3

M="$WORK/db"
LOG="$M/server.log"
mkdir -p "$M"
srv_pid=""
stop_mariadb() {
        [ -n "$srv_pid" ] || return 0
        mariadb-admin --no-defaults -S "$M/mysqld.sock" -uroot shutdown >/dev/null 2>&1 ||
                kill "$srv_pid" 2>/dev/null || true
        wait "$srv_pid" 2>/dev/null || true
        srv_pid=""
}
on_exit() {
        st=$?
        set +e # in a trap too, set -e would end the shell before cleanup
        stop_mariadb
        (exit $st)
        cleanup
}
trap on_exit EXIT INT TERM

echo "mariadb-install-db into $M/data"
mariadb-install-db --no-defaults --datadir="$M/data" --user=root \
        --auth-root-authentication-method=normal --skip-test-db >"$M/install.log" 2>&1 ||
        { cat "$M/install.log" >&2; fail "mariadb-install-db"; }
PORT=$(free_port)
cat >"$M/my.cnf" <<EOF
[mariadbd]
datadir=$M/data
socket=$M/mysqld.sock
port=$PORT
bind-address=127.0.0.1
pid-file=$M/mysqld.pid
log-error=$LOG
user=root
skip-name-resolve
innodb_buffer_pool_size=8M
max_allowed_packet=16K
max_heap_table_size=64K
tmp_table_size=64K
log_warnings=4
EOF

# Two views of the same file: the format given, and the format detected from the first line
# (the path says nothing: no "mysql", "mariadb" or ".err" in it).
: >"$LOG"
for v in given auto; do
        fmt=""
        [ $v = given ] && fmt=", format: mysql"
        cat >"$WORK/aiops-$v.yaml" <<EOF
logs:
  discover: false
  journal: false
  kmsg: false
  backfill: false
  learning_period: 0s
  count_interval: 1s
  files:
    - {path: "$LOG", name: mariadb$fmt}
EOF
        D="$WORK/data-$v"
        CFG="$WORK/aiops-$v.yaml"
        collect_once
done
echo "the sources are registered at the end of the empty log; starting mariadbd"

mariadbd --defaults-file="$M/my.cnf" 2>"$M/stderr" &
srv_pid=$!
wait_for 30 test -S "$M/mysqld.sock"
wait_for 10 grep -q 'ready for connections' "$LOG"
sql() {
        mariadb --no-defaults -S "$M/mysqld.sock" -uroot "$@"
}

echo "provoking: a full MEMORY table, an oversized packet, wrong passwords"
sql -e "CREATE DATABASE t; CREATE TABLE t.m (a VARCHAR(200)) ENGINE=MEMORY;
        INSERT INTO t.m VALUES (REPEAT('x', 200));"
full=0
i=0
while [ $i -lt 20 ]; do
        if ! sql -e "INSERT INTO t.m SELECT * FROM t.m" 2>"$WORK/sql.err"; then
                grep -q "The table 'm' is full" "$WORK/sql.err" || fail "insert: $(cat "$WORK/sql.err")"
                full=$((full + 1))
        fi
        i=$((i + 1))
done
[ $full -ge 3 ] || fail "only $full inserts hit the full table"
"$PYTHON" -c 'print("SELECT \"" + "x" * 40000 + "\";")' >"$WORK/big.sql"
# The client says "Got a packet bigger" or "Server has gone away", depending on timing.
if sql <"$WORK/big.sql" >/dev/null 2>&1; then fail "a 40 KB packet went through"; fi
wait_for 5 grep -q "Got a packet bigger than 'max_allowed_packet'" "$LOG"
for i in 1 2 3; do
        if sql -pwrong -e 'SELECT 1' 2>/dev/null; then fail "a wrong password was accepted"; fi
done
denied3() { [ "$(grep -c 'Access denied' "$LOG")" -eq 3 ]; }
wait_for 5 denied3

# level N: lines whose header says [N] (the first one on a line: MariaDB's threads sometimes
# glue two lines into one).
level() {
        grep -cE "^[0-9]{4}-[0-9]{2}-[0-9]{2} +[0-9]{1,2}:[0-9]{2}:[0-9]{2} [0-9]+ \[$1\]" "$LOG" || true
}

# check VIEW: what aiops stored for the view matches the whole log as it is now.
check() {
        view=$1
        D="$WORK/data-$view"
        CFG="$WORK/aiops-$view.yaml"
        collect_once
        total=$(wc -l <"$LOG")
        expect_eq "$view: lines read" "$total" "$(source_field mariadb lines)"
        expect_eq "$view: format" "mysql" "$(source_field mariadb format)"
        expect_eq "$view: log_lines" "$total" "$(metric_sum log_lines 1)"
        expect_eq "$view: log_lines{err}" "$(level ERROR)" \
                "$(metric_sum log_lines 1 --label severity=err)"
        expect_eq "$view: log_lines{warning}" "$(level Warning)" \
                "$(metric_sum log_lines 1 --label severity=warning)"
        expect_eq "$view: log_lines{info}" "$(level Note)" \
                "$(metric_sum log_lines 1 --label severity=info)"
        expect_eq "$view: templates' total count" "$total" "$(template_total mariadb)"
        expect_eq "$view: keyword 'denied'" "$(grep -ci denied "$LOG")" \
                "$(metric_sum log_keyword_lines 1 --label keyword=denied)"

        t=$(template_for mariadb "The table 'm' is full")
        # shellcheck disable=SC2086 # COUNT SEVERITY ID
        set -- $t
        expect_eq "$view: count of 'The table is full'" "$full" "$1"
        expect_eq "$view: severity of 'The table is full'" err "$2"
        t=$(template_for mariadb "Got a packet bigger than 'max_allowed_packet' bytes")
        # shellcheck disable=SC2086
        set -- $t
        expect_eq "$view: count of 'Got a packet bigger'" 1 "$1"
        expect_eq "$view: severity of 'Got a packet bigger'" err "$2"
        t=$(template_for mariadb "Access denied for user 'root'@'localhost' (using password: YES)")
        # shellcheck disable=SC2086
        set -- $t
        expect_eq "$view: count of 'Access denied'" 3 "$1"
        expect_eq "$view: severity of 'Access denied'" warning "$2"
}

echo "collect #2, format mysql"
check given
pass "format mysql: every line, severity and template counted ($(wc -l <"$LOG") lines)"
echo "collect #2, format detected"
check auto
pass "format detected: the same counts"

echo "stopping mariadbd cleanly; collect #3 reads its shutdown lines"
stop_mariadb
grep -q 'Shutdown complete' "$LOG" || fail "no 'Shutdown complete' in the log"
check given
check auto
pass "after the shutdown: still every line exactly once"
