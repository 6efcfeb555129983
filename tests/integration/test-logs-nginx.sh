#!/bin/sh
# A real nginx on loopback in front of a dead upstream (502, "connect() failed (111: Connection
# refused)") and a slow one (504, "upstream timed out (110: ...)"), serving 200s and 404s too.
# aiops reads its access and error logs; the counts, HTTP rates, templates and new patterns it
# stores must match the traffic exactly, and a template known before is never new again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-logs.sh
. "$(dirname "$0")/lib-logs.sh"

need_cmd nginx python3
# codes N URL: the statuses of N GETs of URL, one a line (curl, or Python's urllib where curl
# is missing).
if command -v curl >/dev/null 2>&1; then
        codes() {
                k=0
                while [ $k -lt "$1" ]; do
                        curl -s -o /dev/null -w '%{http_code}\n' "$2" || true
                        k=$((k + 1))
                done
        }
else
        codes() {
                "$PYTHON" -c '
import sys, urllib.error, urllib.request
for _ in range(int(sys.argv[1])):
    try:
        print(urllib.request.urlopen(sys.argv[2], timeout=30).status)
    except urllib.error.HTTPError as e:
        print(e.code)
    except OSError:
        print("000")
' "$1" "$2"
        }
fi

N="$WORK/nginx"
D="$WORK/data"
CFG="$WORK/aiops.yaml"
mkdir -p "$N/www" "$N/tmp"
echo hello >"$N/www/index.html"

nginx_pid=""
slow_pid=""
stop_servers() {
        for p in $nginx_pid $slow_pid; do
                kill "$p" 2>/dev/null || true
        done
        for p in $nginx_pid $slow_pid; do
                wait "$p" 2>/dev/null || true
        done
        nginx_pid=""
        slow_pid=""
}
on_exit() {
        st=$?
        set +e # in a trap too, set -e would end the shell before cleanup
        stop_servers
        (exit $st)
        cleanup
}
trap on_exit EXIT INT TERM

# The slow upstream: listens (the kernel completes the handshakes) but never accepts, so nginx
# waits for a response header until proxy_read_timeout.
echo "starting a slow upstream (listens, never accepts)"
"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(128)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
' "$N/slow.port" &
slow_pid=$!
wait_for 10 test -s "$N/slow.port"
SLOW=$(cat "$N/slow.port")
PORT=$(free_port)

cat >"$N/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log error;
events { worker_connections 64; }
http {
        log_format aiops '\$remote_addr - \$remote_user [\$time_local] "\$request" '
                         '\$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" '
                         'rt=\$request_time urt="\$upstream_response_time"';
        access_log $N/access.log aiops;
        client_body_temp_path $N/tmp/body;
        proxy_temp_path $N/tmp/proxy;
        fastcgi_temp_path $N/tmp/fastcgi;
        uwsgi_temp_path $N/tmp/uwsgi;
        scgi_temp_path $N/tmp/scgi;
        server {
                listen 127.0.0.1:$PORT;
                root $N/www;
                location /dead { proxy_pass http://127.0.0.1:9; }
                location /slow {
                        proxy_pass http://127.0.0.1:$SLOW;
                        proxy_connect_timeout 1s;
                        proxy_read_timeout 1s;
                }
        }
}
EOF
echo "starting nginx on 127.0.0.1:$PORT"
nginx -e "$N/error.log" -p "$N" -c "$N/nginx.conf" &
nginx_pid=$!
URL="http://127.0.0.1:$PORT"
up() { [ "$(codes 1 "$URL/")" = 200 ]; }
wait_for 10 up
wait_for 5 test -s "$N/access.log"

cat >"$CFG" <<EOF
logs:
  discover: false
  journal: false
  kmsg: false
  backfill: false
  learning_period: 0s
  count_interval: 1s
  files:
    - {path: "$N/access.log", name: nginx-access, format: access}
    - {path: "$N/error.log", name: nginx-error, format: nginx-error}
EOF

# get N PATH CODE: N requests, each of which must get CODE.
get() {
        codes "$1" "$URL$2" >"$WORK/codes"
        [ "$(grep -cx "$3" "$WORK/codes")" -eq "$1" ] ||
                fail "GET $2 x $1: expected HTTP $3 each time, got $(sort "$WORK/codes" | uniq -c)"
}

# traffic: 40 x 200, 30 x 502, 10 x 404 one after the other, then 5 x 504 at once (each
# takes the 1 s read timeout).
traffic() {
        get 40 / 200
        get 30 /dead 502
        get 10 /missing/x.html 404
        pids=""
        for i in 1 2 3 4 5; do
                codes 1 "$URL/slow/$i" >"$WORK/slow.$i.code" &
                pids="$pids $!"
        done
        for p in $pids; do
                wait "$p" || true
        done
        for i in 1 2 3 4 5; do
                [ "$(cat "$WORK/slow.$i.code")" = 504 ] ||
                        fail "GET /slow/$i: HTTP $(cat "$WORK/slow.$i.code"), expected 504"
        done
}
REQUESTS=85

# Without a cursor a file source starts at the end: this first run registers both sources.
echo "collect #1: registers the sources at the end of the logs"
collect_once
expect_eq "nginx-access lines after the first run" 0 "$(source_field nginx-access lines)"
expect_eq "nginx-error lines after the first run" 0 "$(source_field nginx-error lines)"
err_before=$(wc -l <"$N/error.log")
acc_before=$(wc -l <"$N/access.log")

echo "traffic #1: 40 x 200, 30 x 502, 10 x 404, 5 x 504"
traffic
sleep 0.2 # nginx writes the access line after the response
echo "collect #2"
collect_once

tail -n +$((acc_before + 1)) "$N/access.log" >"$WORK/access.new"
tail -n +$((err_before + 1)) "$N/error.log" >"$WORK/error.new"
expect_eq "access log lines written" $REQUESTS "$(wc -l <"$WORK/access.new")"
err_lines=$(wc -l <"$WORK/error.new")
refused=$(grep -c 'connect() failed (111: Connection refused)' "$WORK/error.new" || true)
timedout=$(grep -c 'upstream timed out' "$WORK/error.new" || true)
notfound=$(grep -c 'failed (2: No such file or directory)' "$WORK/error.new" || true)
expect_eq "'connect() failed' lines nginx wrote" 30 "$refused"
expect_eq "'upstream timed out' lines nginx wrote" 5 "$timedout"
expect_eq "'No such file' lines nginx wrote" 10 "$notfound"

expect_eq "nginx-access lines read" $REQUESTS "$(source_field nginx-access lines)"
expect_eq "nginx-error lines read" "$err_lines" "$(source_field nginx-error lines)"
pass "logs sources: every line written was read once ($REQUESTS access, $err_lines error)"

# Counts per bucket (logs.count_interval); a _per_second rate times the bucket's seconds is
# the count.
BUCKET_S=1
A="--label source=nginx-access"
E="--label source=nginx-error"
# shellcheck disable=SC2086 # $A and $E are two words each
{
        expect_eq "502s" 30 "$(metric_sum http_code_per_second $BUCKET_S $A --label code=502)"
        expect_eq "504s" 5 "$(metric_sum http_code_per_second $BUCKET_S $A --label code=504)"
        expect_eq "503s" 0 "$(metric_sum http_code_per_second $BUCKET_S $A --label code=503)"
        expect_eq "2xx" 40 "$(metric_sum http_class_per_second $BUCKET_S $A --label class=2xx)"
        expect_eq "4xx" 10 "$(metric_sum http_class_per_second $BUCKET_S $A --label class=4xx)"
        expect_eq "5xx" 35 "$(metric_sum http_class_per_second $BUCKET_S $A --label class=5xx)"
        expect_eq "requests" $REQUESTS "$(metric_sum http_requests_per_second $BUCKET_S $A)"
        expect_eq "access log_lines" $REQUESTS "$(metric_sum log_lines 1 $A)"
        expect_eq "access log_lines{err} (5xx)" 35 "$(metric_sum log_lines 1 $A --label severity=err)"
        expect_eq "access log_lines{warning} (4xx)" 10 \
                "$(metric_sum log_lines 1 $A --label severity=warning)"
        expect_eq "access upstream timeouts (504s)" 5 "$(metric_sum http_upstream_timeouts 1 $A)"
        expect_eq "error log_lines" "$err_lines" "$(metric_sum log_lines 1 $E)"
        expect_eq "error log_lines{err}" "$err_lines" "$(metric_sum log_lines 1 $E --label severity=err)"
        expect_eq "error keyword 'refused'" "$refused" \
                "$(metric_sum log_keyword_lines 1 $E --label keyword=refused)"
        expect_eq "error keyword 'timed out'" "$timedout" \
                "$(metric_sum log_keyword_lines 1 $E --label 'keyword=timed out')"
        expect_eq "error upstream timeouts" "$timedout" "$(metric_sum http_upstream_timeouts 1 $E)"
}
# The 504s took the 1 s read timeout: the highest p99 of a bucket is about 1 s.
for m in http_request_seconds http_upstream_seconds; do
        # shellcheck disable=SC2086
        aiops_do query $m $A --label quantile=0.99 --since 2h --until $(($(date +%s) + 3600)) \
                --json
        "$PYTHON" - "$WORK/out" <<'PY' || fail "$m: the 504s' time (about 1 s) is not the top p99"
import json, sys
v = [v for s in json.load(open(sys.argv[1])) for _, v in s["samples"] if v is not None]
assert v and 0.9 <= max(v) <= 2.0, v
PY
done
pass "HTTP codes, classes, severities, keywords and upstream timeouts match the traffic"

# Templates: what a /dead request mined into, with its count and severity.
t=$(template_for nginx-access 'GET /dead HTTP/1.1')
# shellcheck disable=SC2086 # COUNT SEVERITY ID
set -- $t
[ "$1" -ge 30 ] || fail "the template of 'GET /dead HTTP/1.1' has count $1, expected >= 30"
expect_eq "severity of the /dead request template" err "$2"
expect_eq "access templates' total count" $REQUESTS "$(template_total nginx-access)"
dead_line=$(grep -m1 'connect() failed (111' "$WORK/error.new" | sed 's/^.*\*[0-9]* //')
t=$(template_for nginx-error "$dead_line")
# shellcheck disable=SC2086
set -- $t
expect_eq "count of the 'connect() failed' template" "$refused" "$1"
expect_eq "severity of the 'connect() failed' template" err "$2"
slow_line=$(grep -m1 'upstream timed out' "$WORK/error.new" | sed 's/^.*\*[0-9]* //')
t=$(template_for nginx-error "$slow_line")
# shellcheck disable=SC2086
set -- $t
expect_eq "count of the 'upstream timed out' template" "$timedout" "$1"
expect_eq "error templates' total count" "$err_lines" "$(template_total nginx-error)"
pass "templates cover the request and error lines with the right counts and severities"

# learning_period 0s: every template of the second run is new, once.
n_new=$(new_patterns "$WORK/patterns.2")
"$PYTHON" - "$WORK/patterns.2" <<'PY' || fail "new patterns after the second run"
import json, sys
ev = json.load(open(sys.argv[1]))
by = {}
for e in ev:
    by.setdefault(e["source"], []).append(e["id"])
assert by.get("nginx-access") and by.get("nginx-error"), ev
for src, ids in by.items():
    assert len(ids) == len(set(ids)), f"{src}: a template reported new twice: {ev}"
assert all(e["shadow"] == "yes" for e in ev), ev
assert any("connect() failed" in e["sample"] for e in ev), ev
PY
expect_eq "log_new_templates (all sources)" "$n_new" "$(metric_sum log_new_templates 1)"
pass "the second run's $n_new templates are new patterns"

echo "traffic #2 (the same kinds of request), collect #3"
acc_before=$(wc -l <"$N/access.log")
err_before=$(wc -l <"$N/error.log")
traffic
sleep 0.2
collect_once
err_lines2=$(($(wc -l <"$N/error.log") - err_before))
expect_eq "access lines written by traffic #2" $REQUESTS $(($(wc -l <"$N/access.log") - acc_before))
expect_eq "nginx-access lines read" $((2 * REQUESTS)) "$(source_field nginx-access lines)"
expect_eq "nginx-error lines read" $((err_lines + err_lines2)) "$(source_field nginx-error lines)"
# shellcheck disable=SC2086
{
        expect_eq "502s" 60 "$(metric_sum http_code_per_second $BUCKET_S $A --label code=502)"
        expect_eq "504s" 10 "$(metric_sum http_code_per_second $BUCKET_S $A --label code=504)"
        expect_eq "requests" $((2 * REQUESTS)) "$(metric_sum http_requests_per_second $BUCKET_S $A)"
}
n_new3=$(new_patterns "$WORK/patterns.3")
if [ "$n_new3" -ne "$n_new" ]; then
        echo "--- new patterns after the second run" >&2
        cat "$WORK/patterns.2" >&2
        echo "--- after the third" >&2
        cat "$WORK/patterns.3" >&2
        fail "known templates reported new again: $n_new events before, $n_new3 after"
fi
expect_eq "log_new_templates after the third run" "$n_new" "$(metric_sum log_new_templates 1)"
pass "the same traffic again: counts add up, no template is new twice"
