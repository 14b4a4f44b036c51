# shellcheck shell=bash
# cmd-service.sh: `./stack start|stop|restart SERVICE`: one service of the
# running stack of RUN_DIR (the one `up` or `test` started), with the same
# start and stop functions `up` and `down` use.

# The names a user gives, and the prefix of their NAME_start/NAME_stop.
declare -A SERVICE_FN=([postgres]=pg [rabbitmq]=rmq [s3]=s3 [smtp]=smtp
	[haproxy]=haproxy [ctld]=ctld)

# service_names: the names SERVICE may take, on one line.
service_names()
{
	printf '%s' 'postgres rabbitmq s3 smtp haproxy ctld'
}

# cmd_service ACTION SERVICE: ACTION is start, stop or restart.
cmd_service()
{
	local action=$1 svc=${2:-} fn
	(($# == 2)) || die "$action takes one service: $(service_names)"
	case $svc in
	w[0-9]*)
		die "$svc is started, restarted and stopped by pfo3-ctld: use pfo3ctl (drain, restart), or ./stack restart ctld for all workers"
		;;
	esac
	fn=${SERVICE_FN[$svc]:-}
	[[ -n $fn ]] || die "$action: unknown service '$svc' (one of: $(service_names))"
	# The ports, and the build whose workers run, are those the stack
	# was started with.
	ports_load || die "no stack state in $RUN_DIR (start one with ./stack up, or set PFO3_RUN_DIR)"
	pid_get "$svc" >/dev/null || [[ $action == start ]] || say "$svc was not running"
	case $action in
	stop) "${fn}_stop" ;;
	start) "${fn}_start" ;;
	restart)
		# pfo3-ctld restarts alone, its workers serving on, when the
		# service has a restart of its own.
		if declare -F "${fn}_restart" >/dev/null; then
			"${fn}_restart"
		else
			"${fn}_stop"
			"${fn}_start"
		fi
		;;
	esac
	# Pids in the env file (pfo3-ctld's, the workers') may have changed.
	[[ -f $RUN_DIR/env ]] && env_write
	return 0
}
