/*
 * s3-sha256.c — SHA-256 of bodies sent to S3, by OpenSSL's libcrypto.
 *
 * An upload is hashed on its way, byte for byte, while S3 takes it: the
 * hash must keep up with the transfer.  libcrypto uses the CPU's SHA
 * instructions where there are some (1.3 GB/s on the machine of
 * doc/BENCHMARKS.md, where libsodium's portable code does 0.23 GB/s, slower
 * than the S3 server takes a body), and libcurl maps it into the process
 * already.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "log.h"
#include "s3-int.h"

struct s3_sha256 {
	EVP_MD_CTX	*ctx;
};

struct s3_sha256 *
s3_sha256_new(void)
{
	struct s3_sha256	*h;

	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256: out of memory");
	return h;
}

void
s3_sha256_update(struct s3_sha256 *h, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
		fatalx("SHA-256: update failed");
}

void
s3_sha256_end(struct s3_sha256 *h, char *hex)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	if (h == NULL)
		return;
	if (hex != NULL) {
		if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
			fatalx("SHA-256: final failed");
		sodium_bin2hex(hex, S3_SHA256_HEX, md, n);
	}
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
s3_sha256_hex(const void *data, size_t len, char *hex)
{
	struct s3_sha256	*h = s3_sha256_new();

	s3_sha256_update(h, data, len);
	s3_sha256_end(h, hex);
}
