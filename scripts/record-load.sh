#!/bin/sh
# record-load.sh - sample whole-machine CPU utilisation from /proc/stat and
# write a `t_s,util` CSV (the trace format of drivers/sim/csvtrace.h).
#
#   scripts/record-load.sh [-i INTERVAL_S] [-d DURATION_S] [-o OUT.csv] [-- CMD ...]
#
# util = 1 - (idle + iowait) delta / total delta over each interval, summed
# over all CPUs (the "cpu" line), clamped to [0, 1].  t_s counts from the
# first sample (0) in steps of INTERVAL_S (default 1; fractions such as 0.5
# work).  With -- CMD, CMD runs in the background for the recording and is
# stopped with all its children (coreutils timeout) when
# DURATION_S ends; without it the script
# just records whatever the machine does.  POSIX sh, awk, sleep (and timeout
# for -- CMD).
set -eu

interval=1
duration=120
out=-
while [ $# -gt 0 ]; do
    case "$1" in
    -i) interval=$2; shift 2 ;;
    -d) duration=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "record-load.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done

[ -r /proc/stat ] || { echo "record-load.sh: /proc/stat not readable" >&2; exit 1; }
n=$(awk -v d="$duration" -v i="$interval" 'BEGIN { n = int(d / i + 0.5); if (n < 1) { exit 1 } print n }') ||
    { echo "record-load.sh: bad -d/-i" >&2; exit 2; }

pid=
cleanup() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM
if [ $# -gt 0 ]; then
    # GNU timeout runs CMD in its own process group and signals the whole
    # group when the time is up or when it is itself terminated, so every
    # child (make's compilers, ...) stops with the recording.
    timeout -k 5 "$duration" "$@" >/dev/null 2>&1 </dev/null &
    pid=$!
fi

stat() { awk '/^cpu / { t = 0; for (k = 2; k <= NF; k++) t += $k; print t, $5 + $6; exit }' /proc/stat; }

{
    echo "t_s,util"
    prev=$(stat)
    k=0
    while [ "$k" -lt "$n" ]; do
        sleep "$interval"
        cur=$(stat)
        echo "$k $interval $prev $cur" | awk '{
            dt = $5 - $3; di = $6 - $4; u = dt > 0 ? 1 - di / dt : 0
            if (u < 0) u = 0; if (u > 1) u = 1
            printf "%g,%.4f\n", ($1 + 1) * $2 - $2, u }'
        prev=$cur
        k=$((k + 1))
    done
} | if [ "$out" = - ]; then cat; else cat >"$out"; fi
