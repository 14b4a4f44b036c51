# wrk.sh: one wrk run, the CPU time every process of the run used during
# it, and the numbers parsed from wrk's report.
# shellcheck shell=bash

# Results, by run id.
# shellcheck disable=SC2034 # read by report.sh
# RUN_RPS is rounded to a whole number, RUN_RPSX is wrk's own figure
# (slow scenarios such as logins need its decimals).
declare -A RUN_LABEL RUN_CMD RUN_RPS RUN_RPSX RUN_P50 RUN_P99 RUN_REQS RUN_ERRS RUN_CPU

# Processes whose CPU is sampled: BENCH_GROUPS holds their names in
# column order, BENCH_GROUP_STAT[name] the /proc stat files summed for it,
# BENCH_GROUP_PART[name] is set for a thread of a process already counted.
BENCH_GROUPS=()
declare -A BENCH_GROUP_STAT BENCH_GROUP_PART

# Accepts [-p] a name and stat files; adds a CPU column.  With -p the
# column is a part of another one and is left out of the sum.
bench_group()
{
	local part=
	[[ $1 == -p ]] && { part=1; shift; }
	local name=$1
	shift
	BENCH_GROUPS+=("$name")
	BENCH_GROUP_STAT[$name]="$*"
	BENCH_GROUP_PART[$name]=$part
}

# Accepts a latency as wrk prints it (812.00us, 1.09ms, 1.02s, 1.50m);
# prints it in milliseconds.
bench_to_ms()
{
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.2f", n
	}'
}

# Accepts seconds; sleeps in a way a trapped signal interrupts at once
# (bash runs a trap only after a foreground command ends).
bench_sleep()
{
	sleep "$1" &
	BENCH_SLEEP_PID=$!
	wait "$BENCH_SLEEP_PID" || true
	BENCH_SLEEP_PID=
}

# Accepts the name of an associative array and a wrk pid; fills the array
# with the clock ticks of every group, of wrk, of the machine and the
# time in nanoseconds.
bench_snapshot()
{
	# shellcheck disable=SC2034 # the caller's array
	local -n snap=$1
	local g

	for g in "${BENCH_GROUPS[@]}"; do
		# shellcheck disable=SC2086
		snap["$g"]=$(bench_ticks ${BENCH_GROUP_STAT[$g]})
	done
	snap["wrk"]=$(bench_ticks "/proc/$2/stat")
	snap["machine"]=$(bench_machine_ticks)
	snap["ns"]=$(date +%s%N)
}

# Accepts two snapshots and the wrk pid's absence; prints the CPU of each
# group, of wrk, the rest and the machine as "name=percent" words, where
# 100 is one core busy for the whole window.
bench_cpu_between()
{
	local -n a=$1 b=$2
	local g secs hz ours=0 pct words=() mb ma tb ta

	hz=$(getconf CLK_TCK)
	secs=$(awk -v x="${a[ns]}" -v y="${b[ns]}" 'BEGIN { print (y - x) / 1e9 }')
	for g in wrk "${BENCH_GROUPS[@]}"; do
		pct=$(awk -v d=$((b["$g"] - a["$g"])) -v hz="$hz" -v s="$secs" \
		    'BEGIN { printf "%.0f", d / hz / s * 100 }')
		[[ -n ${BENCH_GROUP_PART[$g]:-} ]] || ours=$((ours + pct))
		words+=("$g=$pct")
	done
	read -r mb tb <<<"${b["machine"]}"
	read -r ma ta <<<"${a["machine"]}"
	pct=$(awk -v busy=$((mb - ma)) -v total=$((tb - ta)) -v n="$(nproc)" \
	    'BEGIN { printf "%.0f", total ? busy / total * n * 100 : 0 }')
	words+=("rest=$((pct - ours))" "machine=$pct")
	echo "${words[*]}"
}

# Accepts a run id, the file for the command's output and a command;
# runs the command in the background for its whole length and records, in
# RUN_CPU, the CPU every group used while it ran, the first and the last
# second left out (where connections open and close).  The command must
# run for BENCH_WRK_SECONDS (BENCH_SECONDS).
bench_measure()
{
	local id=$1 out=$2 lpid
	local secs=${BENCH_WRK_SECONDS:-$BENCH_SECONDS}
	# shellcheck disable=SC2034 # filled through namerefs
	local -A s0 s1

	shift 2
	"$@" >"$out" 2>&1 &
	lpid=$!
	BENCH_WRK_PID=$lpid
	bench_sleep 1
	bench_snapshot s0 "$lpid"
	bench_sleep $((secs - 2))
	bench_snapshot s1 "$lpid"
	wait "$lpid" || { cat "$out" >&2; bench_die "failed: $*"; }
	BENCH_WRK_PID=	# read by bench_cleanup
	RUN_CPU[$id]=$(bench_cpu_between s0 s1)
}

# Accepts a run id, a label, a URL and optionally a wrk Lua script; runs
# wrk with the benchmark's fixed shape and records the results.  A section
# with another shape sets BENCH_WRK_CONNS (64), BENCH_WRK_SECONDS
# (BENCH_SECONDS) and BENCH_WRK_TIMEOUT (wrk's own 2s).
bench_wrk()
{
	local id=$1 label=$2 url=$3 script=${4:-} out cmd
	local secs=${BENCH_WRK_SECONDS:-$BENCH_SECONDS}

	out=$BENCH_TMP/wrk-$id.txt
	cmd=(wrk -t2 "-c${BENCH_WRK_CONNS:-64}" "-d${secs}s" --latency)
	[[ -n ${BENCH_WRK_TIMEOUT:-} ]] && cmd+=(--timeout "$BENCH_WRK_TIMEOUT")
	[[ -n $script ]] && cmd+=(-s "$script")
	cmd+=("$url")
	RUN_LABEL[$id]=$label
	RUN_CMD[$id]="${cmd[*]}"
	bench_say "$label: ${cmd[*]}"
	bench_measure "$id" "$out" "${cmd[@]}"

	RUN_RPS[$id]=$(awk '$1 == "Requests/sec:" { printf "%.0f", $2 }' "$out")
	[[ -n ${RUN_RPS[$id]} ]] || { cat "$out" >&2; bench_die "no Requests/sec"; }
	RUN_RPSX[$id]=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
	RUN_P50[$id]=$(bench_to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	RUN_P99[$id]=$(bench_to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	RUN_REQS[$id]=$(awk '/ requests in / { print $1 }' "$out")
	# Non-2xx answers and socket errors (connect, read, write, timeout).
	RUN_ERRS[$id]=$(awk '
		/Non-2xx or 3xx responses:/ { n += $NF }
		/Socket errors:/ {
			gsub(/,/, "")
			n += $4 + $6 + $8 + $10
		}
		END { print n + 0 }' "$out")
	bench_say "  ${RUN_RPS[$id]} req/s, p50 ${RUN_P50[$id]} ms," \
	    "p99 ${RUN_P99[$id]} ms, errors ${RUN_ERRS[$id]}; cpu ${RUN_CPU[$id]}"
}
