# shellcheck shell=bash
# ctld.sh: pfo3-ctld, the control daemon. It starts the workers w1..wN of
# the stack's configuration, restarts them when they die, drives HAProxy,
# and serves the control sockets that pfo3ctl and pfo3-console use.
# A supervisor (ctld-supervise.sh, pid file ctld-supervisor) starts it
# again when it dies; the new one adopts the workers that still run.
# ctld_start, ctld_stop, ctld_restart (pfo3-ctld alone, the workers kept)
# and ctld_status are what the stack commands call.

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

# ctld_outdated: true when pfo3-ctld or a worker runs an older build than
# the one in PFO3_BUILDDIR (its binary is newer than the pid file written
# when the process started).
ctld_outdated()
{
	local i f
	f=$(pid_file ctld)
	[[ -f $f && $(ctld_path) -nt $f ]] && return 0
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		f=$(pid_file "w$i")
		[[ -f $f && $(workerd_path) -nt $f ]] && return 0
	done
	return 1
}

# ctld_supervise: starts the supervisor (ctld-supervise.sh) unless it runs;
# it starts pfo3-ctld, or watches the one running, and starts it again
# whenever it dies.
ctld_supervise()
{
	local pid
	if pid=$(pid_get ctld-supervisor); then
		return 0
	fi
	# The workers pfo3-ctld starts inherit its environment.
	PFO3_MODULE_DIR=$(workerd_module_dir) \
		spawn ctld-supervisor "$SRCDIR/build-aux/stack/ctld-supervise.sh" \
		"$RUN_DIR" "$(ctld_path)" -f -c "$(worker_conf)"
	say "pfo3-ctld supervised (supervisor pid $SPAWNED_PID)"
}

# ctld_start: starts pfo3-ctld under its supervisor, unless it runs the
# current build, and waits until every worker is up.  Workers that run
# without a pfo3-ctld (it died) are left running: the new one adopts them;
# those of an older build are stopped first.
ctld_start()
{
	local pid i sup
	if pid=$(pid_get ctld); then
		if ! ctld_outdated; then
			say "pfo3-ctld already running (pid $pid)"
			ctld_supervise
			return 0
		fi
		say "pfo3-ctld or its workers run an older build: restarting them"
		ctld_stop
	fi
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		if pid=$(pid_get "w$i"); then
			if [[ ! $(workerd_path) -nt $(pid_file "w$i") ]]; then
				say "w$i (pid $pid) runs without pfo3-ctld: the new pfo3-ctld adopts it"
				continue
			fi
			say "w$i (pid $pid) runs an older build: stopping it"
			pid_stop "w$i" TERM 15 quiet
		fi
		ports_check_free "w$i" "$(worker_port "$i")" "$(agent_port "$i")"
	done
	mkdir -p "$RUN_DIR/ctld" "$RUN_DIR/workers"
	ctld_supervise
	sup=$(pid_get ctld-supervisor) || die "ctld-supervisor exited at once (log: $(log_file ctld-supervisor))"
	wait_for ctld "$sup" 40 "$PFO3_WORKER_COUNT workers up" ctld_workers_up "$PFO3_WORKER_COUNT"
	say "pfo3-ctld ready (pid $(pid_get ctld || printf -- -), socket $(ctld_socket)): $(worker_ids) up"
}

# ctld_stop: the supervisor first (so that nothing starts pfo3-ctld again),
# then pfo3-ctld: SIGTERM, and it stops its workers (each drains), then
# exits.
ctld_stop()
{
	pid_stop ctld-supervisor TERM 10
	pid_stop ctld TERM 60
	rm -f "$(ctld_socket)" "$(ctld_socket_ro)"
}

# ctld_replaced OLD_PID: true when a pfo3-ctld other than OLD_PID runs and
# reports every worker up.
ctld_replaced()
{
	local pid
	pid=$(pid_get ctld) && [[ $pid != "$1" ]] && ctld_workers_up "$PFO3_WORKER_COUNT"
}

# ctld_restart: restarts pfo3-ctld alone, the workers serving on: SIGQUIT
# makes it exit leaving them running, its supervisor starts a new one, and
# that one adopts them.  Starts it when it does not run.
ctld_restart()
{
	local old
	if ! old=$(pid_get ctld); then
		ctld_start
		return
	fi
	ctld_supervise
	say "restarting pfo3-ctld (pid $old); the workers keep serving"
	kill -QUIT "$old" 2>/dev/null || true
	wait_for ctld "" 40 "a new pfo3-ctld with $PFO3_WORKER_COUNT workers up" ctld_replaced "$old"
	say "pfo3-ctld restarted (pid $(pid_get ctld)): $(worker_ids) adopted"
}

# ctld_status: one status line, with the supervisor's pid.
ctld_status()
{
	local pid sup
	sup=$(pid_get ctld-supervisor) || sup=-
	if pid=$(pid_get ctld); then
		printf '%-9s %-17s pid %-8s socket %s  supervisor %s\n' ctld up "$pid" "$(ctld_socket)" "$sup"
	else
		printf '%-9s %-17s pid %-8s socket %s  supervisor %s\n' ctld down - "$(ctld_socket)" "$sup"
	fi
}
