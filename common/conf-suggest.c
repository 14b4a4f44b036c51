/*
 * conf-suggest.c — "did you mean" for an unknown key or group, whether it
 * comes from the file or from the command line: the nearest known name by
 * edit distance, or a key with the same last component in another group.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf-int.h"
#include "xmalloc.h"

/* Longest names compared for "did you mean". */
#define CONF_SUGGEST_MAX	128

/* Levenshtein distance of two short strings; SIZE_MAX if either is long. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t	row[CONF_SUGGEST_MAX + 1], la = strlen(a), lb = strlen(b);
	size_t	i, j, diag, up, best;

	if (la > CONF_SUGGEST_MAX || lb > CONF_SUGGEST_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * Finds the known key (or, with `groups`, the known group) most likely
 * meant by the unknown `path`: the nearest by edit distance if it is close,
 * else a key with the same last component in another group ("threads" →
 * "worker.threads").  Writes it to `buf`; returns 0 when there is none.
 */
static int
conf_suggest(const char *path, int groups, char *buf, size_t len)
{
	const struct conf_option	*opt;
	const char			*last, *dot;
	char				 cand[CONF_SUGGEST_MAX + 1];
	size_t				 d, best = SIZE_MAX, limit, n;

	limit = strlen(path) / 5;
	if (limit < 2)
		limit = 2;
	for (opt = conf_options; opt->name != NULL; opt++) {
		if (!groups) {
			if ((d = conf_distance(path, opt->name)) < best) {
				best = d;
				snprintf(buf, len, "%s", opt->name);
			}
			continue;
		}
		for (dot = strchr(opt->name, '.'); dot != NULL;
		    dot = strchr(dot + 1, '.')) {
			n = dot - opt->name;
			if (n > CONF_SUGGEST_MAX)
				break;
			memcpy(cand, opt->name, n);
			cand[n] = '\0';
			if ((d = conf_distance(path, cand)) < best) {
				best = d;
				snprintf(buf, len, "%s", cand);
			}
		}
	}
	if (best <= limit)
		return 1;
	if (groups)
		return 0;
	last = strrchr(path, '.');
	last = last != NULL ? last + 1 : path;
	for (opt = conf_options; opt->name != NULL; opt++) {
		dot = strrchr(opt->name, '.');
		if (strcmp(dot != NULL ? dot + 1 : opt->name, last) == 0) {
			snprintf(buf, len, "%s", opt->name);
			return 1;
		}
	}
	return 0;
}

/* Builds "unknown key 'x' (did you mean 'y'?)" for `path`. */
char *
conf_unknown(const char *path, int group)
{
	char	hint[CONF_SUGGEST_MAX + 1];

	if (conf_suggest(path, group, hint, sizeof hint))
		return xasprintf("unknown %s '%s' (did you mean '%s'?)",
		    group ? "group" : "key", path, hint);
	return xasprintf("unknown %s '%s'", group ? "group" : "key", path);
}
