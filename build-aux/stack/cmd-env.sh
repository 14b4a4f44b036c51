# shellcheck shell=bash
# cmd-env.sh: `./stack env`: export lines for a shell (eval "$(./stack env)").

cmd_env()
{
	(($# == 0)) || die "env takes no arguments"
	ports_known
	stack_any_running || warn "nothing runs in $RUN_DIR: these are the addresses \`./stack up\` would use"
	env_lines
}
