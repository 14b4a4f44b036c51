# shellcheck shell=bash
# workers.sh: the pfo3-workerd processes w1..wN behind HAProxy, started and
# supervised by pfo3-ctld (ctld.sh).

WORKER_THREADS=5
WORKER_QUEUE=64

# workerd_path: the worker binary of the build this stack runs.
workerd_path()
{
	printf '%s/pfo3-workerd' "$PFO3_BUILDDIR"
}

# workerd_module_dir: where the workers of this build load their renderer
# modules from (thumb.so, report.so: the build tree, not PKGLIBDIR).
workerd_module_dir()
{
	printf '%s/daemons/workerd' "$PFO3_BUILDDIR"
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

# worker_socket N: the control socket of wN (worker.control in the
# configuration pfo3-ctld passes on).
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
	# Written by ./stack for pfo3-ctld and the workers of the stack in
	# $RUN_DIR.
	worker = {
		control = "$RUN_DIR/workers/%i.sock";
		threads = $WORKER_THREADS;
		queue = $WORKER_QUEUE;
	};
	ctld = {
		admin_socket = "$(ctld_socket)";
		read_socket = "$(ctld_socket_ro)";
		haproxy_socket = "$(haproxy_socket)";
		haproxy_backends = "workers,seed";
		rabbitmq_api = "http://127.0.0.1:$PFO3_AMQP_MGMT_PORT";
	};
	workers = {
		count = $PFO3_WORKER_COUNT;
		base_port = $(worker_port 1);
		agent_base_port = $(agent_port 1);
		binary = "$(workerd_path)";
		log = "$RUN_DIR/log/%i.log";
		pid_file = "$RUN_DIR/pids/%i.pid";
	};
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
	storage = {
	$(worker_conf_storage)
	};
	auth = {
		# Every test and benchmark client registers from 127.0.0.1;
		# t-security.py checks the limit on a private worker.
		register_per_source = 100000000;
	$(worker_conf_auth_extra)
	};
	EOF
	)
	mv "$f.tmp" "$f"
}

# worker_conf_storage: the reconciler's bounds.  The test stack frees what
# a fault left behind within tests/fault's bound (stale_after + interval);
# a stack of `up` keeps the defaults of pfo3.conf(5).
worker_conf_storage()
{
	if ((${STACK_EPHEMERAL:-0})); then
		printf '\tstale_after = "90s";\n\treconcile_interval = "10s";\n'
	fi
}

# worker_conf_auth_extra: more lines for the auth group of the workers'
# configuration (none here; the benchmarks add theirs: a group may appear
# only once in the file).
worker_conf_auth_extra()
{
	return 0
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

# workers_start: pfo3-ctld, which starts the workers (ctld.sh), then waits
# until HAProxy has checked each one UP in both backends.
workers_start()
{
	local i bin
	bin=$(workerd_path)
	[[ -x $bin ]] || die "workers: $bin is missing: the build did not produce it (run ./stack up again after fixing the build, or ./stack up --no-workers for the services alone)"
	[[ -x $(ctld_path) ]] || die "workers: $(ctld_path) is missing: the build did not produce it"
	worker_conf_write
	workers_migrate
	ctld_start
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		wait_for haproxy "" 20 "workers/w$i UP in HAProxy" haproxy_server_up workers "w$i"
		wait_for haproxy "" 20 "seed/w$i UP in HAProxy" haproxy_server_up seed "w$i"
	done
	say "haproxy sees $(worker_ids) UP"
}

# workers_stop: stops pfo3-ctld, which stops its workers (each drains, then
# exits); then any worker left behind by a pfo3-ctld that died.
workers_stop()
{
	local f name
	ctld_stop
	for f in "$RUN_DIR"/pids/w*.pid; do
		[[ -e $f ]] || continue
		name=${f##*/}
		pid_stop "${name%.pid}" TERM 15
	done
	rm -f "$RUN_DIR"/workers/w*.sock
}

# workers_status: one line per worker.
workers_status()
{
	local i
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		status_line "w$i" "$(worker_port "$i")" "agent $(agent_port "$i")"
	done
}
