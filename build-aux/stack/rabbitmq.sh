# shellcheck shell=bash
# rabbitmq.sh: a private RabbitMQ node in RUN_DIR/rabbitmq with its own epmd,
# vhost `pfo3` and user `pfo3` (password generated once, kept beside it).
#
# The /usr/sbin wrappers switch user and log under /var/log, so the scripts of
# /usr/lib/rabbitmq/bin run with every path and port set here.

RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_NODE=pfo3@localhost

# rmq_env: prints the environment (NAME=value lines) of the node and of its CLI.
rmq_env()
{
	local d=$RUN_DIR/rabbitmq
	cat <<-EOF
	HOME=$d
	RABBITMQ_NODENAME=$RMQ_NODE
	RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
	RABBITMQ_NODE_PORT=$PFO3_AMQP_PORT
	RABBITMQ_DIST_PORT=$PFO3_AMQP_DIST_PORT
	RABBITMQ_CTL_DIST_PORT_MIN=$PFO3_AMQP_CTL_PORT
	RABBITMQ_CTL_DIST_PORT_MAX=$((PFO3_AMQP_CTL_PORT + 9))
	ERL_EPMD_PORT=$PFO3_EPMD_PORT
	ERL_EPMD_ADDRESS=127.0.0.1
	RABBITMQ_CONFIG_FILE=$d/rabbitmq
	RABBITMQ_ADVANCED_CONFIG_FILE=$d/advanced.config
	RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins
	RABBITMQ_MNESIA_BASE=$d/mnesia
	RABBITMQ_LOG_BASE=$d/log
	RABBITMQ_PID_FILE=$d/beam.pid
	RABBITMQ_PLUGINS_EXPAND_DIR=$d/plugins-expand
	RABBITMQ_CONF_ENV_FILE=$d/rabbitmq-env.conf
	RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}
	EOF
}

# rmq_run COMMAND...: runs COMMAND in the node's environment.
rmq_run()
{
	local vars
	mapfile -t vars < <(rmq_env)
	env "${vars[@]}" "$@"
}

# rmq_ctl ARGS...: rabbitmqctl against our node.
rmq_ctl()
{
	rmq_run "$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE" "$@"
}

# rmq_password: the password of user pfo3, made on first use.
rmq_password()
{
	local f=$RUN_DIR/rabbitmq/password
	if [[ ! -s $f ]]; then
		mkdir -p "$RUN_DIR/rabbitmq"
		(umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$f")
	fi
	cat "$f"
}

# rmq_url: the AMQP URL of the application vhost.
rmq_url()
{
	printf 'amqp://pfo3:%s@127.0.0.1:%s/pfo3' "$(rmq_password)" "$PFO3_AMQP_PORT"
}

# rmq_config: writes the node's configuration. The default_* settings take
# effect when the database is created, so the vhost and user exist as soon
# as the node has booted, with no CLI round trips.
rmq_config()
{
	local d=$RUN_DIR/rabbitmq pass
	mkdir -p "$d/mnesia" "$d/log" "$d/plugins-expand"
	pass=$(rmq_password)
	cat >"$d/rabbitmq.conf" <<-EOF
	# Written by ./stack: a private node on 127.0.0.1.
	listeners.tcp.default = 127.0.0.1:$PFO3_AMQP_PORT
	default_vhost = pfo3
	default_user = pfo3
	default_pass = $pass
	default_user_tags.administrator = true
	default_permissions.configure = .*
	default_permissions.read = .*
	default_permissions.write = .*
	log.file = false
	log.console = true
	log.console.level = info
	# The management API gives pfo3-ctld each queue's unacknowledged
	# count and rates; statistics every second match its refresh.
	management.tcp.ip = 127.0.0.1
	management.tcp.port = $PFO3_AMQP_MGMT_PORT
	collect_statistics_interval = 1000
	EOF
	chmod 600 "$d/rabbitmq.conf"
	printf '[rabbitmq_management].\n' >"$d/enabled_plugins"
	: >"$d/rabbitmq-env.conf"
}

# rmq_beam_pid: the pid of the Erlang VM, from the pid file the node writes.
rmq_beam_pid()
{
	local pid
	pid=$(read_pid "$RUN_DIR/rabbitmq/beam.pid")
	pid_is rabbitmq "$pid" || return 1
	printf '%s' "$pid"
}

# rmq_start: starts the node and waits until it accepts AMQP.
rmq_start()
{
	local pid beam vars
	if pid=$(pid_get rabbitmq); then
		say "rabbitmq already running (pid $pid, port $PFO3_AMQP_PORT)"
		return 0
	fi
	# A VM that died (kill -9) leaves its server script and epmd behind.
	pid_stop rabbitmq-script TERM 10
	rmq_epmd_kill
	ports_check_free rabbitmq "$PFO3_AMQP_PORT" "$PFO3_AMQP_DIST_PORT" "$PFO3_EPMD_PORT" "$PFO3_AMQP_MGMT_PORT"
	rmq_config
	rm -f "$RUN_DIR/rabbitmq/beam.pid"
	mapfile -t vars < <(rmq_env)
	# The server script stays as the VM's parent and relays signals; we
	# record the VM itself once its pid file appears.
	spawn rabbitmq env "${vars[@]}" "$RMQ_BIN/rabbitmq-server"
	pid=$SPAWNED_PID
	pid_save rabbitmq-script "$pid"
	wait_for rabbitmq "$pid" 60 "Erlang VM" rmq_beam_pid
	beam=$(rmq_beam_pid)
	pid_save rabbitmq "$beam"
	wait_for rabbitmq "$beam" 90 "startup of $RMQ_NODE" \
		rmq_ctl await_startup --timeout 10
	wait_for rabbitmq "$beam" 10 "AMQP listener on port $PFO3_AMQP_PORT" \
		tcp_open "$PFO3_AMQP_PORT"
	say "rabbitmq ready (pid $beam, port $PFO3_AMQP_PORT)"
}

# rmq_epmd_pid: the pid of the epmd listening on this stack's epmd port,
# if it is ours (started by our VM, so its environment names RUN_DIR).
rmq_epmd_pid()
{
	local pid
	[[ -n ${PFO3_EPMD_PORT:-} ]] || return 1
	pid=$(ss -Hltnp "sport = :$PFO3_EPMD_PORT" 2>/dev/null |
		grep -o 'pid=[0-9]*' | head -n 1)
	pid=${pid#pid=}
	[[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == epmd ]] || return 1
	pid_is_ours "$pid" || return 1
	printf '%s' "$pid"
}

# rmq_epmd_kill: ends the private epmd of this stack. It outlives the VM
# and would hold its port against the next start; `epmd -kill` refuses
# while a node is still registered, so it is killed by pid.
rmq_epmd_kill()
{
	local pid i
	pid=$(rmq_epmd_pid) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# rmq_stop: kills the VM at once (a clean shutdown takes ~8 s and the state
# is durable anyway), then the private epmd it left behind.
rmq_stop()
{
	pid_stop rabbitmq KILL 10
	pid_stop rabbitmq-script TERM 10
	rmq_epmd_kill
}

# rmq_status: one status line.
rmq_status()
{
	status_line rabbitmq "$PFO3_AMQP_PORT"
}
