/*
 * report-pdf-int.h — what the files drawing the monthly report share:
 * the page geometry, fonts, colours, the state of one rendering, and the
 * checks, number formats and drawing primitives each file provides.
 * Only report-*.c include it.
 */
#ifndef PFO3_REPORT_PDF_INT_H
#define PFO3_REPORT_PDF_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "report-pdf.h"

#define RP_PAGE_W	595.0		/* A4 in points */
#define RP_PAGE_H	842.0
#define RP_MARGIN	48.0
#define RP_LEFT		RP_MARGIN
#define RP_RIGHT	(RP_PAGE_W - RP_MARGIN)
#define RP_WIDTH	(RP_RIGHT - RP_LEFT)
#define RP_FOOTER	(RP_PAGE_H - 34.0)	/* top of the footer line */
#define RP_FONT		"DejaVu Sans"

#define RP_CHART_H	150.0		/* plot area of the bar chart */
#define RP_ROW_H	15.0		/* summary table rows */
#define RP_DAY_ROW_H	12.0		/* day-by-day table rows */

enum rp_font {
	RP_TITLE,
	RP_HEAD,
	RP_BODY,
	RP_BOLD,
	RP_SMALL,
	RP_SMALLBOLD,
	RP_TINY,
	RP_NFONTS
};

struct rp_rgb {
	double	r, g, b;
};

extern const struct rp_rgb rp_ink, rp_muted, rp_rule, rp_zebra, rp_accent, rp_uploads, rp_tasks;

/* The PDF as cairo writes it. */
struct rp_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	int	 too_big;
};

/* One rendering: everything here belongs to a single call. */
struct rp {
	const struct report_data	*d;
	cairo_t				*cr;
	PangoLayout			*layout;
	PangoFontDescription		*font[RP_NFONTS];
	double				 y;
};

/* report-check.c: refuses what cannot be a month of a user. */
int	rp_check(const struct report_data *d, char **cause);

/* report-numbers.c */
void	rp_format_count(int64_t v, char *buf, size_t len);
void	rp_format_short(int64_t v, char *buf, size_t len);

/* report-draw.c */
void	rp_color(struct rp *r, const struct rp_rgb *c);
void	rp_fill_rect(struct rp *r, const struct rp_rgb *c, double x,
	    double y, double w, double h);
void	rp_line(struct rp *r, const struct rp_rgb *c, double width,
	    double x1, double y1, double x2, double y2);
double	rp_layout(struct rp *r, enum rp_font f, const char *text,
	    double width, PangoAlignment align, int lines);
double	rp_layout_width(struct rp *r);
void	rp_show(struct rp *r, const struct rp_rgb *c, double x, double y);
double	rp_text(struct rp *r, enum rp_font f, const struct rp_rgb *c,
	    double x, double y, double width, PangoAlignment align,
	    const char *text);
void	rp_cell(struct rp *r, enum rp_font f, const struct rp_rgb *c,
	    double x, double y, double width, double h, PangoAlignment align,
	    const char *text);
void	rp_heading(struct rp *r, const char *title);

#endif
