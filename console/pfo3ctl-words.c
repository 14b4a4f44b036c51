/*
 * pfo3ctl-words.c — matching typed words against the command table.
 *
 * Each typed word may shorten the word at its place in a command name,
 * and the words together must point at one command: `w d w2` is
 * worker.drain although `w` alone could be watch or worker.  This is the
 * rule of ctl_table_lookup on the server side, so a shortening that
 * works in pfo3ctl works on the wire too.  Every refusal names what could
 * come next, so a user can find the commands by typing.
 */
#include <stdlib.h>
#include <string.h>

#include "pfo3ctl-words.h"
#include "xmalloc.h"

/* 1 when each of the first `n` typed words is a non-empty prefix of the
 * word at its place in `c` (which has at least `n` words). */
static int
pfo3ctl_words_prefixes(const struct pfo3ctl_cmd *c, char *const *words, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (*words[i] == '\0' ||
		    strncmp(c->parts[i], words[i], strlen(words[i])) != 0)
			return 0;
	return 1;
}

/* How many of the first `n` typed words are whole words of `c`. */
static int
pfo3ctl_words_exact(const struct pfo3ctl_cmd *c, char *const *words, int n)
{
	int	i, e = 0;

	for (i = 0; i < n; i++)
		e += strcmp(c->parts[i], words[i]) == 0;
	return e;
}

/*
 * Accepts a selection.  Returns how many distinct words stand at place
 * `i` of the selected commands that have one; *list gets them as
 * "a, b, c" in table order ("" when none).
 */
static int
pfo3ctl_words_next(const struct pfo3ctl_cmds *t, const unsigned char *sel,
    int i, char **list)
{
	const struct pfo3ctl_cmd	*c, *d;
	char				*s;
	int				 n = 0, k, j, seen;

	*list = xstrdup("");
	for (k = 0; k < t->ncmds; k++) {
		c = &t->cmds[k];
		if (!sel[k] || c->nparts <= i)
			continue;
		seen = 0;
		for (j = 0; j < k && !seen; j++) {
			d = &t->cmds[j];
			seen = sel[j] && d->nparts > i &&
			    strcmp(d->parts[i], c->parts[i]) == 0;
		}
		if (seen)
			continue;
		s = xasprintf("%s%s%s", *list, n++ > 0 ? ", " : "",
		    c->parts[i]);
		free(*list);
		*list = s;
	}
	return n;
}

/*
 * The first `n` words, as the selected commands spell them when they all
 * agree ("worker" for "wo"), else as typed.
 */
static char *
pfo3ctl_words_context(const struct pfo3ctl_cmds *t, const unsigned char *sel,
    char *const *words, int n)
{
	const struct pfo3ctl_cmd	*c, *first = NULL;
	char				*s, *s2;
	int				 k, i, agree = 1;

	for (k = 0; k < t->ncmds && agree; k++) {
		c = &t->cmds[k];
		if (!sel[k])
			continue;
		if (first == NULL)
			first = c;
		for (i = 0; i < n && agree; i++)
			agree = c->nparts > i && first->nparts > i &&
			    strcmp(c->parts[i], first->parts[i]) == 0;
	}
	if (first == NULL)
		agree = 0;
	s = xstrdup("");
	for (i = 0; i < n; i++) {
		s2 = xasprintf("%s%s%s", s, i > 0 ? " " : "",
		    agree ? first->parts[i] : words[i]);
		free(s);
		s = s2;
	}
	return s;
}

/*
 * Explains why no command is named by `words`: walks them place by
 * place, narrowing to the commands they begin, and names the first word
 * that matches nothing (or, when the words run out, what may follow).
 */
static void
pfo3ctl_words_explain(const struct pfo3ctl_cmds *t, char *const *words,
    int nwords, char **cause)
{
	unsigned char	*sel, *next;
	char		*list, *ctx;
	int		 i, k, any;

	sel = xmalloc((size_t)t->ncmds);
	next = xmalloc((size_t)t->ncmds);
	memset(sel, 1, (size_t)t->ncmds);
	for (i = 0; i < nwords; i++) {
		any = 0;
		for (k = 0; k < t->ncmds; k++) {
			next[k] = sel[k] && t->cmds[k].nparts > i &&
			    pfo3ctl_words_prefixes(&t->cmds[k], words,
			    i + 1);
			any |= next[k];
		}
		if (!any)
			break;
		memcpy(sel, next, (size_t)t->ncmds);
	}
	pfo3ctl_words_next(t, sel, i, &list);
	ctx = pfo3ctl_words_context(t, sel, words, i);
	if (i == nwords && i == 0)
		*cause = xasprintf("no command given; commands: %s", list);
	else if (i == nwords)
		*cause = xasprintf("incomplete command '%s'; next word: %s",
		    ctx, list);
	else if (*words[i] == '\0')
		*cause = xasprintf("empty word in place %d of the command",
		    i + 1);
	else if (i == 0)
		*cause = xasprintf("unknown command '%s'; commands: %s",
		    words[i], list);
	else if (*list == '\0')
		*cause = xasprintf("unknown word '%s': '%s' has no further "
		    "words", words[i], ctx);
	else
		*cause = xasprintf("unknown word '%s' after '%s'; next word: "
		    "%s", words[i], ctx, list);
	free(list);
	free(ctx);
	free(next);
	free(sel);
}

/*
 * Explains a tie between the commands marked in `sel`: the first place
 * where they differ holds the ambiguous word.
 */
static void
pfo3ctl_words_tie(const struct pfo3ctl_cmds *t, unsigned char *sel,
    char *const *words, char **cause)
{
	char	*list, *ctx;
	int	 i, n;

	/* Tied names differ somewhere (the caller drops duplicates). */
	for (i = 0; (n = pfo3ctl_words_next(t, sel, i, &list)) == 1; i++)
		free(list);
	ctx = pfo3ctl_words_context(t, sel, words, i);
	if (n == 0)
		*cause = xasprintf("ambiguous command '%s'", ctx);
	else if (i == 0)
		*cause = xasprintf("ambiguous command '%s': could be %s",
		    words[0], list);
	else
		*cause = xasprintf("ambiguous word '%s' after '%s': could be "
		    "%s", words[i], ctx, list);
	free(list);
	free(ctx);
}

/*
 * A command matches when each of its words begins with the typed word at
 * the same place; the words after it are its arguments.  Of several
 * matches the one naming more words wins (a sub-command over an
 * argument: `w d w2` is worker.drain, not watch with two arguments),
 * then the one with more whole words (`stat` over `status`).
 */
const struct pfo3ctl_cmd *
pfo3ctl_words_resolve(const struct pfo3ctl_cmds *t, char *const *words,
    int nwords, int *nused, char **cause)
{
	const struct pfo3ctl_cmd	*c, *best = NULL;
	unsigned char			*tie;
	int				 k, exact, best_exact = -1, ties = 0;

	for (k = 0; k < t->ncmds; k++) {
		c = &t->cmds[k];
		if (c->nparts > nwords ||
		    !pfo3ctl_words_prefixes(c, words, c->nparts))
			continue;
		exact = pfo3ctl_words_exact(c, words, c->nparts);
		if (best == NULL || c->nparts > best->nparts ||
		    (c->nparts == best->nparts && exact > best_exact)) {
			best = c;
			best_exact = exact;
			ties = 1;
		} else if (c->nparts == best->nparts && exact == best_exact &&
		    strcmp(c->name, best->name) != 0)	/* listed twice */
			ties++;
	}
	if (best == NULL) {
		pfo3ctl_words_explain(t, words, nwords, cause);
		return NULL;
	}
	if (ties > 1) {
		tie = xcalloc((size_t)t->ncmds, 1);
		for (k = 0; k < t->ncmds; k++) {
			c = &t->cmds[k];
			tie[k] = c->nparts == best->nparts &&
			    pfo3ctl_words_prefixes(c, words, c->nparts) &&
			    pfo3ctl_words_exact(c, words, c->nparts) ==
			    best_exact;
		}
		pfo3ctl_words_tie(t, tie, words, cause);
		free(tie);
		return NULL;
	}
	*nused = best->nparts;
	return best;
}

int
pfo3ctl_words_select(const struct pfo3ctl_cmds *t, char *const *words,
    int nwords, unsigned char *sel, char **cause)
{
	int	k, n = 0;

	for (k = 0; k < t->ncmds; k++) {
		sel[k] = t->cmds[k].nparts >= nwords &&
		    pfo3ctl_words_prefixes(&t->cmds[k], words, nwords);
		n += sel[k];
	}
	if (n == 0) {
		pfo3ctl_words_explain(t, words, nwords, cause);
		return -1;
	}
	return n;
}

int
pfo3ctl_words_check_args(const struct pfo3ctl_cmd *cmd, int nargs,
    char **cause)
{
	char	*spaced;

	if (nargs >= cmd->min_args &&
	    (cmd->max_args < 0 || nargs <= cmd->max_args))
		return 0;
	spaced = pfo3ctl_words_spaced(cmd->name);
	if (*cmd->usage != '\0')
		*cause = xasprintf("usage: pfo3ctl %s %s", spaced, cmd->usage);
	else if (cmd->max_args == 0)
		*cause = xasprintf("usage: pfo3ctl %s (takes no arguments)",
		    spaced);
	else if (cmd->max_args < 0)
		*cause = xasprintf("usage: pfo3ctl %s: at least %d "
		    "argument(s)", spaced, cmd->min_args);
	else
		*cause = xasprintf("usage: pfo3ctl %s: %d to %d argument(s)",
		    spaced, cmd->min_args, cmd->max_args);
	free(spaced);
	return -1;
}

char **
pfo3ctl_words_expand(char *const *words, int nwords, int *nout)
{
	char		**out;
	const char	 *p, *dot;
	int		  n = 0, i, ndots = 0;

	if (nwords > 0)
		for (p = words[0]; *p != '\0'; p++)
			ndots += *p == '.';
	out = xcalloc((size_t)nwords + (size_t)ndots + 1, sizeof *out);
	if (nwords > 0) {
		for (p = words[0];; p = dot + 1) {
			if ((dot = strchr(p, '.')) == NULL) {
				out[n++] = xstrdup(p);
				break;
			}
			out[n++] = xstrndup(p, (size_t)(dot - p));
		}
	}
	for (i = 1; i < nwords; i++)
		out[n++] = xstrdup(words[i]);
	*nout = n;
	return out;
}

void
pfo3ctl_words_free(char **words, int nwords)
{
	int	i;

	if (words == NULL)
		return;
	for (i = 0; i < nwords; i++)
		free(words[i]);
	free(words);
}
