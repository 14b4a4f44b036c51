/*
 * test-report-pdf.c — the monthly report PDF (report-pdf.c): month
 * lengths, byte formatting, refusal of nonsense input, and real reports
 * read back with poppler's pdftotext and pdfinfo as independent readers
 * (text, page count, A4 size), also rendered from several threads.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report-pdf.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

#define NTHREADS	4

extern char **environ;

static char tmpdir[256];

/* ---------------------------------------------------------------- helpers */

/* Writes the PDF and reads it back with pdftotext and pdfinfo. */
static int
pdf_read(const char *name, const char *pdf, size_t len, char **text,
    char **info)
{
	char	 path[512], out[512], info_path[512];
	char	*a_text[] = { "pdftotext", "-enc", "UTF-8", path, out, NULL };
	char	*a_info[] = { "pdfinfo", path, NULL };

	*text = *info = NULL;
	snprintf(path, sizeof path, "%s/%s.pdf", tmpdir, name);
	snprintf(out, sizeof out, "%s/%s.txt", tmpdir, name);
	snprintf(info_path, sizeof info_path, "%s/%s.info", tmpdir, name);
	if (testutil_write(path, pdf, len) != 0)
		return -1;
	if (testutil_run(a_text, "/dev/null") != 0 ||
	    testutil_run(a_info, info_path) != 0)
		return -1;
	*text = testutil_read(out, NULL);
	*info = testutil_read(info_path, NULL);
	return *text != NULL && *info != NULL ? 0 : -1;
}

/* A plausible October 2026. */
static void
sample(struct report_data *d)
{
	int	 i;

	memset(d, 0, sizeof *d);
	d->name = "Ñandú Pérez";
	d->email = "nandu.perez@example.org";
	d->month = "2026-10";
	d->days = 31;
	for (i = 0; i < d->days; i++) {
		d->logins[i] = (i * 7) % 5;
		d->uploads[i] = (i * 13) % 9;
		d->upload_bytes[i] = d->uploads[i] * (700 * 1024 + i * 999);
		d->tasks[i] = (i * 5) % 7;
		d->totals.logins += d->logins[i];
		d->totals.uploads += d->uploads[i];
		d->totals.upload_bytes += d->upload_bytes[i];
		d->totals.tasks += d->tasks[i];
	}
	d->totals.reports = 3;
}

static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* The value of "Key:   value" in pdfinfo's output (its padding varies
 * with the keys present), or "" when absent.  Returns a static buffer. */
static const char *
info_field(const char *info, const char *key)
{
	static char	 value[256];
	const char	*p, *end;
	size_t		 n = strlen(key);

	value[0] = '\0';
	for (p = info; p != NULL && *p != '\0'; p = end + (*end != '\0')) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, key, n) != 0 || p[n] != ':')
			continue;
		for (p += n + 1; p < end && *p == ' '; p++)
			;
		snprintf(value, sizeof value, "%.*s", (int)(end - p), p);
		break;
	}
	return value;
}

/* Sanitizer builds: the suppressions for the rendering libraries come from
 * daemons/workerd/sanitizer.c, linked in as in the worker. */

/* ---------------------------------------------------------------- tests */

static void
test_month_days(void)
{
	tap_is_int(report_month_days("2026-10"), 31, "2026-10 has 31 days");
	tap_is_int(report_month_days("2026-11"), 30, "2026-11 has 30 days");
	tap_is_int(report_month_days("2026-02"), 28, "2026-02 has 28 days");
	tap_is_int(report_month_days("2024-02"), 29, "2024-02 has 29 days");
	tap_is_int(report_month_days("2000-02"), 29, "2000-02 has 29 days");
	tap_is_int(report_month_days("2100-02"), 28, "2100-02 has 28 days");
	tap_is_int(report_month_days("2026-13"), -1, "month 13 is refused");
	tap_is_int(report_month_days("2026-00"), -1, "month 00 is refused");
	tap_is_int(report_month_days("2026-1"), -1, "short month refused");
	tap_is_int(report_month_days("2026-100"), -1, "long month refused");
	tap_is_int(report_month_days("2026/10"), -1, "slash refused");
	tap_is_int(report_month_days("1969-12"), -1, "before 1970 refused");
	tap_is_int(report_month_days(NULL), -1, "NULL refused");
}

static void
is_bytes(int64_t v, const char *want)
{
	char	 buf[32];

	report_format_bytes(v, buf, sizeof buf);
	tap_is_str(buf, want, "%lld bytes read \"%s\"", (long long)v, want);
}

static void
test_bytes(void)
{
	is_bytes(0, "0 B");
	is_bytes(1023, "1023 B");
	is_bytes(1024, "1.0 KiB");
	is_bytes(1536, "1.5 KiB");
	is_bytes(10 * 1024 + 51, "10.0 KiB");
	is_bytes(10 * 1024 + 52, "10.1 KiB");
	is_bytes(1048575, "1.0 MiB");
	is_bytes(5LL * 1024 * 1024 * 1024 / 2, "2.5 GiB");
	is_bytes(1LL << 60, "1.0 EiB");
	is_bytes(INT64_MAX, "8.0 EiB");
	is_bytes(-1, "-");
}

/* Renders `d`, expects a refusal whose cause holds `word`. */
static void
refused(const struct report_data *d, const char *word, const char *what)
{
	char	*pdf = (char *)1, *cause = NULL;
	size_t	 len = 1;
	int	 rv;

	rv = report_pdf_render(d, &pdf, &len, &cause);
	tap_ok(rv == -1 && pdf == NULL && len == 0 && contains(cause, word),
	    "%s is refused: %s", what, cause != NULL ? cause : "(no cause)");
	free(cause);
	if (rv == 0)
		free(pdf);
}

static void
test_refusals(void)
{
	struct report_data	 d;
	char			 long_name[REPORT_MAX_STRING + 2];

	sample(&d);
	d.days = 40;
	refused(&d, "days 40", "days=40");
	sample(&d);
	d.days = 27;
	refused(&d, "days 27", "days=27");
	sample(&d);
	d.days = 30;
	refused(&d, "has 31 days", "30 days for October");
	sample(&d);
	d.month = "2026-13";
	refused(&d, "YYYY-MM", "month 2026-13");
	sample(&d);
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	d.name = long_name;
	refused(&d, "over 256 bytes", "a 257-byte name");
	sample(&d);
	d.email = long_name;
	refused(&d, "email is over", "a 257-byte email");
	sample(&d);
	d.name = "bad \xc3\x28 utf-8";
	refused(&d, "UTF-8", "invalid UTF-8");
	sample(&d);
	d.name = "two\nlines";
	refused(&d, "control", "a newline in the name");
	sample(&d);
	d.email = NULL;
	refused(&d, "missing", "no email");
	sample(&d);
	d.email = "";
	refused(&d, "empty", "an empty email");
	sample(&d);
	d.uploads[4] = -1;
	refused(&d, "day 5", "a negative upload count");
	sample(&d);
	d.totals.reports = REPORT_MAX_COUNT + 1;
	refused(&d, "reports", "a total over 10^12");
	refused(NULL, "no report", "NULL data");
}

static void
test_report(void)
{
	struct report_data	 d;
	char			*pdf = NULL, *cause = NULL, *text, *info;
	char			 want[64];
	size_t			 len = 0;
	int			 rv;

	sample(&d);
	rv = report_pdf_render(&d, &pdf, &len, &cause);
	if (!tap_ok(rv == 0 && pdf != NULL, "a report renders%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		return;
	}
	tap_ok(len > 1000 && memcmp(pdf, "%PDF-", 5) == 0,
	    "it starts with %%PDF- (%zu bytes)", len);
	tap_ok(len > 6 && memcmp(pdf + len - 6, "%%EOF\n", 6) == 0,
	    "it ends with %%%%EOF");
	if (!tap_ok(pdf_read("sample", pdf, len, &text, &info) == 0,
	    "pdftotext and pdfinfo read it")) {
		free(pdf);
		return;
	}
	tap_ok(contains(text, "pfo3 \xe2\x80\x94 monthly report"),
	    "text has the title");
	tap_ok(contains(text, "nandu.perez@example.org"), "text has the email");
	tap_ok(contains(text, "2026-10"), "text has the month");
	tap_ok(contains(text, "Ñandú"), "text has Ñandú");
	tap_ok(contains(text, "Pérez"), "text has Pérez");
	tap_ok(contains(text, "October 2026"), "text names the month");
	report_format_bytes(d.totals.upload_bytes, want, sizeof want);
	tap_ok(contains(text, want), "text has the uploaded total %s", want);
	tap_ok(contains(text, "Uploads and tasks per day") &&
	    contains(text, "Day of month"), "text has the chart and its axis");
	tap_ok(contains(text, "Day by day"), "the day table fits and is there");
	tap_is_str(info_field(info, "Pages"), "1", "pdfinfo: 1 page");
	tap_is_str(info_field(info, "Page size"), "595 x 842 pts (A4)",
	    "pdfinfo: A4 in points");
	tap_is_str(info_field(info, "Title"), "pfo3 monthly report 2026-10",
	    "pdfinfo: the title");
	if (getenv("PFO3_REPORT_KEEP") != NULL)
		tap_diag("text:\n%s\ninfo:\n%s", text, info);
	free(text);
	free(info);
	free(pdf);
}

/* CJK may come out as boxes with DejaVu alone: only success is asserted,
 * with the other fields intact. */
static void
test_cjk(void)
{
	struct report_data	 d;
	char			*pdf = NULL, *cause = NULL, *text, *info;
	size_t			 len = 0;
	int			 rv;

	sample(&d);
	d.name = "山田太郎";
	d.email = "yamada@example.jp";
	d.month = "2024-02";
	d.days = 29;
	rv = report_pdf_render(&d, &pdf, &len, &cause);
	if (!tap_ok(rv == 0, "a CJK name renders%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		return;
	}
	if (tap_ok(pdf_read("cjk", pdf, len, &text, &info) == 0,
	    "the CJK report reads back")) {
		tap_ok(contains(text, "yamada@example.jp") &&
		    contains(text, "2024-02"), "its email and month are there");
		tap_ok(contains(text, "29 days"), "February 2024 has 29 days");
	}
	free(text);
	free(info);
	free(pdf);
}

/* The longest name and address wrap; the page stays one page and the
 * chart is there whether or not the day table still fits. */
static void
test_long(void)
{
	struct report_data	 d;
	char			 name[REPORT_MAX_STRING + 1];
	char			 email[REPORT_MAX_STRING + 1];
	char			*pdf = NULL, *cause = NULL, *text, *info;
	size_t			 len = 0, i;
	int			 rv;

	for (i = 0; i < REPORT_MAX_STRING; i++) {
		name[i] = i % 9 == 8 ? ' ' : 'W';
		email[i] = "MW"[i % 2];
	}
	name[REPORT_MAX_STRING] = email[REPORT_MAX_STRING] = '\0';
	memcpy(email + 100, "@", 1);
	sample(&d);
	d.name = name;
	d.email = email;
	rv = report_pdf_render(&d, &pdf, &len, &cause);
	if (!tap_ok(rv == 0, "256-byte name and email render%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		return;
	}
	if (tap_ok(pdf_read("long", pdf, len, &text, &info) == 0,
	    "the long report reads back")) {
		tap_is_str(info_field(info, "Pages"), "1", "still 1 page");
		tap_ok(contains(text, "Uploads and tasks per day"),
		    "the chart is there");
		tap_ok(contains(text, "page 1 of 1"), "the footer is there");
	}
	free(text);
	free(info);
	free(pdf);
}

static void
test_empty(void)
{
	struct report_data	 d;
	char			*pdf = NULL, *cause = NULL, *text, *info;
	size_t			 len = 0;

	memset(&d, 0, sizeof d);
	d.name = "";
	d.email = "idle@example.org";
	d.month = "2026-02";
	d.days = 28;
	if (!tap_ok(report_pdf_render(&d, &pdf, &len, &cause) == 0,
	    "an idle month with no name renders%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		return;
	}
	if (pdf_read("empty", pdf, len, &text, &info) == 0)
		tap_ok(contains(text, "No uploads or tasks this month"),
		    "the empty chart says so");
	else
		tap_ok(0, "the idle report reads back");
	free(text);
	free(info);
	free(pdf);
}

struct job {
	pthread_t	 thread;
	int		 started;
	int		 n;
	int		 rv;
	size_t		 len;
	char		*pdf;
	char		*cause;
};

static void *
job_run(void *arg)
{
	struct job		*j = arg;
	struct report_data	 d;
	char			 email[64];

	sample(&d);
	snprintf(email, sizeof email, "thread%d@example.org", j->n);
	d.email = email;
	j->rv = report_pdf_render(&d, &j->pdf, &j->len, &j->cause);
	return NULL;
}

static void
test_threads(void)
{
	struct job	 jobs[NTHREADS];
	char		*text, *info, want[64], name[32];
	int		 i, ok = 1, texts = 1;

	memset(jobs, 0, sizeof jobs);
	for (i = 0; i < NTHREADS; i++) {
		jobs[i].n = i;
		jobs[i].rv = -1;
		jobs[i].started = pthread_create(&jobs[i].thread, NULL,
		    job_run, &jobs[i]) == 0;
	}
	for (i = 0; i < NTHREADS; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		if (jobs[i].rv != 0) {
			ok = 0;
			tap_diag("thread %d: %s", i, jobs[i].cause != NULL ?
			    jobs[i].cause : "not started");
			free(jobs[i].cause);
			continue;
		}
		snprintf(name, sizeof name, "thread%d", i);
		snprintf(want, sizeof want, "thread%d@example.org", i);
		if (pdf_read(name, jobs[i].pdf, jobs[i].len, &text,
		    &info) != 0 || !contains(text, want))
			texts = 0;
		free(text);
		free(info);
		free(jobs[i].pdf);
	}
	tap_ok(ok, "%d reports render at once in %d threads", NTHREADS,
	    NTHREADS);
	tap_ok(texts, "each threaded report holds its own address");
}

/* Removes the files the tests wrote, then the folder. */
static void
cleanup(void)
{
	static const char	*names[] = {
		"sample", "cjk", "long", "empty", "thread0", "thread1",
		"thread2", "thread3"
	};
	static const char	*exts[] = { "pdf", "txt", "info" };
	char			 path[512];
	size_t			 i, j;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (j = 0; j < sizeof exts / sizeof exts[0]; j++) {
			snprintf(path, sizeof path, "%s/%s.%s", tmpdir,
			    names[i], exts[j]);
			unlink(path);
		}
	}
	rmdir(tmpdir);
}

int
main(void)
{
	const char	*t = getenv("TMPDIR");
	char		*cause = NULL;

	snprintf(tmpdir, sizeof tmpdir, "%s/test-report-pdf.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	if (!tap_ok(report_pdf_init(&cause) == 0, "report_pdf_init%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		rmdir(tmpdir);
		return tap_done();
	}
	test_month_days();
	test_bytes();
	test_refusals();
	test_report();
	test_cjk();
	test_long();
	test_empty();
	test_threads();
	if (getenv("PFO3_REPORT_KEEP") != NULL)
		tap_diag("files kept in %s", tmpdir);
	else
		cleanup();
	return tap_done();
}
