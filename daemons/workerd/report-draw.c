/*
 * report-draw.c — the report's drawing primitives on cairo and pango:
 * colours, rectangles, rules, laid out text, table cells, headings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-pdf-int.h"

const struct rp_rgb rp_ink = { 0.13, 0.14, 0.16 };
const struct rp_rgb rp_muted = { 0.42, 0.44, 0.48 };
const struct rp_rgb rp_rule = { 0.78, 0.80, 0.83 };
const struct rp_rgb rp_zebra = { 0.95, 0.96, 0.97 };
const struct rp_rgb rp_accent = { 0.17, 0.36, 0.61 };
const struct rp_rgb rp_uploads = { 0.22, 0.45, 0.73 };
const struct rp_rgb rp_tasks = { 0.90, 0.54, 0.17 };

/* Sets the cairo source to colour `c`. */
void
rp_color(struct rp *r, const struct rp_rgb *c)
{
	cairo_set_source_rgb(r->cr, c->r, c->g, c->b);
}

/* Fills the rectangle at (x, y), w × h points, with `c`. */
void
rp_fill_rect(struct rp *r, const struct rp_rgb *c, double x, double y,
    double w, double h)
{
	rp_color(r, c);
	cairo_rectangle(r->cr, x, y, w, h);
	cairo_fill(r->cr);
}

/* Strokes a line `width` points wide from (x1, y1) to (x2, y2). */
void
rp_line(struct rp *r, const struct rp_rgb *c, double width, double x1,
    double y1, double x2, double y2)
{
	rp_color(r, c);
	cairo_set_line_width(r->cr, width);
	cairo_move_to(r->cr, x1, y1);
	cairo_line_to(r->cr, x2, y2);
	cairo_stroke(r->cr);
}

/*
 * Lays `text` out in r->layout: `width` points wide and wrapped (0: one
 * line of natural width), aligned in that width, at most `lines` lines
 * (0: no limit; the last one ends with an ellipsis).  Returns the height.
 */
double
rp_layout(struct rp *r, enum rp_font f, const char *text, double width,
    PangoAlignment align, int lines)
{
	int	 w, h;

	pango_layout_set_font_description(r->layout, r->font[f]);
	pango_layout_set_width(r->layout,
	    width > 0 ? (int)(width * PANGO_SCALE) : -1);
	pango_layout_set_wrap(r->layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(r->layout, align);
	pango_layout_set_ellipsize(r->layout, lines > 0 ?
	    PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
	pango_layout_set_height(r->layout, lines > 0 ? -lines : -1);
	pango_layout_set_text(r->layout, text, -1);
	pango_layout_get_size(r->layout, &w, &h);
	return (double)h / PANGO_SCALE;
}

/* Width of the laid out text, in points. */
double
rp_layout_width(struct rp *r)
{
	int	 w, h;

	pango_layout_get_size(r->layout, &w, &h);
	return (double)w / PANGO_SCALE;
}

/* Draws r->layout with its top left corner at (x, y). */
void
rp_show(struct rp *r, const struct rp_rgb *c, double x, double y)
{
	rp_color(r, c);
	cairo_move_to(r->cr, x, y);
	pango_cairo_show_layout(r->cr, r->layout);
}

/* Lays out and draws `text`; returns its height. */
double
rp_text(struct rp *r, enum rp_font f, const struct rp_rgb *c, double x,
    double y, double width, PangoAlignment align, const char *text)
{
	double	 h;

	h = rp_layout(r, f, text, width, align, 0);
	rp_show(r, c, x, y);
	return h;
}

/* Draws `text` centred vertically in a row of height `h`. */
void
rp_cell(struct rp *r, enum rp_font f, const struct rp_rgb *c, double x,
    double y, double width, double h, PangoAlignment align, const char *text)
{
	double	 th;

	th = rp_layout(r, f, text, width, align, 1);
	rp_show(r, c, x, y + (h - th) / 2);
}

/* A section title with a rule under it. */
void
rp_heading(struct rp *r, const char *title)
{
	double	 h;

	h = rp_text(r, RP_HEAD, &rp_ink, RP_LEFT, r->y, 0, PANGO_ALIGN_LEFT,
	    title);
	r->y += h + 3;
	rp_line(r, &rp_rule, 0.6, RP_LEFT, r->y, RP_RIGHT, r->y);
	r->y += 8;
}
