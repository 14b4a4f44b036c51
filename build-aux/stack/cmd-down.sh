# shellcheck shell=bash
# cmd-down.sh: `./stack down`: stops everything `up` started, by pid.

cmd_down()
{
	(($# == 0)) || die "down takes no arguments"
	ports_known
	if ! stack_any_running; then
		say "nothing runs in $RUN_DIR"
		# The private epmd can outlive a VM that was killed elsewhere.
		rmq_stop
		rm -f "$RUN_DIR/env"
		return 0
	fi
	stack_stop
	say "stopped"
}
