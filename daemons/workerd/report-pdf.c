/*
 * report-pdf.c — draws the monthly report (report-pdf.h) on one A4 page.
 *
 * cairo writes the PDF through a stream callback into a growing buffer;
 * most of the file is written by cairo_surface_finish(), so its status is
 * checked after it.  All text goes through pango, which shapes any script
 * and falls back to other fonts for characters DejaVu lacks (or draws a
 * box when no installed font has them).
 *
 * Every call makes its own pango font map rather than using pango's
 * per-thread default one: nothing then outlives the call or depends on
 * which thread runs it, at the price of about 2 ms per report.
 *
 * The page is laid out top to bottom; `y` in struct rp is the next free
 * line.  Sizes are in points (1/72 inch), the font map's resolution is 72
 * so that a 10-point font is 10 units high.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "report-pdf-int.h"
#include "xmalloc.h"

static const char *rp_font_names[RP_NFONTS] = {
	RP_FONT " Bold 20",
	RP_FONT " Bold 12",
	RP_FONT " 10",
	RP_FONT " Bold 10",
	RP_FONT " 8",
	RP_FONT " Bold 8",
	RP_FONT " 7",
};

static const char *rp_months[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* ---------------------------------------------------------------- parts */

/* Title, then who and when. */
static void
rp_header(struct rp *r)
{
	const struct report_data	*d = r->d;
	const struct {
		const char	*label;
		const char	*value;
	}				 rows[3] = {
		{ "Name", *d->name != '\0' ? d->name : "\xe2\x80\x94" },
		{ "Email", d->email },
		{ "Month", NULL },
	};
	char				 month[64];
	double				 h, label_w = 58;
	int				 i, mon;

	mon = (d->month[5] - '0') * 10 + (d->month[6] - '0');
	snprintf(month, sizeof month, "%s (%s %.4s, %d days)", d->month,
	    rp_months[mon - 1], d->month, d->days);

	h = rp_text(r, RP_TITLE, &rp_ink, RP_LEFT, r->y, 0, PANGO_ALIGN_LEFT,
	    "pfo3 \xe2\x80\x94 monthly report");
	rp_layout(r, RP_HEAD, d->month, 0, PANGO_ALIGN_LEFT, 0);
	rp_show(r, &rp_accent, RP_RIGHT - rp_layout_width(r), r->y + 6);
	r->y += h + 4;
	rp_fill_rect(r, &rp_accent, RP_LEFT, r->y, RP_WIDTH, 2.5);
	r->y += 12;

	for (i = 0; i < 3; i++) {
		rp_text(r, RP_BOLD, &rp_muted, RP_LEFT, r->y, label_w,
		    PANGO_ALIGN_LEFT, rows[i].label);
		/* Long names and addresses wrap, but over three lines at
		 * most, so the rest of the page keeps its room. */
		h = rp_layout(r, RP_BODY, rows[i].value != NULL ?
		    rows[i].value : month, RP_WIDTH - label_w,
		    PANGO_ALIGN_LEFT, 3);
		rp_show(r, &rp_ink, RP_LEFT + label_w, r->y);
		r->y += h + 3;
	}
	r->y += 12;
}

/* Totals on the left, two facts about the days on the right. */
static void
rp_summary(struct rp *r)
{
	const struct report_data	*d = r->d;
	const struct report_totals	*t = &d->totals;
	char				 v[5][64], line[160];
	const char			*label[5] = {
		"Logins", "Uploads", "Uploaded data", "Tasks", "Reports"
	};
	double				 x = RP_LEFT, w = 250, y, side;
	int64_t				 best = -1, sum;
	int				 i, active = 0, best_day = 0;

	rp_heading(r, "Activity");
	rp_format_count(t->logins, v[0], sizeof v[0]);
	rp_format_count(t->uploads, v[1], sizeof v[1]);
	report_format_bytes(t->upload_bytes, v[2], sizeof v[2]);
	rp_format_count(t->tasks, v[3], sizeof v[3]);
	rp_format_count(t->reports, v[4], sizeof v[4]);

	y = r->y;
	rp_cell(r, RP_SMALLBOLD, &rp_muted, x + 6, y, 150, RP_ROW_H,
	    PANGO_ALIGN_LEFT, "Measure");
	rp_cell(r, RP_SMALLBOLD, &rp_muted, x + w - 106, y, 100, RP_ROW_H,
	    PANGO_ALIGN_RIGHT, "This month");
	y += RP_ROW_H;
	rp_line(r, &rp_rule, 0.6, x, y, x + w, y);
	for (i = 0; i < 5; i++) {
		if (i % 2 == 1)
			rp_fill_rect(r, &rp_zebra, x, y, w, RP_ROW_H);
		rp_cell(r, RP_BODY, &rp_ink, x + 6, y, 150, RP_ROW_H,
		    PANGO_ALIGN_LEFT, label[i]);
		rp_cell(r, RP_BOLD, &rp_ink, x + w - 136, y, 130, RP_ROW_H,
		    PANGO_ALIGN_RIGHT, v[i]);
		y += RP_ROW_H;
	}
	rp_line(r, &rp_rule, 0.6, x, y, x + w, y);

	for (i = 0; i < d->days; i++) {
		sum = d->logins[i] + d->uploads[i] + d->tasks[i];
		if (sum > 0)
			active++;
		if (d->uploads[i] + d->tasks[i] > best) {
			best = d->uploads[i] + d->tasks[i];
			best_day = i + 1;
		}
	}
	side = x + w + 24;
	snprintf(line, sizeof line, "Active days: %d of %d", active, d->days);
	r->y += rp_text(r, RP_BODY, &rp_ink, side, r->y + 2, RP_RIGHT - side,
	    PANGO_ALIGN_LEFT, line) + 6;
	if (best > 0) {
		snprintf(line, sizeof line, "Busiest day: %s-%02d, "
		    "%lld uploads and tasks", d->month, best_day,
		    (long long)best);
		rp_text(r, RP_BODY, &rp_ink, side, r->y + 2, RP_RIGHT - side,
		    PANGO_ALIGN_LEFT, line);
	}
	r->y = y + 20;
}

/* The smallest step of 1, 2 or 5 times a power of ten that covers `max`
 * in at most five intervals; sets *n to the number of intervals. */
static int64_t
rp_axis_step(int64_t max, int *n)
{
	static const int	 mult[3] = { 1, 2, 5 };
	int64_t			 p = 1, step = 1, k;
	int			 i = 0;

	if (max <= 0) {
		*n = 5;
		return 1;
	}
	for (;;) {
		step = mult[i] * p;
		k = max / step + (max % step != 0);
		if (k <= 5)
			break;
		if (++i == 3) {
			i = 0;
			p *= 10;
		}
	}
	*n = (int)k;
	return step;
}

/* A swatch and a label, ending at `right`; returns the new right edge. */
static double
rp_legend(struct rp *r, double right, double y, const struct rp_rgb *c,
    const char *label)
{
	double	 tw;

	rp_layout(r, RP_SMALL, label, 0, PANGO_ALIGN_LEFT, 0);
	tw = rp_layout_width(r);
	rp_show(r, &rp_ink, right - tw, y);
	rp_fill_rect(r, c, right - tw - 12, y + 2, 8, 8);
	return right - tw - 24;
}

/* Uploads and tasks per day as grouped bars. */
static void
rp_chart(struct rp *r)
{
	const struct report_data	*d = r->d;
	double				 left = RP_LEFT + 40, right = RP_RIGHT;
	double				 top, bottom, slot, bw, x, h, y, legend;
	int64_t				 max = 0, step;
	char				 label[32];
	int				 i, n, every;

	rp_heading(r, "Uploads and tasks per day");
	legend = rp_legend(r, RP_RIGHT, r->y - 2, &rp_tasks, "Tasks");
	rp_legend(r, legend, r->y - 2, &rp_uploads, "Uploads");

	top = r->y + 14;
	bottom = top + RP_CHART_H;
	for (i = 0; i < d->days; i++) {
		if (d->uploads[i] > max)
			max = d->uploads[i];
		if (d->tasks[i] > max)
			max = d->tasks[i];
	}
	step = rp_axis_step(max, &n);

	/* Grid lines and their values. */
	for (i = 0; i <= n; i++) {
		y = bottom - RP_CHART_H * i / n;
		if (i > 0)
			rp_line(r, &rp_rule, 0.4, left, y, right, y);
		rp_format_short(step * i, label, sizeof label);
		h = rp_layout(r, RP_TINY, label, 30, PANGO_ALIGN_RIGHT, 1);
		rp_show(r, &rp_muted, left - 34, y - h / 2);
	}

	/* Two bars per day, uploads then tasks. */
	slot = (right - left) / d->days;
	bw = slot * 0.38;
	for (i = 0; i < d->days; i++) {
		x = left + slot * i + slot * 0.12;
		h = RP_CHART_H * (double)d->uploads[i] / ((double)step * n);
		if (d->uploads[i] > 0)
			rp_fill_rect(r, &rp_uploads, x, bottom - h, bw,
			    h < 0.8 ? 0.8 : h);
		h = RP_CHART_H * (double)d->tasks[i] / ((double)step * n);
		if (d->tasks[i] > 0)
			rp_fill_rect(r, &rp_tasks, x + bw, bottom - h, bw,
			    h < 0.8 ? 0.8 : h);
	}
	if (max == 0) {
		rp_layout(r, RP_BODY, "No uploads or tasks this month",
		    right - left, PANGO_ALIGN_CENTER, 1);
		rp_show(r, &rp_muted, left, top + RP_CHART_H / 2 - 8);
	}

	/* Axes, day numbers (every other one when slots are narrow). */
	rp_line(r, &rp_ink, 0.8, left, top - 4, left, bottom);
	rp_line(r, &rp_ink, 0.8, left, bottom, right, bottom);
	every = slot < 12 ? 2 : 1;
	for (i = 0; i < d->days; i++) {
		if (i % every != 0)
			continue;
		x = left + slot * i;
		rp_line(r, &rp_ink, 0.5, x + slot / 2, bottom, x + slot / 2,
		    bottom + 2.5);
		snprintf(label, sizeof label, "%d", i + 1);
		rp_layout(r, RP_TINY, label, slot + 8, PANGO_ALIGN_CENTER, 1);
		rp_show(r, &rp_muted, x - 4, bottom + 3);
	}
	h = rp_text(r, RP_SMALL, &rp_muted, left, bottom + 14, right - left,
	    PANGO_ALIGN_CENTER, "Day of month");

	/* The value axis title, turned a quarter left. */
	cairo_save(r->cr);
	cairo_translate(r->cr, RP_LEFT, bottom - RP_CHART_H / 2);
	cairo_rotate(r->cr, -G_PI / 2);
	pango_cairo_update_layout(r->cr, r->layout);
	rp_layout(r, RP_SMALL, "Count per day", RP_CHART_H, PANGO_ALIGN_CENTER,
	    1);
	rp_show(r, &rp_muted, -RP_CHART_H / 2, 0);
	cairo_restore(r->cr);
	pango_cairo_update_layout(r->cr, r->layout);

	r->y = bottom + 14 + h + 18;
}

/* Height the day-by-day table needs: heading, header row, days in two
 * side-by-side halves. */
static double
rp_days_height(const struct report_data *d)
{
	return 30 + RP_DAY_ROW_H * (1 + (d->days + 1) / 2);
}

/* One half of the day table: days first..last (1-based, inclusive). */
static void
rp_days_block(struct rp *r, double x0, double w, int first, int last)
{
	const struct report_data	*d = r->d;
	static const char		*head[5] = {
		"Day", "Logins", "Uploads", "Uploaded", "Tasks"
	};
	static const double		 colw[5] = { 0.13, 0.19, 0.20, 0.28, 0.20 };
	char				 v[5][64];
	double				 x, y = r->y;
	int				 c, day;

	x = x0;
	for (c = 0; c < 5; c++) {
		rp_cell(r, RP_SMALLBOLD, &rp_muted, x, y, colw[c] * w - 4,
		    RP_DAY_ROW_H, PANGO_ALIGN_RIGHT, head[c]);
		x += colw[c] * w;
	}
	y += RP_DAY_ROW_H;
	rp_line(r, &rp_rule, 0.6, x0, y, x0 + w, y);
	for (day = first; day <= last; day++) {
		snprintf(v[0], sizeof v[0], "%d", day);
		rp_format_count(d->logins[day - 1], v[1], sizeof v[1]);
		rp_format_count(d->uploads[day - 1], v[2], sizeof v[2]);
		report_format_bytes(d->upload_bytes[day - 1], v[3],
		    sizeof v[3]);
		rp_format_count(d->tasks[day - 1], v[4], sizeof v[4]);
		if ((day - first) % 2 == 1)
			rp_fill_rect(r, &rp_zebra, x0, y, w, RP_DAY_ROW_H);
		x = x0;
		for (c = 0; c < 5; c++) {
			rp_cell(r, c == 0 ? RP_SMALLBOLD : RP_SMALL, &rp_ink,
			    x, y, colw[c] * w - 4, RP_DAY_ROW_H,
			    PANGO_ALIGN_RIGHT, v[c]);
			x += colw[c] * w;
		}
		y += RP_DAY_ROW_H;
	}
}

/* The day-by-day table: first half of the month left, rest right. */
static void
rp_days(struct rp *r)
{
	double	 w = (RP_WIDTH - 24) / 2;
	int	 half = (r->d->days + 1) / 2;

	rp_heading(r, "Day by day");
	rp_days_block(r, RP_LEFT, w, 1, half);
	rp_days_block(r, RP_LEFT + w + 24, w, half + 1, r->d->days);
	r->y += RP_DAY_ROW_H * (1 + half);
}

/* A rule and one small line at the foot of the page. */
static void
rp_footer(struct rp *r)
{
	char	 text[64];

	rp_line(r, &rp_rule, 0.6, RP_LEFT, RP_FOOTER, RP_RIGHT, RP_FOOTER);
	snprintf(text, sizeof text, "pfo3 monthly report %s", r->d->month);
	rp_text(r, RP_TINY, &rp_muted, RP_LEFT, RP_FOOTER + 4, RP_WIDTH / 2,
	    PANGO_ALIGN_LEFT, text);
	rp_text(r, RP_TINY, &rp_muted, RP_LEFT + RP_WIDTH / 2, RP_FOOTER + 4,
	    RP_WIDTH / 2, PANGO_ALIGN_RIGHT, "page 1 of 1");
}

/* Draws the whole page from the top. */
static void
rp_page(struct rp *r)
{
	r->y = RP_MARGIN;
	rp_header(r);
	rp_summary(r);
	rp_chart(r);
	/* The header's height depends on the name and address: the day
	 * table comes only when it still fits above the footer. */
	if (r->y + rp_days_height(r->d) <= RP_FOOTER - 8)
		rp_days(r);
	rp_footer(r);
}

/* ---------------------------------------------------------------- output */

/* cairo's stream callback: appends `length` bytes to the rp_buf in
 * `closure`, refusing to grow past REPORT_MAX_PDF. */
static cairo_status_t
rp_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct rp_buf	*b = closure;

	if (b->too_big || length > REPORT_MAX_PDF - b->len) {
		b->too_big = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	if (b->len + length > b->size) {
		while (b->len + length > b->size)
			b->size = b->size == 0 ? 64 * 1024 : b->size * 2;
		b->data = xrealloc(b->data, b->size);
	}
	memcpy(b->data + b->len, data, length);
	b->len += length;
	return CAIRO_STATUS_SUCCESS;
}

/* A font map of this call's own, at 72 dpi, with unhinted metrics (the
 * page is scaled by its viewer, never drawn on a pixel grid). */
static PangoContext *
rp_context(PangoFontMap **fm)
{
	PangoContext		*ctx;
	cairo_font_options_t	*fo;

	*fm = pango_cairo_font_map_new();
	pango_cairo_font_map_set_resolution(PANGO_CAIRO_FONT_MAP(*fm), 72.0);
	ctx = pango_font_map_create_context(*fm);
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(ctx, fo);
	cairo_font_options_destroy(fo);
	return ctx;
}

int
report_pdf_init(char **cause)
{
	PangoFontMap		*fm;
	PangoContext		*ctx;
	PangoFontDescription	*desc;
	PangoFont		*font;

	/* cairo dates each PDF in local time: read the zone once here, so
	 * that rendering threads only ever read it. */
	tzset();
	/* Loading one font starts fontconfig and reads its cache here, in
	 * one thread, rather than in the first reports at once. */
	ctx = rp_context(&fm);
	desc = pango_font_description_from_string(rp_font_names[RP_BODY]);
	font = pango_font_map_load_font(fm, ctx, desc);
	pango_font_description_free(desc);
	g_object_unref(ctx);
	g_object_unref(fm);
	if (font == NULL) {
		*cause = xstrdup("no font found for reports (fontconfig finds "
		    "none; install fonts-dejavu-core)");
		return -1;
	}
	g_object_unref(font);
	return 0;
}

int
report_pdf_render(const struct report_data *d, char **pdf, size_t *len,
    char **cause)
{
	struct rp_buf		 buf = { 0 };
	struct rp		 r;
	cairo_surface_t		*surface;
	PangoFontMap		*fm;
	PangoContext		*ctx;
	cairo_status_t		 st;
	char			 title[64];
	int			 i;

	*pdf = NULL;
	*len = 0;
	if (rp_check(d, cause) != 0)
		return -1;

	surface = cairo_pdf_surface_create_for_stream(rp_write, &buf,
	    RP_PAGE_W, RP_PAGE_H);
	if ((st = cairo_surface_status(surface)) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surface);
		*cause = xasprintf("PDF surface: %s", cairo_status_to_string(st));
		return -1;
	}
	snprintf(title, sizeof title, "pfo3 monthly report %s", d->month);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
	    "pfo3");

	memset(&r, 0, sizeof r);
	r.d = d;
	r.cr = cairo_create(surface);
	ctx = rp_context(&fm);
	pango_cairo_update_context(r.cr, ctx);
	r.layout = pango_layout_new(ctx);
	for (i = 0; i < RP_NFONTS; i++)
		r.font[i] = pango_font_description_from_string(rp_font_names[i]);

	rp_page(&r);
	cairo_show_page(r.cr);
	st = cairo_status(r.cr);

	for (i = 0; i < RP_NFONTS; i++)
		pango_font_description_free(r.font[i]);
	g_object_unref(r.layout);
	g_object_unref(ctx);
	g_object_unref(fm);
	cairo_destroy(r.cr);
	/* The bulk of the file is written now. */
	cairo_surface_finish(surface);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surface);
	cairo_surface_destroy(surface);

	if (buf.too_big) {
		free(buf.data);
		*cause = xasprintf("report PDF is over %d bytes", REPORT_MAX_PDF);
		return -1;
	}
	if (st != CAIRO_STATUS_SUCCESS) {
		free(buf.data);
		*cause = xasprintf("report PDF: %s", cairo_status_to_string(st));
		return -1;
	}
	*pdf = buf.data;
	*len = buf.len;
	return 0;
}
