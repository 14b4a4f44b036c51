/*
 * ctl-match.h — naming a command by shortened words: the one rule of
 * pfo3-ctld's command table (ctl-table.c, for a name on the wire such as
 * "w.d") and of pfo3ctl's typed words (`w d w2`), so a shortening that
 * works in one works in the other.
 *
 * Command names are dotted words ("worker.drain").  A typed word names
 * the word at its place when it is a non-empty prefix of it.  Of the
 * commands whose every word is named, the one naming more words wins (a
 * sub-command over an argument: `w d w2` is worker.drain, not watch with
 * two arguments), then the one with more whole words (`stat` over
 * `status`); commands still level are a tie, and the caller says the
 * name is ambiguous.
 */
#ifndef PFO3_CTL_MATCH_H
#define PFO3_CTL_MATCH_H

/* No command is named by the words. */
#define CTL_MATCH_NONE		(-1)
/* Several are, equally well. */
#define CTL_MATCH_AMBIGUOUS	(-2)

/* What the typed words may be beside a command's words. */
enum ctl_match_mode {
	CTL_MATCH_ALL,		/* the command's words, all of them */
	CTL_MATCH_ARGS,		/* its words, then its arguments */
};

/* How many words `name` has ("worker.drain": 2). */
int	ctl_match_nwords(const char *name);
/*
 * 1 when each of the first `n` of `words` is a non-empty prefix of the
 * word at its place in `name`; 0 otherwise (also when `name` has fewer
 * than `n` words).
 */
int	ctl_match_prefixes(const char *name, char *const *words, int n);
/*
 * Finds among the `n` names the command that `words` name, by the rule
 * above.  Returns its index, CTL_MATCH_NONE, or CTL_MATCH_AMBIGUOUS with
 * the tied names marked in `tie` (n bytes; may be NULL).
 */
int	ctl_match_find(const char *const *names, int n, char *const *words,
	    int nwords, enum ctl_match_mode mode, unsigned char *tie);
/*
 * "worker.drain" as words {"worker", "drain"}, empty words kept ("a..b"
 * is three words).  Returns a new array of *n strings.
 */
char	**ctl_match_split(const char *dotted, int *n);
void	  ctl_match_free(char **words, int n);

#endif
