/*
 * seed-scan.c — finds the end of the seed protocol's one JSON object as
 * its bytes arrive, by scanning its structure (braces and brackets outside
 * strings).  The scan is resumable: bytes are scanned once however the
 * object arrives.  Validity is left to the JSON parser afterwards (seed.c).
 * Kept apart from seed.c so the fuzz target links it without the worker.
 */
#include <sys/types.h>

#include "conn.h"

/*
 * Scans buf[st->pos..len).  Returns the length of the first complete
 * top-level object, 0 when it is not complete yet, or -1 when the bytes
 * cannot begin or continue one (anything before '{' but whitespace, a
 * closing bracket with nothing open).
 */
ssize_t
seed_scan(struct seed_scan *st, const char *buf, size_t len)
{
	unsigned char ch;

	for (; st->pos < len; st->pos++) {
		ch = (unsigned char)buf[st->pos];
		if (!st->started) {
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			if (ch != '{')
				return -1;
			st->started = 1;
		}
		if (st->in_string) {
			if (st->escape)
				st->escape = 0;
			else if (ch == '\\')
				st->escape = 1;
			else if (ch == '"')
				st->in_string = 0;
			continue;
		}
		switch (ch) {
		case '"':
			st->in_string = 1;
			break;
		case '{':
		case '[':
			st->depth++;
			break;
		case '}':
		case ']':
			if (--st->depth < 0)
				return -1;
			if (st->depth == 0)
				return (ssize_t)++st->pos;
			break;
		}
	}
	return 0;
}
