# shellcheck shell=bash
# workers.sh: the pfo3-workerd processes w1..wN behind HAProxy.

WORKER_THREADS=5
WORKER_QUEUE=64

# workerd_path: the worker binary of the build this stack runs.
workerd_path()
{
	printf '%s/pfo3-workerd' "$PFO3_BUILDDIR"
}

# worker_ids: w1 .. wN on one line.
worker_ids()
{
	local i out=
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		out+="w$i "
	done
	printf '%s' "${out% }"
}

# worker_socket N: the control socket of wN.
worker_socket()
{
	printf '%s/workers/w%s.sock' "$RUN_DIR" "$1"
}

# worker_conf: the workers' configuration file for this stack.
worker_conf()
{
	printf '%s/pfo3.conf' "$RUN_DIR"
}

# worker_conf_write: writes worker_conf, pointing the workers at this
# stack's PostgreSQL, RabbitMQ, S3 and SMTP (0600: it holds the broker
# password and the S3 keys).  Migrations come from the source tree: a
# development build is not installed.
worker_conf_write()
{
	local f
	f=$(worker_conf)
	(umask 077 && cat >"$f.tmp" <<-EOF
	# Written by ./stack for the workers of the stack in $RUN_DIR.
	postgres = {
		conninfo = "$(pg_conninfo)";
		migrations = "$SRCDIR/db/migrations";
	};
	amqp = {
		url = "$(rmq_url)";
	};
	s3 = {
		endpoint = "$(s3_endpoint)";
		region = "$S3_REGION";
		bucket = "$S3_BUCKET";
		access_key = "$S3_ACCESS_KEY";
		secret_key = "$S3_SECRET_KEY";
	};
	smtp = {
		url = "smtp://127.0.0.1:$PFO3_SMTP_PORT";
	};
	EOF
	)
	mv "$f.tmp" "$f"
}

# workers_migrate: applies the database migrations once, before any worker
# serves (each worker could, under an advisory lock; one run is clearer).
workers_migrate()
{
	local bin log
	bin=$(workerd_path)
	log=$(log_file migrate)
	mkdir -p "$RUN_DIR/log"
	if ! "$bin" -c "$(worker_conf)" --migrate >>"$log" 2>&1; then
		log_tail migrate 20
		die "workers: database migrations failed (log: $log)"
	fi
	say "database migrations applied"
}

# worker_healthy N: true when wN answers 200 on /healthz.
worker_healthy()
{
	[[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' \
		"http://127.0.0.1:$(worker_port "$1")/healthz") == 200 ]]
}

# worker_start N: starts wN unless it runs the current build; waits for
# /healthz.
worker_start()
{
	local n=$1 name=w$1 pid bin port aport
	bin=$(workerd_path)
	port=$(worker_port "$n")
	aport=$(agent_port "$n")
	if pid=$(pid_get "$name"); then
		# After a rebuild, `up` replaces the worker, one at a time so the
		# others keep serving.
		if [[ ! $bin -nt $(pid_file "$name") ]]; then
			say "$name already running (pid $pid, port $port)"
			return 0
		fi
		say "$name runs an older build: restarting it"
		pid_stop "$name" TERM 15
	fi
	ports_check_free "$name" "$port" "$aport"
	mkdir -p "$RUN_DIR/workers"
	rm -f "$(worker_socket "$n")"
	spawn "$name" "$bin" -f -c "$(worker_conf)" --id "$name" \
		--listen "127.0.0.1:$port" \
		--threads "$WORKER_THREADS" --queue "$WORKER_QUEUE" \
		--control "$(worker_socket "$n")" --agent-listen "127.0.0.1:$aport"
	pid=$SPAWNED_PID
	wait_for "$name" "$pid" 20 "200 on http://127.0.0.1:$port/healthz" worker_healthy "$n"
	say "$name ready (pid $pid, port $port, agent $aport)"
}

# workers_start: all workers, then waits until HAProxy has checked each one
# UP in both backends.
workers_start()
{
	local i bin
	bin=$(workerd_path)
	[[ -x $bin ]] || die "workers: $bin is missing: the build did not produce it (run ./stack up again after fixing the build, or ./stack up --no-workers for the services alone)"
	worker_conf_write
	workers_migrate
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		worker_start "$i"
	done
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		wait_for haproxy "" 20 "workers/w$i UP in HAProxy" haproxy_server_up workers "w$i"
		wait_for haproxy "" 20 "seed/w$i UP in HAProxy" haproxy_server_up seed "w$i"
	done
	say "haproxy sees $(worker_ids) UP"
}

# workers_stop: SIGTERM to all at once (each drains, then exits), then waits.
workers_stop()
{
	local i pid
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		if pid=$(pid_get "w$i"); then
			say "stopping w$i (pid $pid)"
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		pid_stop "w$i" TERM 15 quiet
		rm -f "$(worker_socket "$i")"
	done
}

# workers_status: one line per worker.
workers_status()
{
	local i
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		status_line "w$i" "$(worker_port "$i")" "agent $(agent_port "$i")"
	done
}
