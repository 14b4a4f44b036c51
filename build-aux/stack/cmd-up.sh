# shellcheck shell=bash
# cmd-up.sh: `./stack up [--detach] [--no-build] [--no-workers]`.

# up_abort: on a failed `up` that started from nothing, stops what it
# started (the logs stay); when things ran before, leaves them as they are.
up_abort()
{
	local rc=$?
	((rc == 0)) && return 0
	if ((UP_FRESH)); then
		say "start failed: stopping what was started (logs stay in $RUN_DIR/log)"
		stack_stop || true
	else
		say "start failed: what already ran is left running (./stack status)"
	fi
	exit "$rc"
}

# up_summary: where everything is.
up_summary()
{
	local i rel=${RUN_DIR#"$PWD"/}
	cat <<-EOF

	pfo3 is up (state in $RUN_DIR)
	  http      http://127.0.0.1:$PFO3_HTTP_PORT   (HAProxy -> $(worker_ids); https $PFO3_HTTPS_PORT arrives later)
	  seed      127.0.0.1:$PFO3_SEED_PORT   (JSON over TCP, HAProxy -> workers)
	  ctld      $rel/ctld/admin.sock  (read-only: $rel/ctld/read.sock)  pid $(pid_get ctld || printf -- -)
	EOF
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		printf '  w%-8s 127.0.0.1:%s  agent %s  control %s  pid %s\n' "$i" \
			"$(worker_port "$i")" "$(agent_port "$i")" "$rel/workers/w$i.sock" \
			"$(pid_get "w$i" || printf -- -)"
	done
	cat <<-EOF
	  haproxy   socat stdio UNIX-CONNECT:$rel/haproxy/admin.sock   (show stat, set server ...)
	  postgres  psql '$(pg_conninfo)'
	  rabbitmq  $(rmq_url)
	  s3        $(s3_endpoint)  bucket $S3_BUCKET  region $S3_REGION  keys in $rel/s3/keys
	  smtp      127.0.0.1:$PFO3_SMTP_PORT -> $rel/smtp/maildir/new/
	  logs      $rel/log/
	  env       . $rel/env    (or: eval "\$(./stack env)")
	EOF
}

# up_watch: waits until Ctrl-C, telling when a component dies meanwhile.
up_watch()
{
	local f name stop=0
	declare -A dead=()
	trap 'stop=1' INT TERM
	say "running in the foreground: Ctrl-C stops everything"
	while ((!stop)); do
		sleep 2 &
		wait $! || true
		for f in "$RUN_DIR"/pids/*.pid; do
			[[ -e $f ]] || continue
			name=${f##*/}
			name=${name%.pid}
			if [[ -z ${dead[$name]:-} ]] && ! pid_get "$name" >/dev/null; then
				dead[$name]=1
				warn "$name exited (log: $(log_file "$name"))"
				log_tail "$name" 10
			elif [[ -n ${dead[$name]:-} ]] && pid_get "$name" >/dev/null; then
				# pfo3-ctld's supervisor (or pfo3-ctld, a worker) started it again.
				unset "dead[$name]"
				say "$name runs again (pid $(pid_get "$name"))"
			fi
		done
	done
	# Stop everything even if the terminal or a pipe reading us is gone.
	trap '' INT TERM PIPE
}

# cmd_up ARGS...
cmd_up()
{
	local detach=0 build=1 workers=1 console arg
	for arg in "$@"; do
		case $arg in
		--detach | -d) detach=1 ;;
		--no-build) build=0 ;;
		--no-workers) workers=0 build=0 ;;
		*) die "up: unknown option $arg (see ./stack help)" ;;
		esac
	done
	deps_ensure
	node_ensure
	ports_resolve
	if ((build)); then
		build_all "$PFO3_BUILDDIR"
	fi
	if ((workers)) && [[ ! -x $(workerd_path) ]]; then
		die "$(workerd_path) does not exist: the build did not make it. Fix the build, or run ./stack up --no-workers for the services alone"
	fi
	UP_FRESH=1
	stack_any_running && UP_FRESH=0
	trap up_abort EXIT
	stack_start "$workers"
	trap - EXIT
	up_summary
	((detach)) && return 0
	console=$PFO3_BUILDDIR/pfo3-console
	# The console needs a terminal on both ends; piped, ./stack just waits.
	if ((workers)) && [[ -x $console && -t 0 && -t 1 ]]; then
		env_apply
		# A Ctrl-C meant for the console must not end ./stack before it
		# has stopped everything; a handler (not an ignore) leaves the
		# console's own SIGINT at its default.
		trap ':' INT TERM
		"$console" || warn "the console exited with status $?"
		trap '' INT TERM PIPE
	else
		[[ -x $console ]] || say "$console is missing: no console"
		up_watch
	fi
	stack_stop
}
