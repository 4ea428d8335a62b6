# Where --out and --csv write (issue 11): a regular file or a new name is
# replaced atomically and keeps its mode; a symlink is written through to
# what it names; a FIFO and stdout are written directly; a directory or a
# socket is refused before the run starts.  Only temporary FIFOs, links
# and files here, never a real device node.
. "$TESTS/lib.sh"

ticks() { grep -c '"type":"tick"' "$1"; }
cd "$T" || exit 1

# A new name, then the same name again: a complete trace, no temp left.
"$W" run --duration 1s --out new.jsonl >sum 2>err
check '[ $? -eq 0 ] && [ "$(ticks new.jsonl)" -eq 100 ]' "new file: 100 ticks ($(cat err))"
check 'tail -1 new.jsonl | grep -q "\"type\":\"summary\""' "new file ends with the summary"
check '[ -z "$(ls -a | grep "\.tmp\.")" ]' "no temporary file left: $(ls -a)"

# An existing file keeps its mode (0640, not the umask's default).
echo old >mode.jsonl
chmod 640 mode.jsonl
"$W" run --duration 1s --out mode.jsonl >sum 2>err
check '[ "$(stat -c %a mode.jsonl)" = 640 ]' "existing file keeps mode 640: $(stat -c %a mode.jsonl)"
check '[ "$(ticks mode.jsonl)" -eq 100 ]' "existing file replaced by the trace"

# A hard-linked file stays one inode with both names.
echo old >hl1
ln hl1 hl2
"$W" run --duration 1s --csv hl1 >sum 2>err
check '[ "$(stat -c %i hl1)" = "$(stat -c %i hl2)" ] && [ "$(stat -c %h hl1)" = 2 ]' "hard link kept"
check '[ "$(wc -l <hl2)" -eq 101 ] && head -1 hl2 | grep -q "^t_s,"' "both names see the CSV"

# A symlink is written through: the link stays a link, its target gets
# the trace; a dangling link creates its target.
echo old >target.jsonl
ln -s target.jsonl link.jsonl
"$W" run --duration 1s --out link.jsonl >sum 2>err
check '[ -L link.jsonl ] && [ "$(readlink link.jsonl)" = target.jsonl ]' "symlink stays a symlink"
check '[ "$(ticks target.jsonl)" -eq 100 ]' "symlink target holds the trace"
mkdir sub
ln -s sub/made.csv dangling.csv
"$W" run --duration 1s --csv dangling.csv >sum 2>err
check '[ -L dangling.csv ] && [ "$(wc -l <sub/made.csv)" -eq 101 ]' "dangling symlink: target created in its directory ($(cat err))"

# A FIFO: the reader gets every line, the FIFO stays a FIFO.
mkfifo fifo
cat fifo >got &
reader=$!
"$W" run --duration 1s --out fifo >sum 2>err
rc=$?
wait "$reader"
check '[ $rc -eq 0 ] && [ -p fifo ]' "FIFO stays a FIFO (rc $rc: $(cat err))"
check '[ "$(ticks got)" -eq 100 ] && tail -1 got | grep -q "\"type\":\"summary\""' "FIFO reader got the whole trace"

# stdout: "-" and /dev/stdout reach a pipe; the summary is not printed
# twice (it is the trace's last line).
"$W" run --duration 1s --out - 2>err | cat >piped
check '[ "$(ticks piped)" -eq 100 ] && [ "$(grep -c "\"type\":\"summary\"" piped)" -eq 1 ]' "--out - to a pipe: trace once, summary once"
"$W" run --duration 1s --out /dev/stdout 2>err | cat >piped2
check 'cmp -s piped piped2 || [ "$(ticks piped2)" -eq 100 ]' "--out /dev/stdout to a pipe"
"$W" run --duration 1s --csv /dev/stdout >redirected 2>err
check '[ -f redirected ] && [ "$(wc -l <redirected)" -eq 101 ] && head -1 redirected | grep -q "^t_s,"' "--csv /dev/stdout into a redirected file: only the CSV"
expect_fail 2 "both go to stdout" -- run --duration 1s --out - --csv /dev/stdout

# Refused before the run starts: one line, exit 6, nothing on stdout, the
# path untouched.
mkdir adir
expect_fail 6 "adir: a directory" -- run --duration 1s --csv adir
check '[ -d adir ] && [ -z "$(ls adir)" ]' "directory untouched"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" sock
expect_fail 6 "sock: a socket" -- run --duration 1s --out sock
check '[ -S sock ]' "socket untouched"
ln -s adir dirlink
expect_fail 6 "dirlink: a directory" -- run --duration 1s --out dirlink
expect_fail 6 "nodir/x.csv: cannot write" -- run --duration 1s --csv nodir/x.csv

# A run that fails after opening leaves the old file as it was.
echo keep >kept.jsonl
"$W" run --duration 1s --out kept.jsonl --lab nosuch.lua >sum 2>err
check '[ "$(cat kept.jsonl)" = keep ]' "a failed run leaves the old file"
check '[ -z "$(ls -a | grep "\.tmp\.")" ]' "no temporary file after a failed run"

finish
