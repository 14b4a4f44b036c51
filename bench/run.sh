#!/usr/bin/env bash
# run.sh: the pfo3 benchmark, in sections (all of them by default):
#   http    the stack's HAProxy (etc/haproxy.cfg.in) in front of its three
#           pfo3-workerd, for /healthz and for a `suma` task, against a
#           minimal HAProxy in front of nginx (the ceiling) and against
#           three nginx behind the same configuration (the same shape);
#           then one worker and nginx directly; the memory of each server.
#   login   logins/s through the stack against the argon2 ceiling.
#   report  report latency under a steady load, against render + S3 put.
#   upload  upload MB/s through the stack against curl -T to the S3 server.
#   thumbs  thumbnails/s through the stack against vipsthumbnail.
#   seed    the seed's raw TCP protocol through the stack's HAProxy against
#           a minimal HAProxy TCP → nginx stream `return`.
#   memory  the daemons' memory at rest beside an nginx worker's, and the
#           libraries mapped into a worker before and after a thumbnail.
#   scale   how cost grows: workers, pfo3-ctld, list pages, reports.
# Each section writes its block of doc/BENCHMARKS.md.  See bench/README.md.
#
# usage: bench/run.sh [--smoke] [SECTION...]
#
# --smoke runs every section (and bench/ctld.sh, bench/console.sh) for a
# few seconds with tiny sizes into a scratch report, checks that each
# wrote figures, and fails if any did not; doc/BENCHMARKS.md is left as it
# is.  CI runs it (lib/smoke.sh).
#
# Environment: BENCH_SECONDS (10, per wrk run), PFO3_WORKERD (the worker
# binary), BENCH_OUT (the report), BENCH_HAPROXY_THREADS (nproc; the ceiling's),
# BENCH_NGINX_WORKERS (1), BENCH_KEEP (keep the temporary folder), and
# the variables of each section (bench/README.md).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(dirname "$BENCH_DIR")
. "$BENCH_DIR/lib/proc.sh"
. "$BENCH_DIR/lib/wrk.sh"
. "$BENCH_DIR/lib/report.sh"
. "$BENCH_DIR/lib/doc.sh"
. "$BENCH_DIR/lib/stack.sh"
. "$BENCH_DIR/lib/flow-login.sh"
. "$BENCH_DIR/lib/flow-report.sh"
. "$BENCH_DIR/lib/flow-upload.sh"
. "$BENCH_DIR/lib/flow-thumbs.sh"
. "$BENCH_DIR/lib/flow-seed.sh"
. "$BENCH_DIR/lib/flow-memory.sh"
. "$BENCH_DIR/lib/flow-scale.sh"
. "$BENCH_DIR/lib/smoke.sh"

PATH=$PATH:/usr/sbin:/sbin
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_OUT=${BENCH_OUT:-$SRCDIR/doc/BENCHMARKS.md}
# HAProxy's own default, one thread per core, as the stack runs it: the
# ceiling is then the most HAProxy can do here (see bench/README.md).
BENCH_HAPROXY_THREADS=${BENCH_HAPROXY_THREADS:-$(nproc)}
# One nginx process against one worker event thread: like for like.
BENCH_NGINX_WORKERS=${BENCH_NGINX_WORKERS:-1}
TASK_BODY='{"operacion":"suma","datos":{"a":25,"b":17}}'

# Run ids in the order they run: every subject sits between two runs of
# its reference, and is compared with the mean of those two.
# Runs 9 to 11 are the same-shape reference: three nginx behind the
# stack's HAProxy configuration, around the workers again.
# Runs hx_p1 and hx_p2 are nginx answering the task run's very POST
# through the ceiling's HAProxy, around the workers' task run; hx_sp the
# same POST answered by the three nginx of the same shape.
BENCH_ORDER=(hx_n1 hx_wh hx_n2 hx_p1 hx_wt hx_p2 hx_sp hx_n3 hx_s1 hx_ws
	hx_s2 d_n1 d_wh d_n2 d_wt d_n3)
declare -A BENCH_REFS=(
	[hx_wh]="hx_n1 hx_n2" [hx_wt]="hx_n2 hx_n3"
	[hx_p1]="hx_n2" [hx_p2]="hx_n3" [hx_sp]="hx_p2"
	[hx_s1]="hx_n3" [hx_ws]="hx_s1 hx_s2"
	[d_wh]="d_n1 d_n2" [d_wt]="d_n2 d_n3"
)
# The CPU columns that make up the server of each run, and its HAProxy.
declare -A BENCH_SERVER_OF=(
	[hx_n1]=nginx [hx_n2]=nginx [hx_n3]=nginx [hx_wh]="w1 w2 w3"
	[hx_p1]=nginx [hx_p2]=nginx
	[hx_wt]="w1 w2 w3" [d_n1]=nginx [d_n2]=nginx [d_n3]=nginx
	[d_wh]=w1 [d_wt]=w1
	[hx_s1]=nginx-shape [hx_s2]=nginx-shape [hx_ws]="w1 w2 w3"
	[hx_sp]=nginx-shape
)
declare -A BENCH_HAPROXY_OF=(
	[hx_n1]=haproxy-ceiling [hx_n2]=haproxy-ceiling [hx_n3]=haproxy-ceiling
	[hx_p1]=haproxy-ceiling [hx_p2]=haproxy-ceiling
	[hx_wh]=haproxy [hx_wt]=haproxy
	[hx_s1]=haproxy-shape [hx_s2]=haproxy-shape [hx_ws]=haproxy
	[hx_sp]=haproxy-shape
)
declare -A RSS_START RSS_END
BENCH_RSS_NAMES=()
BENCH_SERVER_CMDS=()
# "name:pid pid..." for the memory table of the section that runs.
BENCH_RSS_PROCS=()

# Prints the worker binary's absolute path (the stack's configuration
# names it, for pfo3-ctld to start): PFO3_WORKERD, else the build of
# ./stack (build/), else an in-tree build.
bench_workerd()
{
	local f

	for f in "${PFO3_WORKERD:-}" "$SRCDIR/build/pfo3-workerd" \
	    "$SRCDIR/pfo3-workerd"; do
		[[ -n $f && -x $f ]] && { realpath "$f"; return 0; }
	done
	bench_die "no pfo3-workerd: build it (./stack up builds build/)" \
	    "or set PFO3_WORKERD"
}

# Accepts a path; prints it relative to the source tree when inside it,
# so the report shows commands that work from any checkout.
bench_rel()
{
	case $1 in
	"$SRCDIR"/*)	echo "${1#"$SRCDIR"/}" ;;
	*)		echo "$1" ;;
	esac
}

# Accepts a template and KEY=VALUE pairs; prints the template with every
# @KEY@ replaced.
bench_render()
{
	local tpl=$1 pair args=()

	shift
	for pair in "$@"; do
		args+=(-e "s|@${pair%%=*}@|${pair#*=}|g")
	done
	sed "${args[@]}" "$tpl"
}

# Accepts a name and pids; records their summed VmRSS in RSS_START or,
# with `end` as the first argument, RSS_END.
bench_record_rss()
{
	local when=$1 name=$2 pid sum=0

	shift 2
	if [[ $when == end ]]; then
		local -n table=RSS_END
	else
		local -n table=RSS_START
	fi
	for pid in "$@"; do
		sum=$((sum + $(bench_rss "$pid")))
	done
	# shellcheck disable=SC2034 # the array named by when
	table["$name"]=$sum
	[[ $when == start ]] && BENCH_RSS_NAMES+=("$name")
	return 0
}

# Accepts start or end; records the memory of every BENCH_RSS_PROCS entry.
bench_record_all_rss()
{
	local when=$1 entry

	for entry in "${BENCH_RSS_PROCS[@]}"; do
		# shellcheck disable=SC2086 # a list of pids
		bench_record_rss "$when" "${entry%%:*}" ${entry#*:}
	done
}

# The reference servers run each in a session of its own (setsid, which
# does not fork here: the pid is the server's), as ./stack's spawn starts
# the stack's HAProxy, and pfo3-ctld (with its workers) too.  The kernel's
# scheduler groups CPU time by session (sched_autogroup): a HAProxy in
# its servers' group wakes them more cheaply than one in a group of its
# own, so a ceiling whose HAProxy and nginx shared the bench's session
# was not the shape the stack runs in (bench/README.md, "The http
# section").

# Accepts a name for its folder under BENCH_TMP, a template and its
# KEY=VALUE pairs (TMP is added); starts nginx on it, records its command
# and leaves its pid in BENCH_LASTPID.
bench_nginx_start()
{
	local name=$1 tpl=$2 dir=$BENCH_TMP/$1

	shift 2
	mkdir -p "$dir"
	bench_render "$tpl" "TMP=$BENCH_TMP" "$@" >"$dir/nginx.conf"
	bench_spawn "$dir/stderr.log" setsid nginx -p "$dir" -e "$dir/error.log" \
	    -c "$dir/nginx.conf" -g 'daemon off;'
	BENCH_SERVER_CMDS+=("nginx -p \$TMP/$name -e \$TMP/$name/error.log -c \$TMP/$name/nginx.conf -g 'daemon off;'  # $(bench_rel "$tpl")")
}

# Accepts a name for its configuration file, a template and its KEY=VALUE
# pairs; starts HAProxy on it, records its command and leaves its pid in
# BENCH_LASTPID.
bench_haproxy_start()
{
	local name=$1 tpl=$2 cfg=$BENCH_TMP/$1.cfg

	shift 2
	bench_render "$tpl" "HAPROXY_THREADS=$BENCH_HAPROXY_THREADS" "$@" >"$cfg"
	haproxy -c -q -f "$cfg" || bench_die "haproxy rejects $cfg"
	bench_spawn "$BENCH_TMP/$name.log" setsid haproxy -f "$cfg" -db
	BENCH_SERVER_CMDS+=("haproxy -f \$TMP/$name.cfg -db  # $(bench_rel "$tpl")")
}

# Sets, from the stack (started when it is not), STACK_HX_PID (its
# HAProxy), WPID[1..3] (its workers), WPORT[1] (w1's port) and records
# the command of each.
bench_stack_servers()
{
	local i

	bench_stack_start
	STACK_HX_PID=$(pid_get haproxy) || bench_die "the stack's HAProxy is not running"
	WPID=()
	for i in 1 2 3; do
		WPID[i]=$(pid_get "w$i") || bench_die "the stack's w$i is not running"
	done
	WPORT=([1]=$(worker_port 1))
	BENCH_SERVER_CMDS=(
		"bench_stack_start  # bench/lib/stack.sh: ./stack's modules, as ./stack up, on free ports"
		"haproxy -f \$TMP/stack/haproxy/haproxy.cfg -db  # from etc/haproxy.cfg.in by build-aux/stack/haproxy.sh"
		"$(bench_rel "$WORKERD") ... (w1 w2 w3, started by pfo3-ctld with \$TMP/stack/pfo3.conf)"
	)
}

# Accepts the seed frontend's port, the three servers' ports and their
# agent ports; writes BENCH_TMP/shape/haproxy/haproxy.cfg with ./stack's
# own haproxy_config, on local copies of the variables it reads (bash
# scoping: the function sees them), so the stack's own stay as they are.
bench_shape_haproxy_config()
{
	# shellcheck disable=SC2034 # read by haproxy_config
	local RUN_DIR=$BENCH_TMP/shape PFO3_HTTP_PORT=$HX_SHAPE_PORT \
	    PFO3_SEED_PORT=$1 PFO3_WORKER_COUNT=3 PFO3_WORKER_PORTS=$2 \
	    PFO3_AGENT_PORTS=$3

	haproxy_config
}

# The same-shape reference: three nginx (bench/nginx-shape.conf.in, or
# the template given, filled with the NAME=VALUE pairs given too), one
# process each, answering /healthz, /readyz and an agent port, behind a
# HAProxy on the configuration ./stack's own haproxy_config generates
# from etc/haproxy.cfg.in for their ports.  Sets SHAPE_PIDS (the nginx
# masters), HX_SHAPE_PID and HX_SHAPE_PORT.
bench_shape_servers()
{
	local tpl=${1:-$BENCH_DIR/nginx-shape.conf.in} module i port agent
	local ports=() agents=() seed free

	(($#)) && shift

	module=$(bench_stream_module)
	SHAPE_PIDS=()
	read -r -a free <<<"$(bench_ports 8)"
	HX_SHAPE_PORT=${free[6]} seed=${free[7]}
	for i in 1 2 3; do
		port=${free[2 * i - 2]} agent=${free[2 * i - 1]}
		bench_nginx_start "nginx-shape$i" "$tpl" \
		    "NAME=nginx-shape$i" "NGINX_PORT=$port" "AGENT_PORT=$agent" \
		    "STREAM_MODULE=$module" "$@"
		SHAPE_PIDS+=("$BENCH_LASTPID")
		bench_wait_http "$BENCH_LASTPID" "$BENCH_TMP/nginx-shape$i/error.log" \
		    "$port" /readyz
		ports+=("$port")
		agents+=("$agent")
	done
	bench_shape_haproxy_config "$seed" "${ports[*]}" "${agents[*]}"
	bench_spawn "$BENCH_TMP/haproxy-shape.log" setsid haproxy \
	    -f "$BENCH_TMP/shape/haproxy/haproxy.cfg" -db
	HX_SHAPE_PID=$BENCH_LASTPID
	BENCH_SERVER_CMDS+=("haproxy -f \$TMP/shape/haproxy/haproxy.cfg -db  # etc/haproxy.cfg.in for the three nginx, by build-aux/stack/haproxy.sh")
	bench_wait_http "$HX_SHAPE_PID" "$BENCH_TMP/haproxy-shape.log" \
	    "$HX_SHAPE_PORT" /healthz
}

# Checks that each path answers what the benchmark expects before it is
# measured: an error page served fast would make a fine-looking number.
bench_check()
{
	local seen i out port

	bench_http "$NGINX_PORT" GET /healthz "" 200 >/dev/null ||
	    bench_die "nginx /healthz is not 200"
	bench_http "$HX_NGINX_PORT" GET /healthz "" 200 >/dev/null ||
	    bench_die "HAProxy → nginx /healthz is not 200"
	seen=
	for i in 1 2 3; do
		out=$(bench_http "$PFO3_HTTP_PORT" GET /healthz "" 200) ||
		    bench_die "HAProxy → workers /healthz is not 200: $out"
		seen+=" ${out%% *}"
	done
	[[ $seen == *w1* && $seen == *w2* && $seen == *w3* ]] ||
	    bench_die "HAProxy did not reach all three workers:$seen"
	for port in "$PFO3_HTTP_PORT" "${WPORT[1]}"; do
		out=$(bench_http "$port" POST /api/v1/tasks "$TASK_BODY" 200) ||
		    bench_die "POST /api/v1/tasks on $port: $out"
		[[ $out == *'"resultado":42'* ]] ||
		    bench_die "unexpected task answer on $port: $out"
	done
}

bench_versions()
{
	BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
	BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	BENCH_CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' \
	    /proc/cpuinfo)
	BENCH_CPU_MODEL=${BENCH_CPU_MODEL:-unknown}
	# The whole output, then its first line: `| head -n1` may end the
	# program with SIGPIPE, which pipefail and set -e turn into an exit.
	BENCH_HAPROXY_VERSION=$(haproxy -v)
	BENCH_HAPROXY_VERSION=${BENCH_HAPROXY_VERSION%%$'\n'*}
	BENCH_NGINX_VERSION=$(nginx -v 2>&1)
	BENCH_NGINX_VERSION=${BENCH_NGINX_VERSION%%$'\n'*}
	# wrk -v prints its version, then its usage, and exits 1.
	BENCH_WRK_VERSION=$(wrk -v 2>&1 | head -n1 || true)
	BENCH_WRK_VERSION=${BENCH_WRK_VERSION%% Copyright*}
	BENCH_WORKERD_VERSION=$("$WORKERD" -V 2>&1 | head -n1 || true)
}

# Adds the CPU columns of the runs: both HAProxy, nginx (master and
# workers), the three workers, and w1's event thread.
bench_groups_servers()
{
	local i j stats=("/proc/$NGINX_PID/stat")

	BENCH_GROUPS=()
	bench_group haproxy "/proc/$STACK_HX_PID/stat"
	bench_group haproxy-ceiling "/proc/$HX_CEIL_PID/stat"
	for i in $(bench_children "$NGINX_PID"); do
		stats+=("/proc/$i/stat")
	done
	bench_group nginx "${stats[@]}"
	for i in 1 2 3; do
		bench_group "w$i" "/proc/${WPID[i]}/stat"
	done
	if [[ -n ${HX_SHAPE_PID:-} ]]; then
		bench_group haproxy-shape "/proc/$HX_SHAPE_PID/stat"
		stats=()
		for i in "${SHAPE_PIDS[@]}"; do
			stats+=("/proc/$i/stat")
			for j in $(bench_children "$i"); do
				stats+=("/proc/$j/stat")
			done
		done
		bench_group nginx-shape "${stats[@]}"
	fi
}

# Accepts the name of the nginx and the ceiling's template; sets the
# processes of the memory table: the workers, nginx, both HAProxy.
bench_rss_servers()
{
	local i

	BENCH_RSS_NAMES=()
	BENCH_RSS_PROCS=()
	for i in 1 2 3; do
		BENCH_RSS_PROCS+=("pfo3-workerd w$i:${WPID[i]}")
	done
	BENCH_RSS_PROCS+=("$1 worker process:$(bench_children "$NGINX_PID")"
	    "$1 master process:$NGINX_PID"
	    "HAProxy of the stack (etc/haproxy.cfg.in):$STACK_HX_PID"
	    "HAProxy of the ceiling ($2):$HX_CEIL_PID")
}

# The http section: the stack's HAProxy (etc/haproxy.cfg.in, as ./stack
# generates it) in front of the stack's three workers, beside the ceiling:
# a minimal HAProxy of its own in front of nginx `return 200`.
bench_section_http()
{
	bench_stack_servers
	read -r NGINX_PORT HX_NGINX_PORT <<<"$(bench_ports 2)"
	bench_nginx_start nginx "$BENCH_DIR/nginx.conf.in" \
	    "NGINX_PORT=$NGINX_PORT" "NGINX_WORKERS=$BENCH_NGINX_WORKERS"
	NGINX_PID=$BENCH_LASTPID
	bench_haproxy_start haproxy-ceiling "$BENCH_DIR/haproxy.cfg.in" \
	    "HX_NGINX_PORT=$HX_NGINX_PORT" "NGINX_PORT=$NGINX_PORT"
	HX_CEIL_PID=$BENCH_LASTPID

	bench_wait_http "$NGINX_PID" "$BENCH_TMP/nginx/error.log" "$NGINX_PORT" /healthz
	bench_wait_http "$HX_CEIL_PID" "$BENCH_TMP/haproxy-ceiling.log" "$HX_NGINX_PORT" /healthz
	bench_shape_servers
	bench_check

	bench_groups_servers
	# The event thread alone: it parses every request and answers /healthz.
	bench_group -p w1-event-thread "/proc/${WPID[1]}/task/${WPID[1]}/stat"

	bench_rss_servers nginx bench/haproxy.cfg.in
	sleep 1
	bench_record_all_rss start

	local hxn=http://127.0.0.1:$HX_NGINX_PORT
	local hxw=$PFO3_HTTP_URL
	local hxs=http://127.0.0.1:$HX_SHAPE_PORT
	local dn=http://127.0.0.1:$NGINX_PORT
	local dw=http://127.0.0.1:${WPORT[1]}
	local lua=$BENCH_DIR/post-suma.lua
	bench_wrk hx_n1 "HAProxy → nginx /healthz (ceiling)" "$hxn/healthz"
	bench_wrk hx_wh "the stack's HAProxy → 3 workers /healthz" "$hxw/healthz"
	bench_wrk hx_n2 "HAProxy → nginx /healthz (ceiling)" "$hxn/healthz"
	bench_wrk hx_p1 "HAProxy → nginx POST of the task's request (ceiling)" "$hxn/api/v1/tasks" "$lua"
	bench_wrk hx_wt "the stack's HAProxy → 3 workers POST suma task" "$hxw/api/v1/tasks" "$lua"
	bench_wrk hx_p2 "HAProxy → nginx POST of the task's request (ceiling)" "$hxn/api/v1/tasks" "$lua"
	bench_wrk hx_sp "the stack's HAProxy configuration → 3 nginx POST of the task's request (same shape)" "$hxs/api/v1/tasks" "$lua"
	bench_wrk hx_n3 "HAProxy → nginx /healthz (ceiling)" "$hxn/healthz"
	bench_wrk hx_s1 "the stack's HAProxy configuration → 3 nginx /healthz (same shape)" "$hxs/healthz"
	bench_wrk hx_ws "the stack's HAProxy → 3 workers /healthz" "$hxw/healthz"
	bench_wrk hx_s2 "the stack's HAProxy configuration → 3 nginx /healthz (same shape)" "$hxs/healthz"
	bench_wrk d_n1 "nginx direct /healthz" "$dn/healthz"
	bench_wrk d_wh "worker w1 direct /healthz" "$dw/healthz"
	bench_wrk d_n2 "nginx direct /healthz" "$dn/healthz"
	bench_wrk d_wt "worker w1 direct POST suma task" "$dw/api/v1/tasks" "$lua"
	bench_wrk d_n3 "nginx direct /healthz" "$dn/healthz"

	sleep 1
	bench_record_all_rss end

	bench_stop_spawned
	HX_SHAPE_PID=	# gone: later sections' CPU groups leave it out
	bench_doc_section http bench_report
	sed -n '/^## Summary/,/^## CPU/p' "$BENCH_OUT" | sed '$d'
}

bench_usage()
{
	echo "usage: bench/run.sh [--smoke] [SECTION...]   sections: ${BENCH_SECTIONS[*]}"
	echo "       (--smoke: a few seconds each, into a scratch report; also ${BENCH_OWN_BLOCKS[*]})"
}

main()
{
	local s sections=() smoke='' known=("${BENCH_SECTIONS[@]}")

	[[ ${1:-} == --smoke ]] && { smoke=1; known=("${BENCH_SMOKE_STEPS[@]}"); shift; }
	for s in "$@"; do
		case " ${known[*]} " in
		*" $s "*)	sections+=("$s") ;;
		*)		bench_usage >&2
				[[ $s == -h || $s == --help ]] && exit 0
				exit 2 ;;
		esac
	done
	((${#sections[@]})) || sections=("${known[@]}")
	[[ -n $smoke ]] && bench_smoke_sizes
	((BENCH_SECONDS >= 3)) || bench_die "BENCH_SECONDS must be 3 or more"
	bench_need wrk:wrk nginx:nginx haproxy:haproxy python3:python3 \
	    curl:curl psql:postgresql-client cc:gcc pkg-config:pkgconf \
	    vips:libvips-tools vipsthumbnail:libvips-tools
	WORKERD=$(bench_workerd)
	bench_versions

	BENCH_TMP=$(mktemp -d /tmp/pfo3-bench.XXXXXX)
	# nginx's workers and PostgreSQL run as other users and must reach
	# their folders.
	chmod 755 "$BENCH_TMP"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	if [[ -n $smoke ]]; then
		bench_smoke "${sections[@]}"
		return
	fi
	for s in "${sections[@]}"; do
		bench_say "section $s"
		"bench_section_$s"
	done
}

main "$@"
