/*
 * ctl-table.c — finding and checking commands in a command table.
 *
 * The table is plain data terminated by a row with a NULL name.  Names are
 * dotted words ("worker.drain"); a caller may shorten each word as long as
 * the result names a single command, so "w.d" works while it is unique and
 * stops working (with a list of what it could mean) the day a second
 * command matches.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "xmalloc.h"

/* How a name given by a caller relates to a command's name. */
enum ctl_table_match {
	CTL_MATCH_NONE,
	CTL_MATCH_LOOSE,	/* a prefix of the first words only */
	CTL_MATCH_WORDS,	/* each word a prefix of the same word */
};

/*
 * Compares `given` with the command name `name` word by word: every word
 * of `given` must be a prefix of the word at the same place in `name`.
 */
static enum ctl_table_match
ctl_table_match(const char *given, const char *name)
{
	const char	*g = given, *n = name;

	for (;;) {
		/* Walk one word of `given` along the same word of `name`. */
		while (*g != '\0' && *g != '.') {
			if (*n != *g)
				return CTL_MATCH_NONE;
			g++;
			n++;
		}
		/* Skip what is left of the command's word. */
		while (*n != '\0' && *n != '.')
			n++;
		if (*g == '\0')
			return *n == '\0' ? CTL_MATCH_WORDS : CTL_MATCH_LOOSE;
		if (*n == '\0')
			return CTL_MATCH_NONE;	/* `given` has more words */
		g++;
		n++;
	}
}

/* Appends ", name" (or "name" first) to a growing list. */
static char *
ctl_table_list_add(char *list, const char *name)
{
	char	*s;

	if (list == NULL)
		return xstrdup(name);
	s = xasprintf("%s, %s", list, name);
	free(list);
	return s;
}

/* Accepts a NULL-name-terminated table; returns "a, b, c" (caller frees). */
static char *
ctl_table_names(const struct ctl_command *table, const char *given,
    enum ctl_table_match want)
{
	const struct ctl_command	*cmd;
	char				*list = NULL;

	for (cmd = table; cmd->name != NULL; cmd++) {
		if (given == NULL || ctl_table_match(given, cmd->name) == want)
			list = ctl_table_list_add(list, cmd->name);
	}
	return list != NULL ? list : xstrdup("(none)");
}

/*
 * Accepts a table and a name as typed.  An exact name wins; otherwise the
 * name must abbreviate exactly one command with the same number of words.
 */
const struct ctl_command *
ctl_table_lookup(const struct ctl_command *table, const char *name,
    char **cause)
{
	const struct ctl_command	*cmd, *found = NULL;
	int				 nfound = 0, nloose = 0;
	char				*list;

	if (name == NULL || *name == '\0') {
		list = ctl_table_names(table, NULL, CTL_MATCH_NONE);
		*cause = xasprintf("no command given; commands: %s", list);
		free(list);
		return NULL;
	}
	for (cmd = table; cmd->name != NULL; cmd++) {
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	}

	for (cmd = table; cmd->name != NULL; cmd++) {
		switch (ctl_table_match(name, cmd->name)) {
		case CTL_MATCH_WORDS:
			found = cmd;
			nfound++;
			break;
		case CTL_MATCH_LOOSE:
			nloose++;
			break;
		case CTL_MATCH_NONE:
			break;
		}
	}
	if (nfound == 1)
		return found;

	if (nfound > 1) {
		list = ctl_table_names(table, name, CTL_MATCH_WORDS);
		*cause = xasprintf("ambiguous command '%s': could be %s", name,
		    list);
	} else if (nloose > 0) {
		/* "worker" alone: show the commands it begins. */
		list = ctl_table_names(table, name, CTL_MATCH_LOOSE);
		*cause = xasprintf("unknown command '%s'; did you mean: %s",
		    name, list);
	} else {
		list = ctl_table_names(table, NULL, CTL_MATCH_NONE);
		*cause = xasprintf("unknown command '%s'; commands: %s", name,
		    list);
	}
	free(list);
	return NULL;
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
