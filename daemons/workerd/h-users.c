/*
 * h-users.c — accounts and sessions: POST /api/v1/users (register),
 * POST /api/v1/login, POST /api/v1/logout, GET /api/v1/me.  All run on
 * pool threads: they wait on PostgreSQL and on password hashing.
 *
 * Login answers an unknown address exactly as a wrong password, after the
 * same work (a hash check against a dummy hash), so neither the answer nor
 * its time tells whether an account exists.  Registration does tell (409):
 * an address cannot be registered twice, and hiding that would need mail.
 * Both are limited per client (auth-limit.c): failed logins with growing
 * delays, registrations by count within a window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "auth-int.h"
#include "db.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "users-db.h"
#include "workerd.h"
#include "xmalloc.h"

#define USERS_EMAIL_MAX		254	/* bytes: the longest SMTP path */
#define USERS_PASSWORD_MAX	1024	/* bytes: hashing has to end */
#define USERS_NAME_MAX		200	/* characters */

/*
 * The string member `name` of `obj`, or NULL after answering 422 naming
 * the field (missing, or not a string).
 */
static const char *
users_string(const json_t *obj, const char *name, struct response *resp)
{
	const json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v)) {
		response_error(resp, 422, "%s is required", name);
		return NULL;
	}
	if (!json_is_string(v)) {
		response_error(resp, 422, "%s must be a string", name);
		return NULL;
	}
	return json_string_value(v);
}

/* Characters (code points) of valid UTF-8, as jansson guarantees. */
static size_t
users_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* 1 when valid UTF-8 `s` holds a C0 or C1 control character or DEL. */
static int
users_has_control(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 1;
		/* U+0080..U+009F are 0xc2 0x80..0x9f in UTF-8. */
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 1;
	}
	return 0;
}

/* A copy of `s` without leading and trailing ASCII whitespace. */
static char *
users_trim(const char *s)
{
	const char *end;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || (end[-1] >= '\t' &&
	    end[-1] <= '\r')))
		end--;
	return xstrndup(s, (size_t)(end - s));
}

/*
 * 1 when a trimmed address looks like one: one '@' between a non-empty
 * local part and domain, at most USERS_EMAIL_MAX bytes, no spaces or
 * control characters.  Whether it receives mail is not ours to judge.
 */
static int
users_email_valid(const char *email)
{
	const char *at = strchr(email, '@');
	size_t len = strlen(email);

	if (len > USERS_EMAIL_MAX || at == NULL || at == email ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	return strchr(email, ' ') == NULL && !users_has_control(email);
}

/* Accepts a row of users_db_*; the user as the API shows it. */
static json_t *
users_json(const PGresult *res, int row, int with_created)
{
	json_t *u;

	u = json_pack("{s:I,s:s,s:s}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10),
	    "email", PQgetvalue(res, row, 1),
	    "name", PQgetvalue(res, row, 2));
	if (u != NULL && with_created) {
		json_object_set_new(u, "created_at",
		    json_string(PQgetvalue(res, row, 3)));
		/* The photo is one of the user's files (PUT /api/v1/me/photo). */
		json_object_set_new(u, "photo_file_id", PQgetisnull(res, row, 4) ?
		    json_null() : json_integer(strtoll(PQgetvalue(res, row, 4),
		    NULL, 10)));
	}
	return u;
}

/* Answers `obj` (stolen), or 500 when it could not be built. */
static void
users_answer(struct response *resp, int status, json_t *obj)
{
	if (obj == NULL) {
		response_error(resp, 500, "cannot encode the response");
		return;
	}
	response_json(resp, status, obj);
}

/* Answers 429: too many `what`, and when to try again. */
static void
users_too_many(struct response *resp, const char *what, int64_t retry)
{
	response_error(resp, 429, "too many %s: try again in %lld seconds",
	    what, (long long)retry);
	response_header(resp, "Retry-After: %lld", (long long)retry);
}

/* Accepts {"email", "password", "name"}: 201 with the account, 409, 422,
 * 429. */
void
h_users_create(struct workerd *w, const struct request *req,
    struct response *resp)
{
	const char *raw, *password, *name;
	char *email = NULL, *hash = NULL, *cause = NULL, addr[64];
	int64_t retry;
	json_t *body;
	PGresult *res;
	int limited;

	if ((body = request_json(req, resp)) == NULL)
		return;
	if ((raw = users_string(body, "email", resp)) == NULL)
		goto out;
	email = users_trim(raw);
	if (!users_email_valid(email)) {
		response_error(resp, 422, "email must be an address like "
		    "name@example.org: one @, no spaces, at most %d bytes",
		    USERS_EMAIL_MAX);
		goto out;
	}
	if ((password = users_string(body, "password", resp)) == NULL)
		goto out;
	if ((int64_t)users_chars(password) < w->conf.auth.min_password) {
		response_error(resp, 422, "password must be at least %lld "
		    "characters", (long long)w->conf.auth.min_password);
		goto out;
	}
	if (strlen(password) > USERS_PASSWORD_MAX) {
		response_error(resp, 422, "password must be at most %d bytes",
		    USERS_PASSWORD_MAX);
		goto out;
	}
	if ((name = users_string(body, "name", resp)) == NULL)
		goto out;
	if (*name == '\0' || users_chars(name) > USERS_NAME_MAX ||
	    users_has_control(name)) {
		response_error(resp, 422, "name must be 1 to %d characters, "
		    "without control characters", USERS_NAME_MAX);
		goto out;
	}

	/* Counted once the request is well formed, before the costly hash. */
	auth_client_addr(req, addr, sizeof addr);
	if ((limited = auth_limit_register(w, addr, &retry, &cause)) == -1) {
		auth_db_failed(resp, "registration: counting", cause);
		goto out;
	}
	if (limited) {
		users_too_many(resp, "registrations from your address", retry);
		goto out;
	}
	if ((hash = auth_password_hash(password, &cause)) == NULL) {
		log_warnx("registration: %s", cause);
		free(cause);
		response_error(resp, 500, "cannot hash the password");
		goto out;
	}
	if ((res = users_db_create(w, email, name, hash, &cause)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23505") == 0) {
			free(cause);
			response_error(resp, 409, "email already registered");
		} else
			auth_db_failed(resp, "registration", cause);
		goto out;
	}
	users_answer(resp, 201, users_json(res, 0, 1));
	PQclear(res);
out:
	free(hash);
	free(email);
	json_decref(body);
}

/*
 * After the password matched: forgets this client's failures on the account
 * and remembers the client as known to it, moves an old
 * hash to today's parameters (the user's password is at hand only now),
 * and opens a session.  Only the session is required to succeed.
 */
static void
users_login_ok(struct workerd *w, const PGresult *user, const char *email,
    const char *addr, const char *password, struct response *resp)
{
	char token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_PARAM_LEN];
	char *cause = NULL, *rehash;
	PGresult *res;
	json_t *reply;

	if (auth_limit_ok(w, email, addr, &cause) == -1) {
		log_warnx("login: recording the client: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (auth_password_needs_rehash(PQgetvalue(user, 0, 5))) {
		if ((rehash = auth_password_hash(password, &cause)) != NULL) {
			(void)users_db_rehash(w, PQgetvalue(user, 0, 0),
			    rehash, PQgetvalue(user, 0, 5), &cause);
			free(rehash);
		}
		if (cause != NULL) {
			log_warnx("login: rehashing a password: %s", cause);
			free(cause);
			cause = NULL;
		}
	}

	auth_token_new(token, hash);
	if ((res = users_db_session_open(w, hash, PQgetvalue(user, 0, 0),
	    w->conf.auth.session_ttl, &cause)) == NULL) {
		auth_db_failed(resp, "login: opening a session", cause);
		return;
	}
	reply = json_pack("{s:s,s:s,s:o}", "token", token,
	    "expires_at", PQgetvalue(res, 0, 0),
	    "user", users_json(user, 0, 0));
	PQclear(res);
	users_answer(resp, 200, reply);
	/* The answer holds a credential: no cache may keep it. */
	response_header(resp, "Cache-Control: no-store");
}

/* Accepts {"email", "password"}: 200 with a session, 401, 422, 429. */
void
h_login(struct workerd *w, const struct request *req, struct response *resp)
{
	const char *raw, *password;
	char *email = NULL, *cause = NULL, addr[64];
	int64_t retry;
	json_t *body;
	PGresult *res = NULL;
	int limited, match;

	if ((body = request_json(req, resp)) == NULL)
		return;
	if ((raw = users_string(body, "email", resp)) == NULL)
		goto out;
	email = users_trim(raw);
	if ((password = users_string(body, "password", resp)) == NULL)
		goto out;
	/* No account can have these: refuse them before any work. */
	if (strlen(email) > USERS_EMAIL_MAX) {
		response_error(resp, 422, "email must be at most %d bytes",
		    USERS_EMAIL_MAX);
		goto out;
	}
	if (strlen(password) > USERS_PASSWORD_MAX) {
		response_error(resp, 422, "password must be at most %d bytes",
		    USERS_PASSWORD_MAX);
		goto out;
	}

	auth_client_addr(req, addr, sizeof addr);
	limited = auth_limit_check(w, email, addr, &retry, &cause);
	if (limited == -1) {
		auth_db_failed(resp, "login: checking failures", cause);
		goto out;
	}
	if (limited) {
		users_too_many(resp, "failed logins", retry);
		goto out;
	}

	if ((res = users_db_by_email(w, email, &cause)) == NULL) {
		auth_db_failed(resp, "login: looking up the account", cause);
		goto out;
	}
	match = auth_password_verify(PQntuples(res) == 1 ?
	    PQgetvalue(res, 0, 5) : NULL, password);
	if (match) {
		users_login_ok(w, res, email, addr, password, resp);
		goto out;
	}
	if (auth_limit_fail(w, email, addr, &cause) == -1) {
		auth_db_failed(resp, "login: recording a failure", cause);
		goto out;
	}
	response_error(resp, 401, "invalid email or password");
out:
	PQclear(res);
	free(email);
	json_decref(body);
}

/* Accepts a request whose token auth_bearer accepted: ends its session. */
void
h_logout(struct workerd *w, const struct request *req, struct response *resp)
{
	char hash[AUTH_HASH_PARAM_LEN], *cause = NULL;

	/* auth_bearer accepted this request's token just before. */
	if (auth_request_token(req, hash) != 1) {
		auth_unauthorized(resp, 1);
		return;
	}
	if (users_db_session_close(w, hash, &cause) == -1) {
		auth_db_failed(resp, "logout", cause);
		return;
	}
	response_body(resp, 204, NULL, NULL, 0);
}

/* Accepts a request auth_bearer let through (req->user_id is set). */
void
h_me(struct workerd *w, const struct request *req, struct response *resp)
{
	char id[32], *cause = NULL;
	PGresult *res;

	snprintf(id, sizeof id, "%lld", (long long)req->user_id);
	if ((res = users_db_by_id(w, id, &cause)) == NULL) {
		auth_db_failed(resp, "reading an account", cause);
		return;
	}
	if (PQntuples(res) != 1)
		auth_unauthorized(resp, 1);	/* deleted since the check */
	else
		users_answer(resp, 200, users_json(res, 0, 1));
	PQclear(res);
}
