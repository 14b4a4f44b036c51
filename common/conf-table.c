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
	{ "worker.max_connections", CONF_INT, W(max_connections), 16, 1000000,
	  "4096", "open client connections (count)", NULL },
	{ "worker.max_header_size", CONF_SIZE, W(max_header_size), KiB, MiB,
	  "8K", "request line and headers, bytes; more is answered 431", NULL },
	{ "worker.max_headers", CONF_INT, W(max_headers), 8, 256, "64",
	  "header fields per request (count); more is answered 431", NULL },
	{ "worker.max_body_size", CONF_SIZE, W(max_body_size), 0, GiB, "1M",
	  "request body, bytes; more is answered 413", NULL },
	{ "worker.max_seed_size", CONF_SIZE, W(max_seed_size), 256, 16 * MiB,
	  "64K", "one seed-protocol JSON object, bytes", NULL },
	{ "worker.head_timeout", CONF_DURATION, W(head_timeout), 100, HOUR,
	  "10s", "time to receive a request line and headers (duration)",
	  NULL },
	{ "worker.body_timeout", CONF_DURATION, W(body_timeout), 100, HOUR,
	  "30s", "time to receive a request body (duration)", NULL },
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
	{ "log.level", CONF_STR, L(level), 1, 5, "info",
	  "least severe level logged: error, warn, info or debug",
	  "error|warn|info|debug" },
	{ "log.file", CONF_STR, L(file), 0, 1023, "",
	  "log file path; empty: stderr in the foreground, else syslog",
	  NULL },

	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};
