/*
 * route-run.h — what happens to a parsed request on a pool (or upload)
 * thread: the connection hands over the request and its route, and gets a
 * filled response back.  The connection itself moves bytes only; every
 * policy about a request (who sends it, whether they may, which handler
 * answers, what must be given back after) is here.
 */
#ifndef PFO3_ROUTE_RUN_H
#define PFO3_ROUTE_RUN_H

struct workerd;
struct route;
struct request;
struct response;

/* The seed protocol's one route: its JSON object is a task (seed.c). */
extern const struct route route_seed;

/*
 * Runs `route` for `req` into `resp`, on the calling pool thread:
 *   1. authentication, when the route needs it: the Bearer token gives
 *      req->user_id, or the answer is 401 (or 503, database down);
 *   2. for a ROUTE_STREAM route, the user's share of the upload threads
 *      (uploads.max_per_user): 429 when it is taken;
 *   3. the handler;
 *   4. route_release(), whatever the handler did.
 */
void	route_run(struct workerd *w, const struct route *route,
	    struct request *req, struct response *resp);

/*
 * Gives back what a request may leave held by the calling thread, so its
 * next request starts clean: today the thread's database session (a
 * transaction a failed handler left open is rolled back).  Resources a
 * pool thread keeps across requests on purpose (its warm S3 and broker
 * connections, tres.h) are not released.
 */
void	route_release(void);

#endif
