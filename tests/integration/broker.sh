# `wattson bench broker` (console/cmd/bbench.c) and the baseline
# governors behind `--policy builtin:NAME` (console/policies/governors.c):
# every scenario's table lists every policy, two runs print the same
# bytes, the physics holds (race: never slower than ondemand, never
# cheaper), the equal split never breaks the budget, bad input fails
# with one line and the documented exit code; --with FILE.lua adds a
# policy file's row; the energy bound is below every row's fixed-job
# energy (bound-dl below every row that missed no deadline) on every
# scenario; --ed2p adds its column.
. "$TESTS/lib.sh"

POLICIES="performance ondemand conservative schedutil naive-split balancer race broker-noipc broker perfect-forecast"
SRC=${WATTSON_SOURCE_DIR:-$TESTS/../..}

"$W" bench broker --duration 3s >"$T/b1" 2>"$T/err"
check '[ $? -eq 0 ]' "bench broker exits 0: $(cat "$T/err")"
"$W" bench broker --duration 3s >"$T/b2" 2>/dev/null
check 'cmp -s "$T/b1" "$T/b2"' "two runs print identical tables"

ge() { python3 -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)"; }

# The value of column $3 (1-based, after the policy) of policy $2 in
# scenario $1's table.
cell() {
    awk -v s="$1" -v p="$2" -v c="$3" '
        /^scenario / { in_s = ($2 == s) }
        in_s && $1 == p { print $(c + 1); exit }' "$T/b1"
}

for s in bursty step diurnal; do
    check "grep -q '^scenario $s (labs/bench/$s.lua): .* budget [0-9.]* W\$' '$T/b1'" \
        "scenario $s has a header"
    for p in $POLICIES; do
        check "[ -n \"\$(cell $s $p 1)\" ]" "scenario $s lists $p"
    done
    # The equal split's caps add up to the budget on these labs (every
    # share is above each part's cap minimum).  Not on pipeline.lua: 200 W
    # over five PUs is 40 W, below the A100's 150 W and the T4's 60 W
    # minimum caps, so the clamped split exceeds the budget there by design.
    check "[ \"\$(cell $s naive-split 10)\" = 0.00 ]" \
        "naive-split keeps scenario $s within budget (viol_s $(cell $s naive-split 10))"
    check "[ \"\$(cell $s schedutil 13)\" = 1.000 ]" \
        "scenario $s: the ratios to schedutil are schedutil's"
done
# The pipeline scenario: a table once its lab exists, a note until then.
if [ -f "$SRC/lua-policies/labs/pipeline.lua" ]; then
    for p in $POLICIES; do
        check "[ -n \"\$(cell pipeline $p 1)\" ]" "scenario pipeline lists $p"
    done
else
    check "grep -q '^scenario pipeline (labs/pipeline.lua): skipped' '$T/b1'" \
        "scenario pipeline skipped with a note while its lab is missing"
fi
check 'grep -q "^policy *energy_J *J/Gop *E_fix_J *mean_ms *wmean_ms *p99max_ms *wp99_ms *EDP_fix *misses *viol_s *E/bound *EDP/bound *EDP/sched\$" "$T/b1"' \
    "table columns"

# The bound (console/engines/bound.c) on every scenario of a short run:
# bound <= every row's fixed-job energy (energy + unserved work at
# e_min), bound-dl <= that of every row with no deadline miss, E/bound
# >= 1, and the bench's own check lines say yes.
bline() { # the value of bound line $2 ("bound" or "bound-dl") of scenario $1
    awk -v s="$1" -v b="$2" '
        /^scenario / { in_s = ($2 == s) }
        in_s && $1 == b { print $2; exit }' "$T/b1"
}
for s in bursty step diurnal pipeline; do
    [ -n "$(cell $s race 1)" ] || continue
    b=$(bline $s bound)
    bd=$(bline $s bound-dl)
    check "[ -n '$b' ] && [ -n '$bd' ] && ge $bd $b" \
        "scenario $s: bound $b J and bound-dl $bd J, bound <= bound-dl"
    zero=0
    for p in $POLICIES; do
        check "ge $(cell $s $p 3) $b && ge $(cell $s $p 11) 1" \
            "scenario $s: bound $b <= $p's fixed-job energy $(cell $s $p 3) (E/bound $(cell $s $p 11))"
        if [ "$(cell $s $p 9)" = 0 ]; then
            zero=$((zero + 1))
            check "ge $(cell $s $p 3) $bd" \
                "scenario $s: bound-dl $bd <= $p's fixed-job energy $(cell $s $p 3) (no miss)"
        fi
    done
    check "[ $zero -gt 0 ]" "scenario $s: some row misses no deadline (race)"
    check "awk -v s=$s '/^scenario / { in_s = (\$2 == s) } in_s && /^bound/ && />= it: yes\\)/ { n++ } END { exit n != 2 }' '$T/b1'" \
        "scenario $s: the bench's own checks of both bounds say yes"
    check "awk -v s=$s '/^scenario / { in_s = (\$2 == s) } in_s && /^bound .* gap [0-9.]* %\$/ { n++ } END { exit n != 1 }' '$T/b1'" \
        "scenario $s: the bound's optimality gap is printed"
done
check "grep -q '^chain-fed (arrivals as early as the source allows, no deadline): gpu0 cpu1\$' '$T/b1'" \
    "pipeline: the chain-fed PUs are named with the envelope used"
check "[ \"\$(grep -c '^budget [0-9.]* W: the bound' '$T/b1')\" = 4 ]" \
    "every table says whether the budget binds the bound"
check "[ \"\$(grep -c '^model: P-states mixed within a tick; tables lowered' '$T/b1')\" = 4 ]" \
    "every table says how the bound models the P-states and the die"

# --ed2p: one more column, ED2P_fix = EDP_fix x mean latency.
"$W" bench broker --scenario step --duration 1s --ed2p >"$T/e1" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "^policy .* wp99_ms *EDP_fix *ED2P_fix *misses" "$T/e1"' \
    "--ed2p adds the ED2P_fix column: $(cat "$T/err")"
check "awk '\$1 == \"race\" { d = \$5 / 1e3; if (\$10 <= 0 || (\$10 - \$9 * d) > 1e-3 * \$10 || (\$9 * d - \$10) > 1e-3 * \$10) bad = 1; n++ } END { exit bad || n != 1 }' '$T/e1'" \
    "--ed2p: ED2P_fix = EDP_fix x mean latency"
check '! grep -q ED2P "$T/b1"' "no ED2P column without --ed2p"
expect_fail 2 "ed2p" -- bench broker --ed2p=1 --duration 1s
expect_fail 2 "run does not take --ed2p" -- run --ed2p --duration 1s

# Physics on bursty: race-to-idle always runs the top clock.
check "ge $(cell bursty ondemand 4) $(cell bursty race 4)" \
    "race's mean latency <= ondemand's on bursty"
check "ge $(cell bursty race 1) $(cell bursty ondemand 1)" \
    "race's energy >= ondemand's on bursty"
# The pooled, work-weighted p99 (wp99_ms): a latency, at least the
# work-weighted mean's half and never above the worst PU's p99 by more
# than a histogram bucket (12.5 %).
for s in bursty step diurnal pipeline; do
    for p in schedutil broker; do
        check "[ -n \"\$(cell $s $p 7)\" ] && ge $(cell $s $p 7) 0 && ge \$(awk 'BEGIN { print 1.125 * $(cell $s $p 6) + 1e-3 }') $(cell $s $p 7)" \
            "scenario $s: $p's wp99 $(cell $s $p 7) ms is a latency within its worst PU's p99 $(cell $s $p 6) ms"
    done
done

# One scenario; a duration; bad input.
"$W" bench broker --scenario step --duration 1s >"$T/one" 2>"$T/err"
check '[ $? -eq 0 ] && [ "$(grep -c "^scenario " "$T/one")" -eq 1 ] && grep -q "^scenario step .* 1 s at 10 ms" "$T/one"' \
    "--scenario step --duration 1s: one table of 1 s ($(cat "$T/err"))"
expect_fail 2 "unknown scenario 'nosuch' (bursty, step, diurnal, pipeline or all)" -- \
    bench broker --scenario nosuch --duration 1s
expect_fail 2 "duration" -- bench broker --duration -3s
expect_fail 2 "duration" -- bench broker --duration soon
expect_fail 2 "bench broker takes no argument" -- bench broker extra
expect_fail 2 "^wattson: run does not take --scenario (see wattson --help)$" -- run --scenario bursty

# --with FILE.lua: a row per Lua policy file, named by its base name,
# after the built-in rows (which do not change); deterministic too.
BAL=$SRC/lua-policies/balanced.lua
grep -v "^bound-dl " "$T/b1" >"$T/b1.nodl"
"$W" bench broker --duration 3s --with "$BAL" >"$T/w1" 2>"$T/err"
check '[ $? -eq 0 ]' "bench broker --with balanced.lua exits 0: $(cat "$T/err")"
"$W" bench broker --duration 3s --with "$BAL" >"$T/w2" 2>/dev/null
check 'cmp -s "$T/w1" "$T/w2"' "--with: two runs print identical tables"
for s in bursty step diurnal; do
    check "awk -v s=$s '/^scenario / { in_s = (\$2 == s) } in_s && \$1 == \"balanced\" { n++ } END { exit n != 1 }' '$T/w1'" \
        "--with: scenario $s has one balanced row"
done
# (The bound-dl line counts the rows that met every deadline: not
# compared.)
check 'grep -v "^balanced \|^bound-dl " "$T/w1" | cmp -s - "$T/b1.nodl"' \
    "--with: the built-in rows are unchanged"
check '! grep -q "^note:" "$T/w1"' "--with: balanced.lua runs without policy errors"
printf 'return { api = 1, on_tick = \n' >"$T/bad.lua"
expect_fail 3 "bench broker: --with: .*bad.lua:2: " -- \
    bench broker --duration 1s --with "$BAL" --with "$T/bad.lua"
expect_fail 3 "bench broker: --with $T/nosuch.lua: No such file or directory" -- \
    bench broker --duration 1s --with "$T/nosuch.lua"
printf 'return { api = 1, on_tick = function(s, o) return nil + 1 end }\n' >"$T/fails.lua"
expect_fail 3 "bench broker: --with: .*fails.lua:1: attempt to perform arithmetic" -- \
    bench broker --scenario step --duration 1s --with "$T/fails.lua"
cp "$BAL" "$T/broker.lua"
expect_fail 2 "there is a row named 'broker' already" -- \
    bench broker --duration 1s --with "$T/broker.lua"
expect_fail 2 "at most 8 policy files" -- bench broker --duration 1s \
    --with a --with b --with c --with d --with e --with f --with g --with h --with i
expect_fail 2 "^wattson: run does not take --with" -- run --with "$BAL" --duration 1s

# --policy builtin:NAME in a run; an unknown name is a usage error.
for p in $POLICIES; do
    "$W" run --policy "builtin:$p" --duration 1s --out "$T/$p.jsonl" \
        >"$T/sum" 2>"$T/err"
    check '[ $? -eq 0 ] && [ "$(json "[\"ticks\"]" <"$T/sum")" = 100 ]' \
        "run --policy builtin:$p: $(cat "$T/err")"
done
check 'head -n 1 "$T/ondemand.jsonl" | grep -q "\"policy\":\"builtin:ondemand\""' \
    "the trace header names the governor"
check 'tail -n 2 "$T/race.jsonl" | head -n 1 | grep -q "\"set.freq\":3.7e+09"' \
    "race runs the top clock"
expect_fail 2 "--policy: unknown built-in policy 'nope' (builtin:NAME with NAME one of performance, ondemand, conservative, schedutil, naive-split, balancer, race, broker-noipc, broker, perfect-forecast)" -- \
    run --policy builtin:nope --duration 1s
expect_fail 2 "unknown built-in policy ''" -- run --policy builtin: --duration 1s
# perfect-forecast's old name still selects it, with a warning that says
# why it was renamed (not a bound).
"$W" run --policy builtin:oracle --duration 1s >"$T/old.sum" 2>"$T/old.err"
rc=$?
check '[ $rc -eq 0 ] && grep -q "builtin:oracle is now builtin:perfect-forecast" "$T/old.err" && [ "$(wc -l <"$T/old.err")" -eq 1 ]' \
    "builtin:oracle: runs as perfect-forecast with one warning: $(cat "$T/old.err")"
# A lab naming an unknown one is the lab's error.
cat >"$T/lab.lua" <<'LAB'
return { policy = "builtin:nope", duration = "1s", drivers = { { plugin = "sim",
  devices = { { name = "c0", kind = "cpu", part = "zen3-core" } } } } }
LAB
expect_fail 3 "lab.lua: policy: unknown built-in policy 'nope'" -- run --lab "$T/lab.lua"

# --lab FILE: every row on the user's lab, one table per --load-scale.
cat >"$T/small.lua" <<'LAB'
return { name = "small", duration = "2s", tick = "10ms", seed = 5, budget_w = 40,
  drivers = { { plugin = "sim", devices = {
    { name = "c0", kind = "cpu", part = "zen3-core",
      workload = { kind = "constant", level = 0.2 } },
    { name = "c1", kind = "cpu", part = "zen3-core",
      workload = { kind = "bursty", on_level = 0.4, off_level = 0.1,
                   on_s = 0.3, off_s = 0.3 } } } } } }
LAB
"$W" bench broker --lab "$T/small.lua" --load-scale 0.5,1.5 >"$T/l1" 2>"$T/err"
check '[ $? -eq 0 ]' "bench broker --lab exits 0: $(cat "$T/err")"
check "[ \"\$(grep -c '^lab $T/small.lua, load scale [0-9.]*: 2 PUs, 2 s at 10 ms, seed 5, budget 40 W\$' '$T/l1')\" = 2 ]" \
    "one table per scale, its title naming the lab and the scale"
# Column $3 of policy $2 in the table of scale $1.
lcell() {
    awk -v s="$1" -v p="$2" -v c="$3" '
        /^lab / { in_s = ($5 == s ":") }
        in_s && $1 == p { print $(c + 1); exit }' "$T/l1"
}
# (column 1: energy_J, 4: mean_ms)
# Three times the offered load must cost every row more energy (served
# work is charged per op), and schedutil's queue must be longer.
for p in $POLICIES; do
    check "[ -n \"\$(lcell 0.5 $p 1)\" ] && ! ge $(lcell 0.5 $p 1) $(lcell 1.5 $p 1)" \
        "--load-scale: $p's energy grows with the load ($(lcell 0.5 $p 1) -> $(lcell 1.5 $p 1) J)"
done
check "! ge $(lcell 0.5 schedutil 4) $(lcell 1.5 schedutil 4)" \
    "--load-scale: schedutil's mean latency grows with the load"
"$W" bench broker --lab "$T/small.lua" --load-scale 1 >"$T/l2" 2>/dev/null
"$W" bench broker --lab "$T/small.lua" >"$T/l3" 2>/dev/null
check 'cmp -s "$T/l2" "$T/l3"' "--load-scale 1 is the lab as it is"
# On the scenarios: titles name the scale; 1 is the unscaled table.
"$W" bench broker --scenario step --duration 1s --load-scale 0.5,1 >"$T/s1" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "^scenario step (labs/bench/step.lua), load scale 0.5: " "$T/s1"' \
    "--load-scale on a scenario: $(cat "$T/err")"
"$W" bench broker --scenario step --duration 1s >"$T/s2" 2>/dev/null
check '[ "$(sed -n "/load scale 1:/,\$p" "$T/s1" | sed 1d)" = "$(sed 1d "$T/s2")" ]' \
    "--load-scale 1 on a scenario: the unscaled rows"
expect_fail 3 "bench broker: --lab $T/nosuch.lua: No such file or directory" -- \
    bench broker --lab "$T/nosuch.lua"
printf 'return {' >"$T/broken.lua"
expect_fail 3 "bench broker: --lab: .*broken.lua:1: " -- bench broker --lab "$T/broken.lua"
cat >"$T/real.lua" <<'LAB'
return { drivers = { { plugin = "cpufreq", optional = true } } }
LAB
expect_fail 3 "bench broker: --lab: .*real.lua: drivers.1: driver 'cpufreq' is not simulated" -- \
    bench broker --lab "$T/real.lua"
expect_fail 2 "--lab and --scenario exclude each other" -- \
    bench broker --lab "$T/small.lua" --scenario step
expect_fail 2 "--load-scale: empty item in '0.5,,1'" -- \
    bench broker --lab "$T/small.lua" --load-scale 0.5,,1
expect_fail 2 "--load-scale: 'x' is not a number" -- \
    bench broker --lab "$T/small.lua" --load-scale 1,x
expect_fail 2 "--load-scale: 0 is outside (0, 10]" -- \
    bench broker --lab "$T/small.lua" --load-scale 0
expect_fail 2 "--load-scale: -1 is outside (0, 10]" -- \
    bench broker --lab "$T/small.lua" --load-scale -1
expect_fail 2 "--load-scale: 10.5 is outside (0, 10]" -- \
    bench broker --lab "$T/small.lua" --load-scale 10.5
expect_fail 2 "--load-scale: more than 8 scales" -- \
    bench broker --lab "$T/small.lua" --load-scale 1,1,1,1,1,1,1,1,1
expect_fail 2 "run does not take --load-scale" -- run --load-scale 1 --duration 1s
# The sim's own key: out of range is the lab's error.
sed 's/plugin = "sim",/plugin = "sim", load_scale = 0,/' "$T/small.lua" >"$T/zero.lua"
expect_fail 3 "load_scale: must be > 0, got 0" -- run --lab "$T/zero.lua"

"$W" --help >"$T/help"
check 'grep -q "builtin:NAME" "$T/help" && grep -q "bench broker" "$T/help" && grep -q -- "--with FILE.lua" "$T/help" && grep -q -- "--load-scale LIST" "$T/help" && grep -q -- "--ed2p" "$T/help"' \
    "--help mentions builtin:NAME, bench broker, --with, --load-scale and --ed2p"
finish
