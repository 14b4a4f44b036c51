/*
 * conf.h — pfo3.conf, parsed into typed structs.
 *
 * Every key of the file is one row of conf_options[] (conf-table.c): its
 * dotted name, type, bounds, default and help.  Defaults, bounds checks,
 * command-line overrides, `-n` and the pfo3.conf(5) page all come from that
 * table.  libconfig is only the tokenizer: values are copied out into
 * struct pfo3_conf, which daemons read without locks (libconfig is not
 * thread-safe, and a reload swaps whole structs).
 */
#ifndef PFO3_CONF_H
#define PFO3_CONF_H

#include <stddef.h>
#include <stdint.h>

enum conf_type {
	CONF_STR,		/* string; bounds are on its length */
	CONF_INT,		/* integer */
	CONF_SIZE,		/* bytes: integer or "64K", "100M", "1G" (powers of 1024) */
	CONF_DURATION,		/* milliseconds: integer seconds or "500ms", "10s", "2m", "1h" */
	CONF_BOOL,		/* true/false, stored as int64_t 1/0 */
};

struct conf_option {
	const char	*name;		/* "worker.threads" */
	enum conf_type	 type;
	size_t		 offset;	/* into struct pfo3_conf */
	int64_t		 min;		/* inclusive; for CONF_STR: min length */
	int64_t		 max;		/* inclusive; for CONF_STR: max length */
	const char	*def;		/* default, written as in the file */
	const char	*help;		/* one line for --help, man page, errors */
	const char	*choices;	/* CONF_STR: "a|b|c" allowed values, or NULL */
};

struct conf_worker {
	char	*id;			/* worker name, also in every task reply */
	char	*listen;		/* ADDR:PORT, HTTP and the seed protocol */
	char	*control;		/* control socket path; "%i" becomes id */
	char	*agent_listen;		/* ADDR:PORT for HAProxy agent-check; "" = off */
	int64_t	 threads;		/* pool threads */
	int64_t	 queue;			/* pool queue capacity */
	int64_t	 loop_watch;		/* ms: evloop.h */
	int64_t	 max_connections;	/* open client connections */
	int64_t	 max_header_size;	/* request line + headers, bytes (→ 431) */
	int64_t	 max_headers;		/* header fields per request (→ 431) */
	int64_t	 max_body_size;		/* request body, bytes (→ 413) */
	int64_t	 stream_buffer;		/* bytes in flight of a streamed body */
	int64_t	 max_seed_size;		/* one seed-protocol JSON object, bytes */
	int64_t	 head_timeout;		/* ms to receive a request head */
	int64_t	 body_timeout;		/* ms to receive a whole request body */
	int64_t	 keepalive_timeout;	/* ms an idle keep-alive connection stays */
	int64_t	 write_timeout;		/* ms to send a response */
	int64_t	 linger_timeout;	/* ms to discard input after an error */
	int64_t	 linger_max;		/* bytes discarded after an error */
	int64_t	 shutdown_timeout;	/* ms SIGTERM waits for in-flight work */
	int64_t	 retry_after;		/* seconds in Retry-After of a 503 */
	int64_t	 job_threads;		/* pool threads that may run jobs */
	int64_t	 probe_interval;	/* ms between dependency probes */
	int64_t	 heartbeat;		/* ms between stats heartbeats; 0 off */
	int64_t	 body_min_rate;		/* body bytes/s over the window; 0 off */
	int64_t	 body_rate_window;	/* ms over which the rate is averaged */
	int64_t	 probe_timeout;		/* ms a probe may take: then "down" */
};

struct conf_tasks {
	int64_t	 max_sleep;		/* ms: longest `sleep` task */
	int64_t	 max_factorial;		/* largest n for `factorial` */
	int64_t	 max_fibonacci;		/* largest n for `fibonacci` */
	int64_t	 max_digits;		/* longest exact integer result, digits */
	int64_t	 max_text;		/* bytes of text for text operations */
};

struct conf_control {
	int64_t	 max_line;		/* longest request line, bytes */
	int64_t	 max_clients;		/* simultaneous control connections */
};

struct conf_postgres {
	char	*conninfo;		/* libpq connection string */
	int64_t	 connect_timeout;	/* ms */
	int64_t	 statement_timeout;	/* ms */
	char	*migrations;		/* folder of numbered .sql files; "": installed */
	int64_t	 query_timeout;		/* ms the client waits for one statement */
	int64_t	 tcp_user_timeout;	/* ms unacknowledged data may wait */
	int64_t	 keepalive_idle;	/* ms of silence before keepalives */
	int64_t	 keepalive_interval;	/* ms between keepalives */
	int64_t	 keepalive_count;	/* keepalives lost: the link is dead */
};

struct conf_amqp {
	char	*url;			/* amqp://user:pass@host:port/vhost */
	char	*queue_type;		/* classic|quorum */
	int64_t	 prefetch;		/* unacked deliveries per consumer */
	int64_t	 heartbeat;		/* ms */
	int64_t	 rpc_timeout;		/* ms for a broker round trip */
	int64_t	 confirm_timeout;	/* ms for a publisher confirm */
	int64_t	 max_retries;		/* attempts before dead-lettering */
	int64_t	 retry_delay;		/* ms before the first retry */
	int64_t	 connect_timeout;	/* ms to open the TCP connection */
};

struct conf_s3 {
	char	*endpoint;		/* http(s)://host:port */
	char	*region;
	char	*bucket;
	int64_t	 path_style;		/* bool: bucket in the path, not the host */
	char	*access_key;		/* "" → $PFO3_S3_ACCESS_KEY */
	char	*secret_key;		/* "" → $PFO3_S3_SECRET_KEY */
	int64_t	 timeout;		/* ms for one request */
	int64_t	 part_size;		/* bytes per multipart part */
	int64_t	 retries;		/* more tries after a 5xx */
	int64_t	 connect_timeout;	/* ms to open the TCP connection */
	int64_t	 complete_timeout;	/* ms S3 may join parts in silence */
	int64_t	 single_put_max;	/* bytes of the largest single PUT */
};

struct conf_smtp {
	char	*url;			/* smtp://host:port */
	char	*from;			/* sender address */
	int64_t	 timeout;		/* ms */
	int64_t	 retry_for;		/* ms a mail is retried before failing */
	int64_t	 retry_max_interval;	/* ms between retries at most */
	int64_t	 connect_timeout;	/* ms to reach the relay's greeting */
	int64_t	 idle_timeout;		/* ms a session is kept for reuse */
};

struct conf_auth {
	int64_t	 session_ttl;		/* ms a login token lives */
	int64_t	 max_hashing;		/* password hashes computed at once */
	int64_t	 min_password;		/* characters */
	int64_t	 max_failures;		/* failed logins per account and client */
	int64_t	 failure_window;	/* ms of quiet that forgets failures */
	int64_t	 source_max_failures;	/* failed logins per client */
	int64_t	 account_max_failures;	/* failed logins per account */
	int64_t	 delay_base;		/* ms of the first block */
	int64_t	 delay_max;		/* ms of the longest block */
	int64_t	 known_source_ttl;	/* ms a client stays known to an account */
	int64_t	 register_per_source;	/* registrations per client and window */
	int64_t	 register_window;	/* ms */
};

struct conf_files {
	int64_t	 max_size;		/* bytes of one upload */
	int64_t	 max_pixels;		/* width × height of an image to thumbnail */
	int64_t	 thumbnail_max_size;	/* bytes of an image fetched to thumbnail */
	int64_t	 page_size;		/* files listed per page at most */
};

struct conf_jobs {
	int64_t	 sweep_interval;	/* ms between sweeps of unpublished jobs */
	int64_t	 max_wait;		/* ms a notification wait may last */
	char	*link_base;		/* URL prefix of links in mail */
};

struct conf_idempotency {
	int64_t	 ttl;			/* ms an Idempotency-Key is kept */
};

struct conf_ctld {
	char	*admin_socket;		/* control socket, every command */
	char	*read_socket;		/* status, watch, help, ping; "" off */
	int64_t	 interval;		/* ms between status refreshes */
	int64_t	 history;		/* samples kept, one per interval */
	int64_t	 events;		/* events kept for status */
	char	*haproxy_socket;	/* runtime API; "" = no balancer */
	char	*haproxy_backends;	/* "workers,seed" */
	char	*haproxy_server;	/* options of an added server */
	int64_t	 haproxy_timeout;	/* ms for one runtime API command */
	int64_t	 ready_timeout;		/* ms a started worker has to be ready */
	int64_t	 drain_timeout;		/* ms worker.remove waits for idle */
	int64_t	 heartbeat_timeout;	/* ms of silence: a remote is down */
	char	*rabbitmq_api;		/* management API URL; "" off */
	int64_t	 max_workers;		/* local and remote */
};

struct conf_workers {
	int64_t	 count;			/* local workers started */
	char	*address;		/* they listen on */
	int64_t	 base_port;		/* port of w1 */
	int64_t	 agent_base_port;	/* agent port of w1; 0 off */
	char	*binary;		/* pfo3-workerd; "" beside pfo3-ctld */
	char	*log;			/* output file, %i = id; "" inherit */
	char	*pid_file;		/* %i = id; "" none */
	int64_t	 restart_min;		/* ms, first restart delay */
	int64_t	 restart_max;		/* ms, longest restart delay */
};

struct conf_console {
	int64_t	 interval;		/* ms between status refreshes asked */
	int64_t	 queue_warn;		/* ready messages: a warning */
	int64_t	 queue_crit;		/* ready messages: critical */
};

struct conf_storage {
	int64_t	 reconcile_interval;	/* ms between reconciler runs; 0 off */
	int64_t	 stale_after;		/* ms after which a reservation is stale */
	int64_t	 lifecycle_days;	/* abort-incomplete-upload rule; 0 off */
};

struct conf_uploads {
	int64_t	 max_per_worker;	/* streamed uploads at once (→ 503) */
	int64_t	 max_per_user;		/* of one user on a worker (→ 429) */
};

struct conf_log {
	char	*level;			/* error|warn|info|debug */
	char	*file;			/* "" = stderr in foreground, else syslog */
};

struct pfo3_conf {
	struct conf_worker	worker;
	struct conf_tasks	tasks;
	struct conf_control	control;
	struct conf_postgres	postgres;
	struct conf_amqp	amqp;
	struct conf_s3		s3;
	struct conf_smtp	smtp;
	struct conf_auth	auth;
	struct conf_files	files;
	struct conf_jobs	jobs;
	struct conf_ctld	ctld;
	struct conf_workers	workers;
	struct conf_console	console;
	struct conf_storage	storage;
	struct conf_log		log;
	struct conf_idempotency	idempotency;
	struct conf_uploads	uploads;
};

extern const struct conf_option conf_options[];	/* NULL-name terminated */

/* Fills `c` with the defaults of conf_options[].  Never fails. */
void	conf_defaults(struct pfo3_conf *c);
/*
 * Reads `path` over the current values of `c`.  On error returns -1 and sets
 * *cause to every problem found, one per line, each "file:line: message"
 * (unknown key, wrong type, out of range, syntax error, missing file).
 * `c` keeps its previous values for keys that failed.
 */
int	conf_load(struct pfo3_conf *c, const char *path, char **cause);
/* Sets one option from text, as from the command line ("worker.threads",
 * "8"), with the same parsing and bounds as the file. */
int	conf_set(struct pfo3_conf *c, const char *name, const char *value,
	    char **cause);
/* Finds an option by dotted name; NULL when unknown. */
const struct conf_option *conf_find(const char *name);
/* Frees the strings inside `c` (not `c` itself). */
void	conf_free(struct pfo3_conf *c);

/* Value parsers shared with the command line; -1 and *cause on error. */
int	conf_parse_size(const char *text, int64_t *out, char **cause);
int	conf_parse_duration(const char *text, int64_t *out_ms, char **cause);
int	conf_parse_int(const char *text, int64_t *out, char **cause);
int	conf_parse_bool(const char *text, int *out, char **cause);
/* A copy of `tmpl` with every "%i" replaced by `id`: the per-worker paths
 * of the configuration (worker.control, workers.log, workers.pid_file). */
char	*conf_expand_id(const char *tmpl, const char *id);

#endif
