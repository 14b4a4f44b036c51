# shellcheck shell=bash
# cmd-status.sh: `./stack status`: each component, up or down, pid and port.

cmd_status()
{
	local c
	(($# == 0)) || die "status takes no arguments"
	ports_known
	printf 'state in %s\n' "$RUN_DIR"
	for c in "${COMPONENTS[@]}"; do
		"${c}_status"
	done
	ctld_status
	workers_status
}
