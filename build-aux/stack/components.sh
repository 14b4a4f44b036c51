# shellcheck shell=bash
# components.sh: the services as one list, started in order and stopped in
# reverse, and the state folder they share.

# Start order; each NAME has NAME_start, NAME_stop and NAME_status.
COMPONENTS=(pg rmq s3 smtp haproxy)

# state_init: the state folder and its layout; saves the ports in use.
state_init()
{
	mkdir -p "$RUN_DIR/pids" "$RUN_DIR/log"
	# PostgreSQL runs as another user and must be able to enter it.
	chmod 755 "$RUN_DIR"
	ports_save
}

# stack_any_running: true when a process from a pid file of RUN_DIR runs.
stack_any_running()
{
	local f name
	for f in "$RUN_DIR"/pids/*.pid; do
		[[ -e $f ]] || continue
		name=${f##*/}
		pid_get "${name%.pid}" >/dev/null && return 0
	done
	return 1
}

# stack_start WITH_WORKERS: starts every service not running, then the
# workers when WITH_WORKERS is 1.
stack_start()
{
	local c
	state_init
	for c in "${COMPONENTS[@]}"; do
		"${c}_start"
	done
	if [[ $1 == 1 ]]; then
		workers_start
	fi
	env_write
}

# stack_stop: stops everything with a pid file in RUN_DIR, workers first,
# then the services in reverse order, then anything else left (processes
# other tools recorded there).
stack_stop()
{
	local i f name
	workers_stop
	for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
		"${COMPONENTS[i]}_stop"
	done
	for f in "$RUN_DIR"/pids/*.pid; do
		[[ -e $f ]] || continue
		name=${f##*/}
		pid_stop "${name%.pid}" TERM 10
	done
	rm -f "$RUN_DIR/env"
}

# status_line NAME PORT [NOTE]: NAME, whether it is up, its pid and port.
status_line()
{
	local name=$1 port=$2 note=${3:-} pid state
	if pid=$(pid_get "$name"); then
		state=up
		if pid_frozen "$pid"; then
			state="frozen (SIGSTOP)"
		elif ! tcp_open "$port"; then
			state="up (port closed)"
		fi
	else
		pid=- state=down
	fi
	printf '%-9s %-17s pid %-8s port %s%s\n' "$name" "$state" "$pid" "$port" \
		"${note:+  $note}"
}
