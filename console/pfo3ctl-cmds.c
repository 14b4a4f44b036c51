/*
 * pfo3ctl-cmds.c — the daemon's command table as pfo3ctl reads it from a
 * `help` reply: each name split into the words a user types.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl-match.h"
#include "pfo3ctl-words.h"
#include "xmalloc.h"

/* Splits "worker.drain" into its words; -1 for an empty word. */
static int
pfo3ctl_cmds_split(struct pfo3ctl_cmd *c)
{
	int	i;

	c->parts = ctl_match_split(c->name, &c->nparts);
	for (i = 0; i < c->nparts; i++)
		if (*c->parts[i] == '\0')
			return -1;	/* "", "a..b", ".a", "a." */
	return 0;
}

static void
pfo3ctl_cmd_clear(struct pfo3ctl_cmd *c)
{
	int	i;

	for (i = 0; i < c->nparts; i++)
		free(c->parts[i]);
	free(c->parts);
	free(c->name);
	memset(c, 0, sizeof *c);
}

/* Accepts a field that should be an integer; returns it or `dflt`. */
static int
pfo3ctl_cmds_int(const json_t *row, const char *key, int dflt)
{
	json_t		*v = json_object_get(row, key);
	json_int_t	 i;

	if (!json_is_integer(v))
		return dflt;
	i = json_integer_value(v);
	return i < -1 || i > 1000000 ? dflt : (int)i;
}

static const char *
pfo3ctl_cmds_str(const json_t *row, const char *key)
{
	const char	*s = json_string_value(json_object_get(row, key));

	return s != NULL ? s : "";
}

/*
 * Accepts the "commands" array of a help reply; a reference is kept, as
 * the rows point into it.  A row without a usable name is skipped rather
 * than refused: one odd row should not make every command unusable.
 * Missing arity means "any number of arguments".
 */
int
pfo3ctl_cmds_load(struct pfo3ctl_cmds *t, json_t *commands, char **cause)
{
	struct pfo3ctl_cmd	*c;
	json_t			*row;
	const char		*name;
	size_t			 i;

	memset(t, 0, sizeof *t);
	if (!json_is_array(commands)) {
		*cause = xstrdup("the help reply has no \"commands\" array");
		return -1;
	}
	t->cmds = xcalloc(json_array_size(commands) + 1, sizeof *t->cmds);
	json_array_foreach(commands, i, row) {
		name = json_string_value(json_object_get(row, "name"));
		if (name == NULL)
			continue;
		c = &t->cmds[t->ncmds];
		c->name = xstrdup(name);
		if (pfo3ctl_cmds_split(c) != 0) {
			pfo3ctl_cmd_clear(c);
			continue;
		}
		c->usage = pfo3ctl_cmds_str(row, "usage");
		c->access = pfo3ctl_cmds_str(row, "access");
		c->help = pfo3ctl_cmds_str(row, "help");
		c->min_args = pfo3ctl_cmds_int(row, "min_args", 0);
		c->max_args = pfo3ctl_cmds_int(row, "max_args", -1);
		if (c->min_args < 0)
			c->min_args = 0;
		t->ncmds++;
	}
	if (t->ncmds == 0) {
		pfo3ctl_cmds_free(t);
		*cause = xstrdup("the help reply lists no command");
		return -1;
	}
	t->names = xcalloc((size_t)t->ncmds, sizeof *t->names);
	for (i = 0; i < (size_t)t->ncmds; i++)
		t->names[i] = t->cmds[i].name;
	t->src = json_incref(commands);
	return 0;
}

void
pfo3ctl_cmds_free(struct pfo3ctl_cmds *t)
{
	int	i;

	for (i = 0; i < t->ncmds; i++)
		pfo3ctl_cmd_clear(&t->cmds[i]);
	free(t->cmds);
	free(t->names);
	json_decref(t->src);
	memset(t, 0, sizeof *t);
}

char *
pfo3ctl_words_spaced(const char *name)
{
	char	*s, *p;

	s = xstrdup(name);
	for (p = s; *p != '\0'; p++)
		if (*p == '.')
			*p = ' ';
	return s;
}
