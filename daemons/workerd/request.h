/*
 * request.h — reading what a handler needs out of a request: a JSON body,
 * query parameters.  Each helper answers the client itself (400, 415)
 * when the request is unusable, so handlers stay about their own meaning.
 */
#ifndef PFO3_REQUEST_H
#define PFO3_REQUEST_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct request;
struct response;

/*
 * The body as a JSON object.  NULL after answering 415 (Content-Type not
 * application/json) or 400 (not JSON, not an object, duplicate keys).
 */
json_t	*request_json(const struct request *req, struct response *resp);
/* 1 when the Content-Type is absent or application/json. */
int	 request_is_json(const struct request *req);
/*
 * The query parameter `name` as an integer in [min, max], or `def` when
 * absent.  -1 after answering 400 for a malformed or out-of-range value.
 */
int	 request_query_int(const struct request *req, struct response *resp,
	    const char *name, int64_t def, int64_t min, int64_t max,
	    int64_t *out);
/*
 * ROUTE_STREAM handlers: reads up to `len` bytes of the body, blocking
 * until they arrive.  Returns their number, 0 at the end of the body, or
 * -1 with *status (400, 408, 413) and *cause (borrowed) when the body
 * failed: the client went away, was too slow, or sent too much.
 */
ssize_t	 request_read(const struct request *req, void *buf, size_t len,
	    int *status, const char **cause);
/* The raw value of query parameter `name` (not decoded), copied into
 * buf; 1 when present. */
int	 request_query(const struct request *req, const char *name, char *buf,
	    size_t len);

#endif
