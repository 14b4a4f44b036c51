# shellcheck shell=bash
# s3.sh: an S3-compatible server (npm @20minutes/s3rver, which checks SigV4
# signatures) in RUN_DIR/s3, bucket `pfo3`, keys S3RVER/S3RVER.

# shellcheck disable=SC2034 # read by env.sh and cmd-up.sh
{
	S3_BUCKET=pfo3
	S3_REGION=us-east-1
	S3_ACCESS_KEY=S3RVER
	S3_SECRET_KEY=S3RVER
}

# s3_endpoint: the base URL (path-style requests).
s3_endpoint()
{
	printf 'http://127.0.0.1:%s' "$PFO3_S3_PORT"
}

# s3_answers: true once the server answers HTTP (anonymous requests get 200,
# some builds 403: both mean it is up).
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
	if pid=$(pid_get s3); then
		say "s3 already running (pid $pid, port $PFO3_S3_PORT)"
		return 0
	fi
	ports_check_free s3 "$PFO3_S3_PORT"
	[[ -d $SRCDIR/build-aux/node/node_modules/@20minutes/s3rver ]] ||
		die "s3: build-aux/node/node_modules is missing (npm ci failed?)"
	mkdir -p "$RUN_DIR/s3/data"
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
