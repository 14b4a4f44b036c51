/*
 * pfo3ctl-help.c — the daemon's command table as pfo3ctl users type it:
 * "worker drain ID", not "worker.drain".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"

void
pfo3ctl_render_help(FILE *f, const struct pfo3ctl_cmds *t,
    const unsigned char *sel, const char *access)
{
	static const char *const head[] = { "COMMAND", "ARGS", "ACCESS",
	    "DESCRIPTION", NULL };
	struct pfo3ctl_table	*tab;
	const struct pfo3ctl_cmd *c;
	char			*spaced;
	int			 k;

	tab = pfo3ctl_table_new(head, "llll");
	for (k = 0; k < t->ncmds; k++) {
		if (sel != NULL && !sel[k])
			continue;
		c = &t->cmds[k];
		spaced = pfo3ctl_words_spaced(c->name);
		pfo3ctl_table_cell(tab, "%s", spaced);
		pfo3ctl_table_cell(tab, "%s", c->usage);
		pfo3ctl_table_cell(tab, "%s", c->access);
		pfo3ctl_table_cell(tab, "%s", c->help);
		free(spaced);
	}
	pfo3ctl_table_print(tab, f);
	pfo3ctl_table_free(tab);
	fprintf(f, "\nEach word may be shortened to a unique prefix "
	    "(pfo3ctl w d w2).  Admin commands need the admin socket.\n");
	/* Said before the user tries, rather than learnt from a refusal. */
	if (access != NULL && strcmp(access, "read") == 0)
		fprintf(f, "This socket is read-only: admin commands will be "
		    "refused.\n");
}
