/*
 * auth.c — see auth.h.  This file checks the Bearer token of requests;
 * passwords are in auth-password.c, tokens in auth-token.c, the failed-login
 * limit in auth-limit.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "auth.h"
#include "auth-int.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "respond.h"
#include "router.h"
#include "users-db.h"
#include "workerd.h"

/* Accepts the worker before its pool starts. */
void
auth_init(struct workerd *w)
{
	auth_password_init(w->conf.auth.max_hashing);
}

/* Accepts the request of any route; `hash` is filled only on 1. */
int
auth_request_token(const struct request *req, char hash[AUTH_HASH_PARAM_LEN])
{
	static const char scheme[] = "Bearer";
	const size_t slen = sizeof scheme - 1;
	const struct http_header *h;
	const char *p, *end;

	if (req->http == NULL ||
	    (h = http_header_find(req->http, "Authorization")) == NULL)
		return 0;
	p = h->value;
	end = h->value + h->value_len;
	/* The scheme is case-insensitive (RFC 9110, 11.1), then 1*SP. */
	if (h->value_len <= slen || strncasecmp(p, scheme, slen) != 0 ||
	    p[slen] != ' ')
		return -1;
	for (p += slen; p < end && *p == ' '; p++)
		;
	return auth_token_hash(p, (size_t)(end - p), hash) == 0 ? 1 : -1;
}

void
auth_db_failed(struct response *resp, const char *what, char *cause)
{
	log_warnx("%s: %s", what, cause);
	free(cause);
	response_error(resp, 503, "database unavailable");
}

/* Accepts whether a token was presented at all. */
void
auth_unauthorized(struct response *resp, int presented)
{
	if (!presented) {
		response_error(resp, 401, "authentication required: send "
		    "Authorization: Bearer <token>");
		response_header(resp,
		    "WWW-Authenticate: Bearer realm=\"pfo3\"");
		return;
	}
	response_error(resp, 401, "invalid or expired token");
	response_header(resp, "WWW-Authenticate: Bearer realm=\"pfo3\", "
	    "error=\"invalid_token\"");
}

int64_t
auth_bearer(struct workerd *w, const struct request *req,
    struct response *resp)
{
	char hash[AUTH_HASH_PARAM_LEN], *cause = NULL;
	int64_t id = 0;
	int found;

	if ((found = auth_request_token(req, hash)) != 1) {
		auth_unauthorized(resp, found != 0);
		return 0;
	}
	if (users_db_session_user(w, hash, &id, &cause) == -1) {
		auth_db_failed(resp, "session lookup", cause);
		return 0;
	}
	if (id <= 0)
		auth_unauthorized(resp, 1);
	return id;
}
