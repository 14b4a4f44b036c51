/* users-db.c — see users-db.h. */
#include <stdio.h>
#include <stdlib.h>

#include "auth-int.h"
#include "tres.h"
#include "users-db.h"

#define USERS_DB_COLUMNS \
	"id, email, name, " AUTH_ISO8601("created_at") ", photo_file_id"

/* Runs a statement whose rows nobody reads; 0, or -1 and *cause. */
static int
users_db_command(struct workerd *w, const char *sql, int n,
    const char *const *params, char **cause)
{
	PGresult	*res;

	if ((res = tres_db_exec_retry(w, sql, n, params, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

PGresult *
users_db_create(struct workerd *w, const char *email, const char *name,
    const char *password_hash, char **cause)
{
	const char	*params[3] = { email, name, password_hash };

	return tres_db_exec(w, "INSERT INTO users (email, name, "
	    "password_hash) VALUES ($1, $2, $3) RETURNING " USERS_DB_COLUMNS,
	    3, params, cause);
}

PGresult *
users_db_by_email(struct workerd *w, const char *email, char **cause)
{
	const char	*params[1] = { email };

	return tres_db_exec_retry(w, "SELECT " USERS_DB_COLUMNS
	    ", password_hash FROM users WHERE lower(email) = lower($1::text)",
	    1, params, cause);
}

PGresult *
users_db_by_id(struct workerd *w, const char *id, char **cause)
{
	const char	*params[1] = { id };

	return tres_db_exec_retry(w, "SELECT " USERS_DB_COLUMNS " FROM users "
	    "WHERE id = $1::bigint", 1, params, cause);
}

int
users_db_rehash(struct workerd *w, const char *id, const char *hash,
    const char *old, char **cause)
{
	const char	*params[3] = { id, hash, old };
	PGresult	*res;

	/* Unless the password changed meanwhile. */
	if ((res = tres_db_exec(w, "UPDATE users SET password_hash = $2 "
	    "WHERE id = $1::bigint AND password_hash = $3", 3, params,
	    cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

PGresult *
users_db_session_open(struct workerd *w, const char *token_hash,
    const char *user, int64_t ttl_ms, char **cause)
{
	char		 ttl[32];
	const char	*params[3] = { token_hash, user, ttl };

	snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
	return tres_db_exec(w, "INSERT INTO sessions (token_hash, user_id, "
	    "expires_at) VALUES ($1::bytea, $2::bigint, now() + $3::bigint * "
	    "interval '1 millisecond') RETURNING " AUTH_ISO8601("expires_at"),
	    3, params, cause);
}

int
users_db_session_user(struct workerd *w, const char *token_hash,
    int64_t *user, char **cause)
{
	const char	*params[1] = { token_hash };
	PGresult	*res;

	*user = 0;
	if ((res = tres_db_exec_retry(w, "SELECT s.user_id FROM sessions s "
	    "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1::bytea "
	    "AND s.expires_at > now()", 1, params, cause)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		*user = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
users_db_session_close(struct workerd *w, const char *token_hash,
    char **cause)
{
	const char	*params[1] = { token_hash };

	return users_db_command(w, "DELETE FROM sessions WHERE token_hash = "
	    "$1::bytea", 1, params, cause);
}

int
users_db_sessions_purge(struct workerd *w, char **cause)
{
	return users_db_command(w, "DELETE FROM sessions WHERE expires_at <= "
	    "now()", 0, NULL, cause);
}
