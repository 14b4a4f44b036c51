#!/usr/bin/env bash
# console.sh: what pfo3-console costs at 1 Hz with 64 workers, against
# pfo3ctl's `watch` on the same stream, measured in the same run.
#
# A stand-in for pfo3-ctld (bench/lib/ctld-feed.py) streams status objects
# of the contract's shape for 64 workers, five minutes of history each.
# The console draws them in a 132x43 tmux pane; then `pfo3ctl watch 1000`
# formats the same stream into /dev/null.  Each runs BENCH_SECONDS (60)
# after a 5 s warm-up; CPU time comes from /proc/PID/stat, memory from
# VmRSS and VmHWM.  The budget (issue 5): under 1 % of a core, 8 MiB.
#
# Environment: PFO3_BUILDDIR (build/), BENCH_SECONDS, BENCH_WORKERS (64),
# BENCH_OUT (doc/BENCHMARKS.md: the section between <!-- bench:console -->
# and <!-- /bench:console --> is replaced), BENCH_KEEP.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(dirname "$BENCH_DIR")
. "$BENCH_DIR/lib/proc.sh"
. "$BENCH_DIR/lib/doc.sh"

PFO3_BUILDDIR=${PFO3_BUILDDIR:-$SRCDIR/build}
BENCH_SECONDS=${BENCH_SECONDS:-60}
BENCH_WORKERS=${BENCH_WORKERS:-64}
BENCH_OUT=${BENCH_OUT:-$SRCDIR/doc/BENCHMARKS.md}
CONSOLE=$PFO3_BUILDDIR/pfo3-console
PFO3CTL=$PFO3_BUILDDIR/pfo3ctl
TMUX_SOCK=pfo3-bench-console-$$

bench_need tmux:tmux python3:python3
[[ -x $CONSOLE && -x $PFO3CTL ]] ||
	bench_die "build first: $CONSOLE and $PFO3CTL are needed"

BENCH_TMP=$(mktemp -d /tmp/pfo3-bench-console.XXXXXX)
TMUX_PATH=
cleanup()
{
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	# tmux leaves its socket file behind when killed.
	[[ -z $TMUX_PATH ]] || rm -f "$TMUX_PATH"
	# No stack here: the feed and the reference are all there is to stop.
	bench_stop_section
	bench_tmp_remove
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SOCK=$BENCH_TMP/feed.sock
bench_spawn "$BENCH_TMP/feed.log" /usr/bin/python3 "$BENCH_DIR/lib/ctld-feed.py" \
	"$SOCK" "$BENCH_WORKERS"
for ((i = 0; i < 50; i++)); do
	[[ -S $SOCK ]] && break
	sleep 0.1
done
[[ -S $SOCK ]] || bench_die "the feed did not start: $(cat "$BENCH_TMP/feed.log")"

HZ=$(getconf CLK_TCK)

# measure PID NAME: CPU % of one core over BENCH_SECONDS, RSS and peak
# RSS in KiB, as "cpu rss hwm".
measure()
{
	local pid=$1 t0 t1
	sleep 5
	t0=$(bench_ticks "/proc/$pid/stat")
	sleep "$BENCH_SECONDS"
	kill -0 "$pid" 2>/dev/null || bench_die "$2 died during the run"
	t1=$(bench_ticks "/proc/$pid/stat")
	awk -v t=$((t1 - t0)) -v hz="$HZ" -v s="$BENCH_SECONDS" \
	    -v rss="$(bench_rss "$pid")" \
	    -v hwm="$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status")" \
	    'BEGIN { printf "%.3f %d %d\n", t / hz / s * 100, rss, hwm }'
}

bench_say "console: ${BENCH_WORKERS} workers at 1 Hz in a 132x43 pane, ${BENCH_SECONDS} s"
tmux -L "$TMUX_SOCK" new-session -d -x 132 -y 43 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color $CONSOLE -s $SOCK"
CPID=$(tmux -L "$TMUX_SOCK" list-panes -F '#{pane_pid}')
TMUX_PATH=$(tmux -L "$TMUX_SOCK" display-message -p '#{socket_path}')
read -r C_CPU C_RSS C_HWM < <(measure "$CPID" pfo3-console)
tmux -L "$TMUX_SOCK" capture-pane -p >"$BENCH_TMP/screen.txt"
grep -q "of $BENCH_WORKERS" "$BENCH_TMP/screen.txt" ||
	bench_die "the console does not show $BENCH_WORKERS workers: $(cat "$BENCH_TMP/screen.txt")"
tmux -L "$TMUX_SOCK" kill-server

bench_say "reference: pfo3ctl watch 1000 > /dev/null, ${BENCH_SECONDS} s"
bench_spawn /dev/null "$PFO3CTL" -s "$SOCK" watch 1000
read -r R_CPU R_RSS R_HWM < <(measure "$BENCH_LASTPID" pfo3ctl)

RATIO=$(awk -v a="$C_CPU" -v b="$R_CPU" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
SECTION=$(cat <<-EOT
<!-- bench:console -->
## pfo3-console at 1 Hz with ${BENCH_WORKERS} workers

\`bench/console.sh\`, $(date -u +%Y-%m-%d), ${BENCH_SECONDS} s each after a 5 s
warm-up, on $(nproc) cores. A stand-in for pfo3-ctld streams a status of
${BENCH_WORKERS} workers (five minutes of history each, about
$(( $(printf '{"cmd":"status"}\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
b = b""
while not b.endswith(b"\n"):
    b += s.recv(1 << 20)
print(len(b))' "$SOCK") / 1024 )) KiB a line) once a second.

| process | CPU, % of a core | RSS, MiB | peak RSS, MiB |
|---|---:|---:|---:|
| pfo3-console, 132x43 tmux pane | $C_CPU | $(awk -v k="$C_RSS" 'BEGIN { printf "%.1f", k / 1024 }') | $(awk -v k="$C_HWM" 'BEGIN { printf "%.1f", k / 1024 }') |
| reference: \`pfo3ctl watch 1000\` into /dev/null | $R_CPU | $(awk -v k="$R_RSS" 'BEGIN { printf "%.1f", k / 1024 }') | $(awk -v k="$R_HWM" 'BEGIN { printf "%.1f", k / 1024 }') |

| ratio | value |
|---|---:|
| console CPU ÷ pfo3ctl watch CPU | $RATIO |

Budget (issue 5): under 1 % of a core and under 8 MiB.
<!-- /bench:console -->
EOT
)
printf '%s\n' "$SECTION"
bench_doc_replace "$BENCH_OUT" console "$SECTION"
bench_say "written to $BENCH_OUT"
