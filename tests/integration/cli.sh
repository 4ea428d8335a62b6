# The CLI contract: help, version, commands, plugins listing, headless
# output when stdout is not a terminal.
. "$TESTS/lib.sh"

"$W" --help >"$T/help" 2>&1
check '[ $? -eq 0 ]' "--help exits 0"
for word in run plugins bench --headless --lab --policy --duration --tick \
    --seed --out --csv --realtime --plugin-dir "Exit status"; do
    check "grep -q -- '$word' '$T/help'" "--help mentions $word"
done
# --help is generated from the command table (console/cmd/cli.c): every
# command with its synopsis, and `wattson help` is the same text.
for cmd in "run \[OPTIONS\]" "plugins \[--lab FILE\]" "bench \[NAME\]" \
    "bench forecast TRACE.csv" "bench broker \[OPTIONS\]" \
    "restore \[--plugin-dir DIR\]" "help " "(no command) \[OPTIONS\]"; do
    check "grep -q -- '^  $cmd' '$T/help'" "--help lists $cmd"
done
"$W" help >"$T/help2" 2>&1
check '[ $? -eq 0 ] && cmp -s "$T/help" "$T/help2"' "wattson help is --help"
"$W" --version >"$T/ver"
check 'grep -q "^wattson [0-9]" "$T/ver" && grep -q "ABI 1.3" "$T/ver"' "--version"

"$W" plugins >"$T/plugins" 2>"$T/err"
check '[ $? -eq 0 ]' "plugins exits 0: $(cat "$T/err")"
check 'grep -q "^plugin sim" "$T/plugins"' "plugins lists sim"
check '[ "$(grep -c "^  device" "$T/plugins")" -ge 7 ]' "default lab has 7+ devices"
for k in cpu gpu fpga; do
    check "grep -q '^  device .* ($k)' '$T/plugins'" "a $k device is listed"
done
check 'grep -q "signal  energy .*J .*counter" "$T/plugins"' "energy is a J counter"
check 'grep -q "signal  temp .*C .*gauge" "$T/plugins"' "temp is a C gauge"
check 'grep -q "control freq .*Hz .*min .*max" "$T/plugins"' "freq control with range"
check 'grep -q "control power_cap .*W" "$T/plugins"' "power_cap control"

# No arguments, stdout not a terminal: a headless run of the default lab
# that prints the summary (what `make run` does without a terminal).
"$W" --duration 2s </dev/null >"$T/sum" 2>"$T/err"
check '[ $? -eq 0 ]' "default command exits 0: $(cat "$T/err")"
check '[ "$(wc -l <"$T/sum")" -eq 1 ]' "summary is one line"
for key in ticks sim_seconds wall_seconds energy_j mean_power_w peak_power_w \
    budget_w budget_violations work_arrived work_served backlog_end \
    mean_latency_s edp deadline_misses policy_errors rejected_decisions \
    driver_errors; do
    check "grep -q '\"$key\":' '$T/sum'" "summary has $key"
done
check '[ "$(json "[\"ticks\"]" <"$T/sum")" = 200 ]' "2 s at 10 ms = 200 ticks"
check '[ ! -s "$T/err" ]' "quiet stderr on success: $(cat "$T/err")"

# --realtime paces the simulated lab by the wall clock: same tick count.
"$W" run --realtime --duration 300ms >"$T/rt" 2>"$T/err"
check '[ $? -eq 0 ]' "--realtime run: $(cat "$T/err")"
check '[ "$(json "[\"ticks\"]" <"$T/rt")" = 30 ]' "--realtime: 300 ms at 10 ms = 30 ticks"
check '[ "$(json "[\"interrupted\"]" <"$T/rt")" = False ]' "--realtime: not interrupted"

# A lab names its policy relative to itself; --policy overrides it.
mkdir -p "$T/labdir"
printf 'return { api = 1, on_tick = function(s, o) o.c0.freq = s.dev.c0.ctl.freq.min end }\n' >"$T/labdir/p.lua"
cat >"$T/labdir/lab.lua" <<'LAB'
return { policy = "p.lua", duration = "1s", drivers = { { plugin = "sim",
  devices = { { name = "c0", kind = "cpu", part = "zen3-core",
                workload = { kind = "constant", level = 0.9 } } } } } }
LAB
(cd / && "$W" run --lab "$T/labdir/lab.lua" --out "$T/lp.jsonl" >/dev/null 2>"$T/err")
check '[ $? -eq 0 ]' "lab with a relative policy: $(cat "$T/err")"
check 'head -n 1 "$T/lp.jsonl" | grep -q "\"policy\":\"p.lua\""' "the trace header names the lab's policy"
check 'tail -n 2 "$T/lp.jsonl" | head -n 1 | grep -q "\"set.freq\":1.5e+09"' "the lab's policy decided (freq at its minimum)"
"$W" run --lab "$T/labdir/lab.lua" --policy builtin --out "$T/lb.jsonl" >/dev/null 2>&1
check '! tail -n 2 "$T/lb.jsonl" | head -n 1 | grep -q "\"set.freq\":1.5e+09"' "--policy builtin overrides the lab's policy"

# d.rate: a counter's per-second rate, read on demand; the energy
# counter's rate over a tick is that tick's mean power.  nil for gauges.
cat >"$T/rate.lua" <<'POL'
local bad = 0
return { api = 1,
  on_tick = function(s, o)
    local d = s.dev.cpu0
    if s.tick > 2 then
      local r, p = d.rate.energy, d.sig.power
      if not (math.abs(r - p) <= 1e-9 * p) then bad = bad + 1 end
      if d.rate.util ~= nil or d.rate.nosuch ~= nil then bad = bad + 1 end
    end
    if bad > 0 then error("rate mismatch") end
  end }
POL
"$W" run --policy "$T/rate.lua" --duration 2s >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "\"policy_errors\":0," "$T/out"' "d.rate.energy equals d.sig.power: $(cat "$T/err")"

# print() in a policy goes to the log at info level, prefixed by the file,
# control characters escaped; state.power_w is the devices' power summed,
# as in the console's REPL.
cat >"$T/print.lua" <<'POL'
return { api = 1,
  on_tick = function(s, o)
    if s.tick == 3 then
      local sum = 0
      for _, d in ipairs(s.devices) do
        if d.ok.power then sum = sum + d.sig.power end
      end
      print("power_w", s.power_w == sum and s.power_w > 0, "a\nb\27[2J")
    end
  end }
POL
"$W" run --policy "$T/print.lua" --duration 1s -v >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "\"policy_errors\":0," "$T/out"' "print and power_w in a policy: $(cat "$T/err")"
check 'grep -qx "wattson: info: $T/print.lua: power_w  true  a\\\\x0ab\\\\x1b\[2J" "$T/err"' \
    "print logs one escaped line with power_w true: $(grep print.lua "$T/err")"
"$W" run --policy "$T/print.lua" --duration 1s >"$T/out" 2>"$T/err"
check '[ ! -s "$T/err" ]' "print is info: silent without -v: $(cat "$T/err")"

"$W" bench nosuch >/dev/null 2>"$T/err"
check '[ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "unknown benchmark .nosuch. (tick16, tick256, policy16, policy256, console, all, forecast TRACE.csv, broker or mesh)" "$T/err"' \
    "bench rejects unknown names, listing every bench: $(cat "$T/err")"

# Names are the lab's text: a quote, a backslash, a comma, a newline or an
# escape in a device name must break neither the JSONL lines (before,
# tick lines wrote names raw) nor the CSV columns (before, unquoted).
cat >"$T/names.lua" <<'LAB'
return { drivers = { { plugin = "sim", devices = {
  { name = 'c"q\\b,x', kind = "cpu", part = "zen3-core",
    workload = { kind = "constant", level = 0.5 } },
  { name = "n\nwattson: error: forged\27[31m", kind = "cpu",
    part = "zen3-core", workload = { kind = "constant", level = 0.5 } } } } } }
LAB
"$W" run --lab "$T/names.lua" --duration 50ms --out "$T/names.jsonl" \
    --csv "$T/names.csv" >/dev/null 2>"$T/err"
check '[ $? -eq 0 ]' "odd names: run: $(cat "$T/err")"
check 'python3 - "$T/names.jsonl" "$T/names.csv" <<PY
import csv, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
names = [d["name"] for d in lines[0]["devices"]]
assert names == ["c\"q\\\\b,x", "n\\nwattson: error: forged\\x1b[31m"], names
for l in lines[1:-1]:
    assert l["type"] != "tick" or list(l["dev"]) == names, l
rows = list(csv.reader(open(sys.argv[2], newline="")))
assert all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
assert rows[0][1] == names[0] + ".util", rows[0][1]
assert names[1] + ".set.freq" in rows[0], rows[0]
PY' "odd names: JSONL lines parse with the names, CSV columns line up"

# A summary that cannot be written (a full disk) is an I/O failure.
if [ -w /dev/full ]; then
    "$W" run --duration 100ms >/dev/full 2>"$T/err"
    rc=$?
    check '[ $rc -eq 6 ]' "summary to /dev/full: exit 6, got $rc"
    check 'grep -q "cannot write the summary: No space left on device" "$T/err"' "summary to /dev/full: said why: $(cat "$T/err")"
fi
finish
