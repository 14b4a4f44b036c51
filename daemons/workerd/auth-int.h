/*
 * auth-int.h — what the pieces of the auth module share with each other
 * and with the account handlers (h-users.c): password hashing, session
 * tokens, the failed-login limit.
 */
#ifndef PFO3_AUTH_INT_H
#define PFO3_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>

struct workerd;
struct request;
struct response;

/* A session token: base64url without padding of 32 random bytes. */
#define AUTH_TOKEN_BYTES	32
#define AUTH_TOKEN_LEN		43
/* The SHA-256 of a token as a bytea text parameter: "\x" and 64 hex
 * digits, NUL-terminated. */
#define AUTH_HASH_PARAM_LEN	(2 + 64 + 1)

/*
 * A timestamptz column or expression as ISO 8601 UTC text, formatted by
 * PostgreSQL so the C side never converts times.
 */
#define AUTH_ISO8601(e) \
	"to_char((" e ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* auth-password.c */
/* Sets up the bound of auth.max_hashing concurrent hashes and the dummy
 * hash; fatal when libsodium cannot. */
void	auth_password_init(int64_t max_hashing);
/* An argon2id string for `password` (NUL-terminated UTF-8); the caller
 * frees it.  NULL and *cause when hashing fails (memory). */
char	*auth_password_hash(const char *password, char **cause);
/*
 * 1 when `password` matches the encoded `hash`, else 0.  A NULL `hash`
 * (no such account) is checked against a dummy hash of the same cost, so
 * the answer takes as long as for an account that exists.
 */
int	auth_password_verify(const char *hash, const char *password);
/* 1 when `hash` was made with other parameters than today's. */
int	auth_password_needs_rehash(const char *hash);

/* auth-token.c */
/* Mints a token (NUL-terminated, AUTH_TOKEN_LEN characters) and its hash
 * parameter. */
void	auth_token_new(char token[AUTH_TOKEN_LEN + 1],
	    char hash[AUTH_HASH_PARAM_LEN]);
/* Checks `len` bytes as a token and fills its hash parameter; 0, or -1
 * when it is not one (length, alphabet, decoded size). */
int	auth_token_hash(const char *token, size_t len,
	    char hash[AUTH_HASH_PARAM_LEN]);

/* auth.c */
/*
 * The hash parameter of the request's Bearer token: 1 when there is a
 * well-formed one, 0 when there is no Authorization header, -1 when there
 * is one that is not a Bearer token of the right form.
 */
int	auth_request_token(const struct request *req,
	    char hash[AUTH_HASH_PARAM_LEN]);
/*
 * Answers 401 with the challenge of RFC 6750: "invalid_token" when a
 * token was presented (malformed, unknown, expired), none when not.
 */
void	auth_unauthorized(struct response *resp, int presented);
/* Logs `cause` (freed) as the failure of `what` and answers 503
 * {"error":"database unavailable"}. */
void	auth_db_failed(struct response *resp, const char *what, char *cause);

/* auth-limit.c */
/*
 * The client's IP address: the last hop of X-Forwarded-For when the peer
 * is the local load balancer, else the peer's own address.
 */
void	auth_client_addr(const struct request *req, char *buf, size_t len);
/*
 * Whether a login to `email` from client `addr` must wait: its pair, its
 * client or (unless the client is known to the account) its account is
 * blocked (auth-limit.c).  Returns 1 (limited; *retry_after is the seconds
 * until the longest block ends), 0 (not limited), or -1 and *cause.
 */
int	auth_limit_check(struct workerd *w, const char *email,
	    const char *addr, int64_t *retry_after, char **cause);
/* Counts one failure for the pair, the client and the account, blocking
 * those at their limit; purges old keys now and then.  0, or -1 and
 * *cause. */
int	auth_limit_fail(struct workerd *w, const char *email,
	    const char *addr, char **cause);
/* After a login that succeeded: forgets the pair's failures and records
 * the client as known to the account.  0, or -1 and *cause. */
int	auth_limit_ok(struct workerd *w, const char *email, const char *addr,
	    char **cause);
/*
 * Counts one registration from client `addr`: 1 when it is over
 * auth.register_per_source within auth.register_window (*retry_after is
 * the seconds until the window ends), 0 when allowed, -1 and *cause.
 */
int	auth_limit_register(struct workerd *w, const char *addr,
	    int64_t *retry_after, char **cause);

#endif
