# report.sh: the http section's block of doc/BENCHMARKS.md, from the results of
# its run (lib/doc.sh puts it in place).
# shellcheck shell=bash

# Accepts run ids; prints the mean of their req/s.
bench_mean()
{
	local id sum=0

	for id in "$@"; do
		sum=$((sum + RUN_RPS["$id"]))
	done
	echo $((sum / $#))
}

# Accepts a subject run id and its reference run ids; prints the ratio of
# the subject's req/s to the mean of the references.
bench_ratio()
{
	local subject=$1
	shift
	awk -v s="${RUN_RPS[$subject]}" -v r="$(bench_mean "$@")" \
	    'BEGIN { printf "%.2f", r ? s / r : 0 }'
}

# Accepts a subject run id; prints its ratio to its references.
bench_summary_ratio()
{
	# shellcheck disable=SC2086 # a list of run ids
	bench_ratio "$1" ${BENCH_REFS[$1]}
}

# Accepts run ids; prints "run 1 and run 3" from their positions.
bench_refnames()
{
	local id i words=()

	for id in "$@"; do
		for i in "${!BENCH_ORDER[@]}"; do
			[[ ${BENCH_ORDER[i]} == "$id" ]] && words+=("run $((i + 1))")
		done
	done
	local IFS=,
	local joined="${words[*]}"
	echo "${joined//,/ and }"
}

# Prints the hand-written notes of an existing report, markers included,
# so that a new run keeps them.
bench_notes()
{
	local file=$1

	if [[ -f $file ]] && grep -q '^<!-- notes -->$' "$file"; then
		sed -n '/^<!-- notes -->$/,/^<!-- \/notes -->$/p' "$file"
	else
		printf '<!-- notes -->\n<!-- /notes -->\n'
	fi
}

bench_report_results()
{
	local id i ratio ref refs

	cat <<-EOF
	| run | scenario | ${BENCH_RATE_UNIT:-req/s} | p50 ms | p99 ms | errors | ratio | reference |
	|---:|---|---:|---:|---:|---:|---:|---|
	EOF
	for i in "${!BENCH_ORDER[@]}"; do
		id=${BENCH_ORDER[i]}
		refs=${BENCH_REFS[$id]:-}
		ratio="—"
		ref="—"
		if [[ -n $refs ]]; then
			# shellcheck disable=SC2086
			ratio="**$(bench_ratio "$id" $refs)**"
			# shellcheck disable=SC2086
			ref="mean of $(bench_refnames $refs): $(bench_mean $refs) ${BENCH_RATE_UNIT:-req/s}"
		fi
		printf '| %d | %s | %s | %s | %s | %s | %s | %s |\n' $((i + 1)) \
		    "${RUN_LABEL[$id]}" "${RUN_RPS[$id]}" "${RUN_P50[$id]}" \
		    "${RUN_P99[$id]}" "${RUN_ERRS[$id]} of ${RUN_REQS[$id]}" "$ratio" "$ref"
	done
	echo
	if [[ -n ${BENCH_ERRORS_NOTE:-} ]]; then
		echo "$BENCH_ERRORS_NOTE"
	else
		echo "Errors are non-2xx answers plus socket errors, of all the run's requests."
	fi
}

bench_report_cpu()
{
	local id i g w header sep row srv hx us
	local -A pct

	header="| run | ${BENCH_LOAD_NAME:-wrk}"
	sep="|---:|---:"
	for g in "${BENCH_GROUPS[@]}"; do
		header+=" | $g"
		sep+="|---:"
	done
	echo "$header | rest | machine | HAProxy µs/${BENCH_UNIT:-req} | server µs/${BENCH_UNIT:-req} |"
	echo "$sep|---:|---:|---:|---:|"
	for i in "${!BENCH_ORDER[@]}"; do
		id=${BENCH_ORDER[i]}
		row="| $((i + 1))"
		pct=()
		for w in ${RUN_CPU[$id]}; do
			row+=" | ${w#*=}"
			pct[${w%%=*}]=${w#*=}
		done
		# CPU time per request: the cost of one answer, which the
		# other tenants of the machine change much less than req/s.
		srv=0
		for g in ${BENCH_SERVER_OF[$id]}; do
			srv=$((srv + pct[$g]))
		done
		hx=${BENCH_HAPROXY_OF[$id]:-}
		hx=${hx:+${pct[$hx]}}
		us=$(awk -v h="$hx" -v s="$srv" -v r="${RUN_RPS[$id]}" \
		    'BEGIN { printf "%s | %.1f", h ? sprintf("%.1f", h * 1e4 / r) : "—", s * 1e4 / r }')
		echo "$row | $us |"
	done
}

bench_report_rss()
{
	local name

	echo "| process | after start | after the load |"
	echo "|---|---:|---:|"
	for name in "${BENCH_RSS_NAMES[@]}"; do
		printf '| %s | %s | %s |\n' "$name" "${RSS_START[$name]}" \
		    "${RSS_END[$name]}"
	done
}

bench_report_commands()
{
	local id

	echo '```sh'
	printf '%s\n' "${BENCH_SERVER_CMDS[@]}"
	echo
	for id in "${BENCH_ORDER[@]}"; do
		echo "${RUN_CMD[$id]//"$SRCDIR"\//}"
	done
	echo '```'
}

# Prints the http section's block of the report (doc.sh puts it in place).
bench_report()
{
	cat <<-EOF
	## Method

	One script run measures everything below on 127.0.0.1, so the ratios
	compare numbers taken minutes apart on the same machine: on a small
	shared machine the absolute req/s drift by tens of percent from one
	minute to the next, and only ratios from the same run mean anything.

	- The subject is the system as users run it: the stack started by
	  \`./stack\`'s own modules (\`bench_stack_start\` of
	  \`bench/lib/stack.sh\`), its HAProxy on the configuration \`./stack\`
	  generates from \`etc/haproxy.cfg.in\` (health and agent checks every
	  second on both backends, logging, \`option forwardfor\`, HAProxy's
	  default threads: one per core) in front of its three \`pfo3-workerd\`
	  (5 pool threads each, started by pfo3-ctld, connected to PostgreSQL,
	  RabbitMQ and S3). \`/healthz\` is answered on a worker's event
	  thread, a \`suma\` task goes through its pool.
	- The reference is nginx (worker_processes ${BENCH_NGINX_WORKERS}) answering
	  \`location /healthz { return 200 "ok\\n"; }\`: about the cheapest
	  HTTP answer there is. In front of it, a HAProxy of its own
	  (\`bench/haproxy.cfg.in\`, nbthread ${BENCH_HAPROXY_THREADS}) with the stack's
	  backend shape (round-robin over three servers, which name the same
	  nginx) and nothing else: keep-alive to the servers with
	  \`http-reuse always\`, no checks, no logs. That is the ceiling of
	  this machine with HAProxy in front.
	- Every run is \`wrk -t2 -c64 -d${BENCH_SECONDS}s --latency\`.
	  The reference runs before and after each subject and the subject's ratio
	  is to the mean of the two neighbouring references, which cancels a
	  steady drift. Runs 12 to 16 leave HAProxy out: nginx and the stack's
	  worker w1, directly.
	- Runs 9 to 11 give nginx the workers' shape: three nginx, one
	  process each (\`bench/nginx-shape.conf.in\`, answering \`/healthz\`,
	  \`/readyz\` and an agent port), behind a HAProxy on the
	  configuration \`./stack\` generates from \`etc/haproxy.cfg.in\` for
	  their ports (checks, agent checks, logs, \`option forwardfor\`),
	  around the workers again. Each server is sent a third of the
	  requests, so it sleeps and is woken far more often per request
	  than the one nginx of the ceiling, which batches; the ratio of
	  run 9 to the ceiling is what that shape and the shipped
	  configuration cost nginx itself, and the workers' ratio to runs 9
	  and 11 is what is left to the workers' own code.
	- Runs 4 and 6 send nginx the task run's very request (the same
	  POST, headers and JSON body, through the ceiling's HAProxy) and
	  nginx answers it from its configuration with a JSON body of the
	  worker's length: what a POST with a body costs HAProxy and the
	  server beside the ceiling's GET. The workers' task run sits
	  between them. Run 7 is that POST answered by the three nginx of
	  the same shape (above): the workers' task ratio to it is what is
	  left to the workers' own code for a task.
	- Every server runs in a session of its own, as \`./stack\` starts
	  its services (the workers share pfo3-ctld's): the scheduler groups
	  CPU time by session (\`sched_autogroup\`), and a HAProxy that shares
	  its servers' group wakes them more cheaply, which the stack's
	  HAProxy does not (bench/README.md, "The http section").
	- CPU is each process's user+system time over the run, the first and
	  last second left out, in percent of one core (200 = both cores of a
	  2-core machine). "rest" is the machine's busy time that none of the
	  listed processes used: kernel softirq work of the loopback traffic,
	  the stack's other services and other tenants of the machine.
	  "µs/req" divides a process's CPU by the run's req/s: what one answer
	  costs it, a number the other tenants move much less than req/s.
	  "HAProxy µs/req" is the ceiling's HAProxy in the reference runs and
	  the stack's in the others: their difference is what the shipped
	  configuration costs beyond the least HAProxy can do.
	- The shipped configuration keeps what the bench found cheaper
	  (bench/README.md, "Tuning the shipped HAProxy"). What it still pays
	  for beyond the ceiling, on purpose: \`option forwardfor\` (the
	  workers' per-source limits read X-Forwarded-For), and checks, which
	  cost per second, not per request.

	## Machine

	- Date: $BENCH_DATE
	- \`nproc\`: $(nproc); CPU: $BENCH_CPU_MODEL; kernel $(uname -r)
	- Load average before the run: $BENCH_LOADAVG
	- $BENCH_HAPROXY_VERSION
	- $BENCH_NGINX_VERSION
	- $BENCH_WRK_VERSION
	- $BENCH_WORKERD_VERSION

	## Summary

	| ratio | value | aim |
	|---|---:|---:|
	| workers /healthz through the stack's HAProxy ÷ nginx through the ceiling's HAProxy | **$(bench_summary_ratio hx_wh)** | ≥ 0.90 |
	| workers \`suma\` task through the stack's HAProxy ÷ nginx through the ceiling's HAProxy | **$(bench_summary_ratio hx_wt)** | ≥ 0.75 |
	| nginx answering the task's POST through the ceiling's HAProxy ÷ the ceiling (what the POST and its body cost) | **$(bench_summary_ratio hx_p1)** | |
	| workers \`suma\` task through the stack's HAProxy ÷ nginx answering the same POST through the ceiling's HAProxy | **$(bench_ratio hx_wt hx_p1 hx_p2)** | |
	| workers \`suma\` task through the stack's HAProxy ÷ 3 nginx answering the same POST through the same configuration (same shape) | **$(bench_ratio hx_wt hx_sp)** | |
	| workers /healthz through the stack's HAProxy ÷ 3 nginx through the same configuration (same shape) | **$(bench_summary_ratio hx_ws)** | |
	| 3 nginx through the stack's HAProxy configuration ÷ the ceiling (what the shape costs nginx) | **$(bench_summary_ratio hx_s1)** | |
	| one worker /healthz direct ÷ nginx direct | **$(bench_summary_ratio d_wh)** | |
	| one worker \`suma\` task direct ÷ nginx direct | **$(bench_summary_ratio d_wt)** | |

	## Results

	$(bench_report_results)

	## CPU during each run (% of one core)

	$(bench_report_cpu)

	## Memory (VmRSS, KiB)

	Idle right after start, and again after all the runs.

	$(bench_report_rss)

	## Commands

	Ports are picked free for each run. Templates: \`bench/nginx.conf.in\`,
	\`bench/haproxy.cfg.in\`, \`bench/post-suma.lua\`; the stack's
	HAProxy is \`etc/haproxy.cfg.in\`.

	$(bench_report_commands)

	Rerun: \`BENCH_SECONDS=${BENCH_SECONDS} bench/run.sh http\`.
	EOF
}
