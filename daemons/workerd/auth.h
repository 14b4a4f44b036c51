/*
 * auth.h — accounts, passwords and session tokens.
 *
 * Passwords are argon2id hashes (libsodium crypto_pwhash_str), computed at
 * most auth.max_hashing at a time.  A session token is 32 random bytes,
 * base64url without padding, given to the client once; only its SHA-256
 * is stored, with an expiry, so a leaked table grants nothing.
 */
#ifndef PFO3_AUTH_H
#define PFO3_AUTH_H

#include <stdint.h>

struct workerd;
struct request;
struct response;

/* Sets up what the module shares between threads (the hashing bound). */
void	auth_init(struct workerd *w);

/*
 * The user behind the request's `Authorization: Bearer <token>`, for
 * routes that need one (run on a pool thread).  Returns the user id, or 0
 * after answering 401 (no, malformed, unknown or expired token, with
 * WWW-Authenticate: Bearer) or 503 (database unreachable).
 */
int64_t	auth_bearer(struct workerd *w, const struct request *req,
	    struct response *resp);

#endif
