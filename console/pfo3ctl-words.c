/*
 * pfo3ctl-words.c — matching typed words against the command table.
 *
 * Each typed word may shorten the word at its place in a command name,
 * and the words together must point at one command: `w d w2` is
 * worker.drain although `w` alone could be watch or worker.  The rule is
 * ctl-match.h's, the one ctl_table_lookup applies on the server side, so
 * a shortening that works in pfo3ctl works on the wire too.  Every refusal
 * names what could come next, so a user can find the commands by typing.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl-match.h"
#include "pfo3ctl-words.h"
#include "xmalloc.h"

/* 1 when each of the first `n` typed words is a non-empty prefix of the
 * word at its place in `c`. */
static int
pfo3ctl_words_prefixes(const struct pfo3ctl_cmd *c, char *const *words, int n)
{
	return ctl_match_prefixes(c->name, words, n);
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

/* The rule of ctl-match.h; the words after the command are its
 * arguments. */
const struct pfo3ctl_cmd *
pfo3ctl_words_resolve(const struct pfo3ctl_cmds *t, char *const *words,
    int nwords, int *nused, char **cause)
{
	unsigned char	*tie;
	int		 k;

	tie = xcalloc((size_t)t->ncmds + 1, 1);
	k = ctl_match_find(t->names, t->ncmds, words, nwords, CTL_MATCH_ARGS,
	    tie);
	if (k == CTL_MATCH_NONE)
		pfo3ctl_words_explain(t, words, nwords, cause);
	else if (k == CTL_MATCH_AMBIGUOUS)
		pfo3ctl_words_tie(t, tie, words, cause);
	else
		*nused = t->cmds[k].nparts;
	free(tie);
	return k >= 0 ? &t->cmds[k] : NULL;
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
	char	**first, **out;
	int	  nfirst = 0, i;

	if (nwords == 0) {
		*nout = 0;
		return xcalloc(1, sizeof *out);
	}
	first = ctl_match_split(words[0], &nfirst);
	out = xcalloc((size_t)nfirst + (size_t)nwords, sizeof *out);
	memcpy(out, first, (size_t)nfirst * sizeof *out);
	free(first);
	for (i = 1; i < nwords; i++)
		out[nfirst + i - 1] = xstrdup(words[i]);
	*nout = nfirst + nwords - 1;
	return out;
}

void
pfo3ctl_words_free(char **words, int nwords)
{
	ctl_match_free(words, nwords);
}
