# flow-login.sh: the `login` section.  Logins per second through HAProxy
# to the three workers, against the argon2 ceiling of the machine: nproc
# divided by the time of one crypto_pwhash_str_verify of a hash the worker
# stored, measured before and after the logins in the same run.
# shellcheck shell=bash

BENCH_LOGIN_SECONDS=${BENCH_LOGIN_SECONDS:-15}
BENCH_LOGIN_RUNS=${BENCH_LOGIN_RUNS:-2}
BENCH_LOGIN_CONNS=${BENCH_LOGIN_CONNS:-12}
BENCH_LOGIN_USERS=${BENCH_LOGIN_USERS:-16}
BENCH_ARGON2_COUNT=${BENCH_ARGON2_COUNT:-30}

# Accepts a run id (argon_1, argon_2); runs the verifier on one thread,
# then on nproc threads; fills ARGON_MS[id] and ARGON_CPU[id] (wall and
# CPU ms per verify, one thread) and ARGON_PAR[id] (verifies/s, all
# threads).
bench_login_argon()
{
	local id=$1 out n=$BENCH_ARGON2_COUNT

	out=$("$ARGON_BIN" -t 1 -n "$n" "$LOGIN_HASH" bench-password-1) ||
	    bench_die "argon2-verify failed"
	ARGON_MS[$id]=$(sed -n 's/.* ms_per_verify=\([^ ]*\).*/\1/p' <<<"$out")
	ARGON_CPU[$id]=$(sed -n 's/.*cpu_ms_per_verify=\([^ ]*\).*/\1/p' <<<"$out")
	out=$("$ARGON_BIN" -t "$(nproc)" -n $(((n + 1) / 2)) "$LOGIN_HASH" \
	    bench-password-1) || bench_die "argon2-verify failed"
	ARGON_PAR[$id]=$(sed -n 's/.*per_second=\([^ ]*\).*/\1/p' <<<"$out")
	bench_say "  argon2 verify: ${ARGON_MS[$id]} ms (CPU ${ARGON_CPU[$id]} ms) on one thread," \
	    "${ARGON_PAR[$id]}/s on $(nproc) threads"
}

bench_section_login()
{
	local i pids=() pg=() f errs reqs

	LOGIN_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	ARGON_BIN=$(bench_cc argon2-verify "$BENCH_DIR/argon2-verify.c" libsodium)
	declare -gA ARGON_MS ARGON_CPU ARGON_PAR

	bench_say "login: registering $BENCH_LOGIN_USERS accounts"
	for ((i = 1; i <= BENCH_LOGIN_USERS; i++)); do
		bench_user "$i" login
	done
	# Each account logs in once, so that a wrong account fails here.
	for ((i = 1; i <= BENCH_LOGIN_USERS; i++)); do
		bench_token "$i" login >/dev/null
	done
	LOGIN_HASH=$(bench_sql "SELECT password_hash FROM users WHERE email = 'bench-login-1@bench.invalid'")
	[[ $LOGIN_HASH == "\$argon2"* ]] ||
	    bench_die "unexpected stored password hash: ${LOGIN_HASH:0:40}"
	# "$argon2id$v=19$m=65536,t=2,p=1$salt$hash" → its parameters.
	LOGIN_PARAMS=$(awk -F'$' '{ print $2 ", " $4 }' <<<"$LOGIN_HASH")
	# The stack's configuration, else the default of the sample file.
	LOGIN_MAX_HASHING=$(awk '$1 == "max_hashing" && $2 == "=" {
	    sub(/;.*/, "", $3); print $3; exit }' "$(worker_conf)" \
	    "$SRCDIR/etc/pfo3.conf")

	# shellcheck disable=SC2034 # read by wrk.sh
	BENCH_GROUPS=()
	bench_group haproxy "/proc/$(pid_get haproxy)/stat"
	for f in $(bench_stack_worker_pids); do
		pids+=("/proc/$f/stat")
	done
	bench_group workers "${pids[@]}"
	for f in $(bench_stack_pg_pids); do
		pg+=("/proc/$f/stat")
	done
	bench_group postgres "${pg[@]}"

	# argon_1 login_1 argon_2 login_2 ... argon_N+1: each login run
	# between two measurements of its ceiling.
	export BENCH_LOGIN_USERS
	LOGIN_ORDER=(argon_1)
	for ((i = 1; i <= BENCH_LOGIN_RUNS; i++)); do
		LOGIN_ORDER+=("login_$i" "argon_$((i + 1))")
	done
	for f in "${LOGIN_ORDER[@]}"; do
		if [[ $f == argon_* ]]; then
			bench_login_argon "$f"
			continue
		fi
		BENCH_WRK_CONNS=$BENCH_LOGIN_CONNS \
		    BENCH_WRK_SECONDS=$BENCH_LOGIN_SECONDS BENCH_WRK_TIMEOUT=10s \
		    bench_wrk "$f" "HAProxy → 3 workers POST /api/v1/login" \
		    "$BENCH_HTTP/api/v1/login" "$BENCH_DIR/post-login.lua"
		errs=${RUN_ERRS[$f]} reqs=${RUN_REQS[$f]}
		if ((errs * 10 > reqs)); then
			cat "$BENCH_TMP/wrk-$f.txt" >&2
			bench_die "more than 10 % of the logins failed"
		fi
	done
	bench_doc_section login bench_login_block
}

# Accepts a login run id and a CPU group name; prints its percentage.
bench_login_cpu()
{
	local w

	for w in ${RUN_CPU[$1]}; do
		[[ ${w%%=*} == "$2" ]] && { echo "${w#*=}"; return; }
	done
	echo "—"
}

# Accepts a login run id; prints "cpu_ms ceiling parallel login_ms":
# the mean CPU time of one verify in the measurements around it, the
# ceiling nproc ÷ that time, the mean verifies/s measured on nproc
# threads, and the CPU time one login cost the stack (workers, PostgreSQL
# and HAProxy) in the run.
bench_login_ref()
{
	local n=${1#login_} w p h

	w=$(bench_login_cpu "$1" workers)
	p=$(bench_login_cpu "$1" postgres)
	h=$(bench_login_cpu "$1" haproxy)
	awk -v a="${ARGON_CPU[argon_$n]}" -v b="${ARGON_CPU[argon_$((n + 1))]}" \
	    -v pa="${ARGON_PAR[argon_$n]}" -v pb="${ARGON_PAR[argon_$((n + 1))]}" \
	    -v c="$(nproc)" -v cpu=$((w + p + h)) -v r="${RUN_RPSX[$1]}" \
	    'BEGIN { m = (a + b) / 2
		printf "%.1f %.1f %.1f %.1f", m, c * 1000 / m, (pa + pb) / 2,
		    cpu * 10 / r }'
}

bench_login_block()
{
	local id i=0 ms ceiling lms r1=() r2=()

	for id in "${LOGIN_ORDER[@]}"; do
		[[ $id == login_* ]] || continue
		read -r ms ceiling _ lms <<<"$(bench_login_ref "$id")"
		r1+=("$(bench_div "${RUN_RPSX[$id]}" "$ceiling")")
		r2+=("$(bench_div "$ms" "$lms")")
	done
	cat <<-EOF
	## Logins/s against the argon2 ceiling

	| ratio (each run) | value |
	|---|---:|
	| logins/s through HAProxy ÷ argon2 ceiling (nproc ÷ CPU time of one verify) | **$(bench_join "${r1[@]}")** |
	| CPU time of one verify ÷ CPU time of one login in the stack | **$(bench_join "${r2[@]}")** |

	A login is \`POST /api/v1/login\` through the stack's HAProxy to three
	workers of five threads: the failed-login check, the account lookup,
	one \`crypto_pwhash_str_verify\`, the session insert. The ceiling is
	what the machine can verify: \`nproc\` ÷ the CPU time of one verify on
	one thread, with the hash the worker stored for the first bench account
	($LOGIN_PARAMS), so the parameters are the worker's own. A
	small C program (\`bench/argon2-verify.c\`, built against libsodium by
	the run) measures it before and after each login run, and each run is
	compared with the mean of the two measurements around it. CPU time,
	not wall time: on a machine shared with other tenants a thread's wall
	time counts their turns too. For the same reason the second ratio
	compares costs, not rates: the CPU the stack (workers, PostgreSQL,
	HAProxy) used per login against the CPU of one verify; 1.00 would mean
	a login costs nothing but its hash. The verifier also runs on \`nproc\`
	threads at once, which shows what the cores give together at that
	moment (they share caches and memory bandwidth, and the machine's
	other tenants take their share).

	- Load: \`wrk -t2 -c$BENCH_LOGIN_CONNS -d${BENCH_LOGIN_SECONDS}s --timeout 10s -s bench/post-login.lua\`,
	  logging $BENCH_LOGIN_USERS accounts registered beforehand in turn, all with the right password.
	- The workers hash at most \`auth.max_hashing\` = $LOGIN_MAX_HASHING at once each.
	- The failed-login limit (\`auth.max_failures\`, \`auth.failure_window\`)
	  counts failures only, and every login here succeeds; the bench still
	  sets \`auth.max_failures = 1000000\` and \`auth.failure_window = "1s"\`
	  in the stack's configuration, so that no \`429\` can cap the rate.
	  Non-2xx answers are counted below (a \`429\` would be one).
	- The stack is \`./stack\`'s: PostgreSQL (with fsync), RabbitMQ, the S3
	  server and HAProxy from \`etc/haproxy.cfg.in\`, on free ports.

	| run | what | logins/s | p50 ms | p99 ms | errors | one verify: CPU ms (wall ms) | CPU ms per login | verifies/s on $(nproc) threads | ratio to the ceiling | CPU % workers / PostgreSQL / HAProxy / others / machine |
	|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
	$(for id in "${LOGIN_ORDER[@]}"; do
		i=$((i + 1))
		if [[ $id == argon_* ]]; then
			printf '| %d | argon2-verify | — | — | — | — | %s (%s) | — | %s | — | — |\n' \
			    "$i" "${ARGON_CPU[$id]}" "${ARGON_MS[$id]}" "${ARGON_PAR[$id]}"
			continue
		fi
		read -r ms ceiling _ lms <<<"$(bench_login_ref "$id")"
		printf '| %d | logins (ceiling %s ÷ %s ms = %s/s) | %s | %s | %s | %s of %s | — | %s | — | **%s** | %s / %s / %s / %s / %s |\n' \
		    "$i" "$(nproc)" "$ms" "$ceiling" "${RUN_RPSX[$id]}" "${RUN_P50[$id]}" \
		    "${RUN_P99[$id]}" "${RUN_ERRS[$id]}" "${RUN_REQS[$id]}" "$lms" \
		    "$(bench_div "${RUN_RPSX[$id]}" "$ceiling")" \
		    "$(bench_login_cpu "$id" workers)" "$(bench_login_cpu "$id" postgres)" \
		    "$(bench_login_cpu "$id" haproxy)" "$(bench_login_cpu "$id" rest)" \
		    "$(bench_login_cpu "$id" machine)"
	done)

	CPU is over each login run without its first and last second, in percent
	of one core; "others" is the machine's busy time that the workers,
	PostgreSQL, HAProxy and wrk did not use: the stack's idle RabbitMQ and
	S3 server (a few percent), the kernel, and the machine's other tenants.

	$(bench_doc_machine "$LOGIN_LOAD")

	Rerun: \`bench/run.sh login\` (\`BENCH_LOGIN_SECONDS\`, \`BENCH_LOGIN_RUNS\`,
	\`BENCH_LOGIN_CONNS\`, \`BENCH_LOGIN_USERS\`, \`BENCH_ARGON2_COUNT\`).
	EOF
}
