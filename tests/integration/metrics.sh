# --metrics (issue 19): the run's Prometheus/OpenMetrics endpoint.  A real
# Prometheus server (Debian's `prometheus`, installed by scripts/deps.sh)
# scrapes a real run on loopback; its HTTP API must hold the series and
# labels, and every scraped value must be the trace's at the tick the
# scrape names.  promtool lints the names.  Then the endpoint's formats
# and paths with curl-free python, the bad addresses, a port in use, and
# the console serving it too.
. "$TESTS/lib.sh"
L="$WATTSON_SOURCE_DIR/lua-policies/labs"
# The files checks name in their messages exist before the checks run.
for f in w.out tg.out c.out lint; do : >"$T/$f"; done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
get() { python3 - "$@" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Accept": sys.argv[2]} if len(sys.argv) > 2 else {})
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        sys.stdout.write(f"status {r.status}\ncontent-type {r.headers['Content-Type']}\n")
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(f"status {e.code}\n")
PY
}
# port_of FILE: the port `-v` said the endpoint listens on.
port_of() { sed -n 's|.*metrics: serving http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$1" | head -n 1; }
wait_for_port() {
    i=0
    while [ $i -lt 100 ] && [ -z "$(port_of "$1")" ]; do sleep 0.1; i=$((i + 1)); done
    port_of "$1"
}

# ---- a real Prometheus scraping a run ------------------------------------
if ! command -v prometheus >/dev/null; then
    fail "prometheus missing: scripts/deps.sh installs it"
else
    "$W" run -v --lab "$L/gpu-tenants.lua" --duration 14s --metrics 0 \
        --out "$T/run.jsonl" >"$T/sum.json" 2>"$T/run.err" &
    wpid=$!
    wport=$(wait_for_port "$T/run.err")
    check '[ -n "$wport" ]' "the run says where it serves: $(cat "$T/run.err")"
    pport=$(free_port)
    cat >"$T/prom.yml" <<EOF2
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: wattson
    static_configs:
      - targets: ["127.0.0.1:$wport"]
EOF2
    prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
        --web.listen-address="127.0.0.1:$pport" >"$T/prom.log" 2>&1 &
    ppid=$!
    check 'python3 "$TESTS/promcheck.py" wait "http://127.0.0.1:$pport" 3 >"$T/w.out" 2>&1' \
        "Prometheus stored scrapes of wattson: $(cat "$T/w.out"; tail -n 5 "$T/prom.log")"
    # The endpoint as Prometheus saw it: up, in OpenMetrics.
    check 'python3 -c "
import json, urllib.request
d = json.load(urllib.request.urlopen(\"http://127.0.0.1:$pport/api/v1/targets\"))
t = d[\"data\"][\"activeTargets\"][0]
assert t[\"health\"] == \"up\", t
print(t[\"lastError\"] or \"ok\")" >"$T/tg.out" 2>&1' "the target is up: $(cat "$T/tg.out")"
    wait $wpid
    check '[ $? -eq 0 ]' "the run ends well: $(cat "$T/run.err")"
    check 'python3 "$TESTS/promcheck.py" check "http://127.0.0.1:$pport" "$T/run.jsonl" >"$T/c.out" 2>&1' \
        "Prometheus's series, labels and values are the trace's: $(cat "$T/c.out")"
    cat "$T/c.out" >&2
    kill $ppid 2>/dev/null
    wait $ppid 2>/dev/null
fi

# ---- the formats, linted -------------------------------------------------
"$W" run -v --duration 6s --metrics 0 >/dev/null 2>"$T/f.err" &
fpid=$!
fport=$(wait_for_port "$T/f.err")
sleep 0.3
get "http://127.0.0.1:$fport/metrics" >"$T/text"
get "http://127.0.0.1:$fport/metrics" "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5" >"$T/om"
get "http://127.0.0.1:$fport/nothing" >"$T/404"
wait $fpid
check 'grep -q "^content-type text/plain; version=0.0.4" "$T/text" && grep -q "^# TYPE wattson_run_ticks_total counter" "$T/text"' \
    "Prometheus text 0.0.4 by default, a counter's TYPE with _total: $(head -n 3 "$T/text")"
check 'grep -q "^content-type application/openmetrics-text; version=1.0.0" "$T/om" && tail -n 1 "$T/om" | grep -qx "# EOF" && grep -q "^# TYPE wattson_run_ticks counter" "$T/om" && grep -q "^wattson_run_ticks_total " "$T/om"' \
    "OpenMetrics when asked: # EOF, the family without _total, the sample with it"
check 'grep -q "^wattson_device_power_watts{device=\"gpu0\",kind=\"gpu\",driver=\"sim\"} [0-9]" "$T/text"' \
    "a device's power with its labels"
check 'grep -q "^status 404" "$T/404"' "another path: 404"
if command -v promtool >/dev/null; then
    sed '1,2d' "$T/text" >"$T/text.body"
    check 'promtool check metrics <"$T/text.body" >"$T/lint" 2>&1' \
        "promtool finds nothing against Prometheus's naming rules: $(head -n 10 "$T/lint")"
else
    fail "promtool missing (Debian's prometheus package has it)"
fi

# ---- bad addresses, a port in use ------------------------------------------
expect_fail 2 "'localhost:9100': not an address with a port" -- run --duration 1s --metrics localhost:9100
expect_fail 2 "not an address with a port" -- run --duration 1s --metrics 127.0.0.1:99999
expect_fail 2 "empty address" -- run --duration 1s --metrics ""
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(8)' >"$T/busy" &
bpid=$!
i=0; while [ $i -lt 50 ] && [ ! -s "$T/busy" ]; do sleep 0.1; i=$((i + 1)); done
busy=$(cat "$T/busy")
expect_fail 6 "--metrics 127.0.0.1:$busy: cannot listen: Address already in use" -- \
    run --duration 1s --metrics "127.0.0.1:$busy" --out "$T/never.jsonl"
check '! ls "$T" | grep -q never' "nothing half-written: $(ls "$T")"
kill $bpid 2>/dev/null
wait $bpid 2>/dev/null

# ---- the console serves it too ---------------------------------------------
if command -v tmux >/dev/null; then
    cport=$(free_port)
    sock="wattson-mx-$$"
    tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
        "XDG_STATE_HOME='$T/state' WATTSON_LOCK_FILE='$T/wattson.lock' WATTSON_RUN_DIR='$T/run' '$W' --console --duration 1h --metrics $cport; sleep 5"
    i=0
    while [ $i -lt 50 ] && ! get "http://127.0.0.1:$cport/metrics" >"$T/con" 2>/dev/null; do sleep 0.2; i=$((i + 1)); done
    sleep 1
    get "http://127.0.0.1:$cport/metrics" >"$T/con2"
    tmux -L "$sock" send-keys q
    sleep 1
    tmux -L "$sock" kill-server 2>/dev/null
    t1=$(sed -n 's/^wattson_tick //p' "$T/con")
    t2=$(sed -n 's/^wattson_tick //p' "$T/con2")
    check '[ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -gt "$t1" ]' \
        "the console serves its ticks as they come: $t1 then $t2"
else
    fail "tmux missing (scripts/deps.sh installs it)"
fi
# ---- bench metrics --quick: the plumbing of the bench ---------------------
"$W" bench metrics --quick >"$T/bm" 2>"$T/bm.err"
check '[ $? -eq 0 ] && [ "$(grep -cE "^  (0|1|100) +[0-9.]+us" "$T/bm")" -eq 6 ] && ! grep -q FAILED "$T/bm"' \
    "bench metrics --quick: three conditions at two sizes, every scrape served: $(cat "$T/bm" "$T/bm.err")"
finish
