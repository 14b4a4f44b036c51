/*
 * auth-limit.c — the limits on failed logins and on registrations.
 *
 * A failed login counts against three keys of the auth_throttle table
 * (db/migrations/004_security.sql):
 *   pair:<account> <client>  auth.max_failures (5): guessing one account
 *                            from one place;
 *   src:<client>             auth.source_max_failures: one place trying
 *                            many accounts;
 *   acct:<account>           auth.account_max_failures: one account tried
 *                            from many places.
 * A key that reaches its limit is blocked for auth.delay_base, and each
 * further failure doubles the block, up to auth.delay_max: a client that
 * keeps failing waits longer and longer (429 with Retry-After), and a
 * refused attempt costs no password hash.  A key is forgotten after
 * auth.failure_window of quiet.
 *
 * None of this locks the owner out: another client's failures block only
 * that client's pair and address, and the account-wide key, much higher,
 * does not apply to a client that logged in to the account within
 * auth.known_source_ttl (known:<account> <client>, written at each
 * successful login).  The worst an attacker with many addresses can do to
 * an owner on a new device is the account's delay, never a fixed lock.
 *
 * Registrations count per client (reg:<client>): auth.register_per_source
 * within auth.register_window, from the first one in it.
 *
 * Every key is one row updated by one atomic upsert in PostgreSQL: the
 * counts hold across every worker behind the load balancer and across
 * restarts.  The login check and the failure's upsert are separate
 * statements, so concurrent attempts may overshoot a limit by the number
 * in flight, which the pool and auth.max_hashing bound.
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
#include "tres.h"
#include "users-db.h"
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

/* A duration in ms as a SQL interval: "$N::bigint * MS". */
#define MS	" interval '1 millisecond'"

/* The keys of a login, from $1 (the address as typed) and $2 (client). */
#define KEY_PAIR	"('pair:' || lower($1::text) || ' ' || $2::text)"
#define KEY_SRC		"('src:' || $2::text)"
#define KEY_ACCT	"('acct:' || lower($1::text))"
#define KEY_KNOWN	"('known:' || lower($1::text) || ' ' || $2::text)"

int
auth_limit_check(struct workerd *w, const char *email, const char *addr,
    int64_t *retry_after, char **cause)
{
	char known_ttl[32];
	const char *params[3] = { email, addr, known_ttl };
	PGresult *res;
	int limited;

	snprintf(known_ttl, sizeof known_ttl, "%lld",
	    (long long)w->conf.auth.known_source_ttl);
	/* The longest block running on the login's keys, if any. */
	res = tres_db_exec_retry(w,
	    "SELECT max(ceil(extract(epoch FROM blocked_until - now())))::bigint"
	    " FROM auth_throttle WHERE blocked_until > now()"
	    "  AND (key = " KEY_PAIR " OR key = " KEY_SRC
	    "   OR (key = " KEY_ACCT " AND NOT EXISTS (SELECT 1"
	    "    FROM auth_throttle k WHERE k.key = " KEY_KNOWN
	    "     AND k.last_at > now() - $3::bigint *" MS ")))",
	    3, params, cause);
	if (res == NULL)
		return -1;
	limited = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
	*retry_after = limited ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	if (limited && *retry_after < 1)
		*retry_after = 1;
	return limited;
}

/*
 * Deletes keys that went quiet, at most once per AUTH_PURGE_MS per worker,
 * and sessions that expired, so neither table grows without bound.  A
 * failure here is only logged: the request it rides on does not depend on
 * it.
 */
static void
auth_limit_purge(struct workerd *w)
{
	const struct conf_auth *a = &w->conf.auth;
	int64_t now = clock_mono_ms(), next = atomic_load(&auth_purge_next);
	char known[32], reg[32], window[32], *cause = NULL;
	const char *params[3] = { known, reg, window };
	PGresult *res;

	if (now < next || !atomic_compare_exchange_strong(&auth_purge_next,
	    &next, now + AUTH_PURGE_MS))
		return;
	snprintf(known, sizeof known, "%lld", (long long)a->known_source_ttl);
	snprintf(reg, sizeof reg, "%lld", (long long)a->register_window);
	snprintf(window, sizeof window, "%lld", (long long)a->failure_window);
	res = tres_db_exec_retry(w,
	    "DELETE FROM auth_throttle WHERE CASE"
	    " WHEN key LIKE 'known:%' THEN last_at <= now() - $1::bigint *" MS
	    " WHEN key LIKE 'reg:%' THEN first_at <= now() - $2::bigint *" MS
	    " ELSE greatest(last_at, coalesce(blocked_until, last_at))"
	    "  <= now() - $3::bigint *" MS " END",
	    3, params, &cause);
	if (res == NULL) {
		log_warnx("purging old login limits: %s", cause);
		free(cause);
		return;
	}
	PQclear(res);
	if (users_db_sessions_purge(w, &cause) == -1) {
		log_warnx("purging expired sessions: %s", cause);
		free(cause);
	}
}

/* Whether the row `t` is forgotten: quiet for the window ($6) since its
 * last failure or the end of its block. */
#define FORGOTTEN \
	"(greatest(t.last_at, coalesce(t.blocked_until, t.last_at))" \
	" <= now() - $6::bigint *" MS ")"
/* The row's count after this failure. */
#define NEXT_COUNT \
	"(CASE WHEN " FORGOTTEN " THEN 1 ELSE least(t.count, 2000000000) + 1 END)"

int
auth_limit_fail(struct workerd *w, const char *email, const char *addr,
    char **cause)
{
	const struct conf_auth *a = &w->conf.auth;
	char base[32], max[32], window[32], pair[32], src[32], acct[32];
	const char *params[8] = { email, addr, base, max, pair, window, src,
	    acct };
	PGresult *res;

	snprintf(base, sizeof base, "%lld", (long long)a->delay_base);
	snprintf(max, sizeof max, "%lld", (long long)a->delay_max);
	snprintf(window, sizeof window, "%lld", (long long)a->failure_window);
	snprintf(pair, sizeof pair, "%lld", (long long)a->max_failures);
	snprintf(src, sizeof src, "%lld", (long long)a->source_max_failures);
	snprintf(acct, sizeof acct, "%lld", (long long)a->account_max_failures);
	/*
	 * A key at n failures with limit l is blocked for
	 * min(max, base * 2^(n - l)) from now once n >= l.
	 */
	res = tres_db_exec(w,
	    "INSERT INTO auth_throttle AS t (key, threshold, blocked_until)"
	    " SELECT k, l, CASE WHEN l <= 1 THEN now() + least($3::bigint,"
	    "   $4::bigint) *" MS " END"
	    " FROM (VALUES (" KEY_PAIR ", $5::int), (" KEY_SRC ", $7::int),"
	    "  (" KEY_ACCT ", $8::int)) v (k, l)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    "  count = " NEXT_COUNT ","
	    "  first_at = CASE WHEN " FORGOTTEN " THEN now() ELSE t.first_at END,"
	    "  last_at = now(), threshold = excluded.threshold,"
	    "  blocked_until = CASE WHEN " NEXT_COUNT " >= excluded.threshold"
	    "   THEN now() + least($4::float8, $3::float8 * power(2::float8,"
	    "    least(" NEXT_COUNT " - excluded.threshold, 40))) *" MS " END",
	    8, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	auth_limit_purge(w);
	return 0;
}

int
auth_limit_ok(struct workerd *w, const char *email, const char *addr,
    char **cause)
{
	const char *params[2] = { email, addr };
	PGresult *res;

	/* This client knows the password: its own failures on the account
	 * are forgotten, and the account's limit no longer applies to it. */
	res = tres_db_exec(w,
	    "WITH forgotten AS (DELETE FROM auth_throttle"
	    "  WHERE key = " KEY_PAIR ")"
	    " INSERT INTO auth_throttle AS t (key) VALUES (" KEY_KNOWN ")"
	    " ON CONFLICT (key) DO UPDATE SET last_at = now(),"
	    "  count = least(t.count, 2000000000) + 1",
	    2, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
auth_limit_register(struct workerd *w, const char *addr,
    int64_t *retry_after, char **cause)
{
	const struct conf_auth *a = &w->conf.auth;
	char limit[32], window[32];
	const char *params[3] = { addr, limit, window };
	PGresult *res;
	int64_t n;

	snprintf(limit, sizeof limit, "%lld",
	    (long long)a->register_per_source);
	snprintf(window, sizeof window, "%lld", (long long)a->register_window);
	/* Counts this attempt and says whether it is over the limit, in one
	 * statement: concurrent registrations cannot overshoot. */
	res = tres_db_exec(w,
	    "INSERT INTO auth_throttle AS t (key, threshold)"
	    " VALUES ('reg:' || $1::text, $2::int)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    "  count = CASE WHEN t.first_at <= now() - $3::bigint *" MS
	    "   THEN 1 ELSE least(t.count, 2000000000) + 1 END,"
	    "  first_at = CASE WHEN t.first_at <= now() - $3::bigint *" MS
	    "   THEN now() ELSE t.first_at END,"
	    "  last_at = now(), threshold = excluded.threshold"
	    " RETURNING count, ceil(extract(epoch FROM"
	    "  first_at + $3::bigint *" MS " - now()))::bigint",
	    3, params, cause);
	if (res == NULL)
		return -1;
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*retry_after = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	auth_limit_purge(w);
	if (*retry_after < 1)
		*retry_after = 1;
	return n > a->register_per_source;
}
