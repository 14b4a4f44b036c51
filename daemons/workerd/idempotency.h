/*
 * idempotency.h — the Idempotency-Key header of requests that create work
 * (POST /api/v1/reports, POST /api/v1/tasks with "async", POST
 * /api/v1/files, PUT /api/v1/me/photo).
 *
 * A client that does not know whether its request ran (the connection
 * broke before the answer) sends it again with the same key.  Within
 * idempotency.ttl, a key of the same scope (the user, or the client
 * address without a token):
 *
 *   - for the same request (method, target and body: its fingerprint)
 *     that was answered 2xx, gets that answer again, with the header
 *     Idempotent-Replayed: true, and nothing runs;
 *   - for the same request still running, gets 409 with Retry-After;
 *   - for another request, gets 422.
 *
 * The key's row (migration 005) is written before the handler does
 * anything, while an advisory lock on the key is held on the thread's own
 * PostgreSQL session: two requests with one key can never both run, and a
 * request whose worker died leaves a row whose lock is gone with its
 * session, so the next try with the key runs it again.  What such a rerun
 * may repeat is bounded by the handlers: a job or an uploaded file carries
 * the key (idem_dedup_key, jobs.dedup_key, files.dedup_key), so it is found
 * rather than made again.
 *
 * Only 2xx answers are stored: any other answer means the request made
 * nothing, so the key is released for another try.  A request without
 * the header behaves as before.  idem_begin and idem_end must run on the
 * same thread (the lock is that thread's session's).
 */
#ifndef PFO3_IDEMPOTENCY_H
#define PFO3_IDEMPOTENCY_H

#include <stdint.h>

struct workerd;
struct request;
struct response;

#define IDEM_HEADER		"Idempotency-Key"
#define IDEM_MAX_KEY		255
#define IDEM_MAX_SCOPE		80

struct idem {
	int	 active;		/* a key was sent and its row is ours */
	char	 scope[IDEM_MAX_SCOPE];
	char	 key[IDEM_MAX_KEY + 1];
	char	 since[32];		/* the row's creation, µs since 1970 */
};

/*
 * Looks at the request's Idempotency-Key.  Returns 0 when the handler
 * runs (idem->active says whether the key must be closed with idem_end),
 * or 1 after answering: 400 (malformed key), 409 (the key's request is
 * running), 422 (the key was used for another request), the stored
 * answer (a replay), or 503 (database unavailable).  `upload`: the body
 * is not read yet, so the fingerprint takes its length and media type
 * instead of its bytes.  `user`: the authenticated user the key belongs
 * to, or 0 for an anonymous client (the key is then scoped by its address).
 */
int	idem_begin(struct workerd *w, const struct request *req, int64_t user,
	    int upload, struct idem *idem, struct response *resp);

/* Stores the handler's answer if 2xx (else forgets the key), and releases
 * the key's lock.  Does nothing when !idem->active. */
void	idem_end(struct workerd *w, struct idem *idem,
	    const struct response *resp);

/*
 * The jobs.dedup_key of the job a request makes, "<type> <scope> <key>
 * <since>" (NULL without a key), malloc'd: the same request run again
 * after a crash names the same job, while a key reused once expired names
 * a new one.
 */
char	*idem_dedup_key(const struct idem *idem, const char *type);

/* Deletes the expired keys (the sweeper); 0 or -1 with *cause. */
int	idem_purge(struct workerd *w, char **cause);

#endif
