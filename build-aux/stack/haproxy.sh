# shellcheck shell=bash
# haproxy.sh: HAProxy from etc/haproxy.cfg.in, HTTP and seed frontends on
# 127.0.0.1, runtime API on RUN_DIR/haproxy/admin.sock.

# haproxy_socket
haproxy_socket()
{
	printf '%s/haproxy/admin.sock' "$RUN_DIR"
}

# haproxy_config: fills the template into RUN_DIR/haproxy/haproxy.cfg and
# checks the result.
haproxy_config()
{
	local in=$SRCDIR/etc/haproxy.cfg.in out=$RUN_DIR/haproxy/haproxy.cfg
	local line each i
	[[ -f $in ]] || die "haproxy: $in is missing"
	mkdir -p "$RUN_DIR/haproxy"
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line//@RUN_DIR@/$RUN_DIR}
		line=${line//@HTTP_PORT@/$PFO3_HTTP_PORT}
		line=${line//@SEED_PORT@/$PFO3_SEED_PORT}
		if [[ $line != *'# @EACH_WORKER@' ]]; then
			printf '%s\n' "$line"
			continue
		fi
		line=${line%' # @EACH_WORKER@'}
		for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
			each=${line//@ID@/w$i}
			each=${each//@PORT@/$(worker_port "$i")}
			each=${each//@AGENT_PORT@/$(agent_port "$i")}
			printf '%s\n' "$each"
		done
	done <"$in" >"$out.tmp"
	if ! haproxy -c -q -f "$out.tmp" >"$RUN_DIR/haproxy/check.log" 2>&1; then
		cat "$RUN_DIR/haproxy/check.log" >&2
		die "haproxy: the generated configuration $out.tmp is invalid"
	fi
	mv "$out.tmp" "$out"
}

# haproxy_cmd COMMAND: one runtime API command; prints the reply.
haproxy_cmd()
{
	printf '%s\n' "$1" | socat -t 2 stdio "UNIX-CONNECT:$(haproxy_socket)"
}

# haproxy_answers: true once the runtime API replies.
haproxy_answers()
{
	haproxy_cmd "show info" | grep -q '^Name: HAProxy'
}

# haproxy_start: checks the configuration, starts HAProxy in the foreground
# mode (-db, our own process to watch) and waits for its runtime API.
haproxy_start()
{
	local pid
	if pid=$(pid_get haproxy); then
		say "haproxy already running (pid $pid, port $PFO3_HTTP_PORT)"
		return 0
	fi
	ports_check_free haproxy "$PFO3_HTTP_PORT" "$PFO3_SEED_PORT"
	haproxy_config
	rm -f "$(haproxy_socket)"
	spawn haproxy haproxy -f "$RUN_DIR/haproxy/haproxy.cfg" -db
	pid=$SPAWNED_PID
	wait_for haproxy "$pid" 10 "runtime API on $(haproxy_socket)" haproxy_answers
	say "haproxy ready (pid $pid, http 127.0.0.1:$PFO3_HTTP_PORT, seed 127.0.0.1:$PFO3_SEED_PORT)"
}

# haproxy_server_field BACKEND SERVER COLUMN: one field of `show stat`, found
# by column name (columns are only ever appended across versions).
haproxy_server_field()
{
	haproxy_cmd "show stat" | awk -F, -v be="$1" -v sv="$2" -v col="$3" '
		NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) idx[$i] = i; next }
		$1 == be && $2 == sv { print $(idx[col]); exit }'
}

# haproxy_server_up BACKEND SERVER: true when the server is UP after a
# passing check (servers start UP before their first check).
haproxy_server_up()
{
	[[ $(haproxy_server_field "$1" "$2" status) == UP &&
		$(haproxy_server_field "$1" "$2" check_status) == L7OK ]]
}

# haproxy_stop: hard stop (the workers behind it are stopped first).
haproxy_stop()
{
	pid_stop haproxy TERM 10
	rm -f "$(haproxy_socket)"
}

# haproxy_status: one status line.
haproxy_status()
{
	status_line haproxy "$PFO3_HTTP_PORT"
}
