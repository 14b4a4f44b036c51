/*
 * report-render.c — half of the reference of the report benchmark: how
 * long the worker's own PDF code (daemons/workerd/report-pdf.c, from the
 * worker's library libworkerd.a) takes to render one monthly report, with no database, broker or S3.
 *
 * usage: report-render [-n count] [-e events] MONTH EMAIL OUT.pdf
 *
 * Renders the report of MONTH ("YYYY-MM") for EMAIL `count` times, with a
 * little activity on every day, and writes the last PDF to OUT.pdf (the
 * bench then times storing that file in S3 with curl).  With -e, the
 * month holds `events` logins, uploads and tasks in all, spread evenly
 * over its days as the worker's query would count them (the `scale`
 * section compares a month of 10^2 events with one of 10^4).  Prints one
 * line:
 *   renders=N ms_median=M ms_mean=A cpu_median_ms=C bytes=B
 * where C is the median CPU time of the rendering thread, which the
 * other tenants of a shared machine move far less than the wall time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report-pdf.h"

#define MAX_RENDERS	10000
#define MAX_EVENTS	1000000000L

/*
 * Fills the per-day series of `d`: `events` logins, uploads and tasks in
 * turn, day by day, or, with events < 0, the fixed little pattern of the
 * report benchmark.
 */
static void
fill_month(struct report_data *d, long events)
{
	long	 e;
	int	 day;

	for (day = 0; day < d->days; day++) {
		if (events >= 0)
			continue;
		d->logins[day] = day % 3;
		d->uploads[day] = day % 2;
		d->upload_bytes[day] = (int64_t)(day % 2) * 1234567;
		d->tasks[day] = day % 5;
	}
	for (e = 0; e < events; e++) {
		day = (int)(e * d->days / events);
		switch (e % 3) {
		case 0:
			d->logins[day]++;
			break;
		case 1:
			d->uploads[day]++;
			d->upload_bytes[day] += 1234567;
			break;
		default:
			d->tasks[day]++;
		}
	}
	for (day = 0; day < d->days; day++) {
		d->totals.logins += d->logins[day];
		d->totals.uploads += d->uploads[day];
		d->totals.upload_bytes += d->upload_bytes[day];
		d->totals.tasks += d->tasks[day];
	}
	d->totals.reports = 1;
}

static double
now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static double ms[MAX_RENDERS], cpu[MAX_RENDERS];
	struct report_data d;
	char *pdf = NULL, *cause = NULL, *end;
	size_t len = 0;
	double sum = 0, t, c;
	long count = 10, events = -1, i, v;
	FILE *f;
	int ch;

	while ((ch = getopt(argc, argv, "n:e:")) != -1) {
		if (ch != 'n' && ch != 'e')
			goto usage;
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || v < (ch == 'n') ||
		    v > (ch == 'n' ? MAX_RENDERS : MAX_EVENTS))
			goto usage;
		*(ch == 'n' ? &count : &events) = v;
	}
	if (argc - optind != 3)
		goto usage;

	memset(&d, 0, sizeof d);
	d.name = "Bench report";
	d.email = argv[optind + 1];
	d.month = argv[optind];
	if ((d.days = report_month_days(d.month)) == -1) {
		fprintf(stderr, "report-render: not a month: %s\n", d.month);
		return 2;
	}
	fill_month(&d, events);

	if (report_pdf_init(&cause) == -1) {
		fprintf(stderr, "report-render: %s\n", cause);
		return 1;
	}
	for (i = 0; i < count; i++) {
		free(pdf);
		t = now_ms(CLOCK_MONOTONIC);
		c = now_ms(CLOCK_THREAD_CPUTIME_ID);
		if (report_pdf_render(&d, &pdf, &len, &cause) != 0) {
			fprintf(stderr, "report-render: %s\n", cause);
			return 1;
		}
		cpu[i] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c;
		ms[i] = now_ms(CLOCK_MONOTONIC) - t;
		sum += ms[i];
	}
	if ((f = fopen(argv[optind + 2], "wb")) == NULL ||
	    fwrite(pdf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "report-render: %s: %s\n", argv[optind + 2],
		    strerror(errno));
		return 1;
	}
	free(pdf);
	qsort(ms, (size_t)count, sizeof ms[0], cmp_double);
	qsort(cpu, (size_t)count, sizeof cpu[0], cmp_double);
	printf("renders=%ld ms_median=%.2f ms_mean=%.2f cpu_median_ms=%.2f "
	    "bytes=%zu\n", count, ms[count / 2], sum / (double)count,
	    cpu[count / 2], len);
	return 0;

usage:
	fprintf(stderr, "usage: report-render [-n count] [-e events] MONTH "
	    "EMAIL OUT.pdf\n");
	return 2;
}
