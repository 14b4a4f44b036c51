/*
 * fuzz-chunked.c — a libFuzzer target for the chunked body decoder
 * (common/http-chunked.c).
 *
 * Besides crashes and sanitizer reports it checks what the connection code
 * relies on: a body decodes to the same bytes, the same end and the same
 * verdict whether it arrives whole, one byte at a time or in odd pieces;
 * the decoder never claims more input than it was given, never hands the
 * sink an empty piece, and always says why it refused.
 *
 * Input: the first byte picks the line bound (0: the default); the rest is
 * the body as it follows a request head.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A digest of the decoded data, so runs can be compared cheaply. */
struct fuzz_digest {
	uint64_t	hash;
	uint64_t	len;
};

/* The outcome of one decoding. */
struct fuzz_decoded {
	int			rc;
	size_t			consumed;
	struct fuzz_digest	digest;
};

static int
fuzz_sink(void *arg, const char *data, size_t len)
{
	struct fuzz_digest	*d = arg;
	size_t			 i;

	if (len == 0)
		abort();	/* the decoder never passes empty data */
	for (i = 0; i < len; i++)
		d->hash = (d->hash ^ (unsigned char)data[i]) * 0x100000001b3ULL;
	d->len += len;
	/* Refuse past a bound, as a body limit would. */
	return d->len > 1000000 ? -1 : 0;
}

/* Decodes in[0..len) fed in pieces of `step` bytes (0: all at once). */
static void
fuzz_decode(const char *in, size_t len, size_t step, size_t max_line,
    struct fuzz_decoded *out)
{
	struct http_chunked	 st;
	const char		*cause = NULL;
	size_t			 off = 0, n, used;

	memset(out, 0, sizeof *out);
	out->digest.hash = 0xcbf29ce484222325ULL;
	http_chunked_init(&st, max_line);
	do {
		n = len - off;
		if (step != 0 && n > step)
			n = step;
		out->rc = http_chunked_feed(&st, in + off, n, &used, fuzz_sink,
		    &out->digest, &cause);
		if (used > n)
			abort();
		if (out->rc == -1 && cause == NULL)
			abort();
		if (out->rc == 0 && used != n)
			abort();	/* more wanted but input left over */
		off += used;
	} while (out->rc == 0 && off < len);
	out->consumed = off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_decoded	 whole, bytes, odd;
	const char		*in;
	size_t			 len, max_line;

	if (size == 0)
		return 0;
	max_line = (size_t)(data[0] & 0x3f) * 4;	/* 0 picks the default */
	in = (const char *)data + 1;
	len = size - 1;

	fuzz_decode(in, len, 0, max_line, &whole);
	fuzz_decode(in, len, 1, max_line, &bytes);
	fuzz_decode(in, len, 7, max_line, &odd);
	if (whole.rc != bytes.rc || whole.rc != odd.rc)
		abort();
	if (whole.rc == -1)
		return 0;	/* where it stopped may differ on refusal */
	if (whole.consumed != bytes.consumed || whole.consumed != odd.consumed)
		abort();
	if (whole.digest.len != bytes.digest.len ||
	    whole.digest.hash != bytes.digest.hash ||
	    whole.digest.hash != odd.digest.hash)
		abort();
	return 0;
}
