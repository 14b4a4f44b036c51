/*
 * auth-password.c — argon2id password hashes, at most auth.max_hashing at
 * a time.
 *
 * One hash takes about 70 ms of one core and 64 MiB of memory: letting
 * every pool thread hash at once would let a burst of logins take all the
 * cores and a lot of memory.  A counting semaphore makes the extra logins
 * wait their turn instead; other requests keep their threads busy with
 * cheaper work meanwhile.
 */
#include <errno.h>
#include <semaphore.h>
#include <string.h>

#include <sodium.h>

#include "auth-int.h"
#include "log.h"
#include "xmalloc.h"

#define AUTH_OPSLIMIT	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define AUTH_MEMLIMIT	crypto_pwhash_MEMLIMIT_INTERACTIVE

static sem_t	auth_hashing;
/* A hash of a random password nobody knows, of today's cost: what an
 * unknown address is checked against. */
static char	auth_dummy[crypto_pwhash_STRBYTES];

static void
auth_hashing_enter(void)
{
	while (sem_wait(&auth_hashing) == -1) {
		if (errno != EINTR)
			fatal("sem_wait");
	}
}

static void
auth_hashing_leave(void)
{
	if (sem_post(&auth_hashing) == -1)
		fatal("sem_post");
}

/* Accepts the configured bound (1 or more); runs once, before threads. */
void
auth_password_init(int64_t max_hashing)
{
	unsigned char secret[32];
	char text[sodium_base64_ENCODED_LEN(sizeof secret,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	if (max_hashing < 1)
		max_hashing = 1;
	if (sem_init(&auth_hashing, 0, (unsigned int)max_hashing) == -1)
		fatal("sem_init");

	randombytes_buf(secret, sizeof secret);
	sodium_bin2base64(text, sizeof text, secret, sizeof secret,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (crypto_pwhash_str(auth_dummy, text, strlen(text), AUTH_OPSLIMIT,
	    AUTH_MEMLIMIT) != 0)
		fatalx("cannot compute a password hash (out of memory?)");
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(text, sizeof text);
}

/* Accepts a NUL-terminated password of any length. */
char *
auth_password_hash(const char *password, char **cause)
{
	char out[crypto_pwhash_STRBYTES];
	int rc;

	auth_hashing_enter();
	rc = crypto_pwhash_str(out, password, strlen(password), AUTH_OPSLIMIT,
	    AUTH_MEMLIMIT);
	auth_hashing_leave();
	if (rc != 0) {
		*cause = xstrdup("cannot hash the password (out of memory)");
		return NULL;
	}
	return xstrdup(out);
}

/* Accepts a stored hash (any text: a malformed one never matches) or NULL. */
int
auth_password_verify(const char *hash, const char *password)
{
	int rc;

	auth_hashing_enter();
	rc = crypto_pwhash_str_verify(hash != NULL ? hash : auth_dummy,
	    password, strlen(password));
	auth_hashing_leave();
	return hash != NULL && rc == 0;
}

/* Accepts a stored hash; a malformed one "needs" a rehash too. */
int
auth_password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, AUTH_OPSLIMIT,
	    AUTH_MEMLIMIT) != 0;
}
