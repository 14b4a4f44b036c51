/*
 * http-chunked.c — an incremental decoder for the chunked transfer coding
 * (RFC 9112 section 7.1).
 *
 * It keeps its whole state in struct http_chunked, so input may arrive in
 * pieces of any size, down to one byte, and gives the same result.  Sizes,
 * extensions and trailers are bounded and CRLF is the only line ending: a
 * decoder that tolerated more than the proxy in front would let a request
 * hide inside another's body.
 */
#include <stdint.h>
#include <string.h>

#include "http.h"

/* Used when the caller gives no bound on a size or trailer line. */
#define HTTP_CHUNKED_DEFAULT_LINE	4096
/* 16 hex digits fill a uint64_t: more would overflow it. */
#define HTTP_CHUNKED_MAX_DIGITS		16
/* The whole trailer section may hold this many lines' worth of bytes. */
#define HTTP_CHUNKED_TRAILER_LINES	4

/* The value of a hex digit, or -1. */
static int
http_chunked_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 for a byte allowed inside a field value: VCHAR, obs-text, SP, HTAB. */
static int
http_chunked_vbyte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Starts a chunk-size line. */
static void
http_chunked_new_size(struct http_chunked *st)
{
	st->state = CHUNK_SIZE;
	st->remaining = 0;
	st->size_digits = 0;
	st->line_len = 0;
}

/* Starts a trailer line (or the empty line that ends the body). */
static void
http_chunked_new_trailer(struct http_chunked *st)
{
	st->state = CHUNK_TRAILER;
	st->line_len = 0;
	st->trailer_line_empty = 1;
	st->trailer_in_value = 0;
}

/*
 * Accepts a decoder to reset and the longest size or trailer line allowed
 * (0 for a default).  The trailer section may hold four such lines.
 */
void
http_chunked_init(struct http_chunked *st, size_t max_line)
{
	memset(st, 0, sizeof *st);
	st->max_line = max_line != 0 ? max_line : HTTP_CHUNKED_DEFAULT_LINE;
	http_chunked_new_size(st);
}

/*
 * Accepts the byte c of a chunk-size line: 1*HEXDIG, then either CRLF or
 * BWS ";" and an extension.  line_len counts the line's bytes so far and
 * size_digits its digits: they differ once whitespace follows the size.
 */
static int
http_chunked_size(struct http_chunked *st, unsigned char c, const char **why)
{
	int	d;

	if (++st->line_len > st->max_line) {
		*why = "chunk size line too long";
		return -1;
	}
	if ((d = http_chunked_hex(c)) != -1) {
		if (st->line_len - 1 != (size_t)st->size_digits) {
			*why = "invalid chunk size";
			return -1;
		}
		if (st->size_digits == HTTP_CHUNKED_MAX_DIGITS) {
			*why = "chunk size too large";
			return -1;
		}
		st->remaining = (st->remaining << 4) | (uint64_t)d;
		st->size_digits++;
		return 0;
	}
	if (st->size_digits == 0) {
		*why = "missing chunk size";
		return -1;
	}
	switch (c) {
	case ' ':
	case '\t':
		return 0;
	case ';':
		st->state = CHUNK_EXT;
		return 0;
	case '\r':
		if (st->line_len - 1 != (size_t)st->size_digits) {
			*why = "whitespace after chunk size";
			return -1;
		}
		st->state = CHUNK_SIZE_LF;
		return 0;
	}
	*why = "invalid chunk size";
	return -1;
}

/*
 * Accepts the byte c of a trailer line, which must be a valid header
 * field (token ":" value, no obs-fold), or of the empty line ending the
 * body.  Trailers are checked, then dropped.
 */
static int
http_chunked_trailer(struct http_chunked *st, unsigned char c,
    const char **why)
{
	if (c == '\r') {
		if (!st->trailer_line_empty && !st->trailer_in_value) {
			*why = "trailer field without colon";
			return -1;
		}
		st->state = CHUNK_TRAILER_LF;
		return 0;
	}
	if (++st->line_len > st->max_line) {
		*why = "trailer field too long";
		return -1;
	}
	if (st->trailer_line_empty) {
		if (c == ' ' || c == '\t') {
			*why = "obs-fold in trailer";
			return -1;
		}
		st->trailer_line_empty = 0;
	}
	if (st->trailer_in_value) {
		if (!http_chunked_vbyte(c)) {
			*why = "invalid character in trailer value";
			return -1;
		}
		return 0;
	}
	if (c == ':' && st->line_len > 1) {
		st->trailer_in_value = 1;
		return 0;
	}
	if (!http_is_tchar(c)) {
		*why = "invalid trailer field name";
		return -1;
	}
	return 0;
}

/*
 * Accepts in[0..len), the next bytes of a chunked body, and a sink for the
 * decoded data (NULL discards it).  Once the body is complete, later bytes
 * are not consumed and later calls return 1 at once.  After -1 the decoder
 * is in no useful state and must not be fed again.
 */
int
http_chunked_feed(struct http_chunked *st, const char *in, size_t len,
    size_t *consumed, http_chunked_sink sink, void *arg, const char **cause)
{
	const char	*why = NULL;
	size_t		 i = 0, n, trailer_max;
	unsigned char	 c;

	if (st->max_line > SIZE_MAX / HTTP_CHUNKED_TRAILER_LINES)
		trailer_max = SIZE_MAX;
	else
		trailer_max = st->max_line * HTTP_CHUNKED_TRAILER_LINES;

	while (i < len && st->state != CHUNK_DONE) {
		if (st->state == CHUNK_DATA) {
			n = len - i;
			if (n > st->remaining)
				n = (size_t)st->remaining;
			if (sink != NULL && sink(arg, in + i, n) < 0) {
				why = "body refused";
				goto fail;
			}
			i += n;
			st->remaining -= n;
			if (st->remaining == 0)
				st->state = CHUNK_DATA_CR;
			continue;
		}

		c = (unsigned char)in[i++];
		switch (st->state) {
		case CHUNK_SIZE:
			if (http_chunked_size(st, c, &why) != 0)
				goto fail;
			break;
		case CHUNK_EXT:
			/*
			 * Extensions mean nothing here, so they are only
			 * bounded and kept free of control bytes.
			 */
			if (++st->line_len > st->max_line) {
				why = "chunk extension too long";
				goto fail;
			}
			if (c == '\r')
				st->state = CHUNK_SIZE_LF;
			else if (!http_chunked_vbyte(c)) {
				why = "invalid chunk extension";
				goto fail;
			}
			break;
		case CHUNK_SIZE_LF:
			if (c != '\n') {
				why = "bare CR in chunk size line";
				goto fail;
			}
			if (st->remaining == 0)
				http_chunked_new_trailer(st);
			else
				st->state = CHUNK_DATA;
			break;
		case CHUNK_DATA_CR:
			if (c != '\r') {
				why = "missing CRLF after chunk data";
				goto fail;
			}
			st->state = CHUNK_DATA_LF;
			break;
		case CHUNK_DATA_LF:
			if (c != '\n') {
				why = "missing CRLF after chunk data";
				goto fail;
			}
			http_chunked_new_size(st);
			break;
		case CHUNK_TRAILER:
			if (++st->trailer_bytes > trailer_max) {
				why = "trailer section too long";
				goto fail;
			}
			if (http_chunked_trailer(st, c, &why) != 0)
				goto fail;
			break;
		case CHUNK_TRAILER_LF:
			if (++st->trailer_bytes > trailer_max) {
				why = "trailer section too long";
				goto fail;
			}
			if (c != '\n') {
				why = "bare CR in trailer section";
				goto fail;
			}
			if (st->trailer_line_empty)
				st->state = CHUNK_DONE;
			else
				http_chunked_new_trailer(st);
			break;
		case CHUNK_DATA:
		case CHUNK_DONE:
			break;	/* handled above */
		}
	}
	*consumed = i;
	return st->state == CHUNK_DONE;

fail:
	*consumed = i;
	if (cause != NULL)
		*cause = why;
	return -1;
}
