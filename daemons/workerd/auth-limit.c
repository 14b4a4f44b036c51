/*
 * auth-limit.c — the limit on failed logins.
 *
 * Every failed login leaves two rows in login_failures: one for the
 * account's address ("email:<lowercased>") and one for the client's IP
 * address ("ip:<address>").  A login is refused without checking its
 * password while either key has reached its limit within
 * auth.failure_window: auth.max_failures for an account (guessing one
 * account's password), AUTH_ADDR_FAILURES_FACTOR times that for a client
 * (spraying many accounts from one place).  The rows live in PostgreSQL,
 * not in the worker, so the limit holds across every worker behind the
 * load balancer.  A refused login adds no row, so a key never holds many
 * more rows than its limit.
 *
 * The check and the insert are separate statements: concurrent attempts
 * may overshoot the limit by the number of attempts in flight, which is
 * bounded by the pool and the hashing bound.
 */
#include <arpa/inet.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "auth-int.h"
#include "clock.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "router.h"
#include "workerd.h"

/* How often (at most) one worker purges expired rows. */
#define AUTH_PURGE_MS	60000

static _Atomic int64_t auth_purge_next;

/* 1 when `s` is a textual IPv4 or IPv6 address. */
static int
auth_is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * The last element of the last X-Forwarded-For field, copied into buf:
 * the hop the load balancer appended, whatever the client sent before it.
 * 0 when there is none or it is not an address.
 */
static int
auth_forwarded_for(const struct http_request *http, char *buf, size_t len)
{
	const struct http_header *h = NULL;
	const char *start, *end;
	size_t i;

	for (i = 0; i < http->nheaders; i++) {
		if (http->headers[i].name_len == strlen("X-Forwarded-For") &&
		    strncasecmp(http->headers[i].name, "X-Forwarded-For",
		    http->headers[i].name_len) == 0)
			h = &http->headers[i];
	}
	if (h == NULL)
		return 0;
	end = h->value + h->value_len;
	for (start = end; start > h->value && start[-1] != ','; start--)
		;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (start == end || (size_t)(end - start) >= len)
		return 0;
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
	return auth_is_ip(buf);
}

/* Accepts any request; `len` should hold an IPv6 address (46 bytes). */
void
auth_client_addr(const struct request *req, char *buf, size_t len)
{
	const char *colon;
	size_t n;

	/* The peer is "ip:port" (an IPv6 address without brackets). */
	colon = strrchr(req->peer, ':');
	n = colon != NULL ? (size_t)(colon - req->peer) : strlen(req->peer);
	if (n >= len)
		n = len - 1;
	memcpy(buf, req->peer, n);
	buf[n] = '\0';

	/*
	 * The load balancer runs on this host and adds the client's address
	 * (`option forwardfor`).  A remote peer's header is not trusted: it
	 * could name any address to dodge the limit.
	 */
	if ((strcmp(buf, "127.0.0.1") == 0 || strcmp(buf, "::1") == 0) &&
	    req->http != NULL) {
		char fwd[64];

		if (auth_forwarded_for(req->http, fwd, sizeof fwd) &&
		    strlen(fwd) < len)
			strcpy(buf, fwd);
	}
}

int
auth_limit_check(struct workerd *w, const char *email, const char *addr,
    int64_t *retry_after, char **cause)
{
	const struct conf_auth *a = &w->conf.auth;
	char window[32], email_max[32], addr_max[32];
	const char *params[5] = { email, addr, window, email_max, addr_max };
	PGresult *res;
	int64_t v;
	int i, n;

	snprintf(window, sizeof window, "%lld", (long long)a->failure_window);
	snprintf(email_max, sizeof email_max, "%lld",
	    (long long)a->max_failures);
	snprintf(addr_max, sizeof addr_max, "%lld",
	    (long long)(a->max_failures * AUTH_ADDR_FAILURES_FACTOR));
	/*
	 * For a key with n >= max failures in the window, one more attempt
	 * is allowed once its (n - max + 1)th oldest failure leaves the
	 * window: that row gives the wait.  Keys under the limit give no row.
	 */
	res = db_exec_retry(&w->conf.postgres,
	    "SELECT ceil(extract(epoch FROM"
	    "    at + $3::bigint * interval '1 millisecond' - now()))::bigint"
	    " FROM (SELECT key, at, count(*) OVER (PARTITION BY key) AS n,"
	    "    row_number() OVER (PARTITION BY key ORDER BY at) AS rn"
	    "  FROM login_failures"
	    "  WHERE key IN ('email:' || lower($1::text), 'ip:' || $2::text)"
	    "   AND at > now() - $3::bigint * interval '1 millisecond') f"
	    " WHERE rn = n + 1 - CASE WHEN key = 'ip:' || $2::text"
	    "    THEN $5::bigint ELSE $4::bigint END",
	    5, params, cause);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*retry_after = 0;
	for (i = 0; i < n; i++) {
		v = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		if (v > *retry_after)
			*retry_after = v;
	}
	PQclear(res);
	if (n == 0)
		return 0;
	if (*retry_after < 1)
		*retry_after = 1;
	return 1;
}

/*
 * Deletes failures that left the window and sessions that expired, at most
 * once per AUTH_PURGE_MS per worker, so neither table grows without bound.
 * A failure here is only logged: the login it rides on does not depend on it.
 */
static void
auth_limit_purge(struct workerd *w)
{
	int64_t now = clock_mono_ms(), next = atomic_load(&auth_purge_next);
	char window[32], *cause = NULL;
	const char *params[1] = { window };
	PGresult *res;

	if (now < next || !atomic_compare_exchange_strong(&auth_purge_next,
	    &next, now + AUTH_PURGE_MS))
		return;
	snprintf(window, sizeof window, "%lld",
	    (long long)w->conf.auth.failure_window);
	res = db_exec_retry(&w->conf.postgres,
	    "DELETE FROM login_failures"
	    " WHERE at <= now() - $1::bigint * interval '1 millisecond'",
	    1, params, &cause);
	if (res == NULL) {
		log_warnx("purging old login failures: %s", cause);
		free(cause);
		return;
	}
	PQclear(res);
	res = db_exec_retry(&w->conf.postgres,
	    "DELETE FROM sessions WHERE expires_at <= now()", 0, NULL, &cause);
	if (res == NULL) {
		log_warnx("purging expired sessions: %s", cause);
		free(cause);
		return;
	}
	PQclear(res);
}

int
auth_limit_fail(struct workerd *w, const char *email, const char *addr,
    char **cause)
{
	const char *params[2] = { email, addr };
	PGresult *res;

	res = db_exec(&w->conf.postgres,
	    "INSERT INTO login_failures (key)"
	    " VALUES ('email:' || lower($1::text)), ('ip:' || $2::text)",
	    2, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	auth_limit_purge(w);
	return 0;
}

int
auth_limit_clear(struct workerd *w, const char *email, char **cause)
{
	const char *params[1] = { email };
	PGresult *res;

	res = db_exec_retry(&w->conf.postgres,
	    "DELETE FROM login_failures"
	    " WHERE key = 'email:' || lower($1::text)",
	    1, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
