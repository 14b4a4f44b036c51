/*
 * idempotency.c — see idempotency.h.
 *
 * The order of idem_begin is what makes two requests with one key unable
 * to both run: the advisory lock on the key is taken first (try-lock: a
 * second request does not wait, it is told 409), and only its holder
 * reads and writes the key's row.  The lock is the session-level
 * two-integer form, pg_try_advisory_lock(hashtext(scope), hashtext(key)),
 * whose key space is apart from the single bigint locks of jobs and
 * migrations; two different keys whose hashes collide on both halves
 * would only make one of them wait its turn (409).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "auth-int.h"
#include "db.h"
#include "http.h"
#include "idempotency.h"
#include "log.h"
#include "respond.h"
#include "router.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

#define IDEM_JSON	"application/json"

/* The request's key, checked: 1..255 visible ASCII characters.  0 with
 * no header, 1 with a key, -1 after answering 400. */
static int
idem_key(const struct request *req, char *buf, struct response *resp)
{
	const struct http_header	*h;
	size_t				 i;

	if (req->http == NULL ||
	    (h = http_header_find(req->http, IDEM_HEADER)) == NULL)
		return 0;
	if (h->value_len < 1 || h->value_len > IDEM_MAX_KEY) {
		response_error(resp, 400, IDEM_HEADER " must be 1 to %d "
		    "characters", IDEM_MAX_KEY);
		return -1;
	}
	for (i = 0; i < h->value_len; i++) {
		if ((unsigned char)h->value[i] < 0x21 ||
		    (unsigned char)h->value[i] > 0x7e) {
			response_error(resp, 400, IDEM_HEADER " must be "
			    "visible ASCII characters");
			return -1;
		}
	}
	memcpy(buf, h->value, h->value_len);
	buf[h->value_len] = '\0';
	return 1;
}

/* Adds `s` and a separator to the fingerprint. */
static void
idem_hash_str(crypto_hash_sha256_state *st, const char *s, size_t len)
{
	crypto_hash_sha256_update(st, (const unsigned char *)s, len);
	crypto_hash_sha256_update(st, (const unsigned char *)"\n", 1);
}

/*
 * The request's fingerprint as 64 hex digits: the method, the target and
 * the body, or for an upload (whose body is not read yet) its length and
 * media type without parameters (a form's boundary changes between
 * tries of one upload).
 */
static void
idem_fingerprint(const struct request *req, int upload, char hex[65])
{
	crypto_hash_sha256_state	 st;
	unsigned char			 md[crypto_hash_sha256_BYTES];
	const char			*ct;
	char				 line[64];
	size_t				 n;

	crypto_hash_sha256_init(&st);
	idem_hash_str(&st, req->http->method, req->http->method_len);
	idem_hash_str(&st, req->path, strlen(req->path));
	idem_hash_str(&st, req->query != NULL ? req->query : "",
	    req->query != NULL ? strlen(req->query) : 0);
	if (upload) {
		snprintf(line, sizeof line, "%" PRId64, req->body_length);
		idem_hash_str(&st, line, strlen(line));
		ct = req->content_type != NULL ? req->content_type : "";
		n = strcspn(ct, "; \t");
		idem_hash_str(&st, ct, n);
	} else
		crypto_hash_sha256_update(&st, (const unsigned char *)req->body,
		    req->body_len);
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, 65, md, sizeof md);
}

/* Releases the key's lock; a session that may still hold it is closed. */
static void
idem_unlock(struct workerd *w, const struct idem *idem)
{
	const char	*params[2] = { idem->scope, idem->key };
	PGresult	*res;
	char		*cause = NULL;

	res = tres_db_exec(w, "SELECT pg_advisory_unlock("
	    "hashtext($1), hashtext($2))", 2, params, &cause);
	if (res == NULL) {
		log_warnx("idempotency key %s: cannot release its lock (%s): "
		    "closing the database session", idem->key, cause);
		free(cause);
		db_close();
		return;
	}
	PQclear(res);
}

/* Answers 503 for a database that failed. */
static void
idem_unavailable(struct workerd *w, struct response *resp, char *cause)
{
	log_warnx("idempotency key: %s", cause);
	free(cause);
	response_error(resp, 503, "database unavailable");
	response_header(resp, "Retry-After: %lld",
	    (long long)w->conf.worker.retry_after);
}

/* Answers the stored response of row 0 of `res` again. */
static void
idem_replay(struct response *resp, PGresult *res)
{
	const char	*headers = PQgetvalue(res, 0, 4);
	const char	*line, *end;

	response_body(resp, atoi(PQgetvalue(res, 0, 2)), IDEM_JSON,
	    xstrdup(PQgetvalue(res, 0, 5)),
	    (size_t)PQgetlength(res, 0, 5));
	for (line = headers; *line != '\0'; line = end + 2) {
		if ((end = strstr(line, "\r\n")) == NULL)
			break;
		response_header(resp, "%.*s", (int)(end - line), line);
	}
	response_header(resp, "Idempotent-Replayed: true");
}

/*
 * With the lock held: a fresh row for the key (none, or an expired one),
 * or the state of the one there.  0 to run the handler, 1 answered.
 */
static int
idem_claim(struct workerd *w, struct idem *idem, const char *fp,
    struct response *resp)
{
	const char			*params[4];
	PGresult			*res;
	char				 ttl[32], *cause = NULL;

	params[0] = idem->scope;
	params[1] = idem->key;
	res = tres_db_exec(w, "SELECT fingerprint, state, status, content_type, "
	    "coalesce(headers, ''), coalesce(body, ''), "
	    "(extract(epoch FROM created_at) * 1000000)::bigint "
	    "FROM idempotency_keys WHERE scope = $1 AND key = $2 AND "
	    "expires_at > now()", 2, params, &cause);
	if (res == NULL) {
		idem_unavailable(w, resp, cause);
		return 1;
	}
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), fp) != 0)
			response_error(resp, 422, "this " IDEM_HEADER " was "
			    "used for another request");
		else if (strcmp(PQgetvalue(res, 0, 1), "done") == 0)
			idem_replay(resp, res);
		else {
			/* Running, and nobody holds its lock: the session of
			 * its request is gone (a crashed worker).  Run it
			 * again; its job, if it made one, is found by key. */
			snprintf(idem->since, sizeof idem->since, "%s",
			    PQgetvalue(res, 0, 6));
			log_info("idempotency key %s of %s: its request did "
			    "not finish: running it again", idem->key,
			    idem->scope);
			PQclear(res);
			return 0;
		}
		PQclear(res);
		return 1;
	}
	PQclear(res);

	snprintf(ttl, sizeof ttl, "%lld", (long long)w->conf.idempotency.ttl);
	params[2] = fp;
	params[3] = ttl;
	res = tres_db_exec(w, "INSERT INTO idempotency_keys (scope, key, "
	    "fingerprint, expires_at) VALUES ($1, $2, $3, now() + "
	    "$4::bigint * interval '1 millisecond') ON CONFLICT (scope, key) "
	    "DO UPDATE SET fingerprint = excluded.fingerprint, state = "
	    "'running', status = NULL, content_type = NULL, headers = NULL, "
	    "body = NULL, created_at = now(), expires_at = excluded.expires_at "
	    "RETURNING (extract(epoch FROM created_at) * 1000000)::bigint",
	    4, params, &cause);
	if (res == NULL) {
		idem_unavailable(w, resp, cause);
		return 1;
	}
	snprintf(idem->since, sizeof idem->since, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int
idem_begin(struct workerd *w, const struct request *req, int64_t user,
    int upload,
    struct idem *idem, struct response *resp)
{
	const char	*params[2];
	PGresult	*res;
	char		 fp[65], addr[64], *cause = NULL;
	int		 got;

	memset(idem, 0, sizeof *idem);
	if ((got = idem_key(req, idem->key, resp)) <= 0)
		return got == 0 ? 0 : 1;
	if (user > 0)
		snprintf(idem->scope, sizeof idem->scope, "u:%" PRId64, user);
	else {
		auth_client_addr(req, addr, sizeof addr);
		snprintf(idem->scope, sizeof idem->scope, "a:%s", addr);
	}
	idem_fingerprint(req, upload, fp);

	params[0] = idem->scope;
	params[1] = idem->key;
	res = tres_db_exec_retry(w, "SELECT pg_try_advisory_lock("
	    "hashtext($1), hashtext($2))", 2, params, &cause);
	if (res == NULL) {
		idem_unavailable(w, resp, cause);
		return 1;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!got) {
		response_error(resp, 409, "a request with this " IDEM_HEADER
		    " is still running");
		response_header(resp, "Retry-After: 1");
		return 1;
	}
	if (idem_claim(w, idem, fp, resp) != 0) {
		idem_unlock(w, idem);
		return 1;
	}
	idem->active = 1;
	return 0;
}

void
idem_end(struct workerd *w, struct idem *idem, const struct response *resp)
{
	const char	*params[6];
	PGresult	*res;
	char		 status[16], *body, *cause = NULL;

	if (!idem->active)
		return;
	idem->active = 0;
	params[0] = idem->scope;
	params[1] = idem->key;
	if (resp->status >= 200 && resp->status <= 299 && !resp->streaming &&
	    resp->content_type != NULL &&
	    strcmp(resp->content_type, IDEM_JSON) == 0) {
		snprintf(status, sizeof status, "%d", resp->status);
		body = xmalloc(resp->body_len + 1);
		if (resp->body_len > 0)
			memcpy(body, resp->body, resp->body_len);
		body[resp->body_len] = '\0';
		params[2] = status;
		params[3] = IDEM_JSON;
		params[4] = resp->headers != NULL ? resp->headers : "";
		params[5] = body;
		res = tres_db_exec_retry(w, "UPDATE "
		    "idempotency_keys SET state = 'done', status = $3::int, "
		    "content_type = $4, headers = $5, body = $6 WHERE scope = "
		    "$1 AND key = $2", 6, params, &cause);
		free(body);
	} else
		/* Nothing was made: the key may be tried again. */
		res = tres_db_exec_retry(w, "DELETE FROM "
		    "idempotency_keys WHERE scope = $1 AND key = $2", 2, params,
		    &cause);
	if (res == NULL) {
		/* The row stays 'running' without a lock: the next try
		 * with the key runs the request again (idem_claim). */
		log_warnx("idempotency key %s of %s: cannot record the "
		    "answer: %s", idem->key, idem->scope, cause);
		free(cause);
	} else
		PQclear(res);
	idem_unlock(w, idem);
}

char *
idem_dedup_key(const struct idem *idem, const char *type)
{
	if (!idem->active)
		return NULL;
	return xasprintf("%s %s %s %s", type, idem->scope, idem->key,
	    idem->since);
}

int
idem_purge(struct workerd *w, char **cause)
{
	PGresult	*res;
	long		 n;

	/* A request that outlived idempotency.ttl loses its row here; its
	 * idem_end then records nothing, which costs only the replay. */
	res = tres_db_exec(w, "DELETE FROM idempotency_keys WHERE "
	    "expires_at <= now()", 0, NULL, cause);
	if (res == NULL)
		return -1;
	n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (n > 0)
		log_debug("idempotency: %ld expired keys deleted", n);
	return 0;
}
