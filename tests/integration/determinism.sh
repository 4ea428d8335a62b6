# Same lab + same seed => byte-identical traces (JSONL and CSV); a
# different seed gives a different trace.  wall_seconds, the one key that
# measures the machine rather than the lab, is removed before comparing.
. "$TESTS/lib.sh"

run() { "$W" run --duration 20s --seed "$1" --out "$T/$2.jsonl" --csv "$T/$2.csv" >"$T/$2.sum" 2>"$T/$2.err"; }
strip() { sed 's/"wall_seconds":[0-9.e+-]*,//' "$1"; }

run 11 a; check '[ $? -eq 0 ]' "run a: $(cat "$T/a.err")"
run 11 b; check '[ $? -eq 0 ]' "run b"
run 12 c; check '[ $? -eq 0 ]' "run c"
check '[ "$(wc -l <"$T/a.jsonl")" -eq 2002 ]' "header + 2000 ticks + summary lines"
check 'strip "$T/a.jsonl" >"$T/a.s" && strip "$T/b.jsonl" >"$T/b.s" && cmp -s "$T/a.s" "$T/b.s"' "same seed: identical JSONL"
check 'cmp -s "$T/a.csv" "$T/b.csv"' "same seed: identical CSV"
check 'strip "$T/c.jsonl" >"$T/c.s" && ! cmp -s "$T/a.s" "$T/c.s"' "different seed: different JSONL"
check '! cmp -s "$T/a.csv" "$T/c.csv"' "different seed: different CSV"
# The trace's last line is the summary printed on stdout.
check '[ "$(tail -n 1 "$T/a.jsonl")" = "$(cat "$T/a.sum")" ]' "trace ends with the stdout summary"
check '[ "$(wc -l <"$T/a.csv")" -eq 2001 ]' "CSV: header + one row per tick"
finish
