/*
 * form.c — see form.h.
 *
 * The body is searched for the delimiter "\r\n--BOUNDARY".  The buffer is
 * primed with "\r\n" so that the first delimiter, which may open the body
 * without a line break before it, looks like every other one.  Bytes of a
 * file are handed out as soon as they cannot be the start of a delimiter:
 * everything but the last (delimiter length - 1) bytes buffered.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "xmalloc.h"

#define FORM_BUF	(64 * 1024)	/* at least; more for large headers */
#define FORM_BOUNDARY	70	/* longest boundary (RFC 2046) */
#define FORM_PADDING	64	/* blanks allowed after a delimiter */

enum form_state {
	FORM_PREAMBLE,		/* before the first delimiter */
	FORM_FILE,		/* in the file's bytes */
	FORM_AFTER_FILE,	/* the delimiter after the file was read */
	FORM_DONE,		/* the closing delimiter and the end were read */
};

struct form {
	form_read_fn	 read;
	void		*arg;
	char		 delim[4 + FORM_BOUNDARY + 1];	/* "\r\n--" boundary */
	size_t		 dlen;
	char		*buf;
	size_t		 size;		/* of buf */
	size_t		 start, end;	/* the buffered bytes */
	size_t		 max_headers;	/* bytes of one part's header block */
	int		 eof;		/* the body has ended */
	enum form_state	 state;
	int		 failed;	/* a sticky error: status, cause */
	int		 status;
	char		 cause[192];
	char		 name[FORM_MAX_NAME + 1];
	char		 ctype[128];
};

int
form_is_multipart(const char *ct)
{
	size_t n = strlen("multipart/form-data");

	return ct != NULL && strncasecmp(ct, "multipart/form-data", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* The boundary of RFC 2046: 1 to 70 of these, not ending with a space. */
static int
form_boundary_char(int ch)
{
	return isalnum(ch) || strchr("'()+_,-./:=? ", ch) != NULL;
}

/* Finds parameter `name` in "type; a=b; name="value"" into out. */
static int
form_param(const char *s, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), n = 0;

	while ((s = strchr(s, ';')) != NULL) {
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncasecmp(s, name, nlen) != 0 || s[nlen] != '=')
			continue;
		s += nlen + 1;
		if (*s == '"') {
			for (s++; *s != '\0' && *s != '"'; s++) {
				/*
				 * Only a quote or a backslash is escaped: a
				 * Windows path sent as is ("C:\dir\a.png")
				 * keeps its backslashes.
				 */
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				if (n + 1 < outlen)	/* a long one is cut */
					out[n++] = *s;
			}
			if (*s != '"')
				return -1;
		} else {
			for (; *s != '\0' && *s != ';' && *s != ' ' &&
			    *s != '\t'; s++) {
				if (n + 1 < outlen)
					out[n++] = *s;
			}
		}
		out[n] = '\0';
		return 1;
	}
	return 0;
}

struct form *
form_new(const char *content_type, size_t max_headers, form_read_fn read,
    void *arg, char **cause)
{
	char		 boundary[FORM_BOUNDARY + 2];
	struct form	*f;
	size_t		 i, n;

	if (!form_is_multipart(content_type) ||
	    form_param(content_type, "boundary", boundary,
	    sizeof boundary) != 1) {
		*cause = xstrdup("multipart/form-data without a boundary");
		return NULL;
	}
	n = strlen(boundary);
	for (i = 0; i < n; i++) {
		if (!form_boundary_char((unsigned char)boundary[i]))
			break;
	}
	if (n == 0 || n > FORM_BOUNDARY || i < n || boundary[n - 1] == ' ') {
		*cause = xstrdup("the multipart boundary is malformed");
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->read = read;
	f->arg = arg;
	f->dlen = (size_t)snprintf(f->delim, sizeof f->delim, "\r\n--%s",
	    boundary);
	f->max_headers = max_headers;
	/* A whole header block, its end and a delimiter must fit. */
	f->size = max_headers + 4 + f->dlen < FORM_BUF ? FORM_BUF :
	    max_headers + 4 + f->dlen;
	f->buf = xmalloc(f->size);
	memcpy(f->buf, "\r\n", 2);
	f->end = 2;
	return f;
}

void
form_free(struct form *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

/* Records the first error; returns -1. */
static int
form_fail(struct form *f, int status, const char *cause)
{
	if (!f->failed) {
		f->failed = 1;
		f->status = status;
		snprintf(f->cause, sizeof f->cause, "%s", cause);
	}
	return -1;
}

/* Reads more of the body: 1 when bytes came, 0 at its end, -1. */
static int
form_fill(struct form *f)
{
	const char	*cause;
	ssize_t		 n;
	int		 status;

	if (f->eof)
		return 0;
	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->end -= f->start;
		f->start = 0;
	}
	if (f->end == f->size)
		return 1;	/* full: the caller looks at it first */
	n = f->read(f->arg, f->buf + f->end, f->size - f->end, &status,
	    &cause);
	if (n < 0)
		return form_fail(f, status, cause);
	if (n == 0) {
		f->eof = 1;
		return 0;
	}
	f->end += (size_t)n;
	return 1;
}

/* Makes at least `want` bytes buffered: 1, 0 when the body ends first,
 * -1. */
static int
form_want(struct form *f, size_t want)
{
	int rc;

	while (f->end - f->start < want) {
		if ((rc = form_fill(f)) <= 0)
			return rc;
	}
	return 1;
}

/* The offset of `pat` in the buffered bytes, or -1. */
static ssize_t
form_find(const struct form *f, const char *pat, size_t len)
{
	const char *p;

	p = memmem(f->buf + f->start, f->end - f->start, pat, len);
	return p == NULL ? -1 : p - (f->buf + f->start);
}

/*
 * After a delimiter: 1 when a part follows (its headers are next), 0 for
 * the closing delimiter (the rest of the body is read and dropped), -1.
 */
static int
form_after_delim(struct form *f)
{
	size_t	 pad;
	int	 rc;

	if ((rc = form_want(f, 2)) <= 0)
		return rc < 0 ? -1 : form_fail(f, 400,
		    "the form ends inside a delimiter");
	if (memcmp(f->buf + f->start, "--", 2) == 0) {
		/* The epilogue: ignored, but read so the body is whole. */
		f->start = f->end;
		while ((rc = form_fill(f)) > 0)
			f->start = f->end;
		if (rc < 0)
			return -1;
		f->state = FORM_DONE;
		return 0;
	}
	for (pad = 0; pad < FORM_PADDING; pad++) {
		if (form_want(f, 1) <= 0)
			break;
		if (f->buf[f->start] != ' ' && f->buf[f->start] != '\t')
			break;
		f->start++;
	}
	if (form_want(f, 2) <= 0 || memcmp(f->buf + f->start, "\r\n", 2) != 0)
		return form_fail(f, 400, "a multipart delimiter is not "
		    "followed by a line break");
	f->start += 2;
	return 1;
}

/* Drops bytes up to and including the next delimiter; then as
 * form_after_delim. */
static int
form_skip_part(struct form *f)
{
	ssize_t	 pos;
	int	 rc;

	for (;;) {
		if ((pos = form_find(f, f->delim, f->dlen)) >= 0) {
			f->start += (size_t)pos + f->dlen;
			return form_after_delim(f);
		}
		/* Keep what may be the start of a delimiter. */
		if (f->end - f->start >= f->dlen)
			f->start = f->end - (f->dlen - 1);
		if ((rc = form_fill(f)) <= 0)
			return rc < 0 ? -1 : form_fail(f, 400, "the form "
			    "ends before its closing delimiter");
	}
}

/* Keeps the last path element of a client's file name, without controls. */
static void
form_set_name(struct form *f, const char *raw)
{
	const char	*base = raw, *p;
	size_t		 n = 0;

	for (p = raw; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\')
			base = p + 1;
	}
	for (p = base; *p != '\0' && n < FORM_MAX_NAME; p++) {
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			f->name[n++] = *p;
	}
	f->name[n] = '\0';
}

/*
 * Reads one part's header block.  1 when the part is a file (name and
 * media type recorded), 0 when it is not, -1.
 */
static int
form_part_headers(struct form *f)
{
	char	 raw[FORM_MAX_NAME * 4 + 1];
	char	*block, *line, *next, *value;
	ssize_t	 pos;
	int	 rc, file = 0;

	f->ctype[0] = '\0';
	for (;;) {
		/* An empty header block is a bare line break. */
		if (f->end - f->start >= 2 &&
		    memcmp(f->buf + f->start, "\r\n", 2) == 0) {
			f->start += 2;
			block = xstrdup("");
			goto parse;
		}
		if ((pos = form_find(f, "\r\n\r\n", 4)) >= 0) {
			if ((size_t)pos > f->max_headers)
				break;
			block = xmalloc((size_t)pos + 1);
			memcpy(block, f->buf + f->start, (size_t)pos);
			block[pos] = '\0';
			f->start += (size_t)pos + 4;
			goto parse;
		}
		/* Beyond this the end of the block ("\r\n\r\n") is over
		 * the limit, however much of it has arrived. */
		if (f->end - f->start > f->max_headers + 3)
			break;
		if ((rc = form_fill(f)) <= 0)
			return rc < 0 ? -1 : form_fail(f, 400, "the form ends "
			    "inside the headers of a part");
	}
	return form_fail(f, 400, "the headers of a form part are too large");
parse:
	for (line = block; line != NULL && *line != '\0'; line = next) {
		if ((next = strstr(line, "\r\n")) != NULL) {
			*next = '\0';
			next += 2;
		}
		if ((value = strchr(line, ':')) == NULL) {
			file = form_fail(f, 400, "a form part has a malformed "
			    "header");
			break;
		}
		*value++ = '\0';
		while (*value == ' ' || *value == '\t')
			value++;
		if (strcasecmp(line, "Content-Disposition") == 0) {
			rc = form_param(value, "filename", raw, sizeof raw);
			if (rc < 0) {
				file = form_fail(f, 400, "a form part has a "
				    "malformed file name");
				break;
			}
			if (rc == 1) {
				file = 1;
				form_set_name(f, raw);
			}
		} else if (strcasecmp(line, "Content-Type") == 0)
			snprintf(f->ctype, sizeof f->ctype, "%s", value);
	}
	free(block);
	if (f->ctype[0] == '\0')
		snprintf(f->ctype, sizeof f->ctype, "application/octet-stream");
	return file;
}

int
form_file(struct form *f, const char **name, const char **ctype,
    int *status, const char **cause)
{
	int rc;

	if (f->state != FORM_PREAMBLE)
		form_fail(f, 500, "the form's file was already read");
	else if ((rc = form_skip_part(f)) == 0)
		form_fail(f, 422, "the form has no file");
	else if (rc == 1) {
		while ((rc = form_part_headers(f)) == 0) {
			/* A text field: skip to the next part. */
			if ((rc = form_skip_part(f)) != 1) {
				if (rc == 0)
					form_fail(f, 422, "the form has no "
					    "file");
				break;
			}
		}
		if (rc == 1) {
			f->state = FORM_FILE;
			*name = f->name;
			*ctype = f->ctype;
			return 0;
		}
	}
	*status = f->status;
	*cause = f->cause;
	return -1;
}

ssize_t
form_read(struct form *f, void *buf, size_t len, int *status,
    const char **cause)
{
	ssize_t	 pos, n;
	size_t	 safe;
	int	 rc;

	while (f->state == FORM_FILE && !f->failed) {
		if ((pos = form_find(f, f->delim, f->dlen)) == 0) {
			f->start += f->dlen;
			f->state = FORM_AFTER_FILE;
			return 0;
		}
		if (pos > 0)
			safe = (size_t)pos;
		else if (f->end - f->start >= f->dlen)
			safe = f->end - f->start - (f->dlen - 1);
		else
			safe = 0;
		if (safe > 0) {
			n = (ssize_t)(safe < len ? safe : len);
			memcpy(buf, f->buf + f->start, (size_t)n);
			f->start += (size_t)n;
			return n;
		}
		if ((rc = form_fill(f)) == 0)
			form_fail(f, 400, "the form ends inside its file");
	}
	if (!f->failed && f->state == FORM_AFTER_FILE)
		return 0;
	if (!f->failed)
		form_fail(f, 500, "the form's file is not being read");
	*status = f->status;
	*cause = f->cause;
	return -1;
}

int
form_finish(struct form *f, int *status, const char **cause)
{
	int rc;

	if (f->state != FORM_AFTER_FILE && !f->failed)
		form_fail(f, 500, "the form's file was not read to its end");
	if (!f->failed) {
		rc = form_after_delim(f);
		while (rc == 1)
			rc = form_skip_part(f);
		if (rc == 0)
			return 0;
	}
	*status = f->status;
	*cause = f->cause;
	return -1;
}
