/*
 * console-render-panels.c — the RabbitMQ queues, the dependencies and
 * the event log.
 */
#include <stdio.h>
#include <string.h>

#include "console-format.h"
#include "console-render.h"

void
render_queues(struct canvas *c, const struct box *b, const struct model *m,
    const struct render_ctx *rc)
{
	const struct model_queue	*q;
	char				 v[5][FMT_SHORT];
	enum style			 st;
	size_t				 i;
	int				 nw = 5, row;

	if (b->height == 0)
		return;
	for (i = 0; i < m->nqueues; i++)
		if (canvas_width(m->queues[i].name) > nw)
			nw = canvas_width(m->queues[i].name);
	if (nw > b->width - 40)
		nw = b->width - 40;
	canvas_fill(c, b->row, b->col, b->width, L' ', ST_TITLE);
	canvas_printf(c, b->row, b->col, b->width, ST_TITLE,
	    "%-*s %7s %7s %5s %7s %7s", nw, "QUEUE", "READY", "UNACKED",
	    "CONS", "IN/S", "OUT/S");
	if (m->nqueues == 0)
		canvas_put(c, b->row + 1, b->col, b->width, ST_DIM,
		    m->valid ? "no queues reported" : "no status yet");
	for (i = 0; i < m->nqueues && (int)i + 1 < b->height; i++) {
		q = &m->queues[i];
		row = b->row + 1 + (int)i;
		st = theme_queue(rc->th, q->messages, q->dead_letter);
		canvas_put(c, row, b->col, nw, st == ST_OK ? ST_NORMAL : st,
		    q->name);
		canvas_printf(c, row, b->col + nw, b->width - nw, ST_NORMAL,
		    " %7s %7s %5s %7s %7s",
		    ctl_fmt_count(v[0], sizeof v[0], q->messages),
		    ctl_fmt_count(v[1], sizeof v[1], q->unacked),
		    ctl_fmt_count(v[2], sizeof v[2], q->consumers),
		    ctl_fmt_rate(v[3], sizeof v[3], q->in_s),
		    ctl_fmt_rate(v[4], sizeof v[4], q->out_s));
		canvas_style(c, row, b->col + nw + 1, 7, st == ST_OK ?
		    ST_NORMAL : st);
		if (st != ST_OK)
			canvas_printf(c, row, b->col + nw + 38,
			    b->width - nw - 38, st, " %s%s",
			    theme_mark(rc->sym, st), q->dead_letter ?
			    " dead letters" : "");
		if (q->consumers == 0 && !q->dead_letter)
			canvas_style(c, row, b->col + nw + 17, 5, ST_WARN);
	}
}

static void
render_deps_compact(struct canvas *c, const struct box *b,
    const struct model *m, const struct render_ctx *rc)
{
	const struct model_dep	*d;
	char			 lat[FMT_SHORT], detail[128], buf[200];
	size_t			 i;
	int			 x = b->col, end = b->col + b->width;

	x += canvas_put(c, b->row, x, end - x, ST_TITLE, "DEPS");
	for (i = 0; i < m->ndeps && x < end; i++) {
		d = &m->deps[i];
		x += canvas_put(c, b->row, x, end - x, ST_DIM, " ");
		if (i > 0)
			x += canvas_printf(c, b->row, x, end - x, ST_DIM,
			    "%s ", rc->sym->sep);
		if (d->ok == 1)
			snprintf(buf, sizeof buf, "%s %s %s", d->name,
			    rc->sym->ok, ctl_fmt_latency(lat, sizeof lat,
			    d->latency_ms));
		else {
			model_dep_detail(d, detail, sizeof detail);
			snprintf(buf, sizeof buf, "%s %s %s%s%.40s", d->name,
			    rc->sym->down, d->ok == 0 ? "down" : "unknown",
			    detail[0] ? ": " : "", detail);
		}
		x += canvas_put(c, b->row, x, end - x, d->ok == 1 ? ST_OK :
		    ST_CRIT, buf);
	}
	if (m->ndeps == 0)
		canvas_put(c, b->row, x, end - x, ST_DIM, m->valid ?
		    "  none reported" : "  no status yet");
}

void
render_deps(struct canvas *c, const struct box *b, int compact,
    const struct model *m, const struct render_ctx *rc)
{
	const struct model_dep	*d;
	char			 lat[FMT_SHORT], detail[256];
	enum style		 st;
	size_t			 i;
	int			 row;

	if (b->height == 0)
		return;
	if (compact) {
		render_deps_compact(c, b, m, rc);
		return;
	}
	canvas_fill(c, b->row, b->col, b->width, L' ', ST_TITLE);
	canvas_printf(c, b->row, b->col, b->width, ST_TITLE, "%-10s %-9s %9s  %s",
	    "DEPENDENCY", "STATE", "LATENCY", "DETAIL");
	if (m->ndeps == 0)
		canvas_put(c, b->row + 1, b->col, b->width, ST_DIM,
		    m->valid ? "none reported" : "no status yet");
	for (i = 0; i < m->ndeps && (int)i + 1 < b->height; i++) {
		d = &m->deps[i];
		row = b->row + 1 + (int)i;
		st = d->ok == 1 ? ST_OK : ST_CRIT;
		model_dep_detail(d, detail, sizeof detail);
		canvas_printf(c, row, b->col, b->width, ST_NORMAL, "%-10.10s",
		    d->name);
		canvas_printf(c, row, b->col + 11, b->width - 11, st,
		    "%s %s", d->ok == 1 ? rc->sym->ok : rc->sym->down,
		    d->ok == 1 ? "up" : d->ok == 0 ? "down" : "unknown");
		canvas_printf(c, row, b->col + 21, b->width - 21, ST_NORMAL,
		    "%9s  ", ctl_fmt_latency(lat, sizeof lat, d->latency_ms));
		canvas_put(c, row, b->col + 32, b->width - 32,
		    d->error ? ST_CRIT : ST_DIM, detail);
	}
}

void
render_events(struct canvas *c, const struct box *b, const struct model *m)
{
	char	 t[FMT_SHORT];
	size_t	 i, rows, first;
	int	 row;

	if (b->height == 0)
		return;
	canvas_fill(c, b->row, b->col, b->width, L' ', ST_TITLE);
	canvas_put(c, b->row, b->col, b->width, ST_TITLE, "EVENTS");
	rows = (size_t)(b->height - 1);
	if (m->nevents == 0 && rows > 0)
		canvas_put(c, b->row + 1, b->col, b->width, ST_DIM,
		    m->valid ? "no events yet" : "no status yet");
	/* The newest at the bottom, like a log. */
	first = m->nevents > rows ? m->nevents - rows : 0;
	for (i = first, row = b->row + 1; i < m->nevents; i++, row++) {
		canvas_put(c, row, b->col, 9, ST_DIM,
		    ctl_fmt_time(t, sizeof t, m->events[i].time, 0));
		canvas_put(c, row, b->col + 9, b->width - 9, ST_NORMAL,
		    m->events[i].text);
	}
}
