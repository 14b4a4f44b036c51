/*
 * pfo3ctl-words.h — typed command words against the daemon's command
 * table: `worker drain w2`, or `w d w2`, means the protocol command
 * "worker.drain" with the argument "w2".
 *
 * The table comes from the daemon's `help` reply, so pfo3ctl knows no
 * command of its own and works with any server of the control protocol.
 */
#ifndef PFO3CTL_WORDS_H
#define PFO3CTL_WORDS_H

#include <jansson.h>

struct pfo3ctl_cmd {
	char		 *name;		/* "worker.drain" */
	char		**parts;	/* {"worker", "drain"} */
	int		  nparts;
	const char	 *usage;	/* "ID"; "" when none */
	int		  min_args;
	int		  max_args;	/* -1: no upper bound */
	const char	 *access;	/* "read", "admin" */
	const char	 *help;
};

struct pfo3ctl_cmds {
	struct pfo3ctl_cmd	*cmds;
	int			 ncmds;
	const char		**names;	/* each cmds[k].name, to match */
	json_t			*src;	/* holds the strings */
};

/*
 * Builds the table from the "commands" array of a help reply (rows
 * without a usable name are skipped).  -1 with *cause when there is no
 * such array or it holds no command.
 */
int	pfo3ctl_cmds_load(struct pfo3ctl_cmds *t, json_t *commands,
	    char **cause);
void	pfo3ctl_cmds_free(struct pfo3ctl_cmds *t);

/*
 * Splits the first word at its dots, so "worker.drain w2" is read as
 * "worker drain w2".  Returns a new array of *nout strings (free with
 * pfo3ctl_words_free).
 */
char	**pfo3ctl_words_expand(char *const *words, int nwords, int *nout);
void	pfo3ctl_words_free(char **words, int nwords);

/*
 * Finds the command that `words` begin with; every word may be a unique
 * prefix of the word at its place.  Returns it and sets *nused to the
 * number of words naming it (the rest are its arguments).  NULL with
 * *cause naming the valid next words when a word is unknown, ambiguous
 * or missing.
 */
const struct pfo3ctl_cmd *pfo3ctl_words_resolve(const struct pfo3ctl_cmds *t,
	    char *const *words, int nwords, int *nused, char **cause);
/*
 * Marks in `sel` (t->ncmds bytes) the commands whose first words are
 * matched by all of `words` (for `help worker`).  Returns how many, or -1
 * with *cause when a word matches nothing or is ambiguous.
 */
int	pfo3ctl_words_select(const struct pfo3ctl_cmds *t,
	    char *const *words, int nwords, unsigned char *sel, char **cause);
/* Checks the number of arguments; -1 with a usage line in *cause. */
int	pfo3ctl_words_check_args(const struct pfo3ctl_cmd *cmd, int nargs,
	    char **cause);
/* "worker.drain" as typed: "worker drain".  Caller frees. */
char	*pfo3ctl_words_spaced(const char *name);

#endif
