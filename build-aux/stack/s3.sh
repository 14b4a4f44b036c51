# shellcheck shell=bash
# s3.sh: an S3-compatible server (npm @20minutes/s3rver, which checks SigV4
# signatures) in RUN_DIR/s3, bucket `pfo3`. Its keys are generated per
# stack into RUN_DIR/s3/keys (0600); s3rver.js gives them to the server and
# refuses unsigned requests.

# shellcheck disable=SC2034 # read by env.sh, workers.sh and cmd-up.sh
{
	S3_BUCKET=pfo3
	S3_REGION=us-east-1
	S3_ACCESS_KEY=
	S3_SECRET_KEY=
}

# s3_keys: sets S3_ACCESS_KEY and S3_SECRET_KEY from RUN_DIR/s3/keys,
# generating them the first time.
s3_keys()
{
	local f=$RUN_DIR/s3/keys
	if [[ ! -s $f ]]; then
		mkdir -p "$RUN_DIR/s3"
		if ! (umask 077 && printf 'PFO3%s %s\n' \
			"$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n' | tr a-f A-F)" \
			"$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')" >"$f.tmp" &&
			mv "$f.tmp" "$f"); then
			die "s3: cannot write $f"
		fi
	fi
	read -r S3_ACCESS_KEY S3_SECRET_KEY <"$f" || true
	[[ -n $S3_ACCESS_KEY && -n $S3_SECRET_KEY ]] || die "s3: $f holds no keys"
}

# s3_endpoint: the base URL (path-style requests).
s3_endpoint()
{
	printf 'http://127.0.0.1:%s' "$PFO3_S3_PORT"
}

# s3_answers: true once the server answers HTTP (an anonymous request gets
# 403: it is up).
s3_answers()
{
	local code
	code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$(s3_endpoint)/") || return 1
	[[ $code == 200 || $code == 403 ]]
}

# s3_start: starts the server and waits for HTTP.
s3_start()
{
	local pid
	s3_keys
	if pid=$(pid_get s3); then
		say "s3 already running (pid $pid, port $PFO3_S3_PORT)"
		return 0
	fi
	ports_check_free s3 "$PFO3_S3_PORT"
	[[ -d $SRCDIR/build-aux/node/node_modules/@20minutes/s3rver ]] ||
		die "s3: build-aux/node/node_modules is missing (npm ci failed?)"
	mkdir -p "$RUN_DIR/s3/data"
	# The keys go in the environment, not on the command line that spawn
	# writes to the log and ps shows to everyone.
	PFO3_S3_ACCESS_KEY=$S3_ACCESS_KEY PFO3_S3_SECRET_KEY=$S3_SECRET_KEY \
		spawn s3 env NODE_PATH="$SRCDIR/build-aux/node/node_modules" \
		node "$SRCDIR/build-aux/stack/s3rver.js" -d "$RUN_DIR/s3/data" \
		-a 127.0.0.1 -p "$PFO3_S3_PORT" --configure-bucket "$S3_BUCKET"
	pid=$SPAWNED_PID
	wait_for s3 "$pid" 20 "HTTP answer on port $PFO3_S3_PORT" s3_answers
	say "s3 ready (pid $pid, $(s3_endpoint), bucket $S3_BUCKET)"
}

# s3_stop
s3_stop()
{
	pid_stop s3 TERM 10
}

# s3_status: one status line.
s3_status()
{
	status_line s3 "$PFO3_S3_PORT"
}
