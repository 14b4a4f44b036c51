/*
 * request.h — reading what a handler needs out of a request: a JSON body,
 * query parameters.  Each helper answers the client itself (400, 415)
 * when the request is unusable, so handlers stay about their own meaning.
 */
#ifndef PFO3_REQUEST_H
#define PFO3_REQUEST_H

#include <stdint.h>

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
/* The raw value of query parameter `name` (not decoded), copied into
 * buf; 1 when present. */
int	 request_query(const struct request *req, const char *name, char *buf,
	    size_t len);

#endif
