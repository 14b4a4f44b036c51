#!/usr/bin/env bash
# ctld-supervise.sh RUN_DIR COMMAND...: keeps pfo3-ctld running for the
# stack in RUN_DIR. COMMAND starts pfo3-ctld in the foreground; whenever it
# ends, it is started again (its workers keep running and the new one
# adopts them): at once after a long life, then after 0.5 s, doubled each
# time it dies within 10 s of its start, up to 30 s. Each pfo3-ctld's pid
# goes to RUN_DIR/pids/ctld.pid and its output to RUN_DIR/log/ctld.log.
#
# SIGTERM (or INT, HUP) ends the supervision only: the running pfo3-ctld is
# left alone, so that `./stack down` (ctld_stop) can stop the supervisor
# first and then pfo3-ctld, which drains and stops its workers.
#
# A pfo3-ctld already running (a supervisor was killed and started again)
# is watched until it ends, by polling, since it is not our child.
set -uo pipefail

RUN_DIR=$1
shift
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUPERVISE_MIN_MS=500
SUPERVISE_MAX_MS=30000
SUPERVISE_STABLE_S=10

stop=0
trap 'stop=1' TERM INT HUP

# note MESSAGE: a dated line in the supervisor's log (our stdout).
note()
{
	printf '%s ctld-supervise: %s\n' "$(date '+%F %T')" "$*"
}

# pause MS: sleeps, but a signal ends it at once.
pause()
{
	local s
	s=$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))
	sleep "$s" &
	wait $! 2>/dev/null || true
}

delay=0
while ((!stop)); do
	if pid=$(pid_get ctld); then
		note "watching the running pfo3-ctld (pid $pid)"
		while ((!stop)) && pid_is_ours "$pid"; do
			pause 200
		done
		status='unknown (not our child)'
		lived=$SUPERVISE_STABLE_S
	else
		started=$SECONDS
		printf '=== %s: %s (ctld-supervise)\n' "$(date '+%F %T')" "$*" >>"$(log_file ctld)"
		"$@" </dev/null >>"$(log_file ctld)" 2>&1 &
		pid=$!
		pid_save ctld "$pid"
		note "started pfo3-ctld (pid $pid)"
		# `wait` returns early when a trapped signal arrives: then stop.
		while ((!stop)); do
			wait "$pid"
			status=$?
			kill -0 "$pid" 2>/dev/null || break
		done
		lived=$((SECONDS - started))
	fi
	((stop)) && break
	if ((lived >= SUPERVISE_STABLE_S)); then
		delay=0
	elif ((delay == 0)); then
		delay=$SUPERVISE_MIN_MS
	else
		delay=$((delay * 2 > SUPERVISE_MAX_MS ? SUPERVISE_MAX_MS : delay * 2))
	fi
	note "pfo3-ctld (pid $pid) ended after ${lived}s, status $status: starting it again in ${delay} ms"
	((delay > 0)) && pause "$delay"
done
note "stopped supervising (pfo3-ctld left as it is)"
