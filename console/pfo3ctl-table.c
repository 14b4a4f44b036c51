/*
 * pfo3ctl-table.c — aligned text tables.
 *
 * Widths are counted in characters of UTF-8 (the protocol's strings are
 * UTF-8), not bytes, so a name with accents does not push its column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfo3ctl-table.h"
#include "xmalloc.h"

struct pfo3ctl_table {
	int	  ncols;
	char	 *align;
	char	**cells;	/* row-major, header row first */
	int	  ncells;
	int	  cap;
};

/* The number of characters in a UTF-8 string. */
static size_t
pfo3ctl_table_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Cuts `s` in place to at most `max` characters, ending in "...". */
static void
pfo3ctl_table_cut(char *s, size_t max)
{
	size_t	n = 0;
	char	*p;

	if (pfo3ctl_table_width(s) <= max)
		return;
	for (p = s; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && n++ == max - 3)
			break;
	}
	strcpy(p, "...");
}

char *
pfo3ctl_printable(const char *s)
{
	char	*out, *p;

	out = xstrdup(s);
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

static void
pfo3ctl_table_push(struct pfo3ctl_table *t, char *cell)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->cells = xreallocarray(t->cells, (size_t)t->cap,
		    sizeof *t->cells);
	}
	t->cells[t->ncells++] = cell;
}

struct pfo3ctl_table *
pfo3ctl_table_new(const char *const *headers, const char *align)
{
	struct pfo3ctl_table	*t;
	int			 i;

	t = xcalloc(1, sizeof *t);
	while (headers[t->ncols] != NULL)
		t->ncols++;
	t->align = xcalloc((size_t)t->ncols + 1, 1);
	for (i = 0; i < t->ncols; i++)
		t->align[i] = (align != NULL && (int)strlen(align) > i) ?
		    align[i] : 'l';
	for (i = 0; i < t->ncols; i++)
		pfo3ctl_table_push(t, xstrdup(headers[i]));
	return t;
}

void
pfo3ctl_table_cell(struct pfo3ctl_table *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*raw, *cell;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		raw = xstrdup("?");
	cell = pfo3ctl_printable(raw);
	free(raw);
	if (t->ncells % t->ncols != t->ncols - 1)
		pfo3ctl_table_cut(cell, PFO3CTL_TABLE_MAX_CELL);
	pfo3ctl_table_push(t, cell);
}

int
pfo3ctl_table_rows(const struct pfo3ctl_table *t)
{
	return t->ncells / t->ncols - 1;
}

/* Prints one line without its trailing blanks (an empty last cell). */
static void
pfo3ctl_table_line(FILE *f, char *line, size_t len)
{
	while (len > 0 && line[len - 1] == ' ')
		len--;
	fwrite(line, 1, len, f);
	fputc('\n', f);
}

void
pfo3ctl_table_print(const struct pfo3ctl_table *t, FILE *f)
{
	size_t	*width, w, len = 0;
	char	*line = NULL;
	FILE	*m;
	int	 i, col;

	width = xcalloc((size_t)t->ncols, sizeof *width);
	for (i = 0; i < t->ncells; i++) {
		w = pfo3ctl_table_width(t->cells[i]);
		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	if ((m = open_memstream(&line, &len)) == NULL) {
		free(width);
		return;
	}
	/* A row left short by the caller is printed as far as it goes. */
	for (i = 0; i < t->ncells; i++) {
		col = i % t->ncols;
		w = pfo3ctl_table_width(t->cells[i]);
		if (col > 0)
			fputs("  ", m);
		if (t->align[col] == 'r')
			fprintf(m, "%*s", (int)(width[col] - w), "");
		fputs(t->cells[i], m);
		if (t->align[col] != 'r')
			fprintf(m, "%*s", (int)(width[col] - w), "");
		if (col == t->ncols - 1 || i == t->ncells - 1) {
			fflush(m);
			pfo3ctl_table_line(f, line, len);
			rewind(m);
		}
	}
	fclose(m);
	free(line);
	free(width);
}

void
pfo3ctl_table_free(struct pfo3ctl_table *t)
{
	int	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	free(t);
}
