# Bad input: one clear line naming the file, line or field; a documented
# exit code; nothing on stdout and nothing half-written.
. "$TESTS/lib.sh"
L="$WATTSON_SOURCE_DIR/lua-policies/labs"

expect_fail 2 "unknown option '--bogus'" -- run --bogus
expect_fail 2 "unknown command 'frobnicate'" -- frobnicate
expect_fail 2 "option '--duration' needs a value" -- run --duration
expect_fail 2 "invalid duration '5x'" -- run --duration 5x
expect_fail 2 "duration" -- run --duration -5s
expect_fail 2 "^wattson: --duration: must be more than 0, got '0' (see wattson --help)$" -- run --duration 0
expect_fail 2 "^wattson: --duration: must be more than 0, got '0ms'" -- run --duration 0ms
expect_fail 2 "^wattson: --tick: must be more than 0, got '0'" -- run --tick 0
expect_fail 2 "^wattson: --policy-time: must be more than 0, got '0s'" -- run --policy-time 0s
expect_fail 2 "^wattson: --tick: invalid duration 'abc'" -- run --tick abc
expect_fail 2 "^wattson: --policy-time: invalid duration '5x'" -- run --policy-time 5x
expect_fail 2 "--seed" -- run --seed -1
expect_fail 2 "unexpected argument 'extra'" -- run extra
expect_fail 3 "$T/nope.lua: cannot open" -- run --lab "$T/nope.lua"

# Every command refuses the options it would ignore: one line naming the
# option and the command, exit 2, before any work (bench broker would
# otherwise run the lab at its own tick, not the one given).
# (bench broker has more options than such a line lists: --help has them.)
expect_fail 2 "^wattson: bench broker does not take --tick (see wattson --help)$" -- bench broker --tick 1s
expect_fail 2 "^wattson: bench does not take --lab (it takes --plugin-dir, -q, -v; see wattson --help)$" -- bench tick16 --lab "$T/x.lua"
expect_fail 2 "^wattson: bench does not take --duration" -- bench --duration 1s
expect_fail 2 "^wattson: bench forecast does not take --plugin-dir (it takes -q, -v; " -- bench forecast "$T/x.csv" --plugin-dir "$T"
expect_fail 2 "^wattson: bench broker does not take --policy" -- bench broker --policy builtin
expect_fail 2 "^wattson: bench broker does not take --seed" -- bench broker --seed 3
expect_fail 2 "^wattson: plugins does not take --seed (it takes --lab, --plugin-dir, --host, -q, -v; " -- plugins --seed 3
expect_fail 2 "^wattson: plugins does not take --out" -- plugins --out "$T/p.jsonl"
expect_fail 2 "^wattson: restore does not take --duration" -- restore --duration 1s
expect_fail 2 "^wattson: run does not take --console" -- run --console
expect_fail 2 "^wattson: run does not take --scenario" -- run --scenario step
expect_fail 2 "^wattson: the default command (a run or the console) does not take --with" -- --with "$T/x.lua"
expect_fail 2 "^wattson: the console does not take --progress" -- --console --progress
check '[ ! -e "$T/p.jsonl" ]' "a refused command wrote nothing"

printf 'return {\n  name = "x",\n  budget_w = = 5,\n}\n' >"$T/syntax.lua"
expect_fail 3 "syntax.lua:3:" -- run --lab "$T/syntax.lua"

printf 'return { budget_w = "lots", drivers = { { plugin = "sim", devices = {} } } }\n' >"$T/type.lua"
expect_fail 3 "type.lua: budget_w: expected number, got string" -- run --lab "$T/type.lua"

printf 'return { budget_w = -5, drivers = { { plugin = "sim", devices = {} } } }\n' >"$T/neg.lua"
expect_fail 3 "neg.lua: budget_w: must be >= 0" -- run --lab "$T/neg.lua"

printf 'return { drivers = { { plugin = "warpdrive" } } }\n' >"$T/drv.lua"
expect_fail 3 "drv.lua: drivers.1.plugin: unknown driver 'warpdrive'" -- run --lab "$T/drv.lua"

cat >"$T/kind.lua" <<'LAB'
return { drivers = { { plugin = "sim", devices = {
  { name = "t0", kind = "tpu", part = "zen3-core",
    workload = { kind = "constant", level = 0.5 } } } } } }
LAB
expect_fail 3 "kind.lua: drivers.1: devices.1.kind: unknown device kind 'tpu'" -- run --lab "$T/kind.lua"

# ABI 1.3: the work a delivered message's byte brings, a number >= 0 (a
# NaN the lab reader refuses before the driver sees it).
for bad in '-1|drivers.1: devices.1.ipc_ops_per_byte: must be >= 0, got -1' \
  '"296"|drivers.1: devices.1.ipc_ops_per_byte: expected a number, got string' \
  '0/0|drivers.1.devices.1.ipc_ops_per_byte: numbers must be finite'; do
  cat >"$T/ipck.lua" <<LAB
return { drivers = { { plugin = "sim", devices = {
  { name = "c0", kind = "cpu", ipc_ops_per_byte = ${bad%%|*} } } } } }
LAB
  expect_fail 3 "ipck.lua: ${bad#*|}" -- run --lab "$T/ipck.lua"
done

printf 't_s,util\n0,0.5\n15,banana\n' >"$T/bad.csv"
cat >"$T/csv.lua" <<'LAB'
return { drivers = { { plugin = "sim", devices = {
  { name = "c0", kind = "cpu", part = "zen3-core",
    workload = { kind = "trace", file = "bad.csv" } } } } } }
LAB
expect_fail 3 "bad.csv:3:" -- run --lab "$T/csv.lua"

# Rows 1e-300 s apart made a looped replay spin for ever inside one tick
# (SIGTERM could not stop it): refused at load, naming file and line.
printf 't_s,util\n0,0.5\n1e-300,0.2\n' >"$T/bad.csv"
expect_fail 3 "bad.csv:3: rows closer than 1e-06 s" -- run --lab "$T/csv.lua" --duration 1s

# A policy's log() text cannot forge lines or send terminal escapes: its
# control characters reach stderr escaped, on one line.
printf 'return { api = 1, on_load = function() log("error", "x\\nwattson: error: forged\\27[2J") end,\n  on_tick = function() end }\n' >"$T/forge.lua"
"$W" run --policy "$T/forge.lua" --duration 50ms >/dev/null 2>"$T/forge.err"
check '[ "$(wc -l <"$T/forge.err")" -eq 1 ]' "forged log: one stderr line, got: $(cat "$T/forge.err")"
check 'grep -qF "forge.lua: x\\nwattson: error: forged\\x1b[2J" "$T/forge.err"' "forged log: escaped: $(cat "$T/forge.err")"

# Unwritable output: exit 6 before the run, and no file left behind.
expect_fail 6 "$T/missing/dir/t.jsonl: cannot write" -- run --duration 1s --out "$T/missing/dir/t.jsonl"
expect_fail 6 "cannot write" -- run --duration 1s --out "$T/ok.jsonl" --csv "$T/missing/t.csv"
check '[ ! -e "$T/ok.jsonl" ] && [ -z "$(ls "$T" | grep tmp)" ]' "no half-written trace after a failed start"

# A plugin that cannot be loaded: exit 4 naming the file and both ABIs.
if [ -n "${WATTSON_TEST_PLUGIN_DIR:-}" ] && [ -f "$WATTSON_TEST_PLUGIN_DIR/badabi.so" ]; then
    printf 'return { drivers = { { plugin = "badabi" } } }\n' >"$T/abi.lua"
    expect_fail 4 "badabi.so" -- run --lab "$T/abi.lua" --plugin-dir "$WATTSON_TEST_PLUGIN_DIR"
    printf 'return { drivers = { { plugin = "failinit" } } }\n' >"$T/fi.lua"
    expect_fail 4 "simulated failure" -- run --lab "$T/fi.lua" --plugin-dir "$WATTSON_TEST_PLUGIN_DIR"
else
    fail "test plugins not built"
fi

# Policies: a file that is not a policy, a missing one, a syntax error, bad
# budget options.
expect_fail 3 "default.lua: api must be 1" -- run --policy "$L/default.lua"
expect_fail 3 "$T/nopolicy.lua: source missing" -- run --policy "$T/nopolicy.lua"
expect_fail 3 "$T/nodir/p.lua" -- run --policy "$T/nodir/p.lua"
printf 'return {\n  api = 1,\n  on_tick = function(s, o) o = = 1 end,\n}\n' >"$T/psyntax.lua"
expect_fail 3 "psyntax.lua:3:" -- run --policy "$T/psyntax.lua"
# api = 1.0 is the number 1 (an integral float); 1.5 and "1" are not.
printf 'return { api = 1.0, on_tick = function(s, o) end }\n' >"$T/apif.lua"
"$W" run --policy "$T/apif.lua" --duration 1s >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ] && [ ! -s "$T/err" ]' "api = 1.0 accepted: $(cat "$T/err")"
printf 'return { api = 1.5, on_tick = function(s, o) end }\n' >"$T/apih.lua"
expect_fail 3 "apih.lua: api must be 1 (this wattson's policy API), got 1.5" -- run --policy "$T/apih.lua"
printf 'return { api = "1", on_tick = function(s, o) end }\n' >"$T/apis.lua"
expect_fail 3 "apis.lua: api must be 1 (this wattson's policy API), got \"1\"" -- run --policy "$T/apis.lua"
expect_fail 2 "policy-time" -- run --policy-time 5x
expect_fail 2 "policy-memory" -- run --policy-memory 0
expect_fail 2 "policy-instructions" -- run --policy-instructions lots
printf 'return { policy_limits = { memory_mb = "big" }, drivers = { { plugin = "sim", devices = {} } } }\n' >"$T/plim.lua"
expect_fail 3 "plim.lua: policy_limits.memory_mb" -- run --lab "$T/plim.lua"

# A policy that fails at runtime: the built-in policy decides those ticks
# (counted), takes over after 10 in a row, and the log says so.
printf 'local n = 0\nreturn { api = 1, on_tick = function(s, o)\n  n = n + 1\n  if n > 50 then error("boom") end\nend }\n' >"$T/late.lua"
"$W" run --policy "$T/late.lua" --duration 2s >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "a failing policy does not fail the run"
check 'grep -q "\"policy_errors\":10," "$T/out"' "10 policy errors, then fallback: $(cat "$T/out")"
check 'grep -q "\"fallback_ticks\":151," "$T/out"' "151 ticks decided by the built-in policy"
check 'grep -q "late.lua:4: boom" "$T/err" && grep -q "built-in safe policy decides" "$T/err"' "log names file:line and the fallback: $(cat "$T/err")"

# A declared limit that the run breaks: exit 5, summary still printed.
cat >"$T/limit.lua" <<'LAB'
return { duration = 5, limits = { deadline_misses = 0 },
  drivers = { { plugin = "sim", devices = {
  { name = "c0", kind = "cpu", part = "zen3-core", deadline_s = 0.001,
    workload = { kind = "constant", level = 1.4 } } } } } }
LAB
"$W" run --lab "$T/limit.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 5 ]' "broken limit exits 5 (got $rc: $(cat "$T/err"))"
check 'grep -q "limit broken: deadline_misses" "$T/err"' "limit message names the key"
check 'grep -q "\"limit_broken\":\"deadline_misses\"" "$T/out"' "summary names the limit"
# Every numeric summary key but wall_seconds and budget_w can be a limit
# (summary.h's one list), counters as well as figures.
for key in ticks invalid_samples reloads broker_held ipc_events work_arrived; do
    printf 'return { duration = 1, limits = { %s = 0 }, drivers = { { plugin = "sim", devices = {\n  { name = "c0", kind = "cpu", part = "zen3-core", workload = { kind = "constant", level = 0.5 } } } } } }\n' "$key" >"$T/lk.lua"
    "$W" run --lab "$T/lk.lua" >"$T/lk.out" 2>"$T/lk.err"
    rc=$?
    # Accepted, and broken exactly when the summary's value is over 0:
    # exit 5 naming the key, else exit 0 with no limit broken.
    v=$(json "[\"$key\"]" <"$T/lk.out")
    if [ "$key" = ticks ] || [ "$key" = work_arrived ] ||
        python3 -c "import sys; sys.exit(not float(sys.argv[1]) > 0)" "$v"; then
        check '[ $rc -eq 5 ] && grep -q "\"limit_broken\":\"$key\"" "$T/lk.out" &&
            grep -q "limit broken: $key = " "$T/lk.err"' \
            "limit on $key ($v): accepted and broken (rc $rc: $(cat "$T/lk.err"))"
    else
        check 'python3 -c "import sys; sys.exit(float(sys.argv[1]) != 0)" "$v" &&
            [ $rc -eq 0 ] && [ ! -s "$T/lk.err" ] &&
            grep -q "\"limit_broken\":null" "$T/lk.out"' \
            "limit on $key ($v): accepted, not broken (rc $rc: $(cat "$T/lk.err"))"
    fi
done
# bench forecast: a bad or missing trace is one line naming file:line, exit 3.
expect_fail 3 "bad.csv:3:" -- bench forecast "$T/bad.csv"
expect_fail 3 "$T/none.csv" -- bench forecast "$T/none.csv"
printf 't_s,util\n0,0.5\n1,0.5\n' >"$T/short.csv"
expect_fail 3 "short.csv:3: trace too short" -- bench forecast "$T/short.csv"
expect_fail 2 "bench forecast takes one TRACE.csv" -- bench forecast

finish
