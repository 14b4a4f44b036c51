/*
 * fuzz-form.c — a libFuzzer target for the multipart/form-data reader
 * (daemons/workerd/form.c), driven as the upload handler drives it:
 * form_new, form_file, form_read to the end of the file, form_finish.
 *
 * The same body is read three times: whole, one byte per read and in
 * pieces of an odd size.  Besides crashes and sanitizer reports the three
 * must agree: the same verdict and status at each step, the same file name,
 * media type and file bytes.  Every refusal carries a status the handler
 * can send and a cause.
 *
 * Input: byte 0 picks the part-header limit, whether the body ends with a
 * read error rather than its end, and the mode.  Raw mode: the
 * Content-Type up to the first newline, then the body.  Built mode (bit
 * 0x10): a boundary, a file name and the file's bytes, from which a
 * browser-like body is made; the file must then come out exactly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_READ_ERROR	499	/* the status of the simulated read error */

/* Where form_read's caller gets the body from. */
struct fuzz_body {
	const char	*p;
	size_t		 len, off;
	size_t		 step;		/* bytes per read at most; 0: any */
	int		 fail_at_end;	/* a read error instead of the end */
};

/* The outcome of one reading of a form. */
struct fuzz_outcome {
	int		 stage;		/* 0 new, 1 file, 2 read, 3 finish, 4 ok */
	int		 status;
	char		 name[FORM_MAX_NAME + 1];
	char		 ctype[128];
	uint64_t	 hash, len;
};

#define FUZZ_HASH_INIT	0xcbf29ce484222325ULL

/* Adds p[0..len) to the FNV-1a hash h. */
static uint64_t
fuzz_hash(uint64_t h, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

static ssize_t
fuzz_read(void *arg, void *buf, size_t len, int *status, const char **cause)
{
	struct fuzz_body	*b = arg;
	size_t			 n = b->len - b->off;

	if (len == 0)
		abort();	/* the reader never asks for nothing */
	if (n == 0) {
		if (!b->fail_at_end)
			return 0;
		*status = FUZZ_READ_ERROR;
		*cause = "the client went away";
		return -1;
	}
	if (n > len)
		n = len;
	if (b->step != 0 && n > b->step)
		n = b->step;
	memcpy(buf, b->p + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

/* A failure's status must be one the handler sends, with a cause. */
static void
fuzz_check_failure(int status, const char *cause)
{
	if (cause == NULL || *cause == '\0')
		abort();
	if (status != 400 && status != 422 && status != FUZZ_READ_ERROR)
		abort();
}

static void
fuzz_run(const char *ct, struct fuzz_body *body, size_t max_headers,
    size_t bufsize, struct fuzz_outcome *o)
{
	struct form	*f;
	const char	*name, *ctype, *cause;
	char		*why = NULL, buf[4096];
	ssize_t		 n;
	size_t		 i;
	int		 status;

	memset(o, 0, sizeof *o);
	o->hash = FUZZ_HASH_INIT;
	if ((f = form_new(ct, max_headers, fuzz_read, body, &why)) == NULL) {
		if (why == NULL)
			abort();
		free(why);
		return;
	}
	o->stage = 1;
	if (form_file(f, &name, &ctype, &status, &cause) != 0) {
		fuzz_check_failure(status, cause);
		o->status = status;
		form_free(f);
		return;
	}
	if (strlen(name) > FORM_MAX_NAME || strchr(name, '/') != NULL ||
	    strchr(name, '\\') != NULL || *ctype == '\0')
		abort();
	for (i = 0; name[i] != '\0'; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			abort();
	}
	memcpy(o->name, name, strlen(name) + 1);
	strncpy(o->ctype, ctype, sizeof o->ctype - 1);
	o->stage = 2;
	while ((n = form_read(f, buf, bufsize, &status, &cause)) > 0) {
		if ((size_t)n > bufsize)
			abort();
		o->hash = fuzz_hash(o->hash, buf, (size_t)n);
		o->len += (uint64_t)n;
	}
	if (o->len > body->len)
		abort();
	if (n < 0) {
		fuzz_check_failure(status, cause);
		o->status = status;
		form_free(f);
		return;
	}
	o->stage = 3;
	if (form_finish(f, &status, &cause) != 0) {
		fuzz_check_failure(status, cause);
		o->status = status;
		form_free(f);
		return;
	}
	if (body->off != body->len)
		abort();	/* a whole form is read to its end */
	o->stage = 4;
	form_free(f);
}

static int
fuzz_same(const struct fuzz_outcome *a, const struct fuzz_outcome *b)
{
	return a->stage == b->stage && a->status == b->status &&
	    strcmp(a->name, b->name) == 0 && strcmp(a->ctype, b->ctype) == 0 &&
	    a->hash == b->hash && a->len == b->len;
}

/* Reads `body` whole, byte by byte and in odd pieces; they must agree. */
static void
fuzz_read_3_ways(const char *ct, const char *in, size_t len,
    size_t max_headers, int fail_at_end, struct fuzz_outcome *whole)
{
	struct fuzz_outcome	 bytes, odd;
	struct fuzz_body	 body;

	body = (struct fuzz_body){ in, len, 0, 0, fail_at_end };
	fuzz_run(ct, &body, max_headers, 4096, whole);
	body = (struct fuzz_body){ in, len, 0, 1, fail_at_end };
	fuzz_run(ct, &body, max_headers, 1, &bytes);
	body = (struct fuzz_body){ in, len, 0, 13, fail_at_end };
	fuzz_run(ct, &body, max_headers, 5, &odd);
	if (!fuzz_same(whole, &bytes) || !fuzz_same(whole, &odd))
		abort();
}

/*
 * Built mode: in[0] the boundary's length, then its bytes (mapped onto
 * the boundary alphabet), in[1 + blen] the file name's length, its bytes
 * (mapped onto a plain alphabet), then the file.  A file holding the
 * delimiter is skipped: it would end there, as it should.
 */
static void
fuzz_built(const char *in, size_t len, int fail_at_end)
{
	static const char	 balpha[] = "abcXYZ019'()+_,-./:=? ";
	static const char	 nalpha[] = "abz.-_ AZ09";
	struct fuzz_outcome	 o;
	char			 boundary[71], name[33], *ct, *body, *delim;
	size_t			 blen, nlen, flen, i, n;
	const char		*file;

	if (len < 2)
		return;
	blen = 1 + (unsigned char)in[0] % 70;
	if (len < 1 + blen + 1)
		return;
	for (i = 0; i < blen; i++)
		boundary[i] = balpha[(unsigned char)in[1 + i] %
		    (sizeof balpha - 1)];
	if (boundary[blen - 1] == ' ')
		boundary[blen - 1] = 'x';	/* may not end with a space */
	boundary[blen] = '\0';
	nlen = (unsigned char)in[1 + blen] % 33;
	if (len < 2 + blen + nlen)
		return;
	for (i = 0; i < nlen; i++)
		name[i] = nalpha[(unsigned char)in[2 + blen + i] %
		    (sizeof nalpha - 1)];
	name[nlen] = '\0';
	file = in + 2 + blen + nlen;
	flen = len - (2 + blen + nlen);

	if (asprintf(&delim, "\r\n--%s", boundary) == -1)
		abort();
	if (memmem(file, flen, delim, strlen(delim)) != NULL) {
		free(delim);
		return;
	}
	if (asprintf(&ct, "multipart/form-data; boundary=\"%s\"",
	    boundary) == -1)
		abort();
	n = 0;
	if ((body = malloc(flen + 2 * blen + 512)) == NULL)
		abort();
	n += (size_t)sprintf(body, "--%s\r\nContent-Disposition: form-data; "
	    "name=\"t\"\r\n\r\nx\r\n--%s\r\nContent-Disposition: "
	    "form-data; name=\"f\"; filename=\"%s\"\r\nContent-Type: "
	    "image/png\r\n\r\n", boundary, boundary, name);
	memcpy(body + n, file, flen);
	n += flen;
	n += (size_t)sprintf(body + n, "%s--\r\n", delim);

	fuzz_read_3_ways(ct, body, n, 8192, fail_at_end, &o);
	if (fail_at_end)
		; /* the epilogue's read error may end it: any verdict */
	else if (o.stage != 4 || strcmp(o.name, name) != 0 ||
	    strcmp(o.ctype, "image/png") != 0 || o.len != flen ||
	    o.hash != fuzz_hash(FUZZ_HASH_INIT, file, flen))
		abort();
	free(body);
	free(ct);
	free(delim);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 limits[] = { 0, 1, 16, 64, 200, 1024, 8192,
				    70000 };
	struct fuzz_outcome	 whole;
	const char		*in, *nl;
	char			*ct;
	size_t			 len, max_headers;
	int			 fail_at_end;

	if (size == 0)
		return 0;
	max_headers = limits[data[0] & 7];
	fail_at_end = (data[0] & 8) != 0;
	in = (const char *)data + 1;
	len = size - 1;
	if (data[0] & 0x10) {
		fuzz_built(in, len, fail_at_end);
		return 0;
	}
	if ((nl = memchr(in, '\n', len)) == NULL)
		return 0;
	if ((ct = strndup(in, (size_t)(nl - in))) == NULL)
		abort();
	len -= (size_t)(nl + 1 - in);
	in = nl + 1;

	fuzz_read_3_ways(ct, in, len, max_headers, fail_at_end, &whole);
	free(ct);
	return 0;
}
