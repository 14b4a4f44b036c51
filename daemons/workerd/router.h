/*
 * router.h — the worker's routes: one table of method, path, where the
 * handler runs (the event thread for cheap answers that must never wait
 * behind busy pool threads, the pool for anything that may block) and the
 * handler.
 */
#ifndef PFO3_ROUTER_H
#define PFO3_ROUTER_H

#include <stddef.h>

#include <jansson.h>

struct workerd;
struct response;
struct http_request;
struct stream;

#include <stdint.h>

#define ROUTER_MAX_IDS	2
/* An {id} is 1 to 18 digits: every such number fits an int64. */
#define ROUTER_ID_DIGITS	18
/* The longest Allow list: every method once, HEAD with GET. */
#define ROUTER_ALLOW_MAX	64

/* What a handler sees of a request. */
struct request {
	const struct http_request *http;
	const char	*path;		/* NUL-terminated copy */
	const char	*query;		/* NUL-terminated copy, or NULL */
	const char	*body;		/* decoded body (may hold NULs) */
	size_t		 body_len;
	/* ROUTE_STREAM: the body arrives through request_read() instead. */
	struct stream	*body_stream;
	int64_t		 body_length;	/* its Content-Length, -1 chunked */
	const char	*content_type;	/* NUL-terminated copy, or NULL */
	const char	*peer;		/* client address, "ip:port" */
	int64_t		 ids[ROUTER_MAX_IDS];	/* the {id} segments, in order */
	int		 nids;
	int64_t		 user_id;	/* the authenticated user, or 0 */
	/* A request run again after it parked (response_park): the
	 * monotonic ms it may wait until; 0 on its first run. */
	int64_t		 wait_until_ms;
};

typedef void (*route_fn)(struct workerd *w, const struct request *req,
	    struct response *resp);

/*
 * ROUTE_STREAM handlers run on the pool as soon as the head is read and
 * pull the body (up to files.max_size) while it arrives, so an upload of
 * any size holds only worker.stream_buffer bytes.
 */
enum route_where { ROUTE_INLINE, ROUTE_POOL, ROUTE_STREAM };

struct route {
	const char	*method;	/* GET also answers HEAD */
	const char	*path;		/* "{id}" matches a positive integer */
	enum route_where where;
	int		 auth;		/* needs a valid Bearer token */
	route_fn	 fn;
	/*
	 * The dependencies it cannot answer without (PROBE_BIT()s): while
	 * one of them failed its last probe, router_gate answers 503 at
	 * once instead of letting the handler wait on it.  Routes that need
	 * nothing (compute tasks, the probes) keep working whatever is down.
	 */
	unsigned	 needs;
};

/*
 * Finds the route for a method and path, filling ids[] with the path's
 * {id} segments.  NULL when none: *status is 404, or 405 with `allow`
 * (ROUTER_ALLOW_MAX bytes) listing every method the path accepts, in
 * table order ("GET, HEAD, DELETE"), for the 405's Allow header.
 */
const struct route *router_match(const char *method, size_t method_len,
	    const char *path, int64_t *ids, int *nids, int *status,
	    char *allow);
/*
 * Answers 503 {"error":"<dep> unavailable: …"} with Retry-After into
 * `resp` and returns 1 when a dependency of `needs` (PROBE_BIT()s) failed
 * its last probe; 0 when the request may go on.  For the conn layer
 * (route->needs, before the handler) and handlers whose needs depend on
 * the request (an async task needs PostgreSQL, a sync one nothing).
 */
int	router_gate(struct workerd *w, unsigned needs, struct response *resp);
/* Registers every route's metric label; returns the "other" label's index. */
int	router_register_metrics(struct workerd *w);
/* The metric index of a route (or of "other" when NULL). */
int	router_metric_index(const struct route *r);

/* Handlers (h-*.c). */
void	h_healthz(struct workerd *, const struct request *, struct response *);
void	h_readyz(struct workerd *, const struct request *, struct response *);
void	h_metrics(struct workerd *, const struct request *, struct response *);
void	h_tasks(struct workerd *, const struct request *, struct response *);
/* h-users.c: accounts and sessions. */
void	h_users_create(struct workerd *, const struct request *,
	    struct response *);
void	h_login(struct workerd *, const struct request *, struct response *);
void	h_logout(struct workerd *, const struct request *, struct response *);
void	h_me(struct workerd *, const struct request *, struct response *);
/* h-jobs.c: background jobs. */
void	h_jobs_get(struct workerd *, const struct request *, struct response *);
/* h-reports.c: monthly PDF reports; h-notifications.c. */
void	h_reports_create(struct workerd *, const struct request *,
	    struct response *);
void	h_reports_pdf(struct workerd *, const struct request *,
	    struct response *);
void	h_notifications(struct workerd *, const struct request *,
	    struct response *);
/* h-files.c, h-upload.c: uploaded files. */
void	h_files_upload(struct workerd *, const struct request *,
	    struct response *);
void	h_me_photo(struct workerd *, const struct request *, struct response *);
void	h_files_list(struct workerd *, const struct request *,
	    struct response *);
void	h_files_get(struct workerd *, const struct request *,
	    struct response *);
void	h_files_delete(struct workerd *, const struct request *,
	    struct response *);
void	h_files_content(struct workerd *, const struct request *,
	    struct response *);
void	h_files_thumbnail(struct workerd *, const struct request *,
	    struct response *);
/* Runs a parsed seed task (h-tasks.c), shared by HTTP and the raw protocol. */
json_t	*tasks_execute(struct workerd *w, const json_t *task, int *status);

#endif
