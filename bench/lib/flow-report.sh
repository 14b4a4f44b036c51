# flow-report.sh: the `report` section.  End-to-end latency of a monthly
# report (POST /api/v1/reports, then GET /api/v1/jobs/{id} until "done"),
# without and with a steady background load, against the work a report
# needs at the least: rendering its PDF with the worker's own code and
# storing it in S3, both measured alone before and after in the same run.
# shellcheck shell=bash

BENCH_REPORT_COUNT=${BENCH_REPORT_COUNT:-100}
BENCH_REPORT_INTERVAL=${BENCH_REPORT_INTERVAL:-0.25}
BENCH_REPORT_POLL=${BENCH_REPORT_POLL:-0.01}
BENCH_REPORT_LOAD_RPS=${BENCH_REPORT_LOAD_RPS:-200}
BENCH_REPORT_LOAD_CONNS=${BENCH_REPORT_LOAD_CONNS:-10}
BENCH_REPORT_REFS=${BENCH_REPORT_REFS:-30}

# Accepts a run id (ref_1, ref_2); fills REF_RENDER[id] and REF_PUT[id]
# (medians in ms) and REF_BYTES.
bench_report_ref()
{
	local id=$1 out i pdf=$BENCH_TMP/report-ref.pdf

	out=$("$RENDER_BIN" -n "$BENCH_REPORT_REFS" "$REPORT_MONTH" \
	    bench-report-1@bench.invalid "$pdf") ||
	    bench_die "report-render failed"
	REF_RENDER[$id]=$(sed -n 's/.*ms_median=\([^ ]*\).*/\1/p' <<<"$out")
	REF_BYTES=$(sed -n 's/.*bytes=\([^ ]*\).*/\1/p' <<<"$out")
	REF_PUT[$id]=$(for ((i = 1; i <= BENCH_REPORT_REFS; i++)); do
		bench_s3_put "$pdf" "bench/report-ref-$i.pdf" application/pdf
	done | awk '{ print $1 * 1000 }' | bench_median |
	    awk '{ printf "%.2f", $1 }')
	bench_say "  reference: render ${REF_RENDER[$id]} ms, S3 put" \
	    "${REF_PUT[$id]} ms (medians of $BENCH_REPORT_REFS)"
}

# Accepts a run id; runs report-latency.py and fills REP_RESULT[id].
bench_report_run()
{
	local id=$1

	bench_say "  $BENCH_REPORT_COUNT reports, one every ${BENCH_REPORT_INTERVAL}s ($id)"
	REP_RESULT[$id]=$(python3 "$BENCH_DIR/report-latency.py" "$BENCH_HTTP" \
	    "$REPORT_TOKEN" "$REPORT_MONTH" "$BENCH_REPORT_COUNT" \
	    "$BENCH_REPORT_INTERVAL" "$BENCH_REPORT_POLL") ||
	    bench_die "the report run failed"
	bench_say "  ${REP_RESULT[$id]}"
}

# Accepts a run id and a field (p50, p99, ...); prints it.
bench_report_field()
{
	sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"${REP_RESULT[$1]}"
}

# Builds bench/report-render.c against the worker's library, as built:
# the report's files, however many there are, without naming them here.
# It renders through the module report.so ($PFO3_MODULE_DIR), given what
# the worker gives it.  Prints the program's path.
bench_report_render_build()
{
	bench_cc report-render "$BENCH_DIR/report-render.c" \
	    cairo pangocairo -- -I"$SRCDIR/common" -I"$SRCDIR/daemons/workerd" \
	    -I"$PFO3_BUILDDIR" "$PFO3_BUILDDIR/daemons/workerd/libworkerd.a" \
	    "$PFO3_BUILDDIR/common/libpfo3common.a" \
	    -Wl,--dynamic-list="$SRCDIR/daemons/workerd/module-host.sym" \
	    -Wl,-u,rp_format_count
}

bench_section_report()
{
	local wpid delay out t0 t1 c0 c1 name
	local -A pids
	local -A g0 g1

	REPORT_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	RENDER_BIN=$(bench_report_render_build)
	declare -gA REF_RENDER REF_PUT REP_RESULT REP_CPU
	# Last month: always complete, so every report has a whole month.
	REPORT_MONTH=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)

	bench_user 1 report
	REPORT_TOKEN=$(bench_token 1 report)
	bench_report_ref ref_1
	bench_report_run idle

	# The steady load, in the background for the whole loaded run.
	delay=$((BENCH_REPORT_LOAD_CONNS * 1000 / BENCH_REPORT_LOAD_RPS))
	out=$BENCH_TMP/wrk-steady.txt
	REPORT_LOAD_CMD="wrk -t1 -c$BENCH_REPORT_LOAD_CONNS -d3600s --latency -s bench/steady-load.lua"
	BENCH_TOKEN=$REPORT_TOKEN BENCH_DELAY_MS=$delay \
	    wrk -t1 "-c$BENCH_REPORT_LOAD_CONNS" -d3600s --latency \
	    -s "$BENCH_DIR/steady-load.lua" "$BENCH_HTTP" >"$out" 2>&1 &
	wpid=$!
	BENCH_WRK_PID=$wpid
	bench_sleep 2
	# CPU of each part of the stack while the loaded run lasts.
	pids=([workers]="$(bench_stack_worker_pids)"
	    [postgres]="$(bench_stack_pg_pids)" [rabbitmq]="$(rmq_beam_pid)"
	    [s3]="$(pid_get s3)" [haproxy]="$(pid_get haproxy)" [wrk]="$wpid")
	for name in "${!pids[@]}"; do
		# shellcheck disable=SC2086 # lists of pids
		g0[$name]=$(bench_pid_ticks ${pids[$name]})
	done
	read -r c0 _ <<<"$(bench_machine_ticks)"
	t0=$(date +%s%N)
	bench_report_run loaded
	t1=$(date +%s%N)
	read -r c1 _ <<<"$(bench_machine_ticks)"
	for name in "${!pids[@]}"; do
		# shellcheck disable=SC2086
		g1[$name]=$(bench_pid_ticks ${pids[$name]})
		REP_CPU[$name]=$(bench_cpu_pct "${g0[$name]}" "${g1[$name]}" \
		    "$(((t1 - t0) / 1000000))e-3")
	done
	REP_CPU[machine]=$(bench_cpu_pct "$c0" "$c1" "$(((t1 - t0) / 1000000))e-3")
	kill -INT "$wpid" 2>/dev/null || true
	wait "$wpid" || { cat "$out" >&2; bench_die "the steady load (wrk) failed"; }
	# shellcheck disable=SC2034 # read by bench_cleanup
	BENCH_WRK_PID=
	REPORT_LOAD_RPS=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
	REPORT_LOAD_P50=$(bench_to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	REPORT_LOAD_P99=$(bench_to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	REPORT_LOAD_REQS=$(awk '/ requests in / { print $1 }' "$out")
	REPORT_LOAD_ERRS=$(awk '
		/Non-2xx or 3xx responses:/ { n += $NF }
		/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
		END { print n + 0 }' "$out")
	bench_say "  steady load: $REPORT_LOAD_RPS req/s, p50 $REPORT_LOAD_P50 ms," \
	    "p99 $REPORT_LOAD_P99 ms, errors $REPORT_LOAD_ERRS"

	bench_report_ref ref_2
	bench_doc_section report bench_report_block
}

bench_report_block()
{
	local ref render put

	render=$(printf '%s\n' "${REF_RENDER[ref_1]}" "${REF_RENDER[ref_2]}" |
	    awk '{ s += $1 } END { printf "%.1f", s / NR }')
	put=$(printf '%s\n' "${REF_PUT[ref_1]}" "${REF_PUT[ref_2]}" |
	    awk '{ s += $1 } END { printf "%.1f", s / NR }')
	ref=$(awk -v a="$render" -v b="$put" 'BEGIN { printf "%.1f", a + b }')
	cat <<-EOF
	## Report latency under a steady load

	| ratio | value |
	|---|---:|
	| report p50 under the steady load, until the user is notified, ÷ (render + S3 put alone) | **$(bench_div "$(bench_report_field loaded notified_p50)" "$ref")** |
	| report p99 under the steady load, until the user is notified, ÷ (render + S3 put alone) | **$(bench_div "$(bench_report_field loaded notified_p99)" "$ref")** |
	| report p50 under the steady load, until a poll sees it done, ÷ (render + S3 put alone) | **$(bench_div "$(bench_report_field loaded p50)" "$ref")** |
	| report p99 under the steady load, until a poll sees it done, ÷ (render + S3 put alone) | **$(bench_div "$(bench_report_field loaded p99)" "$ref")** |
	| report p50 under the steady load ÷ report p50 without it | **$(bench_div "$(bench_report_field loaded p50)" "$(bench_report_field idle p50)")** |

	A report's latency runs from just before \`POST /api/v1/reports
	{"month":"$REPORT_MONTH"}\` (through the stack's HAProxy) to the \`GET
	/api/v1/jobs/{id}\` answer that says \`done\`: the job row, the publish
	with its confirm, RabbitMQ, a worker's consumer, the month's activity
	from PostgreSQL, the PDF, S3, the notification and the mail to the SMTP
	sink (on a session kept from the last mail, \`smtp.idle_timeout\`). $BENCH_REPORT_COUNT reports are asked for, one every ${BENCH_REPORT_INTERVAL} s
	whatever the earlier ones do, each followed by its own client polling every
	$(awk -v p="$BENCH_REPORT_POLL" 'BEGIN { print p * 1000 }') ms
	(\`bench/report-latency.py\`), so a latency is up to one poll late.
	No poll can start before the \`202\` answer (the job's row committed and
	its message confirmed by RabbitMQ): its own latency is the "202" column.
	The user learns of the report by its \`report_ready\` notification:
	one more client of the same user waits for its notifications as the
	web page does (\`GET /api/v1/notifications?after=N&wait=5\`, parked in
	a worker until the notification is written), and a report's
	"notified" latency runs from just before its POST to the arrival of
	that notification. It needs no poll; the notification is written
	after the PDF is stored and recorded, before the mail is sent and the
	job marked done, which the polls' latency includes.
	Percentiles are nearest-rank. Where the rest of a report's time goes, stage
	by stage, each worker logs at debug level (\`job N done …, ms: wait=…
	claim=… load=… render=… reserve=… put=… record=… announce=… mail=…
	end=…\`).

	The reference is what a report needs at the least, measured alone
	before and after: the median time to render the same kind of PDF with
	the worker's own \`daemons/workerd/report-pdf.c\` (linked into
	\`bench/report-render.c\`, built by the run; ${REF_BYTES} bytes), plus
	the median time of \`curl -T\` storing that PDF in the same S3 server
	(SigV4 signed by curl), $BENCH_REPORT_REFS of each.

	The steady load: \`$REPORT_LOAD_CMD\`
	(\`BENCH_DELAY_MS=$((BENCH_REPORT_LOAD_CONNS * 1000 / BENCH_REPORT_LOAD_RPS))\`):
	each of $BENCH_REPORT_LOAD_CONNS connections sends a synchronous \`suma\` task and a
	\`GET /api/v1/me\` in turn through HAProxy, pausing before each, for
	about $BENCH_REPORT_LOAD_RPS requests a second in all. It measured $REPORT_LOAD_RPS req/s,
	p50 $REPORT_LOAD_P50 ms, p99 $REPORT_LOAD_P99 ms, $REPORT_LOAD_ERRS errors of $REPORT_LOAD_REQS.

	| run | reports | notified p50 / p99 ms | p50 ms | p99 ms | mean ms | min ms | max ms | 202 p50 / p99 ms | done by |
	|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
	$(for id in idle loaded; do
		printf '| %s | %s | %s / %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' \
		    "$([[ $id == idle ]] && echo "without the steady load" || echo "under the steady load")" \
		    "$(bench_report_field "$id" count)" \
		    "$(bench_report_field "$id" notified_p50)" \
		    "$(bench_report_field "$id" notified_p99)" \
		    "$(bench_report_field "$id" p50)" \
		    "$(bench_report_field "$id" p99)" "$(bench_report_field "$id" mean)" \
		    "$(bench_report_field "$id" min)" "$(bench_report_field "$id" max)" \
		    "$(bench_report_field "$id" accept_p50)" \
		    "$(bench_report_field "$id" accept_p99)" \
		    "$(bench_report_field "$id" workers | sed 's/,/, /g')"
	done)

	| reference (medians, ms) | before | after | mean |
	|---|---:|---:|---:|
	| render the PDF | ${REF_RENDER[ref_1]} | ${REF_RENDER[ref_2]} | $render |
	| \`curl -T\` the PDF to S3 | ${REF_PUT[ref_1]} | ${REF_PUT[ref_2]} | $put |
	| both | | | **$ref** |

	CPU during the loaded run (% of one core): workers ${REP_CPU[workers]},
	PostgreSQL ${REP_CPU[postgres]}, RabbitMQ ${REP_CPU[rabbitmq]}, S3 server ${REP_CPU[s3]},
	HAProxy ${REP_CPU[haproxy]}, wrk ${REP_CPU[wrk]}; the whole machine ${REP_CPU[machine]}.

	$(bench_doc_machine "$REPORT_LOAD")

	Rerun: \`bench/run.sh report\` (\`BENCH_REPORT_COUNT\`, \`BENCH_REPORT_INTERVAL\`,
	\`BENCH_REPORT_POLL\`, \`BENCH_REPORT_LOAD_RPS\`, \`BENCH_REPORT_LOAD_CONNS\`,
	\`BENCH_REPORT_REFS\`).
	EOF
}
