# The partitioned training pipeline in a run (issue 15, engines/partrun.c):
# the shipped cluster lab trains ResNet-50 over its devices; a test policy
# (tests/fixtures/policies/part-slow.lua) holds gpu0, the PU of the
# cluster's v100a, at its lowest clock from t = 5 s.  Left alone, the
# engine repartitions and moves layers off v100a; a policy that vetoes
# keeps the plan, the moves it wanted counted as vetoes; a policy that forces a
# re-solve at t = 2 s gets one more proposal.  state.partition shows the
# stages, and the trace's partition_stage_layers shows v100a's stage only
# shrinking once it is slowed; with partition_stage_first_layer, every
# tick's stages tile the model's layers in order.  A lab whose cluster names a missing model
# or a `pu` that is no PU is refused, exit 3, naming the field.
. "$TESTS/lib.sh"
LAB="$WATTSON_SOURCE_DIR/lua-policies/labs/cluster.lua"
POL="$WATTSON_SOURCE_DIR/tests/fixtures/policies/part-slow.lua"
for mode in none veto force; do
    sed "s/^local mode = \"none\"/local mode = \"$mode\"/" "$POL" >"$T/p-$mode.lua"
    "$W" run --lab "$LAB" --policy "$T/p-$mode.lua" --duration 40 -v \
        --out "$T/$mode.trace.jsonl" >"$T/$mode.jsonl" 2>"$T/$mode.err"
    check '[ $? -eq 0 ]' "cluster run ($mode): $(tail -3 "$T/$mode.err")"
done
key() { grep -o "\"$2\":[0-9.e+-]*" "$T/$1.jsonl" | tail -1 | cut -d: -f2; }

# left alone: the slowed v100a sheds layers; no veto
check "[ $(key none partition_moves) -ge 1 ] && [ $(key none partition_vetoes) -eq 0 ]" \
    "the engine repartitions after the slowdown: $(grep -o '"partition_[a-z_]*":[0-9.e+-]*' "$T/none.jsonl" | tr '\n' ' ')"
last=$(grep 'repartitioned to' "$T/none.err" | tail -1)
check "echo '$last' | grep -Eq 'v100a ([0-9]|1[0-9])(,| layers)'" \
    "the last plan keeps under 20 layers on v100a (56 before): $last"
# the trace's timeline of where the layers sit: v100a's stage only
# shrinks once it is slowed, every tick's stages hold the whole model
python3 - "$T/none.trace.jsonl" >"$T/layers.txt" 2>&1 <<'EOF' ||
import json, sys
seen, sums, after, tiled = [], set(), [], 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    eng = o.get("eng", {}) if o["type"] == "tick" else {}
    lay = eng.get("partition_stage_layers")
    if lay:
        seen.append(lay.get("v100a", 0))
        sums.add(sum(lay.values()))
        if o["t"] >= 5:
            after.append(seen[-1])
        # which layers: the stages, by first layer, tile 0..n with no gap
        # or overlap, each as long as its count
        first = eng["partition_stage_first_layer"]
        at = 0
        for d in sorted(lay, key=lambda d: first[d]):
            assert first[d] == at, (o["t"], first, lay)
            at += lay[d]
        assert at == sum(lay.values())
        tiled += 1
print(seen[0], seen[-1], sorted(sums), sorted(set(after), reverse=True), tiled)
assert seen[0] == 56 and seen[-1] < 20 and len(sums) == 1
assert tiled == len(seen) and tiled > 100
# once slowed, v100a never gains layers (it once took 84 first)
assert all(b <= a for a, b in zip(after, after[1:]))
EOF
    fail "partition_stage_layers in the trace: $(cat "$T/layers.txt")"
check "grep -q 'partition t=39 stages=' '$T/none.err'" \
    "state.partition reaches the policy: $(grep 'partition t=39' "$T/none.err")"

# vetoed: no move, the moves the controller wanted counted as vetoes
check "[ $(key veto partition_moves) -eq 0 ] && [ $(key veto partition_vetoes) -ge 1 ]" \
    "a vetoing policy keeps the plan: $(grep -o '"partition_[a-z_]*":[0-9.e+-]*' "$T/veto.jsonl" | tr '\n' ' ')"
check "grep -q 'the policy vetoed a repartition' '$T/veto.err'" \
    "the veto is logged"

# forced at t = 2 s: one proposal more than left alone up to then
check "[ $(key force partition_proposals) -gt $(key none partition_proposals) ]" \
    "a forcing policy asks for a re-solve: force $(key force partition_proposals), none $(key none partition_proposals)"

# a batch stream (cluster.data): GNMT's length phases over the same
# cluster; the predictor proposes moves before the work changes, logged
# as such and counted in partition_data_moves
mkdir -p "$T/g/models"
cp "$WATTSON_SHARED_DATA/pipedream-profiles/gnmt.txt" "$T/g/models/" 2>/dev/null &&
    sed 's|model = "models/resnet50.txt",|model = "models/gnmt.txt", data = "phases",|' \
        "$LAB" >"$T/g/gnmt.lua"
if [ -f "$T/g/gnmt.lua" ]; then
    "$W" run --lab "$T/g/gnmt.lua" --duration 120 -v >"$T/g.jsonl" 2>"$T/g.err"
    check '[ $? -eq 0 ]' "gnmt phases run: $(tail -3 "$T/g.err")"
    check "[ $(key g partition_data_moves) -ge 1 ] && grep -q 'layers before the data changes' '$T/g.err'" \
        "the predictor moves the plan before the data changes: $(grep -o '"partition_[a-z_]*":[0-9.e+-]*' "$T/g.jsonl" | tr '\n' ' ')"
fi

# bad clusters
sed 's|model = "models/resnet50.txt"|model = "models/nosuch.txt"|' "$LAB" >"$T/nomodel.lua"
expect_fail 3 "cluster.model: .*nosuch.txt" -- run --lab "$T/nomodel.lua" --duration 1
sed 's|pu = "gpu0"|pu = "gpu9"|' "$LAB" >"$T/nopu.lua"
mkdir -p "$T/models" && cp "$WATTSON_SOURCE_DIR/lua-policies/labs/models/resnet50.txt" "$T/models/"
expect_fail 3 "cluster.devices.1.pu: 'gpu9' is no processing unit" -- run --lab "$T/nopu.lua" --duration 1
sed 's|noise = |noise = |; s|model = "models/resnet50.txt",|model = "models/resnet50.txt", noise = 2,|' "$LAB" >"$T/noise.lua"
expect_fail 3 "cluster.noise: must be in \\[0, 0.5\\], got 2" -- run --lab "$T/noise.lua" --duration 1
finish
