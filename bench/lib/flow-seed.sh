# flow-seed.sh: the seed section: the seed's raw TCP task protocol, a new
# connection per task as its client (clients/seed_client.py) speaks it,
# through the stack's HAProxy `seed` frontend (port 5000 of `./stack up`)
# in front of the stack's three workers, beside the ceiling: a minimal
# HAProxy TCP frontend (bench/haproxy-tcp.cfg.in) in front of nginx's
# stream module answering a fixed reply (bench/nginx-stream.conf.in).
# Then one worker and that nginx directly.  The load is bench/seed-load.c.
# shellcheck shell=bash
# The RUN_ and BENCH_ tables set here are report.sh's, declared associative
# by wrk.sh and run.sh, which shellcheck does not see from this file.
# shellcheck disable=SC2034,SC2004

BENCH_SEED_CONNS=${BENCH_SEED_CONNS:-64}
BENCH_SEED_THREADS=${BENCH_SEED_THREADS:-2}
# What every reply must hold, the worker's and nginx's alike.
BENCH_SEED_EXPECT='"resultado":42'

# Prints the path of nginx's stream module (Debian's libnginx-mod-stream,
# installed when missing).
bench_stream_module()
{
	local f=/usr/lib/nginx/modules/ngx_stream_module.so

	[[ -f $f ]] || bench_install libnginx-mod-stream
	[[ -f $f ]] || bench_die "no $f after installing libnginx-mod-stream"
	echo "$f"
}

# Accepts a port; sends one task in the seed's protocol and prints the
# reply.  Fails when it does not hold BENCH_SEED_EXPECT.
bench_seed_once()
{
	python3 - "$1" "$TASK_BODY" "$BENCH_SEED_EXPECT" <<-'PY'
	import socket, sys
	port, body, expect = int(sys.argv[1]), sys.argv[2], sys.argv[3]
	with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
	    s.sendall(body.encode())
	    data = b""
	    while chunk := s.recv(4096):
	        data += chunk
	print(data.decode(errors="replace"))
	sys.exit(0 if expect in data.decode(errors="replace") else 1)
	PY
}

# Accepts a run id, a label and a port; runs seed-load with the section's
# shape and records the results like bench_wrk.
bench_seed_load()
{
	local id=$1 label=$2 port=$3 out cmd
	local secs=${BENCH_WRK_SECONDS:-$BENCH_SECONDS}

	out=$BENCH_TMP/seed-$id.txt
	cmd=("$BENCH_SEED_LOAD" 127.0.0.1 "$port" "$BENCH_SEED_THREADS"
	    "$BENCH_SEED_CONNS" "$secs" "$TASK_BODY" "$BENCH_SEED_EXPECT")
	RUN_LABEL[$id]=$label
	RUN_CMD[$id]="seed-load 127.0.0.1 $port $BENCH_SEED_THREADS $BENCH_SEED_CONNS $secs '$TASK_BODY' '$BENCH_SEED_EXPECT'"
	bench_say "$label: ${RUN_CMD[$id]}"
	bench_measure "$id" "$out" "${cmd[@]}"

	RUN_RPS[$id]=$(awk '$1 == "tasks_per_s" { print $2 }' "$out")
	[[ -n ${RUN_RPS[$id]} ]] || { cat "$out" >&2; bench_die "no tasks_per_s"; }
	RUN_RPSX[$id]=${RUN_RPS[$id]}
	RUN_P50[$id]=$(awk '$1 == "p50_ms" { print $2 }' "$out")
	RUN_P99[$id]=$(awk '$1 == "p99_ms" { print $2 }' "$out")
	RUN_ERRS[$id]=$(awk '$1 == "errors" { print $2 }' "$out")
	RUN_REQS[$id]=$(awk '$1 == "tasks" || $1 == "errors" { n += $2 } END { print n }' "$out")
	bench_say "  ${RUN_RPS[$id]} tasks/s, p50 ${RUN_P50[$id]} ms," \
	    "p99 ${RUN_P99[$id]} ms, errors ${RUN_ERRS[$id]}; cpu ${RUN_CPU[$id]}"
}

bench_section_seed()
{
	local i out module port

	module=$(bench_stream_module)
	BENCH_SEED_LOAD=$(bench_cc seed-load "$BENCH_DIR/seed-load.c" --)
	bench_stack_servers
	BENCH_SERVER_CMDS+=("cc -O2 -pthread -o seed-load bench/seed-load.c")
	BENCH_ORDER=(s_n1 s_w s_n2 sd_n1 sd_w sd_n2)
	BENCH_REFS=([s_w]="s_n1 s_n2" [sd_w]="sd_n1 sd_n2")
	BENCH_SERVER_OF=([s_n1]=nginx [s_n2]=nginx [s_w]="w1 w2 w3"
	    [sd_n1]=nginx [sd_n2]=nginx [sd_w]=w1)
	BENCH_HAPROXY_OF=([s_n1]=haproxy-ceiling [s_n2]=haproxy-ceiling
	    [s_w]=haproxy)
	BENCH_RATE_UNIT=tasks/s BENCH_UNIT=task BENCH_LOAD_NAME=seed-load
	BENCH_ERRORS_NOTE="Errors are replies without \`$BENCH_SEED_EXPECT\`, resets, refused connections and tasks with no progress for 5 s, of all the run's tasks."

	read -r STREAM_PORT HX_STREAM_PORT <<<"$(bench_ports 2)"
	bench_nginx_start nginx-stream "$BENCH_DIR/nginx-stream.conf.in" \
	    "STREAM_PORT=$STREAM_PORT" "NGINX_WORKERS=$BENCH_NGINX_WORKERS" \
	    "STREAM_MODULE=$module"
	NGINX_PID=$BENCH_LASTPID
	bench_haproxy_start haproxy-tcp "$BENCH_DIR/haproxy-tcp.cfg.in" \
	    "HX_STREAM_PORT=$HX_STREAM_PORT" "STREAM_PORT=$STREAM_PORT"
	HX_CEIL_PID=$BENCH_LASTPID

	for i in $(seq 100); do
		bench_seed_once "$HX_STREAM_PORT" >/dev/null 2>&1 && break
		kill -0 "$NGINX_PID" "$HX_CEIL_PID" 2>/dev/null || {
			cat "$BENCH_TMP/nginx-stream/error.log" "$BENCH_TMP/haproxy-tcp.log" >&2
			bench_die "nginx (stream) or its HAProxy exited"
		}
		sleep 0.1
	done
	for port in "$STREAM_PORT" "$HX_STREAM_PORT" "$PFO3_SEED_PORT" "${WPORT[1]}"; do
		out=$(bench_seed_once "$port") ||
		    bench_die "a seed task on port $port: $out"
	done

	bench_groups_servers
	bench_rss_servers "nginx (stream)" bench/haproxy-tcp.cfg.in
	sleep 1
	bench_record_all_rss start

	bench_seed_load s_n1 "HAProxy TCP → nginx stream return (ceiling)" "$HX_STREAM_PORT"
	bench_seed_load s_w "the stack's HAProxy seed frontend → 3 workers, suma task" "$PFO3_SEED_PORT"
	bench_seed_load s_n2 "HAProxy TCP → nginx stream return (ceiling)" "$HX_STREAM_PORT"
	bench_seed_load sd_n1 "nginx stream return direct" "$STREAM_PORT"
	bench_seed_load sd_w "worker w1 direct, seed suma task" "${WPORT[1]}"
	bench_seed_load sd_n2 "nginx stream return direct" "$STREAM_PORT"

	sleep 1
	bench_record_all_rss end
	bench_stop_spawned
	bench_doc_section seed bench_seed_report
}

# Prints the seed section's block of the report.
bench_seed_report()
{
	cat <<-EOF
	## The seed's raw protocol through port 5000

	Tasks per second of the seed's JSON/TCP protocol, a new TCP
	connection per task as its client makes them: connect, write
	\`$TASK_BODY\` (no framing), read until the server closes, close.

	- The subject is the stack's HAProxy \`seed\` frontend (TCP mode, from
	  \`etc/haproxy.cfg.in\` as \`./stack\` generates it: checks, logging)
	  in front of the stack's three workers, which tell the protocol from
	  HTTP by its leading \`{\` and run the task on their pool.
	- The reference is nginx's stream module (Debian's
	  libnginx-mod-stream, worker_processes ${BENCH_NGINX_WORKERS}) writing a fixed reply of
	  the seed's shape with \`return\` and closing: the least a TCP server
	  can do for a connection, through a HAProxy of its own
	  (\`bench/haproxy-tcp.cfg.in\`: TCP mode, the stack's round-robin over
	  three servers naming the same nginx, no checks, no logs), the
	  ceiling. nginx reads the request first (\`ssl_preread on\`): closing
	  with it unread would reset the connection, and the reply with it.
	- The load is \`bench/seed-load.c\` (built by the run):
	  ${BENCH_SEED_THREADS} threads keeping ${BENCH_SEED_CONNS} tasks under way for ${BENCH_SECONDS} s, each reply checked
	  for \`$BENCH_SEED_EXPECT\`. A client in Python could not open
	  connections fast enough to load either server.
	- Reference and subject alternate; the ratio is to the mean of the
	  two reference runs around the subject. Runs 4 to 6 leave HAProxy
	  out. CPU columns as in the http section: % of one core over the
	  run less its first and last second, and µs per task.

	$(bench_doc_machine "$BENCH_LOADAVG")

	| ratio | value |
	|---|---:|
	| seed tasks through the stack's HAProxy ÷ nginx stream through the ceiling's HAProxy | **$(bench_summary_ratio s_w)** |
	| seed tasks on one worker direct ÷ nginx stream direct | **$(bench_summary_ratio sd_w)** |

	$(bench_report_results)

	CPU during each run (% of one core):

	$(bench_report_cpu)

	Memory (VmRSS, KiB), idle right after start and after all the runs:

	$(bench_report_rss)

	$(bench_report_commands)

	Rerun: \`BENCH_SECONDS=${BENCH_SECONDS} bench/run.sh seed\`.
	EOF
}
