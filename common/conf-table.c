/*
 * conf-table.c — every key of pfo3.conf, one row each.  This table is the
 * single source of defaults and bounds: conf.c and conf-load.c check the file against it,
 * the daemons print --help from it, and the unit test checks that
 * etc/pfo3.conf and pfo3.conf(5) mention every row.
 *
 * Bounds are written in the unit of the type: bytes for CONF_SIZE,
 * milliseconds for CONF_DURATION, characters for CONF_STR.
 */
#include <stddef.h>

#include "conf.h"

#define KiB	(INT64_C(1) << 10)
#define MiB	(INT64_C(1) << 20)
#define GiB	(INT64_C(1) << 30)
#define SEC	INT64_C(1000)
#define HOUR	(3600 * SEC)

#define W(f)	offsetof(struct pfo3_conf, worker.f)
#define T(f)	offsetof(struct pfo3_conf, tasks.f)
#define C(f)	offsetof(struct pfo3_conf, control.f)
#define L(f)	offsetof(struct pfo3_conf, log.f)
#define P(f)	offsetof(struct pfo3_conf, postgres.f)
#define A(f)	offsetof(struct pfo3_conf, amqp.f)
#define S(f)	offsetof(struct pfo3_conf, s3.f)
#define M(f)	offsetof(struct pfo3_conf, smtp.f)
#define U(f)	offsetof(struct pfo3_conf, auth.f)
#define F(f)	offsetof(struct pfo3_conf, files.f)
#define J(f)	offsetof(struct pfo3_conf, jobs.f)
#define D(f)	offsetof(struct pfo3_conf, ctld.f)
#define K(f)	offsetof(struct pfo3_conf, workers.f)
#define O(f)	offsetof(struct pfo3_conf, console.f)
#define I(f)	offsetof(struct pfo3_conf, idempotency.f)
#define G(f)	offsetof(struct pfo3_conf, storage.f)
#define UP(f)	offsetof(struct pfo3_conf, uploads.f)


const struct conf_option conf_options[] = {
	/* worker: pfo3-workerd */
	{ "worker.id", CONF_STR, W(id), 1, 32, "w1",
	  "worker name, also sent in every task reply (1 to 32 characters)",
	  NULL },
	{ "worker.listen", CONF_STR, W(listen), 1, 255, "127.0.0.1:8001",
	  "ADDR:PORT for HTTP and the seed protocol", NULL },
	/* sun_path holds 108 bytes with its NUL; %i is checked on expansion. */
	{ "worker.control", CONF_STR, W(control), 1, 107,
	  "/run/pfo3/workerd-%i.sock",
	  "control socket path; %i is replaced by worker.id", NULL },
	{ "worker.agent_listen", CONF_STR, W(agent_listen), 0, 255, "",
	  "ADDR:PORT for the HAProxy agent-check; empty turns it off", NULL },
	{ "worker.threads", CONF_INT, W(threads), 1, 256, "5",
	  "pool threads running tasks (count)", NULL },
	{ "worker.queue", CONF_INT, W(queue), 1, 65536, "64",
	  "tasks waiting for a pool thread before 503 (count)", NULL },
	{ "worker.loop_watch", CONF_DURATION, W(loop_watch), 1, 1000, "1ms",
	  "longest a task run by the loop's thread keeps the loop before the "
	  "second loop thread takes it over", NULL },
	{ "worker.max_connections", CONF_INT, W(max_connections), 16, 1000000,
	  "4096", "open client connections (count)", NULL },
	{ "worker.max_header_size", CONF_SIZE, W(max_header_size), KiB, MiB,
	  "8K", "request line and headers, bytes; more is answered 431", NULL },
	{ "worker.max_headers", CONF_INT, W(max_headers), 8, 256, "64",
	  "header fields per request (count); more is answered 431", NULL },
	{ "worker.max_body_size", CONF_SIZE, W(max_body_size), 0, GiB, "1M",
	  "request body, bytes; more is answered 413", NULL },
	{ "worker.stream_buffer", CONF_SIZE, W(stream_buffer), 16 * KiB,
	  64 * MiB, "1M", "bytes held in memory of a streamed upload or download "
	  "(size)", NULL },
	{ "worker.max_seed_size", CONF_SIZE, W(max_seed_size), 256, 16 * MiB,
	  "64K", "one seed-protocol JSON object, bytes", NULL },
	{ "worker.head_timeout", CONF_DURATION, W(head_timeout), 100, HOUR,
	  "10s", "time to receive a request line and headers (duration)",
	  NULL },
	{ "worker.body_timeout", CONF_DURATION, W(body_timeout), 100, HOUR,
	  "10m", "time to receive a whole request body, from the end of its "
	  "head; bytes arriving do not extend it (duration)", NULL },
	{ "worker.keepalive_timeout", CONF_DURATION, W(keepalive_timeout), 100,
	  HOUR, "15s", "time an idle keep-alive connection stays open "
	  "(duration)", NULL },
	{ "worker.write_timeout", CONF_DURATION, W(write_timeout), 100, HOUR,
	  "30s", "time to send a response (duration)", NULL },
	{ "worker.linger_timeout", CONF_DURATION, W(linger_timeout), 0, 60 * SEC,
	  "2s", "time to discard input after a closing error reply (duration)",
	  NULL },
	{ "worker.linger_max", CONF_SIZE, W(linger_max), 0, GiB, "1M",
	  "input discarded after a closing error reply (size)",
	  NULL },
	{ "worker.shutdown_timeout", CONF_DURATION, W(shutdown_timeout), 0,
	  HOUR, "30s", "time SIGTERM waits for in-flight work (duration)",
	  NULL },
	{ "worker.retry_after", CONF_INT, W(retry_after), 1, 3600, "1",
	  "Retry-After of a 503 reply (seconds)", NULL },
	{ "worker.job_threads", CONF_INT, W(job_threads), 0, 256, "2",
	  "pool threads that may run background jobs at once (count)", NULL },
	{ "worker.probe_interval", CONF_DURATION, W(probe_interval), 100,
	  60 * SEC, "1s", "time between dependency probes (duration)", NULL },
	{ "worker.heartbeat", CONF_DURATION, W(heartbeat), 0, 60 * SEC, "1s",
	  "time between the worker.<id>.stats heartbeats published on "
	  "pfo3.events; 0 turns them off (duration)", NULL },
	{ "worker.body_min_rate", CONF_SIZE, W(body_min_rate), 0, GiB, "1K",
	  "request body bytes per second a client must send, averaged over "
	  "worker.body_rate_window; 0 turns the check off (size)", NULL },
	{ "worker.body_rate_window", CONF_DURATION, W(body_rate_window), 100,
	  HOUR, "10s", "window over which worker.body_min_rate is averaged "
	  "(duration)", NULL },
	{ "worker.probe_timeout", CONF_DURATION, W(probe_timeout), 100,
	  60 * SEC, "2s", "time a dependency probe may take before the "
	  "dependency counts as down (duration)", NULL },

	/* tasks: limits of the task operations */
	{ "tasks.max_sleep", CONF_DURATION, T(max_sleep), 0, HOUR, "30s",
	  "longest sleep task (duration)", NULL },
	{ "tasks.max_factorial", CONF_INT, T(max_factorial), 0, 20000, "1000",
	  "largest n of the factorial task (integer)", NULL },
	{ "tasks.max_fibonacci", CONF_INT, T(max_fibonacci), 0, 100000,
	  "10000", "largest n of the fibonacci task (integer)", NULL },
	{ "tasks.max_digits", CONF_INT, T(max_digits), 20, 100000, "10000",
	  "longest exact integer result (decimal digits)", NULL },
	{ "tasks.max_text", CONF_SIZE, T(max_text), 16, 16 * MiB, "1M",
	  "text accepted by the text tasks, bytes", NULL },

	/* control: the control socket */
	{ "control.max_line", CONF_SIZE, C(max_line), KiB, 16 * MiB, "64K",
	  "longest control request line, bytes", NULL },
	{ "control.max_clients", CONF_INT, C(max_clients), 1, 4096, "64",
	  "simultaneous control connections (count)", NULL },

	/* log */
	/* postgres: the database */
	{ "postgres.conninfo", CONF_STR, P(conninfo), 1, 1023,
	  "dbname=pfo3", "libpq connection string (password: PGPASSWORD)",
	  NULL },
	{ "postgres.connect_timeout", CONF_DURATION, P(connect_timeout),
	  1 * SEC, 60 * SEC, "5s", "time to connect to PostgreSQL (duration)",
	  NULL },
	{ "postgres.statement_timeout", CONF_DURATION, P(statement_timeout),
	  100, HOUR, "10s", "longest SQL statement (duration)", NULL },
	{ "postgres.migrations", CONF_STR, P(migrations), 0, 1023, "",
	  "folder of the numbered SQL migrations; empty: the installed one",
	  NULL },
	{ "postgres.query_timeout", CONF_DURATION, P(query_timeout), 100,
	  HOUR, "12s", "time the client waits for one statement's reply "
	  "before cancelling it and dropping the connection (duration)",
	  NULL },
	{ "postgres.tcp_user_timeout", CONF_DURATION, P(tcp_user_timeout),
	  1 * SEC, HOUR, "10s", "time sent data may stay unacknowledged "
	  "before the connection is dropped (duration)", NULL },
	{ "postgres.keepalive_idle", CONF_DURATION, P(keepalive_idle), 1 * SEC,
	  HOUR, "10s", "idle time before TCP keepalives start (duration)",
	  NULL },
	{ "postgres.keepalive_interval", CONF_DURATION, P(keepalive_interval),
	  1 * SEC, HOUR, "3s", "time between TCP keepalives (duration)",
	  NULL },
	{ "postgres.keepalive_count", CONF_INT, P(keepalive_count), 1, 100,
	  "3", "unanswered TCP keepalives that end the connection (count)",
	  NULL },

	/* amqp: the message broker */
	{ "amqp.url", CONF_STR, A(url), 1, 1023,
	  "amqp://guest:guest@127.0.0.1:5672/%2F",
	  "broker URL (or $PFO3_AMQP_URL); never logged with its password",
	  NULL },
	{ "amqp.queue_type", CONF_STR, A(queue_type), 1, 16, "classic",
	  "type of the job queues: classic or quorum", "classic|quorum" },
	{ "amqp.prefetch", CONF_INT, A(prefetch), 1, 1000, "4",
	  "unacknowledged deliveries per consumer (count)", NULL },
	{ "amqp.heartbeat", CONF_DURATION, A(heartbeat), 0, HOUR, "60s",
	  "AMQP heartbeat; 0 turns it off (duration)", NULL },
	{ "amqp.rpc_timeout", CONF_DURATION, A(rpc_timeout), 100, 60 * SEC,
	  "10s", "time for one broker round trip (duration)", NULL },
	{ "amqp.confirm_timeout", CONF_DURATION, A(confirm_timeout), 100,
	  60 * SEC, "5s", "time to wait for a publisher confirm (duration)",
	  NULL },
	{ "amqp.max_retries", CONF_INT, A(max_retries), 0, 100, "5",
	  "attempts of a failing job before it is dead-lettered (count)",
	  NULL },
	{ "amqp.retry_delay", CONF_DURATION, A(retry_delay), 0, HOUR, "2s",
	  "delay before a failed job's first retry, doubled each time "
	  "(duration)", NULL },
	{ "amqp.connect_timeout", CONF_DURATION, A(connect_timeout), 100,
	  60 * SEC, "5s", "time to open the TCP connection to the broker "
	  "(duration)", NULL },

	/* s3: the object store */
	{ "s3.endpoint", CONF_STR, S(endpoint), 1, 1023,
	  "http://127.0.0.1:9000", "S3 endpoint URL", NULL },
	{ "s3.region", CONF_STR, S(region), 1, 64, "us-east-1",
	  "S3 region used in request signatures", NULL },
	{ "s3.bucket", CONF_STR, S(bucket), 3, 63, "pfo3",
	  "S3 bucket of every object", NULL },
	{ "s3.path_style", CONF_BOOL, S(path_style), 0, 1, "true",
	  "bucket in the URL path (true) or in the host name (false)", NULL },
	{ "s3.access_key", CONF_STR, S(access_key), 0, 128, "",
	  "S3 access key; empty: $PFO3_S3_ACCESS_KEY", NULL },
	{ "s3.secret_key", CONF_STR, S(secret_key), 0, 128, "",
	  "S3 secret key; empty: $PFO3_S3_SECRET_KEY; never logged", NULL },
	{ "s3.timeout", CONF_DURATION, S(timeout), 1 * SEC, HOUR, "10s",
	  "time for one S3 request without progress (duration)", NULL },
	{ "s3.part_size", CONF_SIZE, S(part_size), 5 * MiB, 5 * GiB, "8M",
	  "part size of multipart uploads (size)", NULL },
	{ "s3.retries", CONF_INT, S(retries), 0, 10, "2",
	  "more tries of a request S3 answered 5xx (count)", NULL },
	{ "s3.connect_timeout", CONF_DURATION, S(connect_timeout), 100,
	  60 * SEC, "3s", "time to open the TCP connection to S3 (duration)",
	  NULL },
	{ "s3.complete_timeout", CONF_DURATION, S(complete_timeout), 1 * SEC,
	  HOUR, "5m", "time S3 may take to join a multipart upload's parts "
	  "without sending anything (duration)", NULL },
	{ "s3.single_put_max", CONF_SIZE, S(single_put_max), 0, 5 * GiB, "5G",
	  "largest upload of known length sent to S3 in one PUT; larger "
	  "ones and uploads of unknown length go as multipart uploads (size)",
	  NULL },

	/* smtp: outgoing mail */
	{ "smtp.url", CONF_STR, M(url), 1, 1023, "smtp://127.0.0.1:25",
	  "SMTP relay URL", NULL },
	{ "smtp.from", CONF_STR, M(from), 3, 254, "pfo3@localhost",
	  "sender address of notification mail", NULL },
	{ "smtp.timeout", CONF_DURATION, M(timeout), 1 * SEC, 10 * 60 * SEC,
	  "10s", "time for one mail delivery (duration)", NULL },
	{ "smtp.retry_for", CONF_DURATION, M(retry_for), 10 * 60 * SEC,
	  7 * 24 * HOUR, "10m", "time a mail the relay refused is tried "
	  "again before its job fails (duration)", NULL },
	{ "smtp.retry_max_interval", CONF_DURATION, M(retry_max_interval),
	  1 * SEC, HOUR, "1m", "longest pause between two tries of a mail "
	  "(duration)", NULL },
	{ "smtp.connect_timeout", CONF_DURATION, M(connect_timeout), 100,
	  60 * SEC, "5s", "time to connect to the relay and read its "
	  "greeting (duration)", NULL },
	{ "smtp.idle_timeout", CONF_DURATION, M(idle_timeout), 0, 10 * 60 * SEC,
	  "30s", "time an idle session with the relay is kept for the next "
	  "mail; 0 opens one per mail (duration)", NULL },

	/* auth: accounts and sessions */
	{ "auth.session_ttl", CONF_DURATION, U(session_ttl), 60 * SEC,
	  30 * 24 * HOUR, "24h", "lifetime of a login token (duration)", NULL },
	{ "auth.max_hashing", CONF_INT, U(max_hashing), 1, 256, "2",
	  "password hashes computed at once (count)", NULL },
	{ "auth.min_password", CONF_INT, U(min_password), 1, 1024, "8",
	  "shortest password accepted (characters)", NULL },
	{ "auth.max_failures", CONF_INT, U(max_failures), 1, 1000000, "5",
	  "failed logins per account and client before delays (count)",
	  NULL },
	{ "auth.failure_window", CONF_DURATION, U(failure_window), 1 * SEC,
	  24 * HOUR, "15m", "quiet time after which failed logins are "
	  "forgotten (duration)", NULL },
	{ "auth.source_max_failures", CONF_INT, U(source_max_failures), 1,
	  1000000, "100", "failed logins per client, any account, before "
	  "delays (count)", NULL },
	{ "auth.account_max_failures", CONF_INT, U(account_max_failures), 1,
	  1000000, "100", "failed logins per account, any client, before "
	  "delays for clients it does not know (count)", NULL },
	{ "auth.delay_base", CONF_DURATION, U(delay_base), 1 * SEC, 24 * HOUR,
	  "1s", "first delay past a login limit, doubled by each further "
	  "failure (duration)", NULL },
	{ "auth.delay_max", CONF_DURATION, U(delay_max), 1 * SEC, 24 * HOUR,
	  "15m", "longest delay past a login limit (duration)", NULL },
	{ "auth.known_source_ttl", CONF_DURATION, U(known_source_ttl), 0,
	  365 * 24 * HOUR, "720h", "how long a client that logged in stays "
	  "exempt from its account's limit (duration)", NULL },
	{ "auth.register_per_source", CONF_INT, U(register_per_source), 1,
	  100000000, "20", "registrations per client within the window "
	  "(count)", NULL },
	{ "auth.register_window", CONF_DURATION, U(register_window), 1 * SEC,
	  30 * 24 * HOUR, "1h", "window of the registration limit (duration)",
	  NULL },

	/* files: uploads */
	{ "files.max_size", CONF_SIZE, F(max_size), 0, 5 * 1024 * GiB, "2G",
	  "largest upload (size)", NULL },
	{ "files.max_pixels", CONF_INT, F(max_pixels), 1, INT64_C(1) << 40,
	  "50000000", "largest image thumbnailed, width times height (pixels)",
	  NULL },
	/* A thumbnail job holds the whole image in memory. */
	{ "files.thumbnail_max_size", CONF_SIZE, F(thumbnail_max_size), KiB,
	  4 * GiB, "64M", "largest image file thumbnailed, held in memory "
	  "(size)", NULL },
	{ "files.page_size", CONF_INT, F(page_size), 1, 1000, "50",
	  "files listed per page at most (count)", NULL },

	/* uploads: streamed request bodies in flight */
	{ "uploads.max_per_worker", CONF_INT, UP(max_per_worker), 1, 1024, "8",
	  "uploads a worker takes at once, each on an upload thread; more "
	  "get 503 (count)", NULL },
	{ "uploads.max_per_user", CONF_INT, UP(max_per_user), 1, 1024, "3",
	  "uploads one user has at once on a worker; more get 429 (count)",
	  NULL },

	/* jobs: background work */
	{ "jobs.sweep_interval", CONF_DURATION, J(sweep_interval), 100, HOUR,
	  "5s", "time between sweeps that publish queued jobs (duration)",
	  NULL },
	{ "jobs.max_wait", CONF_DURATION, J(max_wait), 0, 10 * 60 * SEC,
	  "30s", "longest wait for new notifications (duration)", NULL },
	{ "jobs.link_base", CONF_STR, J(link_base), 0, 1023,
	  "http://127.0.0.1:8080", "URL prefix of the links sent by mail",
	  NULL },

	/* idempotency: Idempotency-Key of requests that create work */
	{ "idempotency.ttl", CONF_DURATION, I(ttl), 60 * SEC, 30 * 24 * HOUR,
	  "24h", "time an Idempotency-Key and its answer are kept (duration)",
	  NULL },

	/* ctld: pfo3-ctld, the control daemon */
	{ "ctld.admin_socket", CONF_STR, D(admin_socket), 1, 107,
	  "/run/pfo3/ctld.sock",
	  "admin control socket of pfo3-ctld (mode 0660): every command",
	  NULL },
	{ "ctld.read_socket", CONF_STR, D(read_socket), 0, 107,
	  "/run/pfo3/ctld-ro.sock", "read-only control socket (mode 0666): "
	  "status, watch, help and ping; empty turns it off", NULL },
	{ "ctld.interval", CONF_DURATION, D(interval), 100, 60 * SEC, "1s",
	  "time between refreshes of the status: worker stats, HAProxy, "
	  "queues, dependencies (duration)", NULL },
	{ "ctld.history", CONF_INT, D(history), 1, 3600, "300",
	  "history samples kept per worker and for the cluster, one per "
	  "interval (count)", NULL },
	{ "ctld.events", CONF_INT, D(events), 1, 1000, "50",
	  "recent events kept for status (count)", NULL },
	{ "ctld.haproxy_socket", CONF_STR, D(haproxy_socket), 0, 107,
	  "/run/haproxy/admin.sock",
	  "HAProxy runtime API socket; empty: no load balancer", NULL },
	{ "ctld.haproxy_backends", CONF_STR, D(haproxy_backends), 0, 255,
	  "workers", "HAProxy backends listing the workers, comma-separated; "
	  "status shows the first", NULL },
	{ "ctld.haproxy_server", CONF_STR, D(haproxy_server), 1, 255,
	  "weight 100 check inter 1s fall 2 rise 2 agent-inter 1s "
	  "pool-purge-delay 5s pool-max-conn -1",
	  "options of a server added to HAProxy (add server), before the "
	  "agent port", NULL },
	{ "ctld.haproxy_timeout", CONF_DURATION, D(haproxy_timeout), 100,
	  60 * SEC, "2s", "time for one HAProxy runtime API command "
	  "(duration)", NULL },
	{ "ctld.ready_timeout", CONF_DURATION, D(ready_timeout), 1 * SEC,
	  HOUR, "30s", "time a started worker has to become ready "
	  "(duration)", NULL },
	{ "ctld.drain_timeout", CONF_DURATION, D(drain_timeout), 0, HOUR,
	  "60s", "time worker.remove waits for a worker to go idle before "
	  "stopping it (duration)", NULL },
	{ "ctld.heartbeat_timeout", CONF_DURATION, D(heartbeat_timeout),
	  1 * SEC, HOUR, "3s", "time without a heartbeat after which a "
	  "remote worker is down (duration)", NULL },
	{ "ctld.rabbitmq_api", CONF_STR, D(rabbitmq_api), 0, 1023, "",
	  "RabbitMQ management API URL, for unacked counts and rates; empty: "
	  "queue depths from the broker alone", NULL },
	{ "ctld.max_workers", CONF_INT, D(max_workers), 1, 1024, "64",
	  "workers, local and remote, pfo3-ctld manages at most (count)",
	  NULL },

	/* workers: the local workers pfo3-ctld starts */
	{ "workers.count", CONF_INT, K(count), 0, 256, "3",
	  "local workers pfo3-ctld starts (count)", NULL },
	{ "workers.address", CONF_STR, K(address), 1, 64, "127.0.0.1",
	  "IP address the local workers listen on", NULL },
	{ "workers.base_port", CONF_INT, K(base_port), 1, 65535, "8001",
	  "port of w1; wN listens on base_port + N - 1", NULL },
	{ "workers.agent_base_port", CONF_INT, K(agent_base_port), 0, 65535,
	  "9001", "HAProxy agent-check port of w1, then one more per worker; "
	  "0 turns the agent off", NULL },
	{ "workers.binary", CONF_STR, K(binary), 0, 1023, "",
	  "pfo3-workerd program to run; empty: the one beside pfo3-ctld",
	  NULL },
	{ "workers.log", CONF_STR, K(log), 0, 1023, "",
	  "file a local worker's output is appended to, %i is its id; empty: "
	  "pfo3-ctld's own", NULL },
	{ "workers.pid_file", CONF_STR, K(pid_file), 0, 1023, "",
	  "pid file written for each local worker, %i is its id; empty: "
	  "none", NULL },
	{ "workers.restart_min", CONF_DURATION, K(restart_min), 100, HOUR,
	  "500ms", "delay before restarting a dead worker, doubled after each "
	  "death soon after a start (duration)", NULL },
	{ "workers.restart_max", CONF_DURATION, K(restart_max), 100, HOUR,
	  "30s", "longest delay before restarting a dead worker (duration)",
	  NULL },

	/* console: pfo3-console, the operator console */
	{ "console.interval", CONF_DURATION, O(interval), 250, 60 * SEC,
	  "1s", "time between the status refreshes the console asks of "
	  "pfo3-ctld; + and - change it while it runs (duration)", NULL },
	{ "console.queue_warn", CONF_INT, O(queue_warn), 1, INT64_C(1) << 40,
	  "100", "ready messages in a queue shown as a warning (count)",
	  NULL },
	{ "console.queue_crit", CONF_INT, O(queue_crit), 1, INT64_C(1) << 40,
	  "1000", "ready messages in a queue shown as critical (count)",
	  NULL },

	/* storage: the reconciler of S3 objects and their rows */
	{ "storage.reconcile_interval", CONF_DURATION, G(reconcile_interval),
	  0, 24 * HOUR, "10m", "time between runs of the workers' storage "
	  "reconciler, one worker at a time; 0 turns it off (duration)",
	  NULL },
	{ "storage.stale_after", CONF_DURATION, G(stale_after), 0, 30 * 24 *
	  HOUR, "1h", "age after which a reserved S3 key whose row never "
	  "committed, or a multipart upload, is a leak; must exceed the "
	  "longest upload (duration)", NULL },
	{ "storage.lifecycle_days", CONF_INT, G(lifecycle_days), 0, 365, "1",
	  "days after which the bucket's lifecycle rule aborts unfinished "
	  "multipart uploads, set by the workers where S3 supports it and "
	  "the bucket has no lifecycle yet; 0: never set (count)", NULL },

	{ "log.level", CONF_STR, L(level), 1, 5, "info",
	  "least severe level logged: error, warn, info or debug",
	  "error|warn|info|debug" },
	{ "log.file", CONF_STR, L(file), 0, 1023, "",
	  "log file path; empty: stderr in the foreground, else syslog",
	  NULL },

	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};
