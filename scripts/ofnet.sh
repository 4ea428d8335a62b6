#!/bin/sh
# ofnet.sh - the offload protocol's network testbed (issue 18): two
# network namespaces, A and B, joined through a third, M, where
# wattson-ofrelay (console/tools/ofrelay.c) bridges the two veth pairs and
# adds delay, jitter and loss (this kernel has no netem qdisc); tc tbf on
# the outer veth ends limits the rate.  All traffic stays inside the
# namespaces.
#
#   NAME-a: a0 10.199.0.1/24 ── a1 :NAME-m: b1 ── b0 10.199.0.2/24 :NAME-b
#                                 (relay)
#
# Usage (as root):
#   ofnet.sh up NAME [--rate BPS] [--delay D] [--jitter J] [--loss P]
#                    [--loss-burst S] [--relay-rate BPS] [--seed N]
#                    [--reorder] [--limit N] [--net 10.199.0]
#                    [--tbf-latency D]
#   ofnet.sh set NAME [--rate BPS|off] [--delay D] [--jitter J] [--loss P]
#                     [--loss-burst S] [--relay-rate BPS]
#   ofnet.sh stats NAME          the relay's counters (key=value)
#   ofnet.sh exec NAME a|b|m CMD...
#   ofnet.sh down NAME           idempotent; safe after a failed up
#
# The relay's settings take the relay's values (wattson-ofrelay --help,
# console/tools/ofrcfg.h): "--loss 0.3" both directions, "--loss ab:0.3"
# A to B only; --relay-rate is the relay's own rate (its "rate").  --rate
# is tc's: 10mbit, 1gbit, or bits a second; it is
# applied to a0 (A to B) and b0 (B to A) as tbf with burst = max(rate /
# 100 Hz, 2 MTU-sized frames) (tc-tbf(8): at least rate/HZ, and at least
# the MTU; 100 is the smallest HZ, so the rule holds for any kernel) and
# --tbf-latency (default 100ms) of queue.
#
# Each testbed is marked by its run directory
# ($WATTSON_OFNET_RUN, default /run/wattson-ofnet, then NAME/): `up`
# refuses a NAME whose namespaces or directory exist, and `down` deletes
# only namespaces that have it.  The relay: $WATTSON_OFRELAY, else the
# build tree's libexec/wattson-ofrelay (build/, then build-release/), else
# PATH.  To make the traffic exactly what the caller sends, IPv6 is off
# in all three namespaces, A and B know each other's MAC statically (no
# ARP crosses the relay) and the veths' offloads are off (every frame the
# relay sees is one real, checksummed Ethernet frame).  `up` starts the
# relay with no impairment, waits until A pings B, then applies the
# impairments live, as `set` does (SIGHUP with a control file; `set`
# waits until the relay has reread it).
#
# Exit: 0; 1 a failure (one line on stderr; a failed `up` undoes itself);
# 2 a bad command line; 77 not root, or no network namespaces or tools
# here (the tests' skip code).
set -u

RUNBASE=${WATTSON_OFNET_RUN:-/run/wattson-ofnet}
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "ofnet: $*" >&2; exit 1; }
usage() { echo "ofnet: $*" >&2; exit 2; }

need_env() {
    [ "$(id -u)" -eq 0 ] || { echo "ofnet: needs root (network namespaces)" >&2; exit 77; }
    for t in ip tc ethtool ping; do
        command -v "$t" >/dev/null 2>&1 ||
            { echo "ofnet: '$t' not installed (scripts/deps.sh)" >&2; exit 77; }
    done
    [ -e /proc/self/ns/net ] || { echo "ofnet: no network namespaces in this kernel" >&2; exit 77; }
}

check_name() {
    case $1 in
    "" | *[!A-Za-z0-9_-]* | -*) usage "bad testbed name '$1' (letters, digits, _ and -)" ;;
    esac
    [ ${#1} -le 24 ] || usage "testbed name '$1' longer than 24 characters"
}

find_relay() {
    if [ -n "${WATTSON_OFRELAY:-}" ]; then echo "$WATTSON_OFRELAY"; return; fi
    for b in build build-release; do
        f="$HERE/../$b/libexec/wattson-ofrelay"
        [ -x "$f" ] && { echo "$f"; return; }
    done
    command -v wattson-ofrelay 2>/dev/null || die "wattson-ofrelay not found (build it, or set WATTSON_OFRELAY)"
}

ns_exists() { ip netns list 2>/dev/null | grep -q "^$1\( \|\$\)"; }

# An impairment option's value checked by the relay itself later; here
# only that one is there.
RELAY_ARGS=""
CHECK=""
RATE=""
CTL=""
parse_opts() {
    mode=$1
    shift
    while [ $# -gt 0 ]; do
        opt=$1
        [ $# -ge 2 ] || { [ "$opt" = --reorder ] || usage "$opt needs a value"; }
        case $opt in
        --rate)
            case $mode:$2 in set:off | set:0) ;;
            *) case $(rate_bits "$2") in bad | 0) usage "--rate '$2' is not a tc rate (10mbit, 1gbit)" ;; esac ;;
            esac
            RATE=$2 ;;
        --delay | --jitter | --loss | --loss-burst | --relay-rate)
            key=${opt#--}
            key=${key#relay-}
            CHECK="$CHECK --$key $2"
            CTL="$CTL$key $2
" ;;
        --seed | --limit)
            [ "$mode" = up ] || usage "$opt is fixed when the testbed comes up"
            CHECK="$CHECK $opt $2"
            RELAY_ARGS="$RELAY_ARGS $opt $2" ;;
        --reorder)
            [ "$mode" = up ] || usage "--reorder is fixed when the testbed comes up"
            RELAY_ARGS="$RELAY_ARGS --reorder"
            shift
            continue ;;
        --net)
            [ "$mode" = up ] || usage "--net is fixed when the testbed comes up"
            case $2 in
            *[!0-9.]* | *.*.*.* | *..* | .* | *.) usage "--net '$2' is not three octets (10.199.0)" ;;
            *.*.*) NET=$2 ;;
            *) usage "--net '$2' is not three octets (10.199.0)" ;;
            esac ;;
        --tbf-latency) TBF_LAT=$2 ;;
        *) usage "unknown option '$opt'" ;;
        esac
        shift 2
    done
    # The relay judges its own values, before anything is built.
    # shellcheck disable=SC2086
    why=$("$RELAY" --check $CHECK a b 2>&1) ||
        usage "$(echo "$why" | sed 's/^wattson-ofrelay: //; s/ (--help for usage)$//')"
}

# tc's rate text to bits a second (tc-tbf(8)'s units), for the burst.
rate_bits() {
    echo "$1" | awk '{
        r = tolower($0)
        if (!match(r, /^[0-9]+(\.[0-9]+)?/)) { print "bad"; exit }
        n = substr(r, 1, RLENGTH) + 0; u = substr(r, RLENGTH + 1)
        f[""] = 1; f["bit"] = 1; f["kbit"] = 1e3; f["mbit"] = 1e6
        f["gbit"] = 1e9; f["tbit"] = 1e12; f["kibit"] = 1024
        f["mibit"] = 1048576; f["gibit"] = 1073741824; f["bps"] = 8
        f["kbps"] = 8e3; f["mbps"] = 8e6; f["gbps"] = 8e9
        if (u in f) print n * f[u]; else print "bad"
    }'
}

# apply_rate NAME RATE: tbf on a0 and b0, or none for "off"/"0".
apply_rate() {
    for side in a b; do
        if [ "$2" = off ] || [ "$2" = 0 ]; then
            ip netns exec "$1-$side" tc qdisc del dev ${side}0 root 2>/dev/null
            continue
        fi
        bits=$(rate_bits "$2")
        burst=$(awk -v b="$bits" 'BEGIN { x = b / 8 / 100; if (x < 3028) x = 3028; printf "%d", x + 0.999 }')
        ip netns exec "$1-$side" tc qdisc replace dev ${side}0 root tbf \
            rate "$2" burst "$burst" latency "${TBF_LAT:-100ms}" ||
            die "tc tbf on ${side}0 of '$1' failed"
    done
}

stat_of() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }

# relay_signal NAME SIG KEY: sends the relay SIG and waits (5 s at most)
# until its stats file's KEY counter moves: the relay writes the file
# after it has acted on the signal.
relay_signal() {
    run=$RUNBASE/$1
    pid=$(cat "$run/relay.pid" 2>/dev/null) || die "'$1' has no relay"
    before=$(stat_of "$run/stats" "$3")
    kill "-$2" "$pid" 2>/dev/null || die "the relay of '$1' (pid $pid) is gone"
    i=0
    while [ "$(stat_of "$run/stats" "$3")" = "$before" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || die "the relay of '$1' did not answer SIG$2"
        sleep 0.05
    done
}

# relay_apply NAME TEXT: the control file written, SIGHUP, and a wait for
# the relay to reread it; fails on the relay's refusal.
relay_apply() {
    run=$RUNBASE/$1
    errs=$(stat_of "$run/stats" reload_errors)
    printf '%s' "$2" >"$run/control.tmp" && mv "$run/control.tmp" "$run/control"
    relay_signal "$1" HUP reloads
    if [ "$(stat_of "$run/stats" reload_errors)" != "$errs" ]; then
        die "the relay refused the settings: $(tail -n 1 "$run/relay.log")"
    fi
}

# relay_pids RUNDIR: the relay's pid(s) still alive and still the relay.
relay_pids() {
    for f in "$1/relay.pid" "$1/launch.pid"; do
        p=$(cat "$f" 2>/dev/null) || continue
        case $p in "" | *[!0-9]*) continue ;; esac
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ofrelay && echo "$p"
    done | sort -u
}

do_down() {
    run=$RUNBASE/$1
    if [ ! -f "$run/owner" ]; then
        for s in a m b; do
            if ns_exists "$1-$s"; then
                echo "ofnet: namespace '$1-$s' was not made by ofnet.sh; left alone" >&2
                return 1
            fi
        done
        rm -rf "$run"
        return 0
    fi
    pids=$(relay_pids "$run")
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null
        i=0
        while [ -n "$(relay_pids "$run")" ] && [ $i -lt 40 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        # shellcheck disable=SC2086
        [ -z "$(relay_pids "$run")" ] || kill -KILL $pids 2>/dev/null
    fi
    for s in a m b; do
        ns_exists "$1-$s" && ip netns del "$1-$s"
    done
    rm -rf "$run"
    return 0
}

do_up() {
    name=$1
    shift
    NET=10.199.0
    parse_opts up "$@"
    mkdir -p "$RUNBASE" || die "cannot make $RUNBASE"
    for s in a m b; do
        ns_exists "$name-$s" && die "namespace '$name-$s' already exists"
    done
    run=$RUNBASE/$name
    mkdir "$run" 2>/dev/null || die "testbed '$name' already exists ($run)"
    echo "$$" >"$run/owner"
    trap 'do_down "$name"; exit 1' INT TERM
    fail() { echo "ofnet: $*" >&2; do_down "$name"; exit 1; }
    for s in a m b; do
        ip netns add "$name-$s" || fail "ip netns add $name-$s failed"
        ip -n "$name-$s" link set lo up
        ip netns exec "$name-$s" sh -c 'for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 \
            /proc/sys/net/ipv6/conf/default/disable_ipv6; do [ -w $f ] && echo 1 >$f; done; true'
    done
    ip link add a0 netns "$name-a" type veth peer name a1 netns "$name-m" &&
        ip link add b0 netns "$name-b" type veth peer name b1 netns "$name-m" ||
        fail "creating the veth pairs failed"
    for d in a:a0 m:a1 m:b1 b:b0; do
        ns=$name-${d%%:*} dev=${d#*:}
        ip netns exec "$ns" ethtool -K "$dev" rx off tx off sg off tso off \
            gso off gro off >/dev/null 2>&1
        ip netns exec "$ns" ethtool -k "$dev" 2>/dev/null |
            grep -q '^tx-checksumming: off' || fail "cannot turn off offloads on $dev"
        ip -n "$ns" link set "$dev" up || fail "cannot bring $dev up"
    done
    ip -n "$name-a" addr add "$NET.1/24" dev a0 &&
        ip -n "$name-b" addr add "$NET.2/24" dev b0 || fail "addresses failed"
    mac_a=$(ip netns exec "$name-a" cat /sys/class/net/a0/address)
    mac_b=$(ip netns exec "$name-b" cat /sys/class/net/b0/address)
    ip -n "$name-a" neigh replace "$NET.2" lladdr "$mac_b" dev a0 nud permanent &&
        ip -n "$name-b" neigh replace "$NET.1" lladdr "$mac_a" dev b0 nud permanent ||
        fail "static neighbours failed"
    echo "$NET" >"$run/net"
    [ -z "$RATE" ] || apply_rate "$name" "$RATE"
    : >"$run/control"
    # shellcheck disable=SC2086
    ip netns exec "$name-m" "$RELAY" --stats "$run/stats" --control "$run/control" \
        --pidfile "$run/relay.pid" $RELAY_ARGS a1 b1 </dev/null >"$run/relay.log" 2>&1 &
    echo $! >"$run/launch.pid"
    i=0
    while [ ! -s "$run/relay.pid" ] || [ ! -s "$run/stats" ]; do
        kill -0 "$(cat "$run/launch.pid")" 2>/dev/null ||
            fail "the relay did not start: $(tail -n 1 "$run/relay.log")"
        i=$((i + 1))
        [ $i -le 100 ] || fail "the relay did not start in 5 s"
        sleep 0.05
    done
    i=0
    until ip netns exec "$name-a" ping -c 1 -W 1 "$NET.2" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -le 5 ] || fail "A cannot ping B through the relay"
    done
    [ -z "$CTL" ] || (relay_apply "$name" "$CTL") || fail "impairments not applied"
    trap - INT TERM
}

do_set() {
    name=$1
    shift
    [ -f "$RUNBASE/$name/owner" ] || die "no testbed '$name'"
    parse_opts set "$@"
    [ -z "$RATE" ] || apply_rate "$name" "$RATE"
    [ -z "$CTL" ] || relay_apply "$name" "$CTL"
}

do_stats() {
    [ -f "$RUNBASE/$1/owner" ] || die "no testbed '$1'"
    relay_signal "$1" USR1 seq
    cat "$RUNBASE/$1/stats"
}

[ $# -ge 2 ] || usage "usage: ofnet.sh up|set|stats|exec|down NAME ..."
cmd=$1
name=$2
shift 2
check_name "$name"
case $cmd in
up | set) need_env; RELAY=$(find_relay) || exit 1 ;;
stats | exec | down) need_env ;;
*) usage "unknown command '$cmd' (up, set, stats, exec, down)" ;;
esac
case $cmd in
up) do_up "$name" "$@" ;;
set) do_set "$name" "$@" ;;
stats) do_stats "$name" ;;
down) do_down "$name" ;;
exec)
    [ $# -ge 2 ] || usage "usage: ofnet.sh exec NAME a|b|m CMD..."
    case $1 in a | b | m) ;; *) usage "exec: side '$1' is not a, b or m" ;; esac
    [ -f "$RUNBASE/$name/owner" ] || die "no testbed '$name'"
    side=$1
    shift
    exec ip netns exec "$name-$side" "$@" ;;
esac
