/* request.c — see request.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "respond.h"
#include "router.h"
#include "stream.h"

int
request_is_json(const struct request *req)
{
	size_t n = strlen("application/json");
	const char *ct = req->content_type;

	if (ct == NULL)
		return 1;
	return strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

json_t *
request_json(const struct request *req, struct response *resp)
{
	json_error_t jerr;
	json_t *obj;

	if (!request_is_json(req)) {
		response_error(resp, 415, "Content-Type must be application/json");
		return NULL;
	}
	obj = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		response_error(resp, 400, "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		response_error(resp, 400, "the body must be a JSON object");
		return NULL;
	}
	return obj;
}

ssize_t
request_read(const struct request *req, void *buf, size_t len, int *status,
    const char **cause)
{
	if (req->body_stream == NULL) {
		/* A whole body already read (tests call handlers this way). */
		*status = 500;
		*cause = "the route does not stream its body";
		return -1;
	}
	return stream_read(req->body_stream, buf, len, status, cause);
}

int
request_query(const struct request *req, const char *name, char *buf,
    size_t len)
{
	const char *p = req->query, *end, *eq;
	size_t nlen = strlen(name), vlen;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			vlen = (size_t)(end - eq - 1);
			if (vlen >= len)
				vlen = len - 1;
			memcpy(buf, eq + 1, vlen);
			buf[vlen] = '\0';
			return 1;
		}
		p = *end == '&' ? end + 1 : end;
	}
	return 0;
}

int
request_query_int(const struct request *req, struct response *resp,
    const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	char buf[32], *end;
	long long v;

	if (!request_query(req, name, buf, sizeof buf)) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		response_error(resp, 400, "query parameter '%s' must be an "
		    "integer from %lld to %lld", name, (long long)min,
		    (long long)max);
		return -1;
	}
	*out = v;
	return 0;
}
