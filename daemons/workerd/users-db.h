/*
 * users-db.h — the SQL of the `users` and `sessions` tables.
 *
 * Accounts and the sessions their logins open are read and written here
 * only, but for one statement: files_create (files.c) sets a user's
 * photo in the statement that records the photo's file, so both change
 * or neither.  (The login limits, auth_throttle, are auth-limit.c's.)
 *
 * Functions that return a PGresult return it on success (the caller
 * PQclear-s it) and NULL with *cause on failure; ids are decimal text.
 */
#ifndef PFO3_USERS_DB_H
#define PFO3_USERS_DB_H

#include <stdint.h>

#include <libpq-fe.h>

struct workerd;

/* The columns of a user as users_db_* return them, in this order:
 * id, email, name, created_at (ISO 8601), photo_file_id. */
#define USERS_DB_NCOLUMNS	5

/* Makes an account: its row.  A taken email fails with SQLSTATE 23505
 * (db_last_sqlstate). */
PGresult *users_db_create(struct workerd *w, const char *email,
	    const char *name, const char *password_hash, char **cause);
/* The account of `email` (any case): its row and then password_hash, or
 * no row. */
PGresult *users_db_by_email(struct workerd *w, const char *email,
	    char **cause);
/* The account `id`: its row, or no row. */
PGresult *users_db_by_id(struct workerd *w, const char *id, char **cause);
/* Replaces the password hash `old` of `id` by `hash`, unless it changed
 * meanwhile.  0, or -1 and *cause. */
int	users_db_rehash(struct workerd *w, const char *id, const char *hash,
	    const char *old, char **cause);

/* Opens a session of `user` for `ttl_ms`: one row, its expires_at. */
PGresult *users_db_session_open(struct workerd *w, const char *token_hash,
	    const char *user, int64_t ttl_ms, char **cause);
/* The user of an unexpired session (0: none) in *user; 0, or -1 and
 * *cause. */
int	users_db_session_user(struct workerd *w, const char *token_hash,
	    int64_t *user, char **cause);
/* Ends a session.  0, or -1 and *cause. */
int	users_db_session_close(struct workerd *w, const char *token_hash,
	    char **cause);
/* Deletes the expired sessions.  0, or -1 and *cause. */
int	users_db_sessions_purge(struct workerd *w, char **cause);

#endif
