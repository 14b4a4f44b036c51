# flow-scale.sh: the `scale` section, how cost grows.  On the bench's
# stack: (1) CPU per request and memory per worker with 1, 3 and 9
# workers behind the stack's HAProxy, the count changed through pfo3-ctld
# (`pfo3ctl worker add|remove`); (2) pfo3-ctld's CPU and `status` round
# trip with 8, 64 and 256 simulated remote workers (lib/ctld-bench.py);
# (3) pages of GET /api/v1/files for a user of 10^3 files and one of 10^5,
# seeded straight into PostgreSQL; (4) a monthly report of 10^2 events
# and of 10^4: the render alone (report-render.c) and the whole job.
# shellcheck shell=bash

BENCH_SCALE_WORKERS=${BENCH_SCALE_WORKERS:-1 3 9}
BENCH_SCALE_IDLE=${BENCH_SCALE_IDLE:-5}
BENCH_SCALE_CTLD_SIZES=${BENCH_SCALE_CTLD_SIZES:-8 64 256}
BENCH_SCALE_CTLD_SECONDS=${BENCH_SCALE_CTLD_SECONDS:-10}
BENCH_SCALE_CTLD_WARMUP=${BENCH_SCALE_CTLD_WARMUP:-30}
BENCH_SCALE_CTLD_CALLS=${BENCH_SCALE_CTLD_CALLS:-300}
BENCH_SCALE_FILES=${BENCH_SCALE_FILES:-1000 100000}
BENCH_SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-200}
BENCH_SCALE_EVENTS=${BENCH_SCALE_EVENTS:-100 10000}
BENCH_SCALE_RENDERS=${BENCH_SCALE_RENDERS:-30}
BENCH_SCALE_REPORTS=${BENCH_SCALE_REPORTS:-10}

# The files of a page, as the worker's configuration sets it (files.page_size).
BENCH_SCALE_PAGE=50

# Prints the stack's workers as pfo3-ctld reports them, "id pid state"
# a line, in its order.
bench_scale_workers()
{
	ctld_call status | python3 -c '
import json, sys
for w in json.load(sys.stdin)["workers"]:
    print(w["id"], w.get("pid") or 0, w["state"])'
}

# Accepts a count; true when HAProxy spreads requests over that many
# workers (each answered /healthz at least once in 6 rounds of them).
bench_scale_haproxy_has()
{
	python3 - "$PFO3_HTTP_PORT" "$1" <<-'PY'
	import http.client, sys
	port, n = int(sys.argv[1]), int(sys.argv[2])
	seen = set()
	for _ in range(6 * n):
	    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
	    c.request("GET", "/healthz")
	    r = c.getresponse()
	    r.read()
	    if r.status == 200:
	        seen.add(r.getheader("X-Pfo3-Worker"))
	    c.close()
	sys.exit(0 if len(seen - {None}) == n else 1)
	PY
}

# Accepts a count; adds or removes workers of the stack through
# pfo3-ctld (`pfo3ctl worker add N`, `pfo3ctl worker remove ID` for the
# newest ones) until it runs that many, all up and all in HAProxy.
bench_scale_set_workers()
{
	local want=$1 have ids i ctl=("$PFO3_BUILDDIR/pfo3ctl" -s "$(ctld_socket)")

	mapfile -t ids < <(bench_scale_workers | awk '{ print $1 }')
	have=${#ids[@]}
	if ((have < want)); then
		"${ctl[@]}" worker add $((want - have)) >&2 ||
		    bench_die "pfo3ctl worker add $((want - have)) failed"
	fi
	for ((i = have - 1; i >= want; i--)); do
		"${ctl[@]}" worker remove "${ids[i]}" >&2 ||
		    bench_die "pfo3ctl worker remove ${ids[i]} failed"
	done
	for ((i = 0; i < 600; i++)); do
		ctld_workers_up "$want" && bench_scale_haproxy_has "$want" &&
		    return 0
		sleep 0.1
	done
	bench_die "the stack never ran $want workers, all up behind HAProxy:" \
	    "$(bench_scale_workers | tr '\n' ';')"
}

# Accepts a pid; prints "VmRSS RssAnon Pss" in KiB.
bench_scale_mem()
{
	local rss anon pss

	read -r rss anon < <(awk '$1 == "VmRSS:" { r = $2 }
	    $1 == "RssAnon:" { a = $2 } END { print r + 0, a + 0 }' \
	    "/proc/$1/status")
	pss=$(awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" \
	    2>/dev/null || echo 0)
	echo "$rss $anon ${pss:-0}"
}

# Accepts a run id without its pass (scale_h3) and a worker count;
# prints the req/s, then the CPU µs per request of the workers, of HAProxy
# and of both (their % of one core ÷ requests per second), then of both
# less what they use idle (health checks, heartbeats, timers): each the
# mean of the passes.
bench_scale_us()
{
	local id pass words w h sums=""

	for pass in a b; do
		id=$1$2$pass
		[[ -n ${RUN_RPSX[$id]:-} ]] || continue
		words=" ${RUN_CPU[$id]} "
		w=${words#* workers=}
		h=${words#* haproxy=}
		sums+="${RUN_RPSX[$id]} ${w%% *} ${h%% *} ${SCALE_IDLE[$2$pass]};"
	done
	awk -v runs="$sums" 'BEGIN {
		n = split(runs, r, ";") - 1
		for (i = 1; i <= n; i++) {
			split(r[i], v, " ")
			rps += v[1] / n
			w += v[2] * 1e4 / v[1] / n
			h += v[3] * 1e4 / v[1] / n
			l += (v[2] + v[3] - v[4]) * 1e4 / v[1] / n
		}
		printf "%.0f %.1f %.1f %.1f %.1f", rps, w, h, w + h, l
	}'
}

# Accepts pids; prints the CPU they use over BENCH_SCALE_IDLE seconds of
# no load, in percent of one core, with two decimals.
bench_scale_idle_cpu()
{
	local a b t0 t1

	a=$(bench_pid_ticks "$@")
	t0=$(date +%s%N)
	bench_sleep "$BENCH_SCALE_IDLE"
	b=$(bench_pid_ticks "$@")
	t1=$(date +%s%N)
	awk -v d=$((b - a)) -v ns=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.2f", d / hz / (ns / 1e9) * 100 }'
}

# Part 1: each worker count in turn, the same two wrk runs; then again
# in the reverse order (pass b), so that every count meets early and late
# moments of a shared machine.
bench_scale_part_workers()
{
	local n pids pid m k hx stats pass order

	hx=$(pid_get haproxy)
	declare -gA SCALE_MEM SCALE_IDLE
	order=$(for n in $BENCH_SCALE_WORKERS; do echo "$n a"; done)
	# A single count has nothing to alternate with.
	[[ $BENCH_SCALE_WORKERS == *' '* ]] &&
	    order+=$'\n'$(for n in $BENCH_SCALE_WORKERS; do echo "$n b"; done | tac)
	while read -r n pass; do
		bench_say "  $n workers (pass $pass)"
		bench_scale_set_workers "$n"
		pids=$(bench_scale_workers | awk '{ print $2 }')
		stats=()
		for pid in $pids; do
			stats+=("/proc/$pid/stat")
		done
		# shellcheck disable=SC2034 # read by bench_wrk (wrk.sh)
		BENCH_GROUPS=() BENCH_GROUP_STAT=() BENCH_GROUP_PART=()
		bench_group workers "${stats[@]}"
		bench_group haproxy "/proc/$hx/stat"
		bench_sleep 1
		# shellcheck disable=SC2086 # a list of pids
		SCALE_IDLE[$n$pass]=$(bench_scale_idle_cpu $pids "$hx")
		bench_say "  idle: workers + HAProxy ${SCALE_IDLE[$n$pass]} % of one core"
		bench_wrk "scale_h$n$pass" "HAProxy → $n workers /healthz" \
		    "$BENCH_HTTP/healthz"
		bench_wrk "scale_t$n$pass" "HAProxy → $n workers POST suma task" \
		    "$BENCH_HTTP/api/v1/tasks" "$BENCH_DIR/post-suma.lua"
		k=0
		m="0 0 0"
		for pid in $pids; do
			m=$(awk -v a="$m" -v b="$(bench_scale_mem "$pid")" 'BEGIN {
				split(a, x, " "); split(b, y, " ")
				print x[1] + y[1], x[2] + y[2], x[3] + y[3] }')
			k=$((k + 1))
		done
		SCALE_MEM[$n]=$(awk -v m="$m" -v k="$k" 'BEGIN {
			split(m, x, " ")
			printf "%.1f %.1f %.1f", x[1] / k / 1024, x[2] / k / 1024,
			    x[3] / k / 1024 }')
	done <<<"$order"
	# Back to the stack's own three, for the steps after this one.
	bench_scale_set_workers 3
}

# Part 2: a private pfo3-ctld on the stack's services, three sizes.
bench_scale_part_ctld()
{
	bench_say "  pfo3-ctld with $BENCH_SCALE_CTLD_SIZES simulated workers"
	SCALE_CTLD=$(BENCH_WORKERS=$BENCH_SCALE_CTLD_SIZES \
	    BENCH_SECONDS=$BENCH_SCALE_CTLD_SECONDS \
	    BENCH_WARMUP=$BENCH_SCALE_CTLD_WARMUP \
	    BENCH_CALLS=$BENCH_SCALE_CTLD_CALLS \
	    python3 "$BENCH_DIR/lib/ctld-bench.py") ||
	    bench_die "the pfo3-ctld measurement failed"
}

# Accepts an account number of the section; prints its user id.
bench_scale_uid()
{
	bench_sql "SELECT id FROM users WHERE lower(email) = 'bench-scale-$1@bench.invalid'"
}

# Accepts a user id and a count; inserts that many files rows for the
# user in one statement (the objects are not in S3: listing never reads
# them).  Newest first is by id, as the API lists them.
bench_scale_seed_files()
{
	bench_sql "INSERT INTO files (owner_id, s3_key, size, content_type,
	    sha256, original_name, created_at)
	    SELECT $1, 'bench/scale/$1/' || g, 1000 + g,
	        'application/octet-stream', md5(g::text) || md5((g + 1)::text),
	        'bench-' || g || '.bin', now() - (g || ' s')::interval
	    FROM generate_series(1, $2) g"
}

# Accepts a user id, a file count and an offset; prints the `before`
# cursor whose page starts at that offset of the user's list.
bench_scale_cursor()
{
	bench_sql "SELECT id FROM files WHERE owner_id = $1
	    ORDER BY id DESC OFFSET $(($3 - 1)) LIMIT 1"
}

# Prints the pids whose CPU a request of the API costs: the workers,
# PostgreSQL (its backends included) and HAProxy.
bench_scale_stack_pids()
{
	echo "$(bench_scale_workers | awk '{ print $2 }' | tr '\n' ' ')" \
	    "$(bench_stack_pg_pids) $(pid_get haproxy)"
}

# Part 3: the first, a middle and the last page of two users' files.
bench_scale_part_lists()
{
	local n u=0 uid token pages=() mid last t0 others

	# Other users' files first, older than all of theirs, as many as the
	# larger list: a page near the end of a list must not read them.
	others=$(tr ' ' '\n' <<<"$BENCH_SCALE_FILES" | sort -n | tail -n1)
	bench_user 0 scale
	bench_scale_seed_files "$(bench_scale_uid 0)" "$others" >/dev/null
	for n in $BENCH_SCALE_FILES; do
		u=$((u + 1))
		bench_user "$u" scale
		uid=$(bench_scale_uid "$u")
		token=$(bench_token "$u" scale)
		t0=$SECONDS
		bench_scale_seed_files "$uid" "$n" >/dev/null
		bench_say "  seeded $n files for user $uid in $((SECONDS - t0)) s"
		mid=$(bench_scale_cursor "$uid" "$n" $((n / 2)))
		last=$(bench_scale_cursor "$uid" "$n" $((n - BENCH_SCALE_PAGE)))
		pages+=("first $n" "$token" "/api/v1/files?limit=$BENCH_SCALE_PAGE" "$BENCH_SCALE_PAGE+"
		    "middle $n" "$token" "/api/v1/files?limit=$BENCH_SCALE_PAGE&before=$mid" "$BENCH_SCALE_PAGE+"
		    "last $n" "$token" "/api/v1/files?limit=$BENCH_SCALE_PAGE&before=$last" "$BENCH_SCALE_PAGE.")
	done
	bench_sql "ANALYZE files" >/dev/null
	bench_say "  $BENCH_SCALE_ROUNDS rounds of the pages"
	SCALE_LISTS=$(SCALE_PIDS="$(bench_scale_stack_pids)" \
	    python3 "$BENCH_DIR/lib/scale-get.py" "$BENCH_HTTP" \
	    "$BENCH_SCALE_ROUNDS" "${pages[@]}") ||
	    bench_die "the list pages failed"
}

# Accepts a user id, a month and a count; inserts that many events in
# the month for the user, a third each of logins (sessions), uploads
# (files) and tasks (done task jobs), spread evenly over its days.
bench_scale_seed_events()
{
	local uid=$1 month=$2 n=$3

	bench_sql "
	    WITH m AS (SELECT '$month-01'::timestamptz AT TIME ZONE 'UTC' AS t0,
	        extract(epoch FROM interval '1 month') AS secs),
	    ev AS (SELECT g, t0 + (m.secs * g / $n || ' s')::interval AS at
	        FROM m, generate_series(0, $n - 1) g),
	    s AS (INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
	        SELECT sha256(('bench-scale-$uid-' || g)::bytea), $uid, at,
	            now() + interval '1 day'
	        FROM ev WHERE g % 3 = 0),
	    f AS (INSERT INTO files (owner_id, s3_key, size, content_type, sha256,
	            created_at)
	        SELECT $uid, 'bench/scale-events/$uid/' || g, 1234567,
	            'application/octet-stream',
	            md5(g::text) || md5((g + 1)::text), at
	        FROM ev WHERE g % 3 = 1)
	    INSERT INTO jobs (type, user_id, status, created_at, published_at)
	        SELECT 'task', $uid, 'done', at, at FROM ev WHERE g % 3 = 2"
}

# Part 4: a month of few events against a month of many: the render with
# the worker's own code, then the whole report job through the stack.
bench_scale_part_report()
{
	local n u=10 render uid token pids c0

	render=$(bench_report_render_build)
	SCALE_MONTH=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
	declare -gA SCALE_RENDER SCALE_REPORT
	for n in $BENCH_SCALE_EVENTS; do
		u=$((u + 1))
		bench_user "$u" scale
		uid=$(bench_scale_uid "$u")
		token=$(bench_token "$u" scale)
		bench_scale_seed_events "$uid" "$SCALE_MONTH" "$n" >/dev/null
		bench_sql "ANALYZE sessions; ANALYZE files; ANALYZE jobs" >/dev/null
		SCALE_RENDER[$n]=$("$render" -n "$BENCH_SCALE_RENDERS" -e "$n" \
		    "$SCALE_MONTH" "bench-scale-$u@bench.invalid" \
		    "$BENCH_TMP/scale-$n.pdf") || bench_die "report-render failed"
		bench_say "  render of $n events: ${SCALE_RENDER[$n]}"
		pids=$(bench_scale_stack_pids)
		# shellcheck disable=SC2086 # a list of pids
		c0=$(bench_pid_ticks $pids)
		SCALE_REPORT[$n]=$(python3 "$BENCH_DIR/report-latency.py" \
		    "$BENCH_HTTP" "$token" "$SCALE_MONTH" "$BENCH_SCALE_REPORTS" \
		    0.5 0.01) || bench_die "the reports of $n events failed"
		# shellcheck disable=SC2086
		SCALE_REPORT[$n]+=" cpu_ms=$(awk -v d=$(($(bench_pid_ticks $pids) - c0)) \
		    -v hz="$(getconf CLK_TCK)" -v k="$BENCH_SCALE_REPORTS" \
		    'BEGIN { printf "%.1f", d / hz * 1000 / k }')"
		bench_say "  reports of $n events: ${SCALE_REPORT[$n]}"
	done
}

bench_section_scale()
{
	local part t0=$SECONDS

	SCALE_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	for part in workers ctld lists report; do
		bench_say "  $part (at $((SECONDS - t0)) s)"
		"bench_scale_part_$part"
	done
	bench_doc_section scale bench_scale_block
}

# Accepts a key=value line and a key; prints the value.
bench_scale_field()
{
	sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"
}

# Accepts a page label ("first 1000"); prints its p50 and p99 in ms and
# its CPU µs per request.
bench_scale_page()
{
	local line

	line=$(grep "^$1 " <<<"$SCALE_LISTS")
	echo "$(bench_scale_field "$line" p50) $(bench_scale_field "$line" p99)" \
	    "$(bench_scale_field "$line" cpu_us)"
}

bench_scale_block()
{
	local n us mem small big p s b first

	read -r small big <<<"$BENCH_SCALE_FILES"
	first=${BENCH_SCALE_WORKERS%% *}
	cat <<-EOF
	## How cost grows

	### Workers: CPU per request and memory, ${BENCH_SCALE_WORKERS// /, } workers

	The stack's HAProxy (\`etc/haproxy.cfg.in\` as \`./stack\` generates it,
	checks and logs as shipped) in front of the stack's workers, their
	number changed between runs through pfo3-ctld (\`pfo3ctl worker add N\`,
	\`pfo3ctl worker remove ID\`), each run once all are up and HAProxy
	sends to every one. The same two wrk runs for each count (\`wrk -t2
	-c64 -d${BENCH_SECONDS}s\`): \`GET /healthz\` and a synchronous \`suma\` task
	(\`bench/post-suma.lua\`). CPU is user+system time of all the workers
	and of HAProxy from /proc over the run (less its first and last
	second) ÷ requests: cost per unit of work, which the other tenants of a
	shared machine move far less than req/s. HAProxy runs one thread per
	core and each worker five pool threads, as the stack starts them. Memory is each worker's mean
	after the runs of the second pass: VmRSS, RssAnon (its own pages) and Pss (shared library
	pages split between the processes that map them).

	| workers | idle CPU %: workers + HAProxy | /healthz req/s | µs CPU/req: workers + HAProxy = both | less idle | suma req/s | µs CPU/req: workers + HAProxy = both | less idle | suma less idle ÷ $first worker(s) | VmRSS MiB | RssAnon MiB | Pss MiB |
	|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
	$(read -r -a base <<<"$(bench_scale_us scale_t "$first")"
	for n in $BENCH_SCALE_WORKERS; do
		read -r -a us <<<"$(bench_scale_us scale_h "$n")"
		read -r -a s <<<"$(bench_scale_us scale_t "$n")"
		read -r -a mem <<<"${SCALE_MEM[$n]}"
		printf '| %s | %s / %s | %s | %s + %s = %s | %s | %s | %s + %s = %s | %s | **%s** | %s | %s | %s |\n' \
		    "$n" "${SCALE_IDLE[${n}a]}" "${SCALE_IDLE[${n}b]:--}" "${us[0]}" \
		    "${us[1]}" "${us[2]}" "${us[3]}" "${us[4]}" "${s[0]}" \
		    "${s[1]}" "${s[2]}" "${s[3]}" "${s[4]}" \
		    "$(bench_div "${s[4]}" "${base[4]}")" "${mem[0]}" "${mem[1]}" "${mem[2]}"
	done)

	"Less idle" takes away what the workers and HAProxy use with no load
	at all (measured for ${BENCH_SCALE_IDLE} s before the runs: HAProxy's health and
	agent checks, the workers' heartbeats and timers), which a slower run
	spreads over fewer requests.

	Errors (non-2xx, socket) in these runs: $(for n in $BENCH_SCALE_WORKERS; do
		printf '%s workers %s + %s; ' "$n" \
		    "$((${RUN_ERRS[scale_h${n}a]} + ${RUN_ERRS[scale_h${n}b]:-0}))" \
		    "$((${RUN_ERRS[scale_t${n}a]} + ${RUN_ERRS[scale_t${n}b]:-0}))"
	done | sed 's/; $/./')

	### pfo3-ctld: CPU and \`status\` with ${BENCH_SCALE_CTLD_SIZES// /, } workers

	\`bench/lib/ctld-bench.py\` (as \`bench/ctld.sh\`, see its block): a
	private pfo3-ctld on the stack's services, measured idle, then with
	each number of remote workers in turn (added to those before), their
	heartbeats published once a second each on \`pfo3.events\` through the
	RabbitMQ management API and one \`watch\` client at 1 Hz; after
	${BENCH_SCALE_CTLD_WARMUP} s of each load, its CPU (with its child pfo3-ctld-deps') over ${BENCH_SCALE_CTLD_SECONDS} s and
	${BENCH_SCALE_CTLD_CALLS} \`status\` and \`ping\` round trips, with pfo3-ctld's CPU time over
	the \`status\` ones. The history rings
	fill in \`ctld.history\` seconds (300), so a short warm-up measures
	smaller \`status\` answers than a day's run would: the samples each
	worker held are in the table.

	$(python3 - "$SCALE_CTLD" <<-'PY'
	import json, sys
	r = json.loads(sys.argv[1])
	print("| workers | CPU % of one core | `status` p50 ms | `status` p99 ms "
	      "| pfo3-ctld CPU ms per `status` | `ping` p99 ms | status bytes "
	      "| history samples | heartbeats sent / failed | VmRSS KiB |")
	print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	print("| 0 (idle) | %.2f | | | | | | | | %d |"
	      % (r["idle_cpu_pct"], r["idle_rss_kib"]))
	for s in r["sizes"]:
	    print("| %d | **%.2f** | %.2f | **%.2f** | %.2f | %.2f | %d | %d | %d / %d | %d |"
	          % (s["workers"], s["load_cpu_pct"], s["status_p50_ms"],
	             s["status_p99_ms"], s["status_cpu_ms"], s["ping_p99_ms"],
	             s["status_bytes"],
	             s["history"], s["heartbeats_sent"], s["heartbeats_failed"],
	             s["load_rss_kib"]))
	PY
	)

	### Lists: GET /api/v1/files with $small and $big files

	One user's files rows inserted straight into PostgreSQL (one
	\`INSERT … SELECT … generate_series\`, the schema's triggers on), after
	as many files of another user as the larger list (older than all of
	theirs), then \`ANALYZE files\`. Three pages of \`limit=$BENCH_SCALE_PAGE\` each: the
	first, the one starting at the middle of the list and the last, both
	through the \`before\` cursor as a client following \`next\` reaches
	them (the answer must hold $BENCH_SCALE_PAGE files; the last no \`next\`).
	Each page $BENCH_SCALE_ROUNDS times in a row on one kept-alive connection
	through the stack's HAProxy (\`bench/lib/scale-get.py\`), the six in
	turn, then again in the reverse order; CPU is that of the workers,
	PostgreSQL (backends included) and HAProxy over each page's requests.
	A cursor page must cost the same however many files the user has:
	ratio ≈ 1. There is no list of jobs
	(\`GET /api/v1/jobs/{id}\` only) to measure.

	| page | $small files: p50 ms | p99 ms | µs CPU/req | $big files: p50 ms | p99 ms | µs CPU/req | $big ÷ $small: p50 | µs CPU/req |
	|---|---:|---:|---:|---:|---:|---:|---:|---:|
	$(for p in first middle last; do
		read -r -a s <<<"$(bench_scale_page "$p $small")"
		read -r -a b <<<"$(bench_scale_page "$p $big")"
		printf '| %s | %s | %s | %s | %s | %s | %s | **%s** | **%s** |\n' "$p" \
		    "${s[0]}" "${s[1]}" "${s[2]}" "${b[0]}" "${b[1]}" "${b[2]}" \
		    "$(bench_div "${b[0]}" "${s[0]}")" "$(bench_div "${b[2]}" "${s[2]}")"
	done)

	### Reports: a month of ${BENCH_SCALE_EVENTS// / and } events

	A user whose month $SCALE_MONTH holds that many events, a third each of
	logins (sessions rows), uploads (files rows) and tasks (done task jobs),
	spread evenly over its days and inserted straight into PostgreSQL. The
	render alone: \`bench/report-render.c\` with the worker's
	\`report-pdf.c\` and the same counts per day (\`-e\`), medians of
	$BENCH_SCALE_RENDERS (wall time, and CPU time of the rendering thread). The whole job: $BENCH_SCALE_REPORTS reports of that month through the
	stack (\`bench/report-latency.py\`: POST, then poll every 10 ms until
	\`done\`), one every 0.5 s: the month's counts from PostgreSQL, the
	render, S3, the notification and the mail.

	| events in the month | render median ms | render CPU ms | PDF bytes | report p50 ms | report p99 ms | CPU ms per report |
	|---:|---:|---:|---:|---:|---:|---:|
	$(for n in $BENCH_SCALE_EVENTS; do
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
		    "$(bench_scale_field "${SCALE_RENDER[$n]}" ms_median)" \
		    "$(bench_scale_field "${SCALE_RENDER[$n]}" cpu_median_ms)" \
		    "$(bench_scale_field "${SCALE_RENDER[$n]}" bytes)" \
		    "$(bench_scale_field "${SCALE_REPORT[$n]}" p50)" \
		    "$(bench_scale_field "${SCALE_REPORT[$n]}" p99)" \
		    "$(bench_scale_field "${SCALE_REPORT[$n]}" cpu_ms)"
	done)
	$(read -r small big <<<"$BENCH_SCALE_EVENTS"
	f()
	{
		bench_div "$(bench_scale_field "$1" "$3")" "$(bench_scale_field "$2" "$3")"
	}
	printf '| %s ÷ %s | **%s** | **%s** | | **%s** | | **%s** |\n' "$big" "$small" \
	    "$(f "${SCALE_RENDER[$big]}" "${SCALE_RENDER[$small]}" ms_median)" \
	    "$(f "${SCALE_RENDER[$big]}" "${SCALE_RENDER[$small]}" cpu_median_ms)" \
	    "$(f "${SCALE_REPORT[$big]}" "${SCALE_REPORT[$small]}" p50)" \
	    "$(f "${SCALE_REPORT[$big]}" "${SCALE_REPORT[$small]}" cpu_ms)")

	CPU per report is that of the workers, PostgreSQL and HAProxy over the
	run of reports, divided by their number (it includes the polling of
	the jobs and what those processes use idle).

	$(bench_doc_machine "$SCALE_LOAD")

	Rerun: \`bench/run.sh scale\` (\`BENCH_SCALE_WORKERS\`, \`BENCH_SCALE_CTLD_SIZES\`,
	\`BENCH_SCALE_CTLD_SECONDS\`, \`BENCH_SCALE_CTLD_WARMUP\`, \`BENCH_SCALE_CTLD_CALLS\`,
	\`BENCH_SCALE_FILES\`, \`BENCH_SCALE_ROUNDS\`, \`BENCH_SCALE_EVENTS\`,
	\`BENCH_SCALE_RENDERS\`, \`BENCH_SCALE_REPORTS\`).
	EOF
}
