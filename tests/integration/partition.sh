# `wattson partition` (issue 15): a training pipeline for the shared
# PipeDream profiles and a Darknet cfg over heterogeneous devices (on the
# command line or a lab's cluster table) - a
# table, JSON with stages covering every layer once, the bottleneck never
# under its certified lower bound, the search over every order (down-sets)
# saying the plan is optimal and beating the one-order plan where it can,
# the fallback to one order past the down-sets' cap, a memory cap obeyed
# or refused with its reason, and bad input refused with one line and its
# exit code; the baselines --method metis (every layer assigned once,
# deterministic) and --method equal (never under the pipeline on the
# same order).
. "$TESTS/lib.sh"
P="$WATTSON_SHARED_DATA/pipedream-profiles"
C="$WATTSON_SHARED_DATA/darknet-cfg"
LABS="$WATTSON_SOURCE_DIR/lua-policies/labs"
FIX="$WATTSON_SOURCE_DIR/tests/fixtures/labs"

# The lab's device map (cluster, core/labclu.h) is checked before the
# model is read: these need no shared data.  The shipped cluster lab
# still runs.
"$W" run --lab "$LABS/cluster.lua" --duration 1 >"$T/run" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "\"type\":\"summary\"" "$T/run"' \
    "run --lab cluster.lua exits 0 with a summary: $(tail -c 300 "$T/err")"
cat >"$T/disc.lua" <<'LAB'
return {
  drivers = { { plugin = "sim" } },
  cluster = {
    devices = {
      { name = "v100a", kind = "gpu", speed = 1, mem = "16GB" },
      { name = "t4a", kind = "gpu", speed = 0.45, mem = "16GB" },
      { name = "fpga0", kind = "fpga", speed = 0.2 },
    },
    links = { { from = "v100a", to = "t4a", bw = "12GB/s", lat = "10us" } },
  },
}
LAB
expect_fail 3 "disc.lua: cluster.links: no path between v100a and fpga0$" -- \
    partition "$T/model.txt" --lab "$T/disc.lua"
expect_fail 3 "default.lua: no cluster table" -- \
    partition "$T/model.txt" --lab "$LABS/default.lua"
expect_fail 2 "--lab takes the devices and links from the lab: not with" -- \
    partition "$T/model.txt" --lab "$LABS/cluster.lua" --devices a
expect_fail 2 "not with --devices or --link" -- \
    partition "$T/model.txt" --lab "$LABS/cluster.lua" --link 12G

if [ ! -d "$P" ]; then
    skip "no shared data at $P"
    finish
    exit $?
fi
DEV="v100:1:16G,v100:1:16G,t4:0.45:16G,t4:0.45:16G"

"$W" partition "$P/resnet50.txt" --devices "$DEV" >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "partition resnet50 runs: $(cat "$T/err")"
check "grep -q '^model resnet50 (177 layers' '$T/out' && grep -Eq '^bottleneck [0-9.]+ ms per micro-batch .* lower bound [0-9.]+ ms, ratio 1[.][0-9]+' '$T/out'" \
    "the table names the model, the bottleneck and its bound: $(tail -2 "$T/out" | tr '\n' '|')"
check "grep -q '^search: exact over all 242 down-sets (every topological order): the proven optimum' '$T/out'" \
    "the table says the search was over every order: $(tail -1 "$T/out")"

# JSON for every shared profile: the stages cover each layer once, on
# distinct devices, within memory, and the ratio to the bound is >= 1
for f in "$P"/*.txt; do
    case "$f" in */LICENSE.txt) continue ;; esac
    "$W" partition "$f" --devices "$DEV" --json >"$T/j" 2>"$T/err" || {
        check false "partition $(basename "$f"): $(cat "$T/err")"
        continue
    }
    check "python3 - '$T/j' '$f' <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
layers = sum(1 for l in open(sys.argv[2]) if l.count(' -- ') >= 2)
st = j['stages']
assert sum(s['layers'] for s in st) == j['layers'] == layers, (j['layers'], layers)
assert len({s['device'] for s in st}) <= len(st)
assert all(s['memory_bytes'] <= 16e9 for s in st)
assert j['ratio'] >= 1 - 1e-9 and j['bottleneck_ms'] >= j['bound_ms'] * (1 - 1e-9)
assert abs(j['bottleneck_ms'] - max(max(s['compute_ms'], s['link_ms']) for s in st)) < 1e-6 * j['bottleneck_ms']
# every shared profile's down-sets fit the cap: optimal over every order
assert j['optimal'] is True and j['search'] in ('all-orders', 'chain'), j['search']
assert j['down_sets'] >= j['layers'] + 1
PY" "$(basename "$f"): stages cover the layers, within memory, ratio >= 1, optimal: $(head -c 300 "$T/j")"
done

# --method metis (libmetis's k-way assignment under the pipeline's cost
# model, then the pipeline on its order) and --method equal (the naive
# equal-layer split) on every shared profile, against --method pipeline
# on the same devices; and once more without memory caps, where the
# equal split always fits and so can never beat the pipeline (exact for
# the order both cut)
NOCAP="v100,v100,t4:0.45,t4:0.45"
for f in "$P"/*.txt; do
    case "$f" in */LICENSE.txt) continue ;; esac
    b=$(basename "$f" .txt)
    ok=1
    for run in "metis:$DEV" "metis2:$DEV" "equal:$DEV" "pipeline:$DEV" \
        "equal_nocap:$NOCAP" "pipeline_nocap:$NOCAP"; do
        name=${run%%:*}
        m=${name%_nocap}
        m=${m%2}
        "$W" partition "$f" --devices "${run#*:}" --method "$m" --json \
            >"$T/$name" 2>"$T/err" || {
            check false "partition $b --method $m: $(cat "$T/err")"
            ok=0
        }
    done
    [ "$ok" = 1 ] || continue
    check "cmp -s '$T/metis' '$T/metis2'" "$b: --method metis gives the same answer twice"
    check "python3 - '$T' '$f' <<'PY'
import json, sys
t, f = sys.argv[1], sys.argv[2]
m, e, p, en, pn = (json.load(open(t + '/' + n)) for n in
                   ('metis', 'equal', 'pipeline', 'equal_nocap', 'pipeline_nocap'))
layers = sum(1 for l in open(f) if l.count(' -- ') >= 2)
# metis: every layer assigned once, to one of the 4 devices
a = m['assignment']
assert m['layers'] == layers == len(a), (m['layers'], layers, len(a))
assert len({x['layer'] for x in a}) == layers
assert all(0 <= x['device'] < 4 for x in a)
pd = m['per_device']
assert [d['layers'] for d in pd] == [sum(1 for x in a if x['device'] == i) for i in range(4)]
worst = max([d['compute_ms'] for d in pd] + [l['link_ms'] for l in m['links']])
assert abs(m['bottleneck_ms'] - worst) <= 1e-6 * worst
assert isinstance(m['acyclic'], bool) and isinstance(m['fits'], bool)
assert m['acyclic'] == all(d['stage'] is not None for d in pd if d['layers'])
# METIS's bound holds for any assignment, so it is never above the
# pipeline's (which holds for pipelines only)
assert m['bound_ms'] <= p['bound_ms'] * (1 + 1e-9), (m['bound_ms'], p['bound_ms'])
o = m['on_metis_order']
if o is not None:
    assert sum(s['layers'] for s in o['stages']) == layers
    assert o['bottleneck_ms'] >= o['bound_ms'] * (1 - 1e-9)
# equal: the devices in the order given, layer counts within one
for q in (e, en):
    st = q['stages']
    assert sum(s['layers'] for s in st) == layers
    assert [s['device'] for s in st] == ['v100', 'v100', 't4', 't4'][:len(st)]
    assert max(s['layers'] for s in st) - min(s['layers'] for s in st) <= 1
assert en['fits'] is True
assert en['bottleneck_ms'] >= pn['bottleneck_ms'] * (1 - 1e-9), (en['bottleneck_ms'], pn['bottleneck_ms'])
if e['fits']:
    assert e['bottleneck_ms'] >= p['bottleneck_ms'] * (1 - 1e-9), (e['bottleneck_ms'], p['bottleneck_ms'])
PY" "$b: metis assigns every layer once, equal split never under the pipeline: $(head -c 200 "$T/metis")"
done

"$W" partition "$P/resnet18.txt" --devices "$DEV" --method metis >"$T/out" 2>"$T/err"
check "grep -q '^METIS k-way' '$T/out' && grep -Eq '^bottleneck [0-9.]+ ms per micro-batch, lower bound [(]any assignment[)] [0-9.]+ ms, ratio [0-9.]+; quotient acyclic: (yes|no)' '$T/out' && grep -q '^pipeline on the METIS order' '$T/out'" \
    "--method metis prints the assignment, its flags and the pipeline on its order: $(cat "$T/out" "$T/err" | tr '\n' '|')"
"$W" partition "$P/resnet18.txt" --devices "$DEV" --method equal >"$T/out" 2>"$T/err"
check "grep -q '^equal-layer split' '$T/out' && grep -Eq '^fits memory: (yes|no)' '$T/out'" \
    "--method equal prints its stages: $(cat "$T/out" "$T/err" | tr '\n' '|')"
# over every order beats the default order's plan where the layers allow
# it: resnet50 on these 4 devices was 161.592 ms for the default order
# (ppipe, exact for it), gnmt on 8 devices 13.328 ms
"$W" partition "$P/resnet50.txt" --devices "$DEV" --json >"$T/r" 2>"$T/err"
check "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[\"optimal\"] is True and j[\"search\"] == \"all-orders\" and j[\"down_sets\"] == 242 and j[\"bottleneck_ms\"] <= 161.592' '$T/r'" \
    "resnet50: optimal over its 242 down-sets, <= the one-order plan's 161.592 ms: $(tail -c 160 "$T/r") $(cat "$T/err")"
DEV8="a100:2.5:40G,a100:2.5:40G,v100:1:16G,v100:1:16G,v100:1:16G,t4:0.45:16G,t4:0.45:16G,k80:0.2:12G"
"$W" partition "$P/gnmt.txt" --devices "$DEV8" --json >"$T/g" 2>"$T/err"
check "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[\"optimal\"] is True and j[\"down_sets\"] == 7874 and j[\"bottleneck_ms\"] < 13.328 * (1 - 1e-3)' '$T/g'" \
    "gnmt on 8 devices: optimal, better than the one-order plan's 13.328 ms: $(tail -c 160 "$T/g") $(cat "$T/err")"
"$W" partition "$P/vgg16.txt" --devices "$DEV" --json >"$T/v" 2>"$T/err"
check "grep -q '\"optimal\":true,\"search\":\"chain\",\"down_sets\":42}' '$T/v'" \
    "vgg16 is a chain: one order, optimal: $(tail -c 120 "$T/v")"

# past the cap of down-sets (22 layers, 20 of them side by side: 2^20 + 2
# down-sets) it says so and solves the default order
{
    echo "node0 -- Input -- forward_compute_time=0.000, backward_compute_time=0.000, activation_size=1000.000, parameter_size=0.000"
    for i in $(seq 1 20); do
        echo "node$i -- Linear -- forward_compute_time=$i.000, backward_compute_time=1.000, activation_size=1000.000, parameter_size=4000.000"
        echo "	node0 -- node$i"
        echo "	node$i -- node21"
    done
    echo "node21 -- Concat -- forward_compute_time=1.000, backward_compute_time=0.000, activation_size=1000.000, parameter_size=0.000"
} >"$T/wide.txt"
"$W" partition "$T/wide.txt" --devices a,b:2 >"$T/w" 2>"$T/err"
check "grep -q '^search: exact for one topological order only (more than 250000 down-sets): not proven optimal' '$T/w'" \
    "a graph past the cap falls back to one order and says so: $(tail -1 "$T/w") $(cat "$T/err")"
"$W" partition "$T/wide.txt" --devices a,b:2 --json >"$T/w" 2>"$T/err"
check "grep -q '\"optimal\":false,\"search\":\"one-order\",\"down_sets\":null}' '$T/w'" \
    "and its JSON: $(tail -c 120 "$T/w")"

# a Darknet cfg: its layers' work from FLOPs
"$W" partition "$C/yolov3-tiny.cfg" --devices a,b:2 --json >"$T/y" 2>"$T/err"
check "grep -q '\"model\":\"yolov3-tiny\",\"layers\":24,\"devices\":2' '$T/y'" \
    "a Darknet cfg partitions: $(head -c 200 "$T/y") $(cat "$T/err")"

# --lab: the cluster lab's devices and routes; every stage on one of its
# devices, the heading names the link kinds
"$W" partition "$P/resnet50.txt" --lab "$LABS/cluster.lua" >"$T/lt" 2>"$T/err"
check "grep -q '^model resnet50 (177 layers, .*), 6 devices, links nvlink 45 GB/s, pcie 12 GB/s, ethernet 1.25 GB/s\$' '$T/lt'" \
    "partition --lab cluster.lua: $(head -1 "$T/lt") $(cat "$T/err")"
"$W" partition "$P/resnet50.txt" --lab "$LABS/cluster.lua" --json >"$T/lj" 2>"$T/err"
check "python3 - '$T/lj' <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
lab = {'v100a', 'v100b', 't4a', 't4b', 'host', 'node2'}
used = [s['device'] for s in j['stages']]
assert j['devices'] == 6 and used and set(used) <= lab, used
assert len(set(used)) == len(used)
assert all(s['memory_bytes'] <= 16e9 for s in j['stages'])
assert j['ratio'] >= 1 - 1e-9
PY" "partition --lab cluster.lua --json names the lab's devices: $(head -c 300 "$T/lj") $(cat "$T/err")"
# the fixture's three devices (slow-host routed through fast)
"$W" partition "$P/alexnet.txt" --lab "$FIX/cluster-small.lua" --json >"$T/fj" 2>"$T/err"
check "grep -q '\"devices\":3,' '$T/fj' && grep -q '\"device\":\"fast\"' '$T/fj'" \
    "partition --lab cluster-small.lua: $(head -c 300 "$T/fj") $(cat "$T/err")"

# memory: one small device cannot hold vgg16 (138 M parameters, twice)
expect_fail 3 "no partition fits in memory" -- partition "$P/vgg16.txt" --devices tiny:1:100M
expect_fail 3 "nosuch.txt" -- partition "$T/nosuch.txt" --devices a
expect_fail 2 "--devices: a: speed 'x' is not a number > 0" -- partition "$P/vgg16.txt" --devices a:x
expect_fail 2 "--link: '12Q': BANDWIDTH" -- partition "$P/vgg16.txt" --devices a --link 12Q
expect_fail 2 "partition needs --devices SPEC or --lab LAB" -- partition "$P/vgg16.txt"

# --method split: inference over user, edge and cloud.  Every shared
# profile: the min-cut's latency is at most all-local's, all-remote's and
# the chain scan's, its tiers hold every layer once, and the critical path
# (branches side by side) is at most the sum.
TIERS="phone:0.1,edge:1,cloud:4"
for f in "$P"/*.txt; do
    case "$f" in */LICENSE.txt) continue ;; esac
    "$W" partition "$f" --method split --devices "$TIERS" \
        --link 10M/20ms,1G/5ms --json >"$T/s" 2>"$T/err" || {
        check false "split $(basename "$f"): $(cat "$T/err")"
        continue
    }
    check "python3 - '$T/s' '$f' <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
layers = sum(1 for l in open(sys.argv[2]) if l.count(' -- ') >= 2)
assert j['method'] == 'split' and j['layers'] == layers
names = [n for t in j['tiers'] for n in t['names']]
assert len(names) == len(set(names)) == layers
assert [t['layers'] for t in j['tiers']] == [len(t['names']) for t in j['tiers']]
best = j['total_ms']
for k in ('scan', 'all_local', 'all_remote'):
    assert best <= j[k]['total_ms'] * (1 + 1e-9), (k, best, j[k])
assert 0 < j['critical_ms'] <= best * (1 + 1e-9)
assert abs(j['scale'] - 1) < 1e-12 and j['complexity'] == 50
PY" "split $(basename "$f"): min-cut <= all-local, all-remote, scan: $(head -c 300 "$T/s")"
done

"$W" partition "$P/resnet18.txt" --method split --devices "$TIERS" \
    --link 10M/20ms,1G/5ms >"$T/out" 2>"$T/err"
check "grep -Eq '^min-cut +[0-9.]+ +[0-9.]+ +[0-9]+/[0-9]+/[0-9]+$' '$T/out' && grep -q '^all remote ' '$T/out' && grep -Eq '^critical path [0-9.]+ ms through [0-9]+ layers' '$T/out'" \
    "the split table: plans and the critical path: $(tail -6 "$T/out" | tr '\n' '|') $(cat "$T/err")"

# higher complexity pushes layers remote: squeezenet at 100 MB/s runs
# all on the phone at complexity 0 and mostly remote at 100
remote() { python3 -c "import json,sys; j=json.load(sys.stdin); print(sum(t['layers'] for t in j['tiers'][1:]))"; }
lo=$("$W" partition "$P/squeezenet1_0.txt" --method split --devices "$TIERS" \
    --link 100M/20ms,1G/5ms --complexity 0 --json | remote)
hi=$("$W" partition "$P/squeezenet1_0.txt" --method split --devices "$TIERS" \
    --link 100M/20ms,1G/5ms --complexity 100 --json | remote)
check "[ '$lo' = 0 ] && [ '${hi:-0}' -gt 30 ]" \
    "complexity 0 -> $lo remote layers, 100 -> $hi (squeezenet, 100 MB/s)"

# the same from real photos (Debian's darknet): a kite in the sky keeps
# vgg-16 on the phone at 1 GB/s, a giraffe in grass sends most of it out
D=/usr/share/darknet/data
if [ -r "$D/kite.jpg" ] && [ -r "$D/giraffe.jpg" ]; then
    lo=$("$W" partition "$C/vgg-16.cfg" --method split --devices "$TIERS" \
        --link 1G/20ms,1G/5ms --input "$D/kite.jpg" --json | remote)
    hi=$("$W" partition "$C/vgg-16.cfg" --method split --devices "$TIERS" \
        --link 1G/20ms,1G/5ms --input "$D/giraffe.jpg" --json | remote)
    check "[ '$lo' = 0 ] && [ '${hi:-0}' -gt 10 ]" \
        "kite.jpg -> $lo remote layers, giraffe.jpg -> $hi (vgg-16, 1 GB/s)"
    head -c 30000 "$D/dog.jpg" >"$T/short.jpg"
    expect_fail 3 "short.jpg: JPEG: Premature end of JPEG file" -- partition \
        "$C/vgg-16.cfg" --method split --devices "$TIERS" --input "$T/short.jpg"
else
    skip "no photos in $D (Debian's darknet package)"
fi
expect_fail 3 "vgg16.txt: not a JPEG or PNG image" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --input "$P/vgg16.txt"
expect_fail 2 "--link: 3 links for 3 devices" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --link 1M,2M,3M
expect_fail 2 "--method split needs 2 to 8 --devices" -- partition \
    "$P/vgg16.txt" --method split --devices phone
expect_fail 2 "--devices: phone: --method split takes NAME\[:SPEED\]" -- \
    partition "$P/vgg16.txt" --method split --devices phone:1:4G,edge
expect_fail 2 "--complexity: '101': a score 0-100" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --complexity 101
expect_fail 2 "--complexity: '60/50'" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --complexity 60/50
expect_fail 2 "--input and --complexity: one or the other" -- partition \
    "$P/vgg16.txt" --method split --devices "$TIERS" --complexity 5 --input x.jpg
expect_fail 2 "--input and --complexity go with --method split" -- partition \
    "$P/vgg16.txt" --devices "$TIERS" --complexity 5
expect_fail 2 "--link: a list is for --method split" -- partition \
    "$P/vgg16.txt" --devices "$TIERS" --link 1G,2G
expect_fail 2 "--method: 'foo' is not pipeline, metis, equal, split or all" -- partition \
    "$P/vgg16.txt" --devices "$TIERS" --method foo

# --method all: every method in turn (split only on devices without
# memory); --json one object per line, each naming its method; split over
# a lab's cluster takes its routes between neighbours as the tiers' links
"$W" partition "$P/resnet18.txt" --devices a,b:0.5 --method all >"$T/all" 2>"$T/err"
check "[ \$(grep -c '^--- ' '$T/all') -eq 4 ] && grep -q '^--- split$' '$T/all' && grep -q '^search: exact' '$T/all' && grep -q '^min-cut ' '$T/all'" \
    "--method all prints the four methods: $(grep '^--- ' "$T/all" | tr '\n' ' ') $(cat "$T/err")"
"$W" partition "$P/resnet18.txt" --devices a,b:0.5 --method all --json >"$T/allj" 2>"$T/err"
check "python3 -c 'import json,sys; m=[json.loads(l)[\"method\"] for l in open(sys.argv[1])]; assert m == [\"pipeline\", \"metis\", \"equal\", \"split\"], m' '$T/allj'" \
    "--method all --json: one object per method: $(cut -c1-60 "$T/allj" | tr '\n' '|')"
"$W" partition "$P/resnet18.txt" --devices "$DEV" --method all >"$T/all" 2>"$T/err"
check "grep -q '^--- split: not run' '$T/all' && [ \$(grep -c '^--- ' '$T/all') -eq 4 ]" \
    "--method all skips split on devices with memory, and says so: $(grep '^--- ' "$T/all" | tr '\n' ' ')"
"$W" partition "$P/resnet18.txt" --lab "$WATTSON_SOURCE_DIR/lua-policies/labs/cluster.lua" --method split --json >"$T/ls" 2>"$T/err"
check "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert len(j[\"tiers\"]) == 6 and j[\"links\"][4][\"bandwidth\"] == 1.25e9, j[\"links\"]' '$T/ls'" \
    "split over the cluster lab: six tiers, the host -> node2 link at 1.25 GB/s: $(head -c 300 "$T/ls") $(cat "$T/err")"

# --search order: ppipe on the default order only (milliseconds on any
# graph), never better than the search over every order, and said so
"$W" partition "$P/resnet50.txt" --devices "$DEV" --search order --json >"$T/ro" 2>"$T/err"
"$W" partition "$P/resnet50.txt" --devices "$DEV" --json >"$T/ra" 2>>"$T/err"
check "python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); a=json.load(open(sys.argv[2])); assert o[\"search\"] == \"one-order\" and o[\"optimal\"] is False and o[\"bottleneck_ms\"] >= a[\"bottleneck_ms\"] * (1 - 1e-9)' '$T/ro' '$T/ra'" \
    "--search order: one order, not above the all-orders plan: $(tail -c 120 "$T/ro") $(cat "$T/err")"
expect_fail 2 "--search: 'x' is not all or order" -- partition "$P/vgg16.txt" --devices a --search x

# names from files and options are escaped in the JSON: a model file and
# a device named with a quote and a backslash
cp "$P/resnet18.txt" "$T/q\"uo\\te.txt"
for m in pipeline metis equal; do
    "$W" partition "$T/q\"uo\\te.txt" --devices 'd"1,d\2' --method $m --json >"$T/qj" 2>"$T/err"
    check "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert chr(34) in j[\"model\"] and chr(92) in j[\"model\"], j[\"model\"]' '$T/qj'" \
        "--method $m: quoted names stay valid JSON: $(head -c 160 "$T/qj") $(cat "$T/err")"
done

# METIS complains on stdout about a small graph in many parts (alexnet's
# 23 layers over 8 devices); the JSON must stay clean
"$W" partition "$P/alexnet.txt" --method metis --json \
    --devices a:2.5,b:2.5,c,d,e,f:0.45,g:0.45,h:0.2 >"$T/am" 2>"$T/err"
check "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$T/am'" \
    "metis over 8 devices on alexnet: clean JSON: $(head -c 200 "$T/am")"

# bench partition: a row per shared model and device set, the ratios
# sane, and the adaptation table's worst window line
# (a subset of the shared models: inception_v3's 221,566 down-sets take
# most of a minute in a Debug build; `make bench` runs them all)
mkdir -p "$T/data/pipedream-profiles" "$T/data/darknet-cfg"
for m in alexnet gnmt resnet50; do cp "$P/$m.txt" "$T/data/pipedream-profiles/"; done
for m in resnet18 yolov3-tiny; do cp "$C/$m.cfg" "$T/data/darknet-cfg/"; done
"$W" bench partition "$T/data" >"$T/b" 2>"$T/err"
check '[ $? -eq 0 ]' "bench partition runs: $(cat "$T/err")"
check "python3 - '$T/b' <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
i = lines.index(next(l for l in lines if l.startswith('model ')))
rows = []
for l in lines[i + 1:]:
    if not l.strip():
        break
    rows.append(l)
assert len(rows) == 10, rows
for r in rows:
    c = r.split()
    # model layers dev stages ratio ms equal metis ms: the pipeline and the
    # equal split are pipelines, never under the bound, the split never
    # under the pipeline (exact for its order) where it fits
    assert float(c[4].rstrip('o')) >= 1 - 1e-9, r
    eq = c[6].rstrip('m')
    assert float(eq) >= 1 - 1e-9, r
    if not c[6].endswith('m'):
        assert float(eq) >= float(c[4].rstrip('o')) - 1e-9, r
sp = [l for l in lines if l.startswith('min-cut at most every other plan in')]
assert sp, 'no split summary'
w = sp[0].split()
assert w[7] == w[9] and int(w[7]) == 5 * 4, sp
ad = [l for l in lines if l.startswith('adaptive keeps at least')]
assert ad and float(ad[0].split()[4]) > 0, ad
PY" "bench partition: 5 models x 2 sets, ratios >= 1, the adaptation line: $(head -c 400 "$T/b")"
expect_fail 3 "no models under $T" -- bench partition "$T"
finish
