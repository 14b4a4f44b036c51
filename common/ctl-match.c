/*
 * ctl-match.c — see ctl-match.h.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl-match.h"
#include "xmalloc.h"

int
ctl_match_nwords(const char *name)
{
	int	n = 1;

	for (; *name != '\0'; name++)
		n += *name == '.';
	return n;
}

/*
 * Compares typed word `w` with the word of `name` at *p and moves *p past
 * that word and its dot.  Returns -1 when `w` is not a non-empty prefix
 * of it, 1 when it is the whole word, 0 when it shortens it.
 */
static int
ctl_match_word(const char **p, const char *w)
{
	const char	*start = *p, *end;
	size_t		 wlen = strlen(w), len;

	end = strchr(start, '.');
	len = end != NULL ? (size_t)(end - start) : strlen(start);
	*p = end != NULL ? end + 1 : start + len;
	if (wlen == 0 || wlen > len || strncmp(start, w, wlen) != 0)
		return -1;
	return wlen == len;
}

/* The number of whole words among the first `n` when each of them names
 * its word of `name`; -1 otherwise. */
static int
ctl_match_score(const char *name, char *const *words, int n)
{
	const char	*p = name;
	int		 i, r, whole = 0;

	if (ctl_match_nwords(name) < n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((r = ctl_match_word(&p, words[i])) < 0)
			return -1;
		whole += r;
	}
	return whole;
}

int
ctl_match_prefixes(const char *name, char *const *words, int n)
{
	return ctl_match_score(name, words, n) >= 0;
}

int
ctl_match_find(const char *const *names, int n, char *const *words,
    int nwords, enum ctl_match_mode mode, unsigned char *tie)
{
	int	k, nw, score, best = CTL_MATCH_NONE, best_nw = 0;
	int	best_score = -1, ties = 0;

	for (k = 0; k < n; k++) {
		nw = ctl_match_nwords(names[k]);
		if (nw > nwords || (mode == CTL_MATCH_ALL && nw != nwords) ||
		    (score = ctl_match_score(names[k], words, nw)) < 0)
			continue;
		if (best < 0 || nw > best_nw ||
		    (nw == best_nw && score > best_score)) {
			best = k;
			best_nw = nw;
			best_score = score;
			ties = 1;
		} else if (nw == best_nw && score == best_score &&
		    strcmp(names[k], names[best]) != 0)	/* not listed twice */
			ties++;
	}
	if (ties <= 1)
		return best;
	for (k = 0; k < n && tie != NULL; k++) {
		nw = ctl_match_nwords(names[k]);
		tie[k] = nw == best_nw && (mode == CTL_MATCH_ARGS ||
		    nw == nwords) && ctl_match_score(names[k], words, nw) ==
		    best_score;
	}
	return CTL_MATCH_AMBIGUOUS;
}

char **
ctl_match_split(const char *dotted, int *n)
{
	char		**out;
	const char	 *p, *dot;

	*n = 0;
	out = xcalloc((size_t)ctl_match_nwords(dotted), sizeof *out);
	for (p = dotted;; p = dot + 1) {
		if ((dot = strchr(p, '.')) == NULL) {
			out[(*n)++] = xstrdup(p);
			return out;
		}
		out[(*n)++] = xstrndup(p, (size_t)(dot - p));
	}
}

void
ctl_match_free(char **words, int n)
{
	int	i;

	if (words == NULL)
		return;
	for (i = 0; i < n; i++)
		free(words[i]);
	free(words);
}
