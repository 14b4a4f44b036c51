/*
 * ctl-table.c — finding and checking commands in a command table.
 *
 * The table is plain data terminated by a row with a NULL name.  Names are
 * dotted words ("worker.drain"); a caller may shorten each word by the
 * rule of ctl-match.h, so "w.d" works while it is unique and stops
 * working (with a list of what it could mean) the day a second command
 * matches.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl-match.h"
#include "xmalloc.h"

/* Accepts a table; returns "a, b, c" of the rows marked in `sel` (all
 * when NULL), "(none)" when none (caller frees). */
static char *
ctl_table_names(const struct ctl_command *table, const unsigned char *sel)
{
	char	*list = NULL, *s;
	int	 k;

	for (k = 0; table[k].name != NULL; k++) {
		if (sel != NULL && !sel[k])
			continue;
		s = list == NULL ? xstrdup(table[k].name) :
		    xasprintf("%s, %s", list, table[k].name);
		free(list);
		list = s;
	}
	return list != NULL ? list : xstrdup("(none)");
}

/* Marks in `sel` the commands with more words than `words` that they
 * begin ("worker" begins worker.drain); returns how many. */
static int
ctl_table_begun(const char *const *names, int n, char *const *words,
    int nwords, unsigned char *sel)
{
	int	k, found = 0;

	for (k = 0; k < n; k++) {
		sel[k] = ctl_match_nwords(names[k]) > nwords &&
		    ctl_match_prefixes(names[k], words, nwords);
		found += sel[k];
	}
	return found;
}

/*
 * Accepts a table and a name as typed: the name's words must name one
 * command's words, all of them (a name carries no arguments).
 */
const struct ctl_command *
ctl_table_lookup(const struct ctl_command *table, const char *name,
    char **cause)
{
	const char	**names;
	unsigned char	 *sel;
	char		**words, *list;
	int		  n, k, nwords;

	for (n = 0; table[n].name != NULL; n++)
		;
	if (name == NULL || *name == '\0') {
		list = ctl_table_names(table, NULL);
		*cause = xasprintf("no command given; commands: %s", list);
		free(list);
		return NULL;
	}
	names = xcalloc((size_t)n + 1, sizeof *names);
	for (k = 0; k < n; k++)
		names[k] = table[k].name;
	sel = xcalloc((size_t)n + 1, 1);
	words = ctl_match_split(name, &nwords);
	k = ctl_match_find(names, n, words, nwords, CTL_MATCH_ALL, sel);
	if (k == CTL_MATCH_AMBIGUOUS) {
		list = ctl_table_names(table, sel);
		*cause = xasprintf("ambiguous command '%s': could be %s", name,
		    list);
	} else if (k == CTL_MATCH_NONE &&
	    ctl_table_begun(names, n, words, nwords, sel) > 0) {
		/* "worker" alone: show the commands it begins. */
		list = ctl_table_names(table, sel);
		*cause = xasprintf("unknown command '%s'; did you mean: %s",
		    name, list);
	} else if (k == CTL_MATCH_NONE) {
		list = ctl_table_names(table, NULL);
		*cause = xasprintf("unknown command '%s'; commands: %s", name,
		    list);
	} else
		list = NULL;
	free(list);
	ctl_match_free(words, nwords);
	free(sel);
	free(names);
	return k >= 0 ? &table[k] : NULL;
}

/*
 * Accepts a command, the number of arguments given and the access level
 * of the socket the call came in on.  Access is checked first: a refused
 * caller learns nothing about the arguments.
 */
int
ctl_table_check(const struct ctl_command *cmd, int nargs,
    enum ctl_access level, char **cause)
{
	const char	*usage;

	if (cmd->access > level) {
		*cause = xasprintf("permission denied: '%s' needs the %s "
		    "socket", cmd->name, ctl_access_name(cmd->access));
		return -1;
	}
	if (nargs < cmd->min_args ||
	    (cmd->max_args >= 0 && nargs > cmd->max_args)) {
		usage = cmd->usage != NULL ? cmd->usage : "";
		if (*usage != '\0')
			*cause = xasprintf("usage: %s %s", cmd->name, usage);
		else if (cmd->max_args == 0)
			*cause = xasprintf("usage: %s (takes no arguments)",
			    cmd->name);
		else
			*cause = xasprintf("usage: %s", cmd->name);
		return -1;
	}
	return 0;
}

/* Accepts a NULL-name-terminated table; returns a new JSON array. */
json_t *
ctl_table_json(const struct ctl_command *table)
{
	const struct ctl_command	*cmd;
	json_t				*arr;

	arr = json_array();
	for (cmd = table; cmd->name != NULL; cmd++) {
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:i, "
		    "s:s, s:s}",
		    "name", cmd->name,
		    "usage", cmd->usage != NULL ? cmd->usage : "",
		    "min_args", cmd->min_args,
		    "max_args", cmd->max_args,
		    "access", ctl_access_name(cmd->access),
		    "help", cmd->help != NULL ? cmd->help : ""));
	}
	return arr;
}

/* Accepts an access level; returns its name as `help` shows it. */
const char *
ctl_access_name(enum ctl_access access)
{
	switch (access) {
	case CTL_READ:
		return "read";
	case CTL_ADMIN:
		return "admin";
	}
	return "unknown";
}
