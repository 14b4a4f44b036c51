/*
 * auth-token.c — session tokens: 32 random bytes, given to the client as
 * base64url without padding; the database only ever sees their SHA-256.
 *
 * The hash is of the decoded bytes, not of the text, and the text must be
 * exactly the canonical encoding: one session has one spelling.
 */
#include <sodium.h>

#include "auth-int.h"

#define AUTH_B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* The bytea parameter ("\x" + hex) of the SHA-256 of `bin`. */
static void
auth_token_param(const unsigned char bin[AUTH_TOKEN_BYTES],
    char hash[AUTH_HASH_PARAM_LEN])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, bin, AUTH_TOKEN_BYTES);
	hash[0] = '\\';
	hash[1] = 'x';
	sodium_bin2hex(hash + 2, AUTH_HASH_PARAM_LEN - 2, md, sizeof md);
}

void
auth_token_new(char token[AUTH_TOKEN_LEN + 1], char hash[AUTH_HASH_PARAM_LEN])
{
	unsigned char bin[AUTH_TOKEN_BYTES];

	randombytes_buf(bin, sizeof bin);
	sodium_bin2base64(token, AUTH_TOKEN_LEN + 1, bin, sizeof bin, AUTH_B64);
	auth_token_param(bin, hash);
	sodium_memzero(bin, sizeof bin);
}

/* Accepts any bytes (not NUL-terminated) as a candidate token. */
int
auth_token_hash(const char *token, size_t len, char hash[AUTH_HASH_PARAM_LEN])
{
	unsigned char bin[AUTH_TOKEN_BYTES];
	size_t binlen;

	if (len != AUTH_TOKEN_LEN)
		return -1;
	/*
	 * The decoder takes only the alphabet, the whole input (no trailing
	 * garbage) and zero unused bits in the last character, so there is
	 * one spelling per token (test-auth checks it).
	 */
	if (sodium_base642bin(bin, sizeof bin, token, len, NULL, &binlen, NULL,
	    AUTH_B64) != 0 || binlen != sizeof bin)
		return -1;
	auth_token_param(bin, hash);
	sodium_memzero(bin, sizeof bin);
	return 0;
}
