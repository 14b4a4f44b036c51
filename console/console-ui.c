/*
 * console-ui.c — keys into state changes and requests; the worker view
 * (filter and sort) and the selection.
 *
 * The selection is kept by worker id, not by row: workers come and go
 * and the sort moves them, and the operator must never drain a worker
 * other than the one the cursor was on.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "console-ui.h"

static const char *const ui_sort_names[SORT_COUNT] = {
	"id", "state", "busy", "req/s", "p99", "errors",
};

void
ui_init(struct ui *ui, int interval_ms)
{
	memset(ui, 0, sizeof *ui);
	ui->interval_ms = interval_ms;
	ui->page = 1;
	ui->mode = UI_NORMAL;
}

const char *
ui_sort_name(enum ui_sort s)
{
	return s < SORT_COUNT ? ui_sort_names[s] : "?";
}

void
ui_message(struct ui *ui, int64_t now_ms, enum style st, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(ui->message, sizeof ui->message, fmt, ap);
	va_end(ap);
	ui->message_style = st;
	ui->message_until = now_ms + UI_MESSAGE_MS;
}

/* ---- the view ------------------------------------------------------- */

/* Case-insensitive substring test (ASCII; ids and states are ASCII). */
static int
ui_contains(const char *hay, const char *needle)
{
	size_t	 n = strlen(needle), i;

	if (n == 0)
		return 1;
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0'; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* "w2" before "w10": digits compare as numbers. */
static int
ui_natural_cmp(const char *a, const char *b)
{
	unsigned long	 na, nb;
	char		*ea, *eb;

	while (*a != '\0' && *b != '\0') {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			na = strtoul(a, &ea, 10);
			nb = strtoul(b, &eb, 10);
			if (na != nb)
				return na < nb ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* Order of states when sorting by state: trouble first. */
static int
ui_state_rank(const char *s)
{
	static const char *const order[] = { "failed", "down", "stopping",
	    "starting", "draining", "drained", "up" };
	size_t	 i;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (strcmp(s, order[i]) == 0)
			return (int)i;
	return -1;
}

/* qsort has no context argument in C17: the sort is set before sorting. */
static const struct model *ui_sort_model;
static enum ui_sort ui_sort_key;

static int
ui_cmp_desc(double a, double b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int
ui_cmp(const void *pa, const void *pb)
{
	const struct model_worker	*a, *b;
	int				 r = 0;

	a = &ui_sort_model->workers[*(const size_t *)pa];
	b = &ui_sort_model->workers[*(const size_t *)pb];
	switch (ui_sort_key) {
	case SORT_STATE:
		r = ui_state_rank(a->state) - ui_state_rank(b->state);
		break;
	case SORT_BUSY:
		r = ui_cmp_desc(a->threads > 0 ? a->busy / a->threads : 0,
		    b->threads > 0 ? b->busy / b->threads : 0);
		break;
	case SORT_REQ:
		r = ui_cmp_desc(a->req_s, b->req_s);
		break;
	case SORT_P99:
		r = ui_cmp_desc(a->p99, b->p99);
		break;
	case SORT_ERRORS:
		r = ui_cmp_desc(a->errors_s, b->errors_s);
		break;
	default:
		break;
	}
	return r != 0 ? r : ui_natural_cmp(a->id, b->id);
}

size_t
ui_view(const struct ui *ui, const struct model *m, size_t *idx, size_t max)
{
	const struct model_worker	*w;
	size_t				 i, n = 0;

	for (i = 0; i < m->nworkers && n < max; i++) {
		w = &m->workers[i];
		if (ui_contains(w->id, ui->filter) ||
		    ui_contains(w->addr, ui->filter) ||
		    ui_contains(w->state, ui->filter))
			idx[n++] = i;
	}
	ui_sort_model = m;
	ui_sort_key = ui->sort;
	qsort(idx, n, sizeof *idx, ui_cmp);
	return n;
}

/* The view of a model, allocated (caller frees), and its length. */
static size_t *
ui_view_alloc(const struct ui *ui, const struct model *m, size_t *n)
{
	size_t	*idx = calloc(m->nworkers + 1, sizeof *idx);

	if (idx == NULL) {
		*n = 0;
		return NULL;
	}
	*n = ui_view(ui, m, idx, m->nworkers);
	return idx;
}

int
ui_selected(const struct ui *ui, const struct model *m)
{
	size_t	*idx, n, i;
	int	 pos = -1;

	if ((idx = ui_view_alloc(ui, m, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(m->workers[idx[i]].id, ui->sel_id) == 0) {
			pos = (int)i;
			break;
		}
	free(idx);
	return pos;
}

/* Selects view position `pos` (clamped) and scrolls to show it. */
static void
ui_select(struct ui *ui, const struct model *m, int pos)
{
	size_t	*idx, n;

	if ((idx = ui_view_alloc(ui, m, &n)) == NULL)
		return;
	if (n == 0) {
		ui->sel_id[0] = '\0';
		ui->top = 0;
		free(idx);
		return;
	}
	if (pos < 0)
		pos = 0;
	if (pos >= (int)n)
		pos = (int)n - 1;
	snprintf(ui->sel_id, sizeof ui->sel_id, "%s", m->workers[idx[pos]].id);
	ui->sel_pos = pos;
	if (pos < ui->top)
		ui->top = pos;
	if (ui->page > 0 && pos >= ui->top + ui->page)
		ui->top = pos - ui->page + 1;
	if (ui->top > (int)n - ui->page)
		ui->top = (int)n - ui->page;
	if (ui->top < 0)
		ui->top = 0;
	free(idx);
}

void
ui_fix_selection(struct ui *ui, const struct model *m)
{
	int	 pos = ui_selected(ui, m);

	ui_select(ui, m, pos != -1 ? pos : ui->sel_pos);
}

/* Moves the selection by `delta` rows (from nothing: to the first). */
static void
ui_move(struct ui *ui, const struct model *m, int delta)
{
	int	 pos = ui_selected(ui, m);

	ui_select(ui, m, pos == -1 ? 0 : pos + delta);
}

/* ---- keys ----------------------------------------------------------- */

/* An action key: refused with a reason, asked about, or sent. */
static void
ui_action(struct ui *ui, const struct model *m, const struct key_binding *b,
    int64_t now_ms, struct ui_request *req)
{
	const char	*id = "";

	if (ui->read_only) {
		ui_message(ui, now_ms, ST_WARN, "read-only (%s): '%s' would "
		    "%s; connect to the admin socket to act",
		    ui->read_only_why != NULL ? ui->read_only_why :
		    "read-only", b->label, confirm_verb(b->action));
		return;
	}
	if (!m->valid) {
		ui_message(ui, now_ms, ST_WARN, "no data from ctld yet: "
		    "nothing to act on");
		return;
	}
	if (ui->track.action != ACT_NONE && ui->track.sent) {
		ui_message(ui, now_ms, ST_WARN, "waiting for ctld to answer "
		    "the last action");
		return;
	}
	if (b->flags & KEY_WORKER) {
		if (ui_selected(ui, m) == -1) {
			ui_message(ui, now_ms, ST_WARN, "select a worker "
			    "first (arrows or j/k)");
			return;
		}
		id = ui->sel_id;
	}
	if (b->flags & KEY_CONFIRM) {
		ui->mode = UI_CONFIRM;
		ui->confirm = b->action;
		snprintf(ui->confirm_id, sizeof ui->confirm_id, "%s", id);
		confirm_text(b->action, m, id, ui->confirm_text,
		    sizeof ui->confirm_text);
		return;
	}
	req->what = REQ_COMMAND;
	req->action = b->action;
	snprintf(req->cmd, sizeof req->cmd, "%s", confirm_command(b->action));
	snprintf(req->arg, sizeof req->arg, "%s", id);
}

/* The confirmation dialog: y or Enter goes on, anything else cancels. */
static void
ui_key_confirm(struct ui *ui, int key, int64_t now_ms,
    struct ui_request *req)
{
	ui->mode = UI_NORMAL;
	if (key == 'y' || key == 'Y' || key == '\n' || key == '\r' ||
	    key == KEY_ENTER) {
		req->what = REQ_COMMAND;
		req->action = ui->confirm;
		snprintf(req->cmd, sizeof req->cmd, "%s",
		    confirm_command(ui->confirm));
		if (ui->confirm == ACT_RESTART)
			snprintf(req->arg, sizeof req->arg, "all");
		else
			snprintf(req->arg, sizeof req->arg, "%s",
			    ui->confirm_id);
		return;
	}
	ui_message(ui, now_ms, ST_DIM, "%s cancelled",
	    confirm_verb(ui->confirm));
}

/* The filter prompt: printable ASCII edits, Enter applies, Esc cancels. */
static void
ui_key_filter(struct ui *ui, const struct model *m, int key)
{
	size_t	 n = strlen(ui->edit);

	if (key == 27) {
		ui->mode = UI_NORMAL;
		return;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		snprintf(ui->filter, sizeof ui->filter, "%s", ui->edit);
		ui->mode = UI_NORMAL;
		ui->top = 0;
		if (ui_selected(ui, m) == -1)
			ui_select(ui, m, 0);
		return;
	}
	if ((key == KEY_BACKSPACE || key == 127 || key == 8) && n > 0) {
		ui->edit[n - 1] = '\0';
		return;
	}
	if (key >= 0x20 && key < 0x7f && n + 1 < sizeof ui->edit) {
		ui->edit[n] = (char)key;
		ui->edit[n + 1] = '\0';
	}
}

void
ui_key(struct ui *ui, const struct model *m, int key, int64_t now_ms,
    struct ui_request *req)
{
	const struct key_binding	*b;

	memset(req, 0, sizeof *req);
	if (ui->mode == UI_CONFIRM) {
		ui_key_confirm(ui, key, now_ms, req);
		return;
	}
	if (ui->mode == UI_FILTER) {
		ui_key_filter(ui, m, key);
		return;
	}
	if (ui->mode == UI_HELP) {
		/* Any key closes the help; q still quits. */
		ui->mode = UI_NORMAL;
		if (key == 'q' || key == 'Q')
			req->what = REQ_QUIT;
		return;
	}
	if (key == 27) {
		/* Esc clears a filter and the message line. */
		ui->filter[0] = '\0';
		ui->message[0] = '\0';
		return;
	}
	if ((b = key_lookup(key)) == NULL) {
		if (key != KEY_RESIZE)
			ui_message(ui, now_ms, ST_DIM, "no action on that key: "
			    "? shows the keys");
		return;
	}
	switch (b->action) {
	case ACT_UP:
		ui_move(ui, m, -1);
		break;
	case ACT_DOWN:
		ui_move(ui, m, 1);
		break;
	case ACT_PAGE_UP:
		ui_move(ui, m, -(ui->page > 1 ? ui->page - 1 : 1));
		break;
	case ACT_PAGE_DOWN:
		ui_move(ui, m, ui->page > 1 ? ui->page - 1 : 1);
		break;
	case ACT_HOME:
		ui_select(ui, m, 0);
		break;
	case ACT_END:
		ui_select(ui, m, (int)m->nworkers);
		break;
	case ACT_SORT:
		ui->sort = (ui->sort + 1) % SORT_COUNT;
		ui_select(ui, m, ui_selected(ui, m));
		ui_message(ui, now_ms, ST_DIM, "sorted by %s",
		    ui_sort_name(ui->sort));
		break;
	case ACT_FILTER:
		ui->mode = UI_FILTER;
		snprintf(ui->edit, sizeof ui->edit, "%s", ui->filter);
		break;
	case ACT_PAUSE:
		ui->paused = !ui->paused;
		break;
	case ACT_FASTER:
	case ACT_SLOWER:
		if (b->action == ACT_FASTER)
			ui->interval_ms = ui->interval_ms / 2 < UI_INTERVAL_MIN ?
			    UI_INTERVAL_MIN : ui->interval_ms / 2;
		else
			ui->interval_ms = ui->interval_ms * 2 > UI_INTERVAL_MAX ?
			    UI_INTERVAL_MAX : ui->interval_ms * 2;
		req->what = REQ_INTERVAL;
		ui_message(ui, now_ms, ST_DIM, "refresh every %.2g s",
		    ui->interval_ms / 1000.0);
		break;
	case ACT_HELP:
		ui->mode = UI_HELP;
		break;
	case ACT_REDRAW:
		req->what = REQ_REDRAW;
		break;
	case ACT_QUIT:
		req->what = REQ_QUIT;
		break;
	default:
		ui_action(ui, m, b, now_ms, req);
		break;
	}
}
