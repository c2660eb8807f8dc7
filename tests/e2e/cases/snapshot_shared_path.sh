# --snapshot FILE without %p in a program that forks: the child and the parent both
# write at exit; neither replaces the other's file (the second goes to FILE.PID, with a
# warning), while a FILE left by an earlier run is replaced.
t_snapshot_shared_path() {
    local d=$WORK/snapshot_shared_path n
    mkdir -p "$d"
    echo "an old snapshot" >"$d/s.lgs"
    touch -d '1 hour ago' "$d/s.lgs"
    (cd "$d" && lg_exec "$d" x 60 "$LG_TOOL" run --snapshot "$d/s.lgs" -- "$LG_PROGS/fork_child")
    [ "$(cat "$d/x.rc")" = 0 ] || { echo "exit $(cat "$d/x.rc"): $(lg_tail "$d/x.err")"; return 1; }
    n=$(ls "$d"/s.lgs* | wc -l)
    [ "$n" = 2 ] || { echo "expected s.lgs and s.lgs.PID, found: $(ls "$d")"; return 1; }
    grep -q "was written by another process of this run" "$d/x.err" || { echo "no warning: $(lg_tail "$d/x.err")"; return 1; }
    local pids=""
    for f in "$d"/s.lgs*; do
        lg_exec "$d" a 60 "$LG_TOOL" analyze "$f"
        [ "$(cat "$d/a.rc")" != 2 ] || { echo "$f is not a snapshot: $(lg_tail "$d/a.err")"; return 1; }
        pids="$pids $(sed -n 's/.*leak report for pid \([0-9]*\).*/\1/p' "$d/a.err" | head -1)"
    done
    set -- $pids
    [ "$#" = 2 ] && [ "$1" != "$2" ] || { echo "not one snapshot per process: pids$pids"; return 1; }
}
queue snapshot_shared_path t_snapshot_shared_path

# An earlier FILE is rewritten in place under a lock (so that fork relatives cannot
# unlink each other's), except when it has other links: those keep the old content,
# and FILE becomes a new file.
t_snapshot_linked_path() {
    local d=$WORK/snapshot_linked_path
    mkdir -p "$d"
    echo "an old snapshot" >"$d/s.lgs"
    ln "$d/s.lgs" "$d/backup.lgs"
    touch -d '1 hour ago' "$d/s.lgs"
    (cd "$d" && lg_exec "$d" x 60 "$LG_TOOL" run --lib "$LG_LIB" --snapshot "$d/s.lgs" -- "$LG_PROGS/direct_leak")
    [ "$(cat "$d/x.rc")" = 0 ] || { echo "exit $(cat "$d/x.rc"): $(lg_tail "$d/x.err")"; return 1; }
    [ "$(cat "$d/backup.lgs")" = "an old snapshot" ] || { echo "the other link was overwritten"; return 1; }
    [ "$(stat -c %h "$d/s.lgs")" = 1 ] || { echo "s.lgs still has $(stat -c %h "$d/s.lgs") links"; return 1; }
    lg_exec "$d" a 60 "$LG_TOOL" analyze "$d/s.lgs"
    [ "$(cat "$d/a.rc")" != 2 ] || { echo "s.lgs is not a snapshot: $(lg_tail "$d/a.err")"; return 1; }
}
queue snapshot_linked_path t_snapshot_linked_path

# A umask that clears the owner's bits: the tracer's files are 0600 all the same (with
# 0000, the analyser could not open the exit snapshot of a non-root user, and the report
# was lost), and the report is made. (The journal and growth_json use the same
# creation: lg_privfile_create.)
t_snapshot_umask() {
    local d=$WORK/snapshot_umask m
    mkdir -p "$d/tmp"
    (cd "$d" && umask 0777 && lg_exec "$d" x 60 env TMPDIR="$d/tmp" "$LG_TOOL" run --snapshot "$d/s.lgs" \
        -- "$LG_PROGS/direct_leak")
    grep -q 'definitely lost: [1-9]' "$d/x.err" || { echo "no report: $(lg_tail "$d/x.err")"; return 1; }
    [ -f "$d/s.lgs" ] || { echo "no snapshot: $(lg_tail "$d/x.err")"; return 1; }
    m=$(stat -c %a "$d/s.lgs")
    [ "$m" = 600 ] || { echo "the snapshot has mode $m under umask 0777, not 600"; return 1; }
}
queue snapshot_umask t_snapshot_umask

# A file size limit (RLIMIT_FSIZE, `ulimit -f`) smaller than the exit snapshot: writing
# it raised SIGXFSZ, which killed the program (status 153). Now the snapshot fails with
# one error naming the limit, and the program's output and status are its own.
t_snapshot_fsize() {
    local d=$WORK/snapshot_fsize
    mkdir -p "$d/tmp"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/direct_leak")
    # shellcheck disable=SC2016 # $0 and $@ are bash -c's
    (cd "$d" && lg_exec "$d" traced 60 env TMPDIR="$d/tmp" bash -c 'ulimit -f 1 && exec "$0" "$@"' \
        "$LG_TOOL" run -- "$LG_PROGS/direct_leak")
    [ "$(cat "$d/traced.rc")" = "$(cat "$d/native.rc")" ] ||
        { echo "status $(cat "$d/traced.rc"), natively $(cat "$d/native.rc"): $(lg_tail "$d/traced.err")"; return 1; }
    cmp -s "$d/native.out" "$d/traced.out" || { echo "stdout changed: $(head -c 200 "$d/traced.out")"; return 1; }
    grep -q 'failed (larger than the file size limit, RLIMIT_FSIZE' "$d/traced.err" ||
        { echo "no error naming the limit: $(lg_tail "$d/traced.err")"; return 1; }
    [ -z "$(ls -A "$d/tmp")" ] || { echo "a snapshot was left behind: $(ls "$d/tmp")"; return 1; }
    # the journal, sized at start-up with ftruncate: the program ran untraced by it
    # shellcheck disable=SC2016
    (cd "$d" && lg_exec "$d" journal 60 env TMPDIR="$d/tmp" bash -c 'ulimit -f 100 && exec "$0" "$@"' \
        "$LG_TOOL" run --journal="$d/j.lgj" -- "$LG_PROGS/direct_leak")
    [ "$(cat "$d/journal.rc")" = "$(cat "$d/native.rc")" ] && cmp -s "$d/native.out" "$d/journal.out" ||
        { echo "with a journal: status $(cat "$d/journal.rc"): $(lg_tail "$d/journal.err")"; return 1; }
    grep -q 'cannot map the journal .*(larger than the file size limit, RLIMIT_FSIZE' "$d/journal.err" ||
        { echo "no journal error naming the limit: $(lg_tail "$d/journal.err")"; return 1; }
    [ ! -e "$d/j.lgj" ] || { echo "the journal was left behind"; return 1; }
}
queue snapshot_fsize t_snapshot_fsize
