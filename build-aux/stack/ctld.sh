# shellcheck shell=bash
# ctld.sh: pfo3-ctld, the control daemon. It starts the workers w1..wN of
# the stack's configuration, restarts them when they die, drives HAProxy,
# and serves the control sockets that pfo3ctl and pfo3-console use.

# ctld_path: the control daemon of the build this stack runs.
ctld_path()
{
	printf '%s/pfo3-ctld' "$PFO3_BUILDDIR"
}

# ctld_socket / ctld_socket_ro: its admin and read-only control sockets.
ctld_socket()
{
	printf '%s/ctld/admin.sock' "$RUN_DIR"
}

ctld_socket_ro()
{
	printf '%s/ctld/read.sock' "$RUN_DIR"
}

# ctld_call COMMAND [ARG...]: one command on the admin socket; prints the
# reply line.
ctld_call()
{
	/usr/bin/python3 - "$(ctld_socket)" "$@" <<-'EOF'
	import json, socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(5)
	s.connect(sys.argv[1])
	s.sendall(json.dumps({"cmd": sys.argv[2], "args": sys.argv[3:]}).encode() + b"\n")
	buf = b""
	while b"\n" not in buf:
	    chunk = s.recv(65536)
	    if not chunk:
	        break
	    buf += chunk
	print(buf.split(b"\n")[0].decode())
	EOF
}

# ctld_workers_up N: true when pfo3-ctld reports N workers, all up.
ctld_workers_up()
{
	ctld_call status 2>/dev/null | /usr/bin/python3 -c '
import json, sys
st = json.load(sys.stdin)
ws = st.get("workers", [])
sys.exit(0 if len(ws) == int(sys.argv[1]) and all(w["state"] == "up" for w in ws) else 1)' "$1"
}

# ctld_start: starts pfo3-ctld unless it runs the current build (it then
# starts the workers), and waits until every worker is up.
ctld_start()
{
	local bin pid i
	bin=$(ctld_path)
	if pid=$(pid_get ctld); then
		if [[ ! $bin -nt $(pid_file ctld) && ! $(workerd_path) -nt $(pid_file ctld) ]]; then
			say "pfo3-ctld already running (pid $pid)"
			return 0
		fi
		say "pfo3-ctld or its workers run an older build: restarting them"
		ctld_stop
	fi
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		ports_check_free "w$i" "$(worker_port "$i")" "$(agent_port "$i")"
	done
	mkdir -p "$RUN_DIR/ctld" "$RUN_DIR/workers"
	rm -f "$(ctld_socket)" "$(ctld_socket_ro)"
	spawn ctld "$bin" -f -c "$(worker_conf)"
	pid=$SPAWNED_PID
	wait_for ctld "$pid" 40 "$PFO3_WORKER_COUNT workers up" ctld_workers_up "$PFO3_WORKER_COUNT"
	say "pfo3-ctld ready (pid $pid, socket $(ctld_socket)): $(worker_ids) up"
}

# ctld_stop: SIGTERM; pfo3-ctld stops its workers (each drains), then exits.
ctld_stop()
{
	pid_stop ctld TERM 60
	rm -f "$(ctld_socket)" "$(ctld_socket_ro)"
}

# ctld_status: one status line.
ctld_status()
{
	local pid
	if pid=$(pid_get ctld); then
		printf '%-9s %-17s pid %-8s socket %s\n' ctld up "$pid" "$(ctld_socket)"
	else
		printf '%-9s %-17s pid %-8s socket %s\n' ctld down - "$(ctld_socket)"
	fi
}
