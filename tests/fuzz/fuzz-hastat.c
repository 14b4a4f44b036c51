/*
 * fuzz-hastat.c — a libFuzzer target for pfo3-ctld's reader of HAProxy's
 * `show stat` CSV (daemons/ctld/haproxy-stat.c): the header line naming
 * the columns, then one row per proxy and server.
 *
 * Besides crashes and sanitizer reports it checks what pfo3-ctld relies
 * on: every row handed over has its strings set and inside the reply, no
 * FRONTEND or BACKEND row is handed over, a refusal says why, and a reply
 * is read the same whatever follows its last line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy-stat.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_rows {
	size_t		 n;
	uint64_t	 hash;
	size_t		 max;	/* the reply's length: no string is longer */
};

static void
fuzz_mix(struct fuzz_rows *r, const char *s)
{
	for (; *s != '\0'; s++)
		r->hash = (r->hash ^ (unsigned char)*s) * 0x100000001b3ULL;
	r->hash = (r->hash ^ 0xff) * 0x100000001b3ULL;
}

static void
fuzz_row(const struct lb_row *row, void *arg)
{
	struct fuzz_rows	*r = arg;
	const char		*s[] = { row->pxname, row->svname, row->status,
				    row->check, row->addr };
	size_t			 i;

	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		if (s[i] == NULL || strlen(s[i]) > r->max ||
		    strchr(s[i], '\n') != NULL || strchr(s[i], ',') != NULL)
			abort();
		fuzz_mix(r, s[i]);
	}
	if (strcmp(row->svname, "FRONTEND") == 0 ||
	    strcmp(row->svname, "BACKEND") == 0)
		abort();
	r->hash ^= (uint64_t)row->scur * 3 + (uint64_t)row->qcur * 5 +
	    (uint64_t)row->rate * 7 + (uint64_t)row->hrsp_5xx * 11;
	r->n++;
}

/* Parses `text`; -1 when refused. */
static int
fuzz_parse(const char *text, size_t max, struct fuzz_rows *r)
{
	char	*cause = NULL;

	memset(r, 0, sizeof *r);
	r->max = max;
	if (lb_stat_parse(text, fuzz_row, r, &cause) != 0) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_rows	 a, b;
	char			*text;
	int			 ra, rb;

	/* The runtime API's reply, NUL-terminated, then with the blank
	 * line HAProxy ends it with. */
	if ((text = malloc(size + 2)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	ra = fuzz_parse(text, size, &a);
	if (strlen(text) == size) {
		text[size] = '\n';
		text[size + 1] = '\0';
		rb = fuzz_parse(text, size + 1, &b);
		if (ra != rb || a.n != b.n || a.hash != b.hash)
			abort();
	}
	free(text);
	return 0;
}
