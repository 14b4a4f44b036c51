# shellcheck shell=bash
# components.sh: the services as one list, started in order and stopped in
# reverse, and the state folder they share.

# Start order; each NAME has NAME_start, NAME_stop and NAME_status.
COMPONENTS=(pg rmq s3 smtp haproxy)

# state_init: the state folder and its layout; saves the ports in use.
state_init()
{
	mkdir -p "$RUN_DIR/pids" "$RUN_DIR/log"
	# Nobody else may read it (./stack runs under umask 077). Run by root,
	# PostgreSQL runs as `postgres`, which must be able to enter it: that
	# group may search it, no one else.
	if ((EUID == 0)); then
		chgrp postgres "$RUN_DIR" && chmod 710 "$RUN_DIR"
	else
		chmod 700 "$RUN_DIR"
	fi
	# A folder made by an older stack may hold files open to everyone.
	find "$RUN_DIR" -mindepth 1 ! -type s ! -type l -perm /o=rwx \
		-exec chmod o-rwx {} + 2>/dev/null || true
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
