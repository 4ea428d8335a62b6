#!/bin/sh
# wattson report: a real run's trace to one self-contained HTML page, two
# runs compared, every bad input of the README's list (missing,
# directory, FIFO, empty, not JSON, another format, truncated, a bad line
# in the middle, an empty run, a run killed before its summary), names
# escaped, where the page goes (default name, -o, a directory refused, the
# old page kept when a report fails), and a 500,000-tick trace in bounded
# memory with its one-tick spike kept.
. "$(dirname "$0")/lib.sh"

"$W" run -q --duration 5s --out "$T/a.jsonl" >/dev/null 2>"$T/run.err"
check '[ -s "$T/a.jsonl" ]' "a run wrote no trace: $(cat "$T/run.err")"
"$W" run -q --duration 5s --seed 2 --policy builtin:schedutil \
    --out "$T/b.jsonl" >/dev/null 2>>"$T/run.err"

# One run: the default name, the charts, nothing fetched, no script.
"$W" report "$T/a.jsonl" >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ]' \
    "report of a good trace: $(cat "$T/err")"
check '[ -s "$T/a.html" ]' "no $T/a.html (the default name)"
figs=$(grep -c '<figure>' "$T/a.html")
check '[ "$figs" -ge 8 ]' "only $figs charts in the report"
for t in 'Total power against the budget (W)' 'Clock per PU (Hz)' \
    'Utilisation per PU' 'Power per PU (W)' 'Temperature per PU (C)' \
    'Latency p99 per PU (s)' 'Deadline misses per tick' \
    'Forecast demand per PU (fc.demand) (op/s)' \
    'Arrived demand per PU (work_arrived / tick) (op/s)' \
    'Forecast against actual demand, all PUs (op/s)'; do
    check 'grep -qF "<figcaption>$t" "$T/a.html"' "no chart '$t'"
done
check '! grep -qiE "<script|https?://|src=|@import|url\(" "$T/a.html"' \
    "the report fetches or scripts something"
check 'grep -q "Content-Security-Policy" "$T/a.html"' "no CSP"
# every key of the summary is in the table
python3 - "$T/a.jsonl" "$T/a.html" <<'EOF' || fail "summary table incomplete"
import json, sys
s = json.loads(open(sys.argv[1]).readlines()[-1])
html = open(sys.argv[2]).read()
miss = [k for k in s if k != "type" and "<tr><td>%s</td>" % k not in html]
assert not miss, miss
EOF
ok

# Two runs: A-vs-B beside A, both styles named, the B-A column.
"$W" report "$T/a.jsonl" "$T/b.jsonl" 2>"$T/err"
check '[ $? -eq 0 ] && [ -s "$T/a-vs-b.html" ]' \
    "comparison: $(cat "$T/err")"
check 'grep -q "cpu0 (A)" "$T/a-vs-b.html" && grep -q "cpu0 (B)" "$T/a-vs-b.html"' \
    "comparison legend lacks the runs' names"
check 'grep -q "stroke-dasharray=\"6 3\"" "$T/a-vs-b.html"' "B is not dashed"
check 'grep -q "B &minus; A" "$T/a-vs-b.html"' "no B-A column"
# one budget line when the runs share it; both, B's dashed, when not
check 'grep -q "</i>budget</span>" "$T/a-vs-b.html"' "no shared budget line"
sed '1s/"budget_w":[0-9.e+]*/"budget_w":123/' "$T/b.jsonl" >"$T/b2.jsonl"
check 'grep -q "\"budget_w\":123" "$T/b2.jsonl"' "b2 fixture kept its budget"
"$W" report -o "$T/cmp2.html" "$T/a.jsonl" "$T/b2.jsonl" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "</i>budget (A)</span>" "$T/cmp2.html" &&
    grep -q "<i class=\"d\" style=\"border-color:#000\"></i>budget (B)</span>" "$T/cmp2.html"' \
    "two budgets not both drawn: $(cat "$T/err")"
"$W" report -o "$T/cmp.html" "$T/a.jsonl" "$T/b.jsonl" 2>"$T/err"
check '[ $? -eq 0 ] && [ -s "$T/cmp.html" ]' "-o: $(cat "$T/err")"

# Bad traces: exit 3, one line naming the file.
expect_fail 3 "$T/none.jsonl: No such file or directory" -- report "$T/none.jsonl"
mkdir "$T/dir.jsonl"
expect_fail 3 "dir.jsonl: not a regular file (a directory)" -- report "$T/dir.jsonl"
mkfifo "$T/fifo.jsonl"
expect_fail 3 "fifo.jsonl: not a regular file (a FIFO)" -- report "$T/fifo.jsonl"
: >"$T/empty.jsonl"
expect_fail 3 "empty.jsonl:1: not a wattson trace (empty file)" -- report "$T/empty.jsonl"
echo 'time,power' >"$T/csv.jsonl"
expect_fail 3 "csv.jsonl:1: not a wattson trace (not JSON)" -- report "$T/csv.jsonl"
sed '1s/"format":2,"wattson":"[^"]*"/"format":3,"wattson":"0.2.0"/' \
    "$T/a.jsonl" >"$T/f3.jsonl"
expect_fail 3 "f3.jsonl:1: a trace of format 3 (wattson 0.2.0); this wattson [0-9.]* reads formats 1 and 2" \
    -- report "$T/f3.jsonl"
# a format-1 trace (no "format"; written before it existed) is read
python3 - "$T/a.jsonl" "$T/f1.jsonl" <<'EOF'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        o = json.loads(line)
        for k in ("format", "wattson", "eng"):
            o.pop(k, None)
        out.write(json.dumps(o) + "\n")
EOF
check '! head -1 "$T/f1.jsonl" | grep -q format' "f1 fixture still has a format"
check '"$W" report "$T/f1.jsonl" 2>"$T/err" && grep -q "trace format 1" "$T/f1.html"' \
    "a format-1 trace: $(cat "$T/err")"

# A failed report keeps the old page; nothing temporary is left.
cp "$T/a.html" "$T/keep.html"
"$W" report -o "$T/a.html" "$T/f3.jsonl" 2>/dev/null
check '[ $? -eq 3 ] && cmp -s "$T/a.html" "$T/keep.html"' \
    "a failed report changed the old page"
check '[ -z "$(ls "$T" | grep "\.tmp\.")" ]' "temporary files left: $(ls "$T")"
expect_fail 6 "a directory" -- report -o "$T/dir.jsonl" "$T/a.jsonl"
expect_fail 2 "is the trace being read" -- report -o "$T/a.jsonl" "$T/a.jsonl"
expect_fail 2 "report needs one trace, or two" -- report
expect_fail 2 "report does not take --tick" -- report --tick 1s "$T/a.jsonl"

# Truncated mid-line: the ticks before it plotted, a banner, exit 0.
lines=$(wc -l <"$T/a.jsonl")
head -c "$(($(head -n 201 "$T/a.jsonl" | wc -c) + 40))" "$T/a.jsonl" \
    >"$T/cut.jsonl"
"$W" report "$T/cut.jsonl" >/dev/null 2>"$T/err"
check '[ $? -eq 0 ]' "truncated trace: exit $?"
check 'grep -q "cut.jsonl:202: truncated/malformed here; plotting the 200 ticks before it" "$T/err"' \
    "truncated: stderr '$(cat "$T/err")'"
check '[ "$(wc -l <"$T/err")" -eq 1 ]' "truncated: more than one line"
check 'grep -q "class=\"banner\">Truncated or malformed trace" "$T/cut.html"' \
    "no truncation banner"
check 'grep -q "No summary (run did not finish)" "$T/cut.html"' \
    "truncated: no no-summary banner"
check 'grep -q "200 ticks over" "$T/cut.html"' "truncated: not 200 ticks"
# a bad line in the middle
sed '101s/.*/{"type":"tick","tick":/' "$T/a.jsonl" >"$T/mid.jsonl"
"$W" report "$T/mid.jsonl" >/dev/null 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "mid.jsonl:101: truncated/malformed here; plotting the 99 ticks before it" "$T/err"' \
    "bad middle line: $(cat "$T/err")"

# A run killed before its summary: a banner, the ticks plotted.
head -n $((lines - 1)) "$T/a.jsonl" >"$T/nosum.jsonl"
"$W" report "$T/nosum.jsonl" 2>"$T/err"
check '[ $? -eq 0 ] && [ ! -s "$T/err" ]' "no summary: $(cat "$T/err")"
check 'grep -q "No summary (run did not finish)" "$T/nosum.html"' \
    "no no-summary banner"
check 'grep -q "No summary in the trace" "$T/nosum.html"' \
    "no-summary report claims a table"

# An empty run: header and summary only: "no ticks", the summary table.
head -n 1 "$T/a.jsonl" >"$T/zero.jsonl"
tail -n 1 "$T/a.jsonl" >>"$T/zero.jsonl"
"$W" report "$T/zero.jsonl" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "no ticks" "$T/zero.html"' \
    "empty run: $(cat "$T/err")"
check 'grep -q "<tr><td>energy_j</td>" "$T/zero.html"' "empty run: no summary table"
check '! grep -q "<figure>" "$T/zero.html"' "empty run: charts drawn"

# Names from the trace are escaped; reloads are marked and counted.
python3 - "$T/esc.jsonl" <<'EOF'
import json, sys
d = {"name": "<script>x</script>&", "kind": "cpu", "driver": "sim",
     "signals": {"freq": "Hz", "power": "W"}, "controls": {}}
h = {"type": "header", "format": 2, "wattson": "0.1.0", "lab": "<b>lab</b>",
     "seed": 1, "tick_s": 1, "duration_s": 4, "budget_w": 10, "policy": "p\"q",
     "devices": [d], "eng": {"f<i>": {"type": "gauge", "unit": "1",
     "label": "k", "help": "h<u>"}}}
out = [h]
for n in range(1, 5):
    out.append({"type": "tick", "tick": n, "t": n, "power_w": n,
                "dev": {d["name"]: {"freq": 1e9 * n, "power": n}},
                "eng": {"f<i>": {"<v>": n}}})
    if n == 2:
        out.append({"type": "reload", "tick": 2, "t": 2, "ok": True})
    if n == 3:
        out.append({"type": "reload", "tick": 3, "t": 3, "ok": False,
                    "error": "<bad>"})
out.append({"type": "summary", "ticks": 4, "<k>": 1})
open(sys.argv[1], "w").write("".join(json.dumps(o) + "\n" for o in out))
EOF
"$W" report "$T/esc.jsonl" 2>"$T/err"
check '[ $? -eq 0 ]' "escape fixture: $(cat "$T/err")"
for s in '<script>' '<b>lab' 'h<u>' '<v>' '<k>' 'f<i>' '<bad>' 'p"q'; do
    check '! grep -qF "$s" "$T/esc.html"' "unescaped in the page: $s"
done
check 'grep -q "&lt;script&gt;x&lt;/script&gt;&amp;" "$T/esc.html"' \
    "the device name is not in the page"
check 'grep -q "Policy reloads: 1 (1 rejected)" "$T/esc.html"' "reload count"
check 'grep -q "stroke=\"#00a000\"" "$T/esc.html" && grep -q "stroke=\"#e00000\"" "$T/esc.html"' \
    "no reload marks"

# 500,000 ticks: memory does not grow with them, and a one-tick spike
# (98765 W at tick 333,333) is still the chart's maximum.  ASan's
# quarantine would hold every freed line: off for this measurement.
python3 - "$T/big.jsonl" 500000 <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('{"type":"header","format":2,"wattson":"0.1.0","lab":"big",'
            '"seed":1,"tick_s":0.01,"duration_s":%g,"budget_w":100,'
            '"policy":"p","devices":[{"name":"cpu0","kind":"cpu","driver":'
            '"sim","signals":{"freq":"Hz","util":"1"},"controls":{}}],'
            '"eng":{}}\n' % (n / 100))
    for i in range(1, n + 1):
        p = 98765 if i == 333333 else 40 + i % 7
        f.write('{"type":"tick","tick":%d,"t":%g,"power_w":%d,"dev":{"cpu0":'
                '{"freq":2e9,"util":0.5}},"eng":{}}\n' % (i, i / 100, p))
    f.write('{"type":"summary","ticks":%d}\n' % n)
EOF
head -n 50001 "$T/big.jsonl" >"$T/small.jsonl"
tail -n 1 "$T/big.jsonl" >>"$T/small.jsonl"
rss() { # peak RSS in KiB of wattson report $1
    ASAN_OPTIONS=quarantine_size_mb=0:detect_leaks=1 python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else -1)' \
        "$W" report "$1"
}
small=$(rss "$T/small.jsonl")
big=$(rss "$T/big.jsonl")
echo "report: peak RSS $small KiB at 50k ticks, $big KiB at 500k ticks" >&2
check '[ "$small" -gt 0 ] && [ "$big" -gt 0 ] && [ "$big" -lt $((small + 8192)) ]' \
    "memory grows with ticks: $small KiB at 50k, $big KiB at 500k"
check 'grep -q "data-max=\"98765\"" "$T/big.html"' "the one-tick spike was lost"
check 'grep -q "500000 ticks over" "$T/big.html"' "not 500000 ticks"

# ---- interrupted: nothing half-written, the old report kept ---------------
echo "the old report" >"$T/kept.html"
"$W" report "$T/big.jsonl" -o "$T/kept.html" 2>/dev/null &
rp=$!
i=0
while [ $i -lt 600 ] && ! ls "$T" | grep -q "kept.html.tmp"; do sleep 0.05; i=$((i + 1)); done
kill -TERM $rp
wait $rp
rc=$?
check '[ $rc -eq 143 ] && [ "$(cat "$T/kept.html")" = "the old report" ] && ! ls "$T" | grep -q "kept.html.tmp"' \
    "SIGTERM while writing: exit 143, the old report kept, no temporary file: rc $rc, $(ls "$T" | grep kept)"
finish
