# The broker's documented degraded mode and its summary keys: a budget
# below the PUs' minimum power is not an error - every PU runs at its
# lowest P-state, one warning says so, and the summary counts the ticks -
# and a lab can declare a limit on it for batch runs (exit 5).
. "$TESTS/lib.sh"

cat >"$T/tiny.lua" <<'LAB'
return { tick = "10ms", duration = "1s", budget_w = 3, drivers = { {
  plugin = "sim", devices = {
  { name = "c0", kind = "cpu", part = "zen3-core",
    workload = { kind = "constant", level = 0.9 } },
  { name = "c1", kind = "cpu", part = "zen3-core",
    workload = { kind = "constant", level = 0.9 } } } } } }
LAB
"$W" run --lab "$T/tiny.lua" --policy builtin:broker >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "degraded budget: runs (exit 0)"
check 'grep -q "below the PUs. minimum power" "$T/err"' \
    "degraded budget: one warning: $(cat "$T/err")"
check '[ "$(grep -c "minimum power" "$T/err")" -eq 1 ]' "warned once only"
check '[ "$(json "[\"broker_degraded_ticks\"]" <"$T/out")" = 100 ]' \
    "every tick counted in broker_degraded_ticks"
check '[ "$(json "[\"ipc_unknown\"]" <"$T/out")" = 0 ]' "no IPC, none unknown"

# The same lab with a limit on it: exit 5 naming the key.
sed 's/budget_w = 3,/budget_w = 3, limits = { broker_degraded_ticks = 0 },/' \
    "$T/tiny.lua" >"$T/limit.lua"
"$W" run --lab "$T/limit.lua" --policy builtin:broker >"$T/out" 2>"$T/err"
check '[ $? -eq 5 ]' "limit on broker_degraded_ticks: exit 5"
check 'grep -q "broker_degraded_ticks" "$T/err"' \
    "the broken limit is named: $(cat "$T/err")"
check '[ "$(json "[\"limit_broken\"]" <"$T/out")" = broker_degraded_ticks ]' \
    "summary names the broken limit"

# A budget that fits: no degraded ticks; adjustments are counted and each
# one is logged at debug level (-vv) with its reason.
sed 's/budget_w = 3,/budget_w = 30,/' "$T/tiny.lua" >"$T/fits.lua"
"$W" run --lab "$T/fits.lua" --policy builtin:broker -vv >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "fitting budget: exit 0"
check '[ "$(json "[\"broker_degraded_ticks\"]" <"$T/out")" = 0 ]' \
    "fitting budget: no degraded ticks"
n=$(json '["broker_adjustments"]' <"$T/out")
check '[ "$n" -ge 1 ]' "adjustments counted ($n)"
check '[ "$(grep -c "broker: c[01] P" "$T/err")" -eq "$n" ]' \
    "one debug line per adjustment ($n)"
check 'grep -q "broker: c0 P-1 -> P[0-9]* .*: first proposal; demand" "$T/err"' \
    "a debug line names the reason and the prediction"

# A limit key that does not exist lists the real ones.
printf 'return { limits = { broker_adjustment = 1 }, drivers = { { plugin = "sim" } } }\n' >"$T/badkey.lua"
expect_fail 3 "did you mean 'broker_adjustments'" -- run --lab "$T/badkey.lua"
finish
