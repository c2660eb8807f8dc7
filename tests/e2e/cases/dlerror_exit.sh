# A free made by glibc inside the tracer's exit scan (dlsym freeing an old dlerror string)
# must not wait for the shard lock the scan holds: the old build hung here for good.
t_dlerror_exit() {
    local d=$WORK/dlerror_exit
    mkdir -p "$d"
    lg_exec "$d" run 30 "$LG_TOOL" run --json="$d/rep.json" -- "$LG_PROGS/dlerror_exit"
    local rc
    rc=$(cat "$d/run.rc")
    [ "$rc" = 0 ] || { echo "exit $rc (124: hung): $(lg_tail "$d/run.err")"; return 1; }
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
got = (s["possibly_lost"]["bytes"], s["possibly_lost"]["blocks"], s["definitely_lost"]["blocks"])
assert got == (20, 1, 0), got
' "$d/rep.json" || { echo "the 20-byte block is not possibly lost alone"; return 1; }
}
queue dlerror_exit t_dlerror_exit
