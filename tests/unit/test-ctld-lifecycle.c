/*
 * test-ctld-lifecycle.c — pfo3-ctld's worker lifecycle table against the
 * one doc/DESIGN.md documents: every (state, event) pair, those the
 * document lists (the state they lead to and what HAProxy is told) and
 * those it does not (refused, the step left untouched).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "tap.h"
#include "xmalloc.h"

/* The table's header row in doc/DESIGN.md. */
#define TABLE_HEADER	"| from | event | to | HAProxy |"

struct expected {
	int		 listed;
	enum wstate	 next;
	enum lb_action	 lb;
};

static struct expected	expected[WS_COUNT][WE_COUNT];

/* The names the code gives, to read the document's words by. */
static const char	*state_names[WS_COUNT];
static const char	*event_names[WE_COUNT];
static const char	*lb_names[LB_COUNT];

static void
names_init(void)
{
	int i;

	for (i = 0; i < WS_COUNT; i++)
		state_names[i] = lifecycle_state_name(i);
	for (i = 0; i < WE_COUNT; i++)
		event_names[i] = lifecycle_event_name(i);
	for (i = 0; i < LB_COUNT; i++)
		lb_names[i] = lifecycle_lb_name(i);
}

/* The index of `name` in `names`, or -1. */
static int
name_index(const char *name, const char *const names[], int count)
{
	int i;

	for (i = 0; i < count; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* The cells of "| a | b | c | d |" without their blanks; the count. */
static int
row_cells(char *line, char *cell[], int max)
{
	char	*p, *end, *last;
	int	 n = 0;

	if (*line != '|')
		return 0;
	for (p = line + 1; n < max && (end = strchr(p, '|')) != NULL;
	    p = end + 1) {
		*end = '\0';
		while (*p == ' ' || *p == '`')
			p++;
		for (last = end; last > p && (last[-1] == ' ' ||
		    last[-1] == '`'); last--)
			last[-1] = '\0';
		cell[n++] = p;
	}
	return n;
}

/* Reads the table of doc/DESIGN.md into `expected`; the rows it read. */
static int
read_documented(void)
{
	const char	*srcdir;
	char		*path, line[512], *cell[4];
	FILE		*f;
	int		 in = 0, rows = 0, bad = 0, s, e, next, lb;

	if ((srcdir = getenv("PFO3_SRCDIR")) == NULL || *srcdir == '\0')
		srcdir = ".";
	path = xasprintf("%s/doc/DESIGN.md", srcdir);
	f = fopen(path, "r");
	tap_ok(f != NULL, "%s opens", path);
	free(path);
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!in) {
			in = strcmp(line, TABLE_HEADER) == 0;
			continue;
		}
		if (strncmp(line, "|---", 4) == 0)
			continue;
		if (row_cells(line, cell, 4) != 4)
			break;
		s = name_index(cell[0], state_names, WS_COUNT);
		e = name_index(cell[1], event_names, WE_COUNT);
		next = name_index(cell[2], state_names, WS_COUNT);
		lb = name_index(cell[3], lb_names, LB_COUNT);
		if (s == -1 || e == -1 || next == -1 || lb == -1 ||
		    expected[s][e].listed) {
			tap_diag("bad or repeated row: %s | %s | %s | %s",
			    cell[0], cell[1], cell[2], cell[3]);
			bad++;
			continue;
		}
		expected[s][e].listed = 1;
		expected[s][e].next = next;
		expected[s][e].lb = lb;
		rows++;
	}
	fclose(f);
	tap_ok(in, "doc/DESIGN.md has the lifecycle table");
	tap_ok(bad == 0, "every row names a known state, event and action, "
	    "once");
	return rows;
}

static void
test_pairs(void)
{
	struct lifecycle_step	 step;
	const struct expected	*x;
	int			 s, e, rc;

	for (s = 0; s < WS_COUNT; s++) {
		for (e = 0; e < WE_COUNT; e++) {
			x = &expected[s][e];
			/* A value no step has: a refusal must leave it. */
			step.next = WS_COUNT;
			step.lb = LB_COUNT;
			rc = lifecycle_next(s, e, &step);
			if (x->listed)
				tap_ok(rc == 0 && step.next == x->next &&
				    step.lb == x->lb && lifecycle_allows(s, e),
				    "%s + %s -> %s, HAProxy %s",
				    lifecycle_state_name(s),
				    lifecycle_event_name(e),
				    lifecycle_state_name(x->next),
				    lifecycle_lb_name(x->lb));
			else
				tap_ok(rc == -1 && step.next == WS_COUNT &&
				    step.lb == LB_COUNT &&
				    !lifecycle_allows(s, e),
				    "%s + %s is refused",
				    lifecycle_state_name(s),
				    lifecycle_event_name(e));
			if (rc == 0 && !x->listed)
				tap_diag("the code takes it to %s, HAProxy %s",
				    lifecycle_state_name(step.next),
				    lifecycle_lb_name(step.lb));
		}
	}
}

/* Facts of the table the daemon relies on, beyond the document. */
static void
test_shape(void)
{
	struct lifecycle_step	 step;
	int			 s, e, reachable[WS_COUNT] = { 0 }, all = 1;

	tap_ok(lifecycle_next(WS_COUNT, WE_READY, &step) == -1 &&
	    lifecycle_next(WS_UP, WE_COUNT, &step) == -1 &&
	    lifecycle_next((enum wstate)-1, WE_READY, &step) == -1,
	    "a state or event out of range is refused");
	tap_is_str(lifecycle_state_name(WS_COUNT), "?",
	    "a state out of range has no name");
	/* Every state can be reached, and every state but one a process
	 * cannot be in (down) is left by the end of its process. */
	reachable[WS_STARTING] = 1;	/* every worker is born starting */
	for (s = 0; s < WS_COUNT; s++)
		for (e = 0; e < WE_COUNT; e++)
			if (lifecycle_next(s, e, &step) == 0)
				reachable[step.next] = 1;
	for (s = 0; s < WS_COUNT; s++)
		all &= reachable[s];
	tap_ok(all, "every state is reached by some event");
	for (s = 0; s < WS_COUNT; s++)
		if (s != WS_DOWN)
			tap_ok(lifecycle_allows(s, WE_EXITED) ||
			    lifecycle_allows(s, WE_SILENT),
			    "a worker %s can be lost",
			    lifecycle_state_name(s));
	/* Only readiness puts a worker in HAProxy; only resume puts a
	 * drained one back in rotation. */
	for (s = 0; s < WS_COUNT; s++)
		for (e = 0; e < WE_COUNT; e++)
			if (lifecycle_next(s, e, &step) == 0 &&
			    step.lb == LB_ENABLE && e != WE_READY &&
			    e != WE_RESYNC)
				all = 0;
	tap_ok(all, "HAProxy enables a server only on ready or resync");
}

int
main(void)
{
	int rows;

	names_init();
	rows = read_documented();
	tap_ok(rows > 0, "the table lists %d transitions", rows);
	test_pairs();
	test_shape();
	return tap_done();
}
