# shellcheck shell=bash
# env.sh: the environment that tells tests and tools where everything is.

# env_lines: `export NAME='value'` lines for the running stack.
env_lines()
{
	local i id
	s3_keys
	env_export PFO3_RUN_DIR "$RUN_DIR"
	env_export PFO3_BUILDDIR "$PFO3_BUILDDIR"
	env_export PFO3_WORKERD "$(workerd_path)"
	env_export PFO3_MODULE_DIR "$(workerd_module_dir)"
	env_export PFO3_CONF "$(worker_conf)"
	env_export PFO3_HTTP_URL "http://127.0.0.1:$PFO3_HTTP_PORT"
	env_export PFO3_SEED_HOST 127.0.0.1
	env_export PFO3_SEED_PORT "$PFO3_SEED_PORT"
	env_export PFO3_WORKERS "$(worker_ids)"
	env_export PFO3_CTLD "$(ctld_path)"
	env_export PFO3_CTLD_PID "$(pid_get ctld || true)"
	env_export PFO3_SOCKET "$(ctld_socket)"
	env_export PFO3_SOCKET_RO "$(ctld_socket_ro)"
	env_export PFO3_AMQP_MGMT_URL "http://127.0.0.1:$PFO3_AMQP_MGMT_PORT"
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		id=w$i
		env_export "PFO3_WORKER_${id}_ADDR" "127.0.0.1:$(worker_port "$i")"
		env_export "PFO3_WORKER_${id}_SOCKET" "$(worker_socket "$i")"
		env_export "PFO3_WORKER_${id}_AGENT" "127.0.0.1:$(agent_port "$i")"
		env_export "PFO3_WORKER_${id}_PID" "$(pid_get "$id" || true)"
	done
	env_export PFO3_HAPROXY_SOCKET "$(haproxy_socket)"
	env_export PFO3_HAPROXY_BACKEND workers
	env_export PFO3_PG_CONNINFO "$(pg_conninfo)"
	env_export PFO3_AMQP_URL "$(rmq_url)"
	env_export PFO3_S3_ENDPOINT "$(s3_endpoint)"
	env_export PFO3_S3_BUCKET "$S3_BUCKET"
	env_export PFO3_S3_REGION "$S3_REGION"
	env_export PFO3_S3_ACCESS_KEY "$S3_ACCESS_KEY"
	env_export PFO3_S3_SECRET_KEY "$S3_SECRET_KEY"
	env_export PFO3_SMTP_HOST 127.0.0.1
	env_export PFO3_SMTP_PORT "$PFO3_SMTP_PORT"
	env_export PFO3_SMTP_MAILDIR "$(smtp_maildir)"
}

# env_export NAME VALUE
env_export()
{
	printf 'export %s=%s\n' "$1" "$(shquote "$2")"
}

# env_write: RUN_DIR/env, for tests to source (0600: it holds a password).
env_write()
{
	(umask 077 && env_lines >"$RUN_DIR/env.tmp")
	mv "$RUN_DIR/env.tmp" "$RUN_DIR/env"
}

# env_apply: exports the same variables into this shell (for make check).
env_apply()
{
	eval "$(env_lines)"
}
