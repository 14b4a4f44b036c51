/*
 * depsd.h — pfo3-ctld-deps, the process that holds pfo3-ctld's clients of
 * PostgreSQL, S3 and RabbitMQ (depsd.c); pfo3-ctld's side of the link is
 * daemons/ctld/depslink.c.
 *
 * Why a process: those clients map libpq, libcurl and librabbitmq, and
 * with them OpenSSL, GnuTLS, Kerberos and LDAP, whose relocated data and
 * start-up state alone are about 1.4 MiB of a process's own memory.
 * pfo3-ctld itself, the supervisor of the workers, then links only
 * libevent, jansson and libconfig (about 0.2 MiB of its own), and a
 * dependency client that crashes takes down only its process, which
 * pfo3-ctld starts again while showing the dependencies as unknown.
 *
 * The protocol: JSON lines on a socket, pfo3-ctld-deps's standard input
 * and output.
 *   pfo3-ctld-deps → pfo3-ctld, four times per ctld.interval:
 *     {"deps":{…as probe_json, postgres with "connections"…},
 *      "queues":[…as deps_queues…], "jobs_queued":N,
 *      "beats":[{"id":"w1","stats":{…},"age_ms":N},…]}
 *   pfo3-ctld → pfo3-ctld-deps, one at a time:
 *     {"storage":{"repair":B,"strangers":B,"stale_after_ms":N}}
 *   answered by {"storage":{"reply":{…}}} or {"storage":{"error":"…"}};
 *     {"log_level":"debug"} (log.level of pfo3-ctld), not answered.
 */
#ifndef PFO3_DEPSD_H
#define PFO3_DEPSD_H

#include <jansson.h>

struct bufferevent;
struct event_base;
struct pfo3_conf;
struct depsd_storage;

/*
 * depsd-storage.c: starts the run `req` asks for on a thread; its answer
 * goes to `link` when it ends, and *slot is set meanwhile (NULL again at
 * the end).  A run that cannot start is answered at once.
 */
void	depsd_storage_start(struct depsd_storage **slot,
	    const struct pfo3_conf *conf, const json_t *req,
	    struct event_base *base, struct bufferevent *link);
/* Waits for the run under way, if any, without answering. */
void	depsd_storage_end(struct depsd_storage **slot);

#endif
