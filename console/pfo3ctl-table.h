/*
 * pfo3ctl-table.h — plain text tables with aligned columns, for the
 * human output of pfo3ctl.
 */
#ifndef PFO3CTL_TABLE_H
#define PFO3CTL_TABLE_H

#include <stdio.h>

/* A cell longer than this (in characters) is cut with "..." unless it is
 * in the last column, which can run on. */
#define PFO3CTL_TABLE_MAX_CELL	48

struct pfo3ctl_table;

/*
 * Accepts the column headers (NULL-terminated) and one alignment letter
 * per column, 'l' or 'r' (numbers read best right-aligned).
 */
struct pfo3ctl_table *pfo3ctl_table_new(const char *const *headers,
	    const char *align);
/* Appends one cell; a row ends when it has a cell per column.  Control
 * characters are shown as '?', so a daemon's text cannot drive the
 * terminal. */
void	pfo3ctl_table_cell(struct pfo3ctl_table *t, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	pfo3ctl_table_rows(const struct pfo3ctl_table *t);
/* Prints the header and rows, two spaces between columns, no trailing
 * blanks. */
void	pfo3ctl_table_print(const struct pfo3ctl_table *t, FILE *f);
void	pfo3ctl_table_free(struct pfo3ctl_table *t);

/* Copies `s` with control characters replaced by '?' (caller frees). */
char	*pfo3ctl_printable(const char *s);

#endif
