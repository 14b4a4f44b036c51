# stack.sh: the whole system for the flow benchmarks (login, report,
# upload, thumbs): PostgreSQL, RabbitMQ, the S3 server, the SMTP sink,
# HAProxy and three workers of five threads, started by ./stack's own
# modules on free ports under BENCH_TMP/stack, and the HTTP calls the
# sections make to it.
# shellcheck shell=bash

# What the bench changes in the auth group of the stack's worker
# configuration (the group exists once: ./stack writes it and asks this
# for more lines).  Failed logins alone count towards the login limit and
# the bench's logins all succeed; the limit is lifted anyway, so that no
# 429 can cap or skew a number.
bench_stack_conf_auth()
{
	cat <<-'EOF'
		# Added by bench/run.sh: the failed-login limit out of the way.
		max_failures = 1000000;
		failure_window = "1s";
	EOF
}

# Loads every module of ./stack (build-aux/stack/*.sh) but its commands
# (cmd-*.sh) and the scripts it runs as programs (those with a #! line):
# a list written here fell behind when the stack gained a module (ctld.sh,
# with the control plane) and every flow section stopped at
# "ctld_path: command not found".  lib.sh first: the others use it.
bench_stack_modules()
{
	local m

	# shellcheck disable=SC1091
	. "$SRCDIR/build-aux/stack/lib.sh"
	for m in "$SRCDIR"/build-aux/stack/*.sh; do
		case ${m##*/} in
		lib.sh|cmd-*.sh) continue ;;
		esac
		[[ $(head -c 2 "$m") == '#!' ]] && continue
		# shellcheck disable=SC1090
		. "$m"
	done
}

# Starts the stack once (later calls do nothing); exports its PFO3_*
# variables.  Its PostgreSQL runs as `./stack up` runs it, with fsync.
bench_stack_start()
{
	[[ -n ${BENCH_STACK_UP:-} ]] && return 0
	bench_stack_modules
	deps_ensure
	node_ensure
	[[ $(basename "$WORKERD") == pfo3-workerd ]] ||
	    bench_die "the stack runs \$PFO3_BUILDDIR/pfo3-workerd: $WORKERD" \
	    "is named otherwise"
	# shellcheck disable=SC2034 # read by the stack's modules
	PFO3_BUILDDIR=$(dirname "$WORKERD")
	RUN_DIR=${BENCH_TMP:?}/stack
	ports_pick_free
	# ./stack's configuration with the bench's lines in its auth group.
	# shellcheck disable=SC2317 # called by worker_conf_write
	worker_conf_auth_extra()
	{
		bench_stack_conf_auth
	}
	BENCH_STACK_UP=1
	bench_say "starting the stack in $RUN_DIR"
	stack_start 1
	env_apply
	BENCH_HTTP=$PFO3_HTTP_URL
}

# Stops the stack if it runs (from bench_cleanup).
bench_stack_stop()
{
	[[ -n ${BENCH_STACK_UP:-} ]] || return 0
	BENCH_STACK_UP=
	stack_stop || true
}

# Prints the pids of the three workers of the stack.
bench_stack_worker_pids()
{
	local i

	for i in 1 2 3; do
		pid_get "w$i"
		echo
	done | tr '\n' ' '
}

# Accepts a SQL query; prints its result unaligned, without headers.
bench_sql()
{
	psql -X -q -At -v ON_ERROR_STOP=1 "$PFO3_PG_CONNINFO" -c "$1"
}

# Accepts a method, a path of the API, a JSON body (may be empty), the
# expected status and optionally a Bearer token; prints the answer's body.
# Fails, naming the status and the body, on another status.
bench_api()
{
	python3 "$BENCH_DIR/api.py" "$BENCH_HTTP" "$@"
}

# Accepts an account number and a label; registers the account
# bench-LABEL-N@bench.invalid (password bench-password-N) unless it exists.
bench_user()
{
	local n=$1 label=$2 out

	out=$(bench_api POST /api/v1/users \
	    "{\"email\":\"bench-$label-$n@bench.invalid\",\"password\":\"bench-password-$n\",\"name\":\"Bench $label $n\"}" \
	    201) || bench_die "cannot register a bench account: $out"
}

# Accepts an account number and a label; prints a session token for it.
bench_token()
{
	local n=$1 label=$2 out

	out=$(bench_api POST /api/v1/login \
	    "{\"email\":\"bench-$label-$n@bench.invalid\",\"password\":\"bench-password-$n\"}" \
	    200) || bench_die "cannot log a bench account in: $out"
	python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' \
	    <<<"$out"
}

# Accepts pids; prints the clock ticks (user + system) they used so far.
bench_pid_ticks()
{
	local pid files=()

	for pid in "$@"; do
		files+=("/proc/$pid/stat")
	done
	bench_ticks "${files[@]}"
}

# Accepts two tick counts and a duration in seconds; prints the CPU used
# in between in percent of one core.
bench_cpu_pct()
{
	awk -v a="$1" -v b="$2" -v s="$3" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.0f", (s > 0 ? (b - a) / hz / s * 100 : 0) }'
}

# Prints the pids of PostgreSQL: the postmaster and its children (the
# backends of the workers' connections, which live as long as they do).
bench_stack_pg_pids()
{
	local pm

	pm=$(pid_get postgres) || return 0
	echo "$pm $(bench_children "$pm")"
}

# Accepts a file, an object key and a content type; stores the file in
# the stack's S3 bucket with `curl -T`, signed by curl itself (SigV4) as
# an independent client; prints curl's total time in seconds.  Fails on
# an answer other than 200.  curl's own `Expect: 100-continue` for large
# bodies stays: an empty `Expect:` header would be signed, and the S3
# server then rejects the signature.
bench_s3_put()
{
	local file=$1 key=$2 type=$3 out body=$BENCH_TMP/s3-put.$BASHPID.out

	out=$(curl -sS -o "$body" -w '%{http_code} %{time_total}' \
	    -T "$file" -H "Content-Type: $type" \
	    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	    --aws-sigv4 "aws:amz:$PFO3_S3_REGION:s3" \
	    --user "$PFO3_S3_ACCESS_KEY:$PFO3_S3_SECRET_KEY" \
	    "$PFO3_S3_ENDPOINT/$PFO3_S3_BUCKET/$key") ||
	    bench_die "curl -T to S3 failed: $out"
	[[ ${out%% *} == 200 ]] ||
	    bench_die "S3 PUT $key answered ${out%% *}: $(head -c 300 "$body")"
	rm -f "$body"
	echo "${out#* }"
}

# Accepts an object key; deletes it from the stack's S3 bucket.
bench_s3_delete()
{
	curl -sS -o /dev/null -X DELETE \
	    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	    --aws-sigv4 "aws:amz:$PFO3_S3_REGION:s3" \
	    --user "$PFO3_S3_ACCESS_KEY:$PFO3_S3_SECRET_KEY" \
	    "$PFO3_S3_ENDPOINT/$PFO3_S3_BUCKET/$1" || true
}

# Reads numbers, one a line; prints their median.
bench_median()
{
	sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

# Accepts two numbers; prints a / b with two decimals.
bench_div()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'
}

# Accepts words; prints them joined by " / ".
bench_join()
{
	local IFS=/

	printf '%s' "$*" | sed 's|/| / |g'
}
