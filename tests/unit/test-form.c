/*
 * test-form.c — the streaming multipart/form-data reader: browser-like
 * bodies fed one byte at a time, in random pieces and whole (the file must
 * come out byte-identical, delimiter look-alikes included), a large binary
 * file, the header parameters browsers send, and every way a body can be
 * malformed or cut short, each with its HTTP status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"

/* The header block limit the reader is made with (worker.max_header_size). */
#define TEST_MAX_HEADERS	8192
#include "tap.h"
#include "xmalloc.h"

#define WEBKIT_BOUNDARY	"----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define WEBKIT_CT	"multipart/form-data; boundary=" WEBKIT_BOUNDARY

/* A growing byte string to build bodies in. */
struct bytes {
	char	*p;
	size_t	 len, cap;
};

static void
bytes_add(struct bytes *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
bytes_str(struct bytes *b, const char *s)
{
	bytes_add(b, s, strlen(s));
}

/* xorshift64*: the same pieces for the same seed on every run. */
static uint64_t
prng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

enum feed_mode {
	FEED_ONE,	/* one byte per read */
	FEED_RANDOM,	/* 1 to `max` bytes per read, from the seed */
	FEED_ALL,	/* as much as the reader asks for */
};

/* The body as the read callback hands it out. */
struct feed {
	const char	*data;
	size_t		 len, off;
	enum feed_mode	 mode;
	uint64_t	 rng;
	size_t		 max;
	size_t		 fail_at;	/* from here reads fail, */
	int		 fail_status;	/* with this status */
};

static ssize_t
feed_read(void *arg, void *buf, size_t len, int *status, const char **cause)
{
	struct feed	*fd = arg;
	size_t		 n, stop;

	if (fd->fail_status != 0 && fd->off >= fd->fail_at) {
		*status = fd->fail_status;
		*cause = "the client sent nothing for too long";
		return -1;
	}
	stop = fd->fail_status != 0 && fd->fail_at < fd->len ?
	    fd->fail_at : fd->len;
	if (fd->off >= stop)
		return 0;
	n = stop - fd->off;
	switch (fd->mode) {
	case FEED_ONE:
		n = 1;
		break;
	case FEED_RANDOM:
		if (n > fd->max)
			n = fd->max;
		n = 1 + (size_t)(prng(&fd->rng) % n);
		break;
	case FEED_ALL:
		break;
	}
	if (n > len)
		n = len;
	memcpy(buf, fd->data + fd->off, n);
	fd->off += n;
	return (ssize_t)n;
}

/* What one body gave, stage by stage. */
struct outcome {
	int	 stage;		/* what failed: 0 none, 1 form_file,
				 * 2 form_read, 3 form_finish */
	int	 status;
	char	 cause[256];
	char	 name[FORM_MAX_NAME + 2];
	char	 ctype[256];
	char	*data;		/* the file's bytes */
	size_t	 dlen;
	int	 sticky;	/* the next call failed the same way */
};

static void
outcome_free(struct outcome *o)
{
	free(o->data);
	o->data = NULL;
}

/*
 * Reads the body through a fresh form: the file, then the rest.  Reads of
 * the file ask for random sizes in FEED_RANDOM, 1 byte in FEED_ONE, and
 * 64 KiB in FEED_ALL.
 */
static void
run(const char *ct, const char *body, size_t len, enum feed_mode mode,
    uint64_t seed, size_t max, size_t fail_at, struct outcome *o)
{
	struct feed	 fd;
	struct form	*f;
	const char	*name, *ctype, *cause = NULL;
	char		*newcause = NULL, buf[65536];
	size_t		 want, cap;
	ssize_t		 n;
	int		 status = 0, status2;

	memset(o, 0, sizeof *o);
	memset(&fd, 0, sizeof fd);
	fd.data = body;
	fd.len = len;
	fd.mode = mode;
	fd.rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	fd.max = max;
	if (fail_at != (size_t)-1) {
		fd.fail_at = fail_at;
		fd.fail_status = 408;
	}
	if ((f = form_new(ct, TEST_MAX_HEADERS, feed_read, &fd, &newcause)) == NULL) {
		o->stage = -1;
		snprintf(o->cause, sizeof o->cause, "%s", newcause);
		free(newcause);
		return;
	}
	cap = 4096;
	o->data = xmalloc(cap);
	if (form_file(f, &name, &ctype, &status, &cause) != 0) {
		o->stage = 1;
		goto failed;
	}
	snprintf(o->name, sizeof o->name, "%s", name);
	snprintf(o->ctype, sizeof o->ctype, "%s", ctype);
	for (;;) {
		if (mode == FEED_ONE)
			want = 1;
		else if (mode == FEED_RANDOM)
			want = 1 + (size_t)(prng(&fd.rng) % sizeof buf);
		else
			want = sizeof buf;
		if ((n = form_read(f, buf, want, &status, &cause)) < 0) {
			o->stage = 2;
			goto failed;
		}
		if (n == 0)
			break;
		if ((size_t)n > want || o->dlen + (size_t)n > len) {
			o->stage = 2;
			status = 0;
			cause = "form_read overran";
			goto failed;
		}
		if (o->dlen + (size_t)n > cap) {
			while (o->dlen + (size_t)n > cap)
				cap *= 2;
			o->data = xrealloc(o->data, cap);
		}
		memcpy(o->data + o->dlen, buf, (size_t)n);
		o->dlen += (size_t)n;
	}
	/* The end of the file stays the end. */
	if (form_read(f, buf, sizeof buf, &status, &cause) != 0) {
		o->stage = 2;
		goto failed;
	}
	if (form_finish(f, &status, &cause) != 0) {
		o->stage = 3;
		goto failed;
	}
	form_free(f);
	return;
failed:
	o->status = status;
	snprintf(o->cause, sizeof o->cause, "%s", cause ? cause : "(null)");
	/* The error is sticky: the next call reports it again. */
	status2 = 0;
	cause = NULL;
	if (o->stage == 1)
		o->sticky = form_read(f, buf, 1, &status2, &cause) == -1 &&
		    status2 == o->status;
	else
		o->sticky = form_finish(f, &status2, &cause) == -1 &&
		    status2 == o->status;
	form_free(f);
}

/* One of the content patterns a file must survive unchanged. */
static void
tricky_content(struct bytes *b)
{
	int i;

	bytes_str(b, "\r\n--");
	bytes_str(b, "plain text\r\n--WebKit");
	bytes_add(b, "\r\n--" WEBKIT_BOUNDARY, 4 + 20);	/* cut short */
	bytes_str(b, "\r\n-" WEBKIT_BOUNDARY "\r\n");	/* one dash */
	bytes_str(b, "x--" WEBKIT_BOUNDARY "\r\n");	/* no CRLF before */
	bytes_str(b, "\n--" WEBKIT_BOUNDARY "\r\n");	/* LF only */
	/* The delimiter but its last byte. */
	bytes_str(b, "\r\n--" "----WebKitFormBoundary7MA4YWxkTrZu0g");
	bytes_str(b, "\r\r\n\r\n-\r\n--\r\n---");
	for (i = 0; i < 256; i++) {
		char c = (char)i;

		bytes_add(b, &c, 1);
	}
	bytes_add(b, "\0\0\r\n--\0", 7);
	/* Ends with a CR right before the real delimiter. */
	bytes_str(b, "\r\n--WebKitFormBoundary\r");
}

/*
 * Chrome's shape: a text field, the file, a text field, a second file
 * (which is not the one read), the closing delimiter.
 */
static void
browser_body(struct bytes *b, const void *file, size_t flen)
{
	bytes_str(b, "--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
	    "Holiday\r\n--\r\n--WebKitFormBound\r\n"
	    "--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"photo\"; "
	    "filename=\"beach.png\"\r\n"
	    "Content-Type: image/png\r\n\r\n");
	bytes_add(b, file, flen);
	bytes_str(b, "\r\n--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"caption\"\r\n\r\n"
	    "after the file\r\n"
	    "--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"other\"; "
	    "filename=\"second.txt\"\r\n"
	    "Content-Type: text/plain\r\n\r\n"
	    "not the file read\r\n"
	    "--" WEBKIT_BOUNDARY "--\r\n");
}

/* Whether o read the whole body and gave exactly `want` as the file. */
static int
good(const struct outcome *o, const char *want, size_t wlen)
{
	return o->stage == 0 && o->dlen == wlen &&
	    (wlen == 0 || memcmp(o->data, want, wlen) == 0);
}

static void
diag_outcome(const char *what, const struct outcome *o, size_t wlen)
{
	tap_diag("%s: stage %d status %d cause \"%s\" name \"%s\" ctype "
	    "\"%s\" %zu bytes (want %zu)", what, o->stage, o->status,
	    o->cause, o->name, o->ctype, o->dlen, wlen);
}

static void
test_browser(void)
{
	struct bytes	 file = { 0 }, body = { 0 };
	struct outcome	 o;
	uint64_t	 seed;
	size_t		 max;
	int		 bad;

	tricky_content(&file);
	browser_body(&body, file.p, file.len);

	run(WEBKIT_CT, body.p, body.len, FEED_ONE, 0, 0, (size_t)-1, &o);
	if (!tap_ok(good(&o, file.p, file.len), "browser body, 1-byte reads: "
	    "the file is byte-identical, the rest read"))
		diag_outcome("1-byte", &o, file.len);
	tap_is_str(o.name, "beach.png", "the file name");
	tap_is_str(o.ctype, "image/png", "the file's media type");
	outcome_free(&o);

	run(WEBKIT_CT, body.p, body.len, FEED_ALL, 0, 0, (size_t)-1, &o);
	if (!tap_ok(good(&o, file.p, file.len) &&
	    strcmp(o.name, "beach.png") == 0, "browser body, whole"))
		diag_outcome("whole", &o, file.len);
	outcome_free(&o);

	/* Pieces from 1 to `max` bytes, so that every split point occurs. */
	for (max = 2; max <= 128; max *= 4) {
		bad = 0;
		for (seed = 1; seed <= 300; seed++) {
			run(WEBKIT_CT, body.p, body.len, FEED_RANDOM, seed, max,
			    (size_t)-1, &o);
			if (!good(&o, file.p, file.len) && bad++ == 0) {
				tap_diag("seed %llu", (unsigned long long)seed);
				diag_outcome("random", &o, file.len);
			}
			outcome_free(&o);
		}
		tap_ok(bad == 0, "browser body, random pieces of 1-%zu bytes: "
		    "300 seeds byte-identical (%d failed)", max, bad);
	}

	free(file.p);
	free(body.p);
}

/* 5 MiB of noise with delimiter look-alikes sprinkled in. */
static void
test_big(void)
{
	struct bytes	 file = { 0 }, body = { 0 };
	struct outcome	 o;
	uint64_t	 s = 42, seed;
	size_t		 i, flen = 5 * 1024 * 1024;
	int		 bad = 0;

	file.p = xmalloc(flen + 1);
	file.cap = flen + 1;
	for (i = 0; i < flen; i += 8) {
		uint64_t v = prng(&s);

		memcpy(file.p + i, &v, 8);
	}
	file.len = flen;
	for (i = 1000; i + 64 < flen; i += 65536 - 7)
		memcpy(file.p + i, "\r\n--" WEBKIT_BOUNDARY, 4 + 30);
	browser_body(&body, file.p, file.len);

	run(WEBKIT_CT, body.p, body.len, FEED_ALL, 0, 0, (size_t)-1, &o);
	if (!tap_ok(good(&o, file.p, file.len), "5 MiB binary file, big reads"))
		diag_outcome("5 MiB whole", &o, file.len);
	outcome_free(&o);
	for (seed = 1; seed <= 3; seed++) {
		run(WEBKIT_CT, body.p, body.len, FEED_RANDOM, seed, 100000,
		    (size_t)-1, &o);
		if (!good(&o, file.p, file.len) && bad++ == 0)
			diag_outcome("5 MiB random", &o, file.len);
		outcome_free(&o);
	}
	tap_ok(bad == 0, "5 MiB binary file, random reads: 3 seeds");
	run(WEBKIT_CT, body.p, body.len, FEED_RANDOM, 9, 100, (size_t)-1, &o);
	if (!tap_ok(good(&o, file.p, file.len),
	    "5 MiB binary file, reads of 1-100 bytes"))
		diag_outcome("5 MiB small", &o, file.len);
	outcome_free(&o);
	free(file.p);
	free(body.p);
}

/* Text fields larger than the reader's buffer, before and after the file,
 * full of delimiter look-alikes. */
static void
test_big_fields(void)
{
	struct bytes	 field = { 0 }, file = { 0 }, body = { 0 };
	struct outcome	 o;
	uint64_t	 seed;
	int		 bad = 0;

	while (field.len < 200000) {
		bytes_str(&field, "line\r\n--WebKitFormBound\r\n-");
		bytes_str(&field, "\r\n--" "----WebKitFormBoundary7MA4YWxk");
	}
	tricky_content(&file);
	bytes_str(&body, "--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"before\"\r\n\r\n");
	bytes_add(&body, field.p, field.len);
	bytes_str(&body, "\r\n--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"t\"\r\n"
	    "\r\n");
	bytes_add(&body, file.p, file.len);
	bytes_str(&body, "\r\n--" WEBKIT_BOUNDARY "\r\n"
	    "Content-Disposition: form-data; name=\"after\"\r\n\r\n");
	bytes_add(&body, field.p, field.len);
	bytes_str(&body, "\r\n--" WEBKIT_BOUNDARY "--\r\n");

	run(WEBKIT_CT, body.p, body.len, FEED_ALL, 0, 0, (size_t)-1, &o);
	if (!good(&o, file.p, file.len) && bad++ == 0)
		diag_outcome("big fields whole", &o, file.len);
	outcome_free(&o);
	for (seed = 1; seed <= 20; seed++) {
		run(WEBKIT_CT, body.p, body.len, FEED_RANDOM, seed,
		    seed < 10 ? 64 : 20000, (size_t)-1, &o);
		if (!good(&o, file.p, file.len) && bad++ == 0)
			diag_outcome("big fields random", &o, file.len);
		outcome_free(&o);
	}
	tap_ok(bad == 0, "200 kB text fields before and after the file: the "
	    "file byte-identical, whole and in 20 random ways");
	free(field.p);
	free(file.p);
	free(body.p);
}

/* Runs a NUL-terminated body, read one way. */
static void
run_str(const char *ct, const char *body, enum feed_mode mode,
    struct outcome *o)
{
	run(ct, body, strlen(body), mode, 1, 7, (size_t)-1, o);
}

/* Runs a small body whole, 1 byte at a time and in random pieces. */
static int
run_all_ways(const char *ct, const char *body, struct outcome *o,
    const char *want, size_t wlen, const char *what)
{
	enum feed_mode	 modes[] = { FEED_ALL, FEED_ONE, FEED_RANDOM };
	size_t		 i;

	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		run(ct, body, strlen(body), modes[i], i, 7, (size_t)-1, o);
		if (!good(o, want, wlen)) {
			diag_outcome(what, o, wlen);
			return 0;
		}
		if (i + 1 < sizeof modes / sizeof modes[0])
			outcome_free(o);
	}
	return 1;
}

#define B	"--xyz\r\n"
#define CD	"Content-Disposition: form-data; name=\"f\"; "

static void
test_shapes(void)
{
	struct outcome o;

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    B CD "filename=\"empty.bin\"\r\n"
	    "Content-Type: application/x-empty\r\n\r\n"
	    "\r\n--xyz--\r\n", &o, "", 0, "empty file") &&
	    strcmp(o.name, "empty.bin") == 0,
	    "an empty file reads as 0 bytes, then the form ends");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=\"a b:c\"",
	    "--a b:c\r\n" CD "filename=\"q.txt\"\r\n\r\n"
	    "quoted\r\n--a b:c--", &o, "quoted", 6, "quoted boundary"),
	    "a quoted boundary with a space and a colon");
	outcome_free(&o);

	tap_ok(run_all_ways("Multipart/Form-Data; charset=utf-8; "
	    "BOUNDARY=xyz", B CD "filename=\"x\"\r\n\r\nok\r\n--xyz--\r\n",
	    &o, "ok", 2, "parameters"),
	    "media type and parameter names in any case, other parameters");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    B CD "filename=\"C:\\x\\a.png\"\r\n\r\nimg\r\n--xyz--\r\n",
	    &o, "img", 3, "windows path"),
	    "a file name with a Windows path");
	tap_is_str(o.name, "a.png", "C:\\x\\a.png as a browser sends it "
	    "(raw backslashes) gives a.png");
	outcome_free(&o);

	run_str("multipart/form-data; boundary=xyz", B CD
	    "filename=\"C:\\\\x\\\\b.png\"\r\n\r\nimg\r\n--xyz--\r\n",
	    FEED_ALL, &o);
	tap_is_str(o.name, "b.png", "an escaped Windows path gives its last "
	    "element");
	outcome_free(&o);

	run_str("multipart/form-data; boundary=xyz", B CD
	    "filename=\"/home/u/c.png\"\r\n\r\nimg\r\n--xyz--\r\n",
	    FEED_ALL, &o);
	tap_is_str(o.name, "c.png", "a POSIX path gives its last element");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    B CD "filename=\"my \\\"best\\\" day.png\"\r\n\r\n"
	    "x\r\n--xyz--\r\n", &o, "x", 1, "escaped quotes"),
	    "a file name with escaped quotes");
	tap_is_str(o.name, "my \"best\" day.png",
	    "escaped quotes in a file name are unescaped");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    B CD "filename=\"\"\r\nContent-Type: application/octet-stream"
	    "\r\n\r\n\r\n--xyz--\r\n", &o, "", 0, "no file chosen") &&
	    strcmp(o.name, "") == 0,
	    "an empty file name (no file chosen) is a file named \"\"");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    B CD "filename=\"n.dat\"\r\n\r\nraw\r\n--xyz--\r\n",
	    &o, "raw", 3, "no content type"),
	    "a file part without Content-Type");
	tap_is_str(o.ctype, "application/octet-stream",
	    "a part without Content-Type is application/octet-stream");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    "This is the preamble, --xyz and --xyz-- not after a line "
	    "break.\r\n-xyz\r\n"
	    B CD "filename=\"p\"\r\n\r\npre\r\n--xyz--\r\nepilogue\r\n",
	    &o, "pre", 3, "preamble"),
	    "a preamble before the first delimiter, an epilogue after the "
	    "last");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    "--xyz   \r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
	    "text\r\n--xyz \t \r\n" CD "filename=\"pad\"\r\n\r\n"
	    "padded\r\n--xyz  \r\n"
	    "Content-Disposition: form-data; name=\"u\"\r\n\r\nv\r\n"
	    "--xyz--  \r\n", &o, "padded", 6, "padding"),
	    "transport padding (blanks) after delimiters");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    B "content-disposition: form-data; name=\"f\"; filename=\"lc\"\r\n"
	    "content-type: text/csv\r\nX-Other: 1\r\n\r\n"
	    "a,b\r\n--xyz--\r\n", &o, "a,b", 3, "lower case"),
	    "header names in lower case; unknown headers ignored");
	tap_is_str(o.ctype, "text/csv", "a lower-case content-type is read");
	outcome_free(&o);

	tap_ok(run_all_ways("multipart/form-data; boundary=xyz",
	    "--xyz\r\n\r\nno headers at all\r\n"
	    B CD "filename=\"h\"\r\n\r\nh\r\n--xyz--", &o, "h", 1,
	    "headerless part"),
	    "a part with no headers is skipped as a field; no CRLF at the end");
	outcome_free(&o);
}

/* Transport padding up to FORM_PADDING (64) blanks, and no more. */
static void
test_padding_limit(void)
{
	struct bytes	pb = { 0 };
	struct outcome	o;
	int		blanks;

	for (blanks = 64; blanks <= 65; blanks++) {
		pb.len = 0;
		bytes_str(&pb, "--xyz");
		bytes_add(&pb, "                                "
		    "                                  ", (size_t)blanks);
		bytes_str(&pb, "\r\n" CD "filename=\"p\"\r\n\r\np"
		    "\r\n--xyz--\r\n");
		run("multipart/form-data; boundary=xyz", pb.p, pb.len,
		    FEED_ONE, 0, 0, (size_t)-1, &o);
		if (blanks == 64)
			tap_ok(good(&o, "p", 1), "64 blanks of padding (the "
			    "limit) are read");
		else
			tap_ok(o.stage == 1 && o.status == 400,
			    "65 blanks of padding: 400 (%d)", o.status);
		outcome_free(&o);
	}
	free(pb.p);
}

static void
test_bad_bodies(void)
{
	struct bytes	 b = { 0 };
	struct outcome	 o;
	const char	*ct = "multipart/form-data; boundary=xyz";
	const char	*full = B CD "filename=\"f\"\r\n\r\n"
	    "0123456789\r\n--xyz\r\n"
	    "Content-Disposition: form-data; name=\"t\"\r\n\r\nv\r\n"
	    "--xyz--\r\n";
	const char	*file_end = strstr(full, "0123456789") + 10;
	size_t		 cut;
	int		 i, wrong;

	tap_ok(run_all_ways(ct, full, &o, "0123456789", 10, "reference"),
	    "the body the cuts below are taken from reads whole");
	outcome_free(&o);

	run_str(ct, B "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "1\r\n" B "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
	    "2\r\n--xyz--\r\n", FEED_ONE, &o);
	tap_ok(o.stage == 1 && o.status == 422 && o.sticky,
	    "a form with only text fields: form_file -1, 422 (\"%s\")",
	    o.cause);
	outcome_free(&o);

	run(ct, "--xyz--\r\n", 9, FEED_ALL, 0, 0, (size_t)-1, &o);
	tap_ok(o.stage == 1 && o.status == 422, "an empty form: 422 (%d)",
	    o.status);
	outcome_free(&o);

	run(ct, "no delimiter at all", 19, FEED_ALL, 0, 0, (size_t)-1, &o);
	tap_ok(o.stage == 1 && o.status == 400,
	    "a body without any delimiter: 400 (%d)", o.status);
	outcome_free(&o);

	/* Every cut inside the file's bytes. */
	wrong = 0;
	for (cut = (size_t)(strstr(full, "0123456789") - full);
	    cut < (size_t)(file_end - full) + 7; cut++) {
		for (i = 0; i < 3; i++) {
			run(ct, full, cut, (enum feed_mode)i, cut, 3,
			    (size_t)-1, &o);
			if (!(o.stage == 2 && o.status == 400 && o.sticky) &&
			    wrong++ == 0)
				diag_outcome("cut in file", &o, 10);
			outcome_free(&o);
		}
	}
	tap_ok(wrong == 0, "a body cut inside the file or its delimiter: "
	    "form_read -1, 400");

	/* Every cut after the file's delimiter, before the closing one. */
	wrong = 0;
	for (cut = (size_t)(file_end - full) + 7; cut < strlen(full) - 2;
	    cut++) {
		for (i = 0; i < 3; i++) {
			run(ct, full, cut, (enum feed_mode)i, cut, 3,
			    (size_t)-1, &o);
			if (!(o.stage == 3 && o.status == 400 &&
			    o.dlen == 10) && wrong++ == 0) {
				tap_diag("cut at %zu of %zu", cut,
				    strlen(full));
				diag_outcome("cut after file", &o, 10);
			}
			outcome_free(&o);
		}
	}
	tap_ok(wrong == 0, "a body cut after the file, before the closing "
	    "delimiter: the file reads whole, form_finish -1, 400");

	/* Cuts in the headers of the file's part. */
	wrong = 0;
	for (cut = 0; cut < (size_t)(strstr(full, "0123456789") - full);
	    cut++) {
		run(ct, full, cut, FEED_ONE, 0, 0, (size_t)-1, &o);
		if (!(o.stage == 1 && o.status == 400) && wrong++ == 0)
			diag_outcome("cut in headers", &o, 0);
		outcome_free(&o);
	}
	tap_ok(wrong == 0, "a body cut before the file: form_file -1, 400");

	run_str(ct, B CD "filename=\"a\"\r\nthis line has no colon\r\n\r\n"
	    "x\r\n--xyz--\r\n", FEED_ONE, &o);
	tap_ok(o.stage == 1 && o.status == 400,
	    "a header line without a colon: 400 (\"%s\")", o.cause);
	outcome_free(&o);

	run_str(ct, B CD "filename=\"unterminated\r\n\r\nx\r\n--xyz--\r\n",
	    FEED_ALL, &o);
	tap_ok(o.stage == 1 && o.status == 400,
	    "an unterminated quoted file name: 400 (\"%s\")", o.cause);
	outcome_free(&o);

	run_str(ct, "--xyzjunk\r\n" CD "filename=\"a\"\r\n\r\nx\r\n"
	    "--xyz--\r\n", FEED_ONE, &o);
	tap_ok(o.stage == 1 && o.status == 400,
	    "a delimiter followed by other text: 400 (\"%s\")", o.cause);
	outcome_free(&o);

	run_str(ct, B CD "filename=\"a\"\r\n\r\nx\r\n--xyz-\r\n", FEED_ALL,
	    &o);
	tap_ok(o.stage == 3 && o.status == 400 && o.dlen == 1,
	    "a closing delimiter with one dash: form_finish 400 (\"%s\")",
	    o.cause);
	outcome_free(&o);

	/* The part's header block at the limit, and one byte over it. */
	for (i = 0; i < 2; i++) {
		size_t block = TEST_MAX_HEADERS + (size_t)i, fill;
		int j, okc = 0;

		b.len = 0;
		bytes_str(&b, B CD "filename=\"big\"\r\nX-Pad: ");
		/* The block is everything from here back to after B, without
		 * its closing blank line. */
		fill = block - (b.len - strlen(B));
		while (fill-- > 0)
			bytes_str(&b, "p");
		bytes_str(&b, "\r\n\r\nbody\r\n--xyz--\r\n");
		for (j = 0; j < 3; j++) {
			run(ct, b.p, b.len, (enum feed_mode)j, 5, 300,
			    (size_t)-1, &o);
			if (i == 0 ? good(&o, "body", 4) :
			    o.stage == 1 && o.status == 400)
				okc++;
			else
				diag_outcome(i == 0 ? "at limit" : "over limit",
				    &o, 4);
			outcome_free(&o);
		}
		tap_ok(okc == 3, i == 0 ?
		    "a header block of max_headers bytes is read, "
		    "however it arrives" :
		    "a header block over max_headers: 400, however it "
		    "arrives");
	}
	/* Headers that never end. */
	b.len = 0;
	bytes_str(&b, B CD "filename=\"big\"\r\n");
	while (b.len < 200000)
		bytes_str(&b, "X-Pad: pppppppppppppppppppppppppp\r\n");
	run(ct, b.p, b.len, FEED_RANDOM, 3, 1000, (size_t)-1, &o);
	tap_ok(o.stage == 1 && o.status == 400,
	    "200 kB of headers: 400 (\"%s\")", o.cause);
	outcome_free(&o);
	free(b.p);
}

static void
test_read_failure(void)
{
	struct bytes	 file = { 0 }, body = { 0 };
	struct outcome	 o;
	size_t		 at[3], i;
	int		 mode, wrong;

	for (i = 0; i < 300; i++)
		bytes_str(&file, "content ");
	browser_body(&body, file.p, file.len);
	at[0] = 50;				/* in the first field */
	at[1] = (size_t)(strstr(body.p, "content ") - body.p) + 1000;
	at[2] = body.len - 20;			/* after the file */
	for (i = 0; i < 3; i++) {
		wrong = 0;
		for (mode = 0; mode < 3; mode++) {
			run(WEBKIT_CT, body.p, body.len, (enum feed_mode)mode,
			    7, 50, at[i], &o);
			if (!(o.stage == (int)i + 1 && o.status == 408 &&
			    strcmp(o.cause, "the client sent nothing for too "
			    "long") == 0 && o.sticky) && wrong++ == 0)
				diag_outcome("408", &o, file.len);
			outcome_free(&o);
		}
		tap_ok(wrong == 0, "a read failing with 408 %s: the %s "
		    "returns -1 with 408 and the read's cause", i == 0 ?
		    "before the file" : i == 1 ? "in the file" :
		    "after the file", i == 0 ? "form_file" : i == 1 ?
		    "form_read" : "form_finish");
	}
	free(file.p);
	free(body.p);
}

static void
test_new(void)
{
	const char *bad[] = {
		"multipart/form-data",
		"multipart/form-data; charset=utf-8",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"abc ",
		"multipart/form-data; boundary=\"abc \"",
		"multipart/form-data; boundary=a@b",
		"multipart/form-data; boundary=\"a\x01z\"",
		"multipart/form-data; boundary=\"a\\\"b\"",
		"multipart/form-data; boundary="
		    "12345678901234567890123456789012345678901234567890"
		    "123456789012345678901",		/* 71 */
		"multipart/form-data; boundary="
		    "12345678901234567890123456789012345678901234567890"
		    "12345678901234567890123456789012345678901234567890"
		    "12345678901234567890123456789012345678901234567890",
		"multipart/mixed; boundary=xyz",
		"text/plain; boundary=xyz",
		"multipart/form-dataX; boundary=xyz",
		"",
		NULL,
	};
	const char	*b70 = "1234567890123456789012345678901234567890"
	    "123456789012345678901234567890";
	struct bytes	 body = { 0 }, ct = { 0 };
	struct outcome	 o;
	struct form	*f;
	char		*cause;
	size_t		 i;
	int		 wrong = 0;
	struct feed	 fd = { 0 };

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		f = form_new(bad[i], TEST_MAX_HEADERS, feed_read, &fd, &cause);
		if (f != NULL || cause == NULL || *cause == '\0') {
			if (wrong++ == 0)
				tap_diag("accepted: %s", bad[i] ? bad[i] :
				    "NULL");
			form_free(f);
		}
		free(cause);
	}
	tap_ok(wrong == 0, "missing, empty, invalid and 71-byte boundaries "
	    "(and non-form types): form_new NULL with a cause");

	bytes_str(&ct, "multipart/form-data; boundary=");
	bytes_str(&ct, b70);
	bytes_str(&body, "--");
	bytes_str(&body, b70);
	bytes_str(&body, "\r\n" CD "filename=\"z\"\r\n\r\n70\r\n--");
	bytes_str(&body, b70);
	bytes_str(&body, "--\r\n");
	tap_ok(run_all_ways(ct.p, body.p, &o, "70", 2, "70-byte boundary"),
	    "a 70-byte boundary is accepted and works");
	outcome_free(&o);
	free(ct.p);
	free(body.p);

	form_free(NULL);
	tap_ok(1, "form_free(NULL) is harmless");
}

static void
test_is_multipart(void)
{
	struct {
		const char	*ct;
		int		 want;
	} cases[] = {
		{ "multipart/form-data", 1 },
		{ "multipart/form-data; boundary=x", 1 },
		{ "Multipart/Form-Data;boundary=x", 1 },
		{ "multipart/form-data ; boundary=x", 1 },
		{ "multipart/form-data\t; boundary=x", 1 },
		{ "multipart/form-datax", 0 },
		{ "multipart/form", 0 },
		{ "multipart/mixed; boundary=x", 0 },
		{ "application/x-www-form-urlencoded", 0 },
		{ " multipart/form-data", 0 },
		{ "", 0 },
		{ NULL, 0 },
	};
	size_t	i;
	int	wrong = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (form_is_multipart(cases[i].ct) != cases[i].want) {
			wrong++;
			tap_diag("form_is_multipart(%s) != %d",
			    cases[i].ct ? cases[i].ct : "NULL", cases[i].want);
		}
	}
	tap_ok(wrong == 0, "form_is_multipart: %zu cases", i);
}

/* Calls out of order fail cleanly instead of misreading the body. */
static void
test_misuse(void)
{
	const char	*ct = "multipart/form-data; boundary=xyz";
	const char	*body = B CD "filename=\"a\"\r\n\r\nabc\r\n"
	    "--xyz--\r\n";
	struct feed	 fd = { 0 };
	struct form	*f;
	const char	*name, *ctype, *cause;
	char		*ncause = NULL, buf[16];
	int		 status;

	fd.data = body;
	fd.len = strlen(body);
	fd.mode = FEED_ALL;
	f = form_new(ct, TEST_MAX_HEADERS, feed_read, &fd, &ncause);
	status = 0;
	tap_ok(f != NULL && form_read(f, buf, sizeof buf, &status,
	    &cause) == -1 && status == 500,
	    "form_read before form_file: -1, 500");
	form_free(f);

	fd.off = 0;
	f = form_new(ct, TEST_MAX_HEADERS, feed_read, &fd, &ncause);
	status = 0;
	tap_ok(f != NULL && form_file(f, &name, &ctype, &status, &cause) == 0 &&
	    form_finish(f, &status, &cause) == -1 && status == 500,
	    "form_finish before the file is read: -1, 500");
	form_free(f);

	fd.off = 0;
	f = form_new(ct, TEST_MAX_HEADERS, feed_read, &fd, &ncause);
	status = 0;
	tap_ok(f != NULL && form_file(f, &name, &ctype, &status, &cause) == 0 &&
	    form_file(f, &name, &ctype, &status, &cause) == -1 &&
	    status == 500, "form_file twice: -1, 500");
	form_free(f);
}

int
main(void)
{
	/* A hang in the reader fails the test instead of stalling make. */
	alarm(300);
	test_is_multipart();
	test_new();
	test_browser();
	test_shapes();
	test_padding_limit();
	test_bad_bodies();
	test_read_failure();
	test_big();
	test_big_fields();
	test_misuse();
	return tap_done();
}
