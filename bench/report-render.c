/*
 * report-render.c — half of the reference of the report benchmark: how
 * long the worker's own PDF code (daemons/workerd/report-pdf.c, from the
 * worker's library libworkerd.a) takes to render one monthly report, with no database, broker or S3.
 *
 * usage: report-render [-n count] MONTH EMAIL OUT.pdf
 *
 * Renders the report of MONTH ("YYYY-MM") for EMAIL `count` times, with a
 * little activity on every day, and writes the last PDF to OUT.pdf (the
 * bench then times storing that file in S3 with curl).  Prints one line:
 *   renders=N ms_median=M ms_mean=A bytes=B
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report-pdf.h"

#define MAX_RENDERS	10000

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
	static double ms[MAX_RENDERS];
	struct report_data d;
	char *pdf = NULL, *cause = NULL, *end;
	size_t len = 0;
	double sum = 0, t;
	long count = 10, i;
	FILE *f;
	int ch, day;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			goto usage;
		errno = 0;
		count = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || count < 1 ||
		    count > MAX_RENDERS)
			goto usage;
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
	for (day = 0; day < d.days; day++) {
		d.logins[day] = day % 3;
		d.uploads[day] = day % 2;
		d.upload_bytes[day] = (int64_t)(day % 2) * 1234567;
		d.tasks[day] = day % 5;
		d.totals.logins += d.logins[day];
		d.totals.uploads += d.uploads[day];
		d.totals.upload_bytes += d.upload_bytes[day];
		d.totals.tasks += d.tasks[day];
	}
	d.totals.reports = 1;

	if (report_pdf_init(&cause) == -1) {
		fprintf(stderr, "report-render: %s\n", cause);
		return 1;
	}
	for (i = 0; i < count; i++) {
		free(pdf);
		t = now_ms();
		if (report_pdf_render(&d, &pdf, &len, &cause) != 0) {
			fprintf(stderr, "report-render: %s\n", cause);
			return 1;
		}
		ms[i] = now_ms() - t;
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
	printf("renders=%ld ms_median=%.2f ms_mean=%.2f bytes=%zu\n", count,
	    ms[count / 2], sum / (double)count, len);
	return 0;

usage:
	fprintf(stderr, "usage: report-render [-n count] MONTH EMAIL OUT.pdf\n");
	return 2;
}
