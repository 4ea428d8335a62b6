# The converter mesh from the command line: `wattson bench mesh` on the
# shipped mesh labs (its tables, its controllers' figures against the
# optimum, no brown-outs), a bad mesh lab (one line, exit 3), `run`
# refusing a mesh-only lab; and the mesh in a run: the `mesh` driver
# plugin with the agents' engine (the nodes leave their nominal voltage
# for efficient ones, a failed node's bus stays over its modules'
# minimum, read at its tie switches), and the console's Q-values pane.
. "$TESTS/lib.sh"
L="$WATTSON_SOURCE_DIR/lua-policies/labs/mesh"

"$W" bench mesh >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "bench mesh exits 0: $(tail -3 "$T/err")"
for lab in grid3x3 ring12; do
    check "grep -q '^lab $lab ' '$T/out'" "bench mesh runs $lab"
done
for ty in cpu gpu fpga; do
    for c in fixed 'p&o' q-learn optimum; do
        check "[ \$(grep -c '^$ty  *$c ' '$T/out') -eq 2 ]" "a $ty $c row per lab"
    done
done
# The figures the issue asks for, read from the table: the Q-learners
# within 5 % of the optimum on cpu and gpu modules in both labs, and no
# module under its minimum voltage in either lab under any controller.
check "awk '\$2 == \"q-learn\" && (\$1 == \"cpu\" || \$1 == \"gpu\") && \$4 < 0.95 { bad = 1 } END { exit bad }' '$T/out'" \
    "q-learn within 5 % of the optimum on cpu and gpu: $(grep q-learn "$T/out" | head -6 | tr '\n' ';')"
check "awk '\$1 ~ /^(fixed|p&o|q-learn)\$/ && NF == 9 && \$5 != 0 { bad = 1 } END { exit bad }' '$T/out'" \
    "no brown-outs: $(grep -A3 '^control' "$T/out" | tr '\n' ';')"
# the fixed regulator is measurably worse: the comparison can tell
check "awk '\$2 == \"fixed\" && \$1 == \"cpu\" && \$4 > 0.95 { bad = 1 } END { exit bad }' '$T/out'" \
    "the fixed nominal voltage is not near the optimum"
check "grep -q \"^agents' step, 64 nodes (8 x 8 grid): [0-9.]* us per tick\" '$T/out'" \
    "bench mesh prints the agents' step cost"

# Bad mesh labs: one line naming the file and the field, exit 3.
cat >"$T/island.lua" <<'LAB'
return { name = "island", duration = "1s",
  mesh = { nodes = 4, links = { { 1, 2 }, { 3, 4 } } } }
LAB
expect_fail 3 "island.lua: mesh.links: the mesh is disconnected: node 3 is not reachable from node 1" -- bench mesh --lab "$T/island.lua"
cat >"$T/ghost.lua" <<'LAB'
return { name = "ghost", duration = "1s",
  mesh = { nodes = 3, topology = "line",
           modules = { { node = 4, type = "gpu" } } } }
LAB
expect_fail 3 "ghost.lua: mesh.modules.1.node: no node 4 (the mesh has 3)" -- bench mesh --lab "$T/ghost.lua"
cat >"$T/hot.lua" <<'LAB'
return { name = "hot", duration = "1s",
  mesh = { nodes = 3, topology = "line",
           modules = { { node = 1, type = "fpga", vnom = 1.2 } } } }
LAB
expect_fail 3 "hot.lua: mesh.modules.1.vnom: outside the fpga part's range" -- bench mesh --lab "$T/hot.lua"
expect_fail 3 "island.lua: no drivers to run" -- run --headless --lab "$T/island.lua"
cat >"$T/clash.lua" <<'LAB'
local mesh = { plugin = "mesh", nodes = 3, topology = "line",
               modules = { { node = 1, type = "cpu", id = "node2" } } }
return { name = "clash", duration = "1s", drivers = { mesh } }
LAB
expect_fail 3 "module id 'node2' is also the name of one of the mesh's devices" -- run --headless --lab "$T/clash.lua"

# The mesh in a run, 30 s of lab time on the virtual clock.
"$W" run --headless -v --lab "$L/grid3x3.lua" --csv "$T/run.csv" >"$T/sum" 2>"$T/err"
check '[ $? -eq 0 ]' "grid3x3 runs: $(grep -v info: "$T/err")"
# the lab's module identities: fpga-a pulled from node 3 at 17.5 s keeps
# its table, gpu-e takes its place, fpga-a back at 22.5 s starts warm
check "grep -q \"mesh: node3: fpga-a's Q-table saved\" '$T/err' &&
    grep -q 'mesh: fpga-a: starts from its saved Q-table' '$T/err' &&
    [ -f '$XDG_STATE_HOME/wattson/qtables/gpu-e.qtab' ]" \
    "a module keeps its table by its lab id across a hot swap: $(grep 'mesh:' "$T/err" | tr '\n' '|')"
check "grep -q energy_j '$T/sum'" "the run's summary"
# the cpu on node 1 from its nominal 1.0 V to its efficient ~0.8 V
cat >"$T/eff.awk" <<'AWK'
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$1 >= 10 && $1 < 14 { s += $c["node1.v"]; n++ }
END { m = n ? s / n : 0; print "node1 mean v " m; exit !(n > 100 && m > 0.70 && m < 0.90) }
AWK
check "awk -F, -f '$T/eff.awk' '$T/run.csv' >/dev/null" \
    "the agents move node 1's cpu to an efficient voltage: $(awk -F, -f "$T/eff.awk" "$T/run.csv")"
# every bus as its tie switches sense it, failed or not, at or over the
# vmin of the module on it, all run long (node 5 fails at 15 s)
cat >"$T/bus.awk" <<'AWK'
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{
    for (k = 1; ("tie" k ".a") in c; k++)
        for (e = 0; e < 2; e++) {
            nd = $c["tie" k (e ? ".b" : ".a")]
            v = $c["tie" k (e ? ".vb" : ".va")]
            vmin = $c["node" nd ".vmin"]
            if (vmin > 0 && v != "" && v < vmin - 0.003) bad++
        }
    if ($1 >= 15 && $1 < 16 && $c["node5.v"] == "") dark++
}
END { print "under " bad + 0 " dark " dark + 0; exit !(bad == 0 && dark > 50) }
AWK
check "awk -F, -f '$T/bus.awk' '$T/run.csv' >/dev/null" \
    "no bus under its module's minimum, node 5 dark while failed: $(awk -F, -f "$T/bus.awk" "$T/run.csv")"

# The agents' Q-tables outlive the run (XDG_STATE_HOME is the test's,
# lib.sh): a second run starts from them.
check "[ -f '$XDG_STATE_HOME/wattson/qtables/cpu-a.qtab' ]" \
    "the run saved node 1's Q-table: $(ls "$XDG_STATE_HOME/wattson/qtables" 2>&1 | head -3 | tr '\n' ' ')"
"$W" run --headless -v --lab "$L/grid3x3.lua" --duration 1s >/dev/null 2>"$T/err2"
check "grep -q 'mesh: cpu-a: starts from its saved Q-table' '$T/err2'" \
    "a second run starts warm: $(grep mesh "$T/err2" | head -2 | tr '\n' '|')"

# A Lua policy reads the agents (state.mesh) and overrides one: node 1
# kept at 0.9 V or more against its agent's proposals (which aim near
# 0.8 V), through the validated out path.
cat >"$T/bound.lua" <<'LUA'
return {
  api = 1,
  on_tick = function(state, out)
    if state.tick == 400 then
      local a = state.mesh[1]
      log("info", string.format("mesh %d node %d phase %d eps %.3f q %d %s",
        #state.mesh, a.node, a.phase, a.epsilon, #a.q, tostring(a.q[3] == a.q[3])))
    end
    local d = state.dev.node1
    local p = d.proposal.duty
    if p and d.ok.v and d.sig.v < 0.9 then
      out.node1.duty = math.min(d.ctl.duty.max, p + (0.9 - d.sig.v) / d.sig.dvdd)
    end
  end,
}
LUA
"$W" run --headless -v --lab "$L/grid3x3.lua" --policy "$T/bound.lua" --duration 6s --csv "$T/bound.csv" >/dev/null 2>"$T/err3"
check "grep -q 'mesh 9 node 1 phase 2 eps 0.[0-9]* q 5 true' '$T/err3'" \
    "a policy reads state.mesh: $(grep -E 'mesh|error' "$T/err3" | head -2 | tr '\n' '|')"
cat >"$T/hold.awk" <<'AWK'
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$1 >= 3 && $c["node1.v"] != "" { s += $c["node1.v"]; n++ }
END { m = n ? s / n : 0; print "node1 mean v " m; exit !(n > 200 && m > 0.88) }
AWK
check "awk -F, -f '$T/hold.awk' '$T/bound.csv' >/dev/null" \
    "the policy's override holds node 1 up: $(awk -F, -f "$T/hold.awk" "$T/bound.csv")"

# The summary's mesh keys: node 5 failed by a policy from 2 s on (its
# `fail` control), with its neighbours free to feed it: no brown-outs and
# its four ties closed; with every tie held open: its hold-up stack runs
# dry and its module browns out (the count can tell).
for mode in fed open; do
    cat >"$T/f5$mode.lua" <<LUA
return { api = 1, on_tick = function(state, out)
  if state.t >= 2 then out.node5.fail = 1 end
  if "$mode" == "open" then for i = 1, 12 do out["tie" .. i].closed = 0 end end
end }
LUA
    "$W" run --headless --lab "$L/grid3x3.lua" --duration 12s --policy "$T/f5$mode.lua" >"$T/f5$mode.json" 2>"$T/f5$mode.err"
done
check "grep -q '\"mesh_nodes\":9,\"mesh_brownouts\":0,\"mesh_tie_closes\":4,' '$T/f5fed.json'" \
    "fed: no brown-outs, 4 ties closed: $(grep -o '"mesh_[a-z_]*":[^,]*' "$T/f5fed.json" | tr '\n' ' ')"
check "grep -Eq '\"mesh_brownouts\":[1-9][0-9]*,\"mesh_tie_closes\":0,' '$T/f5open.json'" \
    "ties held open: brown-outs counted: $(grep -o '"mesh_[a-z_]*":[^,]*' "$T/f5open.json" | tr '\n' ' ')"
check "grep -Eq '\"mesh_work_per_j\":[1-9][.0-9e+]*,' '$T/f5fed.json'" \
    "the mesh's work per joule is reported: $(grep -o '"mesh_work_per_j":[^,]*' "$T/f5fed.json")"

# A Lua policy steers the agents through out.mesh: agent 1 frozen (its
# mean |TD error| never moves from 0), agent 2 greedy (epsilon 0), node 3's
# fpga kept at 0.80 V or more (its agent aims near 0.745 V), node 6 made to
# take +1 duty step on every other tick (its applied duty is the forced
# one), and two bad assignments rejected with the file and line.
cat >"$T/steer.lua" <<'LUA'
local want, forced, checked = nil, 0, 0
return {
  api = 1,
  on_tick = function(state, out)
    out.mesh[1].freeze = true
    out.mesh[2].epsilon = 0
    out.mesh[3].vmin = 0.80
    local d = state.dev.node6
    if want then
      checked = checked + 1
      if math.abs(d.ctl.duty.value - want) < 1e-9 then forced = forced + 1 end
      want = nil
    elseif state.tick >= 300 and state.tick < 340 and state.mesh[6].phase == 2 then
      out.mesh[6].action = 1
      want = d.proposal.duty + (1 - state.mesh[6].action) * 4e-4
    end
    if state.tick == 200 then out.mesh[4].epsilon = 2 end
    if state.tick == 201 then out.mesh[5].bogus = 1 end
    if state.tick == 550 then
      local a, b = state.mesh[1], state.mesh[2]
      log("info", string.format("steer td1 %.6f frozen1 %s td2 %.6f eps2 %.3f forced %d/%d",
        a.td, tostring(a.frozen), b.td, b.epsilon, forced, checked))
    end
  end,
}
LUA
"$W" run --headless -v --lab "$L/grid3x3.lua" --policy "$T/steer.lua" --duration 6s --csv "$T/steer.csv" >/dev/null 2>"$T/err4"
check "grep -Eq 'steer td1 0.000000 frozen1 true td2 0.0*[1-9][0-9]* eps2 0.000' '$T/err4'" \
    "out.mesh freezes agent 1 and makes agent 2 greedy: $(grep -E 'steer|error' "$T/err4" | head -2 | tr '\n' '|')"
f=$(grep -o 'forced [0-9]*/[0-9]*' "$T/err4" | tr -d 'forced ')
check "echo '$f' | awk -F/ '{ exit !(\$2 >= 5 && \$1 == \$2) }'" \
    "out.mesh[6].action is the duty applied, every time (applied/forced): $f"
check "grep -q 'steer.lua:[0-9]*: on_tick: mesh\[4\].epsilon = 2 rejected: epsilon 2 outside \[0, 1\]' '$T/err4'" \
    "a bad epsilon is rejected with its line: $(grep rejected "$T/err4" | head -1)"
check "grep -q 'steer.lua:[0-9]*: on_tick: mesh\[5\].bogus = 1 rejected: no such field' '$T/err4'" \
    "an unknown field is rejected: $(grep rejected "$T/err4" | sed -n 2p)"
cat >"$T/floor.awk" <<'AWK'
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$1 >= 3 && $c["node3.v"] != "" { s += $c["node3.v"]; n++; if ($c["node3.v"] < lo || lo == "") lo = $c["node3.v"] }
END { m = n ? s / n : 0; print "node3 mean v " m " min " lo; exit !(n > 200 && m > 0.80 && lo > 0.795) }
AWK
check "awk -F, -f '$T/floor.awk' '$T/steer.csv' >/dev/null" \
    "out.mesh[3].vmin keeps node 3 at 0.80 V or more: $(awk -F, -f "$T/floor.awk" "$T/steer.csv")"

# The console: the Q-values pane shows the selected agent's present row
# as bars with its greedy action and its reward sparkline; the Mesh pane
# (7) lists the nodes and ties; f fails the selected node (marked, its
# ties closed), f again restores it, m detaches its module, `:mesh attach`
# plugs another in, and a bad `mesh` command says what is wrong.
if command -v tmux >/dev/null 2>&1; then
    SOCK="wattson-mesh-$$"
    tm() { LC_ALL=C.UTF-8 LANG=C.UTF-8 tmux -u -L "$SOCK" -f /dev/null "$@"; }
    case "$W" in /*) WA="$W" ;; *) WA="$(pwd)/$W" ;; esac
    tm new-session -d -s m -x 160 -y 50 "'$WA' --console --lab '$L/grid3x3.lua' 2>'$T/con.err'; sleep 60"
    # wait for a screen where `cond` (a shell test over $T/screen) holds
    until_screen() {
        i=0
        while [ $i -lt 300 ]; do
            tm capture-pane -p -t m >"$T/screen" 2>/dev/null
            if eval "$1"; then return 0; fi
            sleep 0.1
            i=$((i + 1))
        done
        return 1
    }
    # keys go in once the console reads them (its tab line is drawn)
    until_screen "grep -q '4 Q-values 5 Partition' '$T/screen'"
    tm send-keys -t m 4
    until_screen "grep -q 'agent node1 (1/9) cpu-a *learning eps' '$T/screen' &&
        grep -Eq '^.(-2d|-d|0|[+]d|[+]2d) +[^ ]+[*] +[0-9]+[.][0-9]{3}' '$T/screen' &&
        grep -Eq '^.reward +[^ ]+ [-0-9.]+' '$T/screen'"
    check "[ \$? -eq 0 ]" "the Q-values pane shows node 1's agent, bars with the greedy action and its rewards: $(grep -A6 'Q-values' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m 7 j
    until_screen "grep -q '9 nodes  12 ties (0 closed)  0 failed' '$T/screen' &&
        grep -Eq '^.node2 +gpu +0[.][0-9]{3} +[+][0-9]+ mV' '$T/screen' &&
        grep -Eq '^.n1 cpu +[.][0-9]{3} +[^ ]+ +n2 gpu +[.][0-9]{3} +[^ ]+ +n3 fpga' '$T/screen' &&
        grep -Eq '^.n7 fpga +[.][0-9]{3} +[^ ]+ +n8 gpu' '$T/screen'"
    check "[ \$? -eq 0 ]" "the Mesh pane draws the 3 x 3 grid and lists 9 nodes, 12 open ties, node 2's gpu and its margin: $(grep -A8 '7 Mesh' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m f
    until_screen "grep -Eq '^.node2 +gpu +FAILED +[+][0-9]+ mV' '$T/screen' &&
        grep -Eq '^.node1 .*=node2 [+][0-9.]+A' '$T/screen' && grep -q 'mesh fail node2' '$T/screen' &&
        grep -Eq '^.n1 cpu +[.][0-9]{3} +>[0-9.]+A> +n2 gpu +FAIL' '$T/screen'"
    check "[ \$? -eq 0 ]" "f fails node 2: marked, over its minimum, fed over node 1's closed tie: $(grep -A5 '7 Mesh' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m f
    until_screen "grep -Eq '^.node2 +gpu +0[.][0-9]{3} ' '$T/screen' && grep -q '(0 closed)  0 failed' '$T/screen'"
    check "[ \$? -eq 0 ]" "f again restores node 2 and its neighbours open their ties: $(grep -A5 '7 Mesh' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m m
    until_screen "grep -Eq '^.node2 +- ' '$T/screen'"
    check "[ \$? -eq 0 ]" "m detaches node 2's module: $(grep -A5 '7 Mesh' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m : 'mesh attach node2 fpga' Enter
    until_screen "grep -Eq '^.node2 +fpga +0[.][0-9]{3} ' '$T/screen'"
    check "[ \$? -eq 0 ]" ":mesh attach plugs an fpga into node 2: $(grep -A5 '7 Mesh' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m : 'lua #state.mesh, state.mesh[2].node, state.mesh[2].phase' Enter
    until_screen "grep -Eq 'info: = 9  2  [12]' '$T/screen'"
    check "[ \$? -eq 0 ]" "the REPL's state has the agents (state.mesh): $(grep -E 'lua|= ' "$T/screen" | head -2)"
    tm send-keys -t m : 'mesh fail node99' Enter
    until_screen "grep -q \"mesh: 'node99' is not a mesh node\" '$T/screen'"
    check "[ \$? -eq 0 ]" "a bad node is named: $(grep -A3 '6 Log' "$T/screen" | tr '\n' '|')"
    tm send-keys -t m q
    tm kill-server >/dev/null 2>&1
else
    skip "tmux is not installed: the console's mesh panes"
fi
finish
