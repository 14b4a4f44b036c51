/*
 * report-numbers.c — numbers as the report prints them: byte sizes,
 * counts grouped by thin spaces, short axis labels.  Integer arithmetic
 * only, so the output does not depend on the locale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-pdf-int.h"

/* Integer arithmetic only: the result does not depend on the locale. */
void
report_format_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char	*units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	uint64_t		 b, div, tenths;
	int			 i;

	if (bytes < 0) {
		snprintf(buf, len, "-");
		return;
	}
	b = (uint64_t)bytes;
	if (b < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)b);
		return;
	}
	for (i = 1; i < 6 && b >= (1ULL << (10 * (i + 1))); i++)
		;
	div = 1ULL << (10 * i);
	tenths = (b / div) * 10 + ((b % div) * 10 + div / 2) / div;
	if (tenths >= 10240 && i < 6) {
		/* 1023.95 KiB and over rounds to 1.0 MiB, not 1024.0 KiB. */
		i++;
		div <<= 10;
		tenths = (b / div) * 10 + ((b % div) * 10 + div / 2) / div;
	}
	snprintf(buf, len, "%llu.%llu %s", (unsigned long long)(tenths / 10),
	    (unsigned long long)(tenths % 10), units[i]);
}

/* A count with thin spaces between groups of three digits from 10 000. */
void
rp_format_count(int64_t v, char *buf, size_t len)
{
	char	 digits[32];
	size_t	 n, i, o = 0;

	n = (size_t)snprintf(digits, sizeof digits, "%lld", (long long)v);
	if (v < 10000 || n >= sizeof digits) {
		snprintf(buf, len, "%s", digits);
		return;
	}
	for (i = 0; i < n && o + 4 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			/* U+2009 THIN SPACE */
			memcpy(buf + o, "\xe2\x80\x89", 3);
			o += 3;
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* A short axis label: 950, 1.5k, 20k, 3M, 1.2G. */
void
rp_format_short(int64_t v, char *buf, size_t len)
{
	static const char	*suffix[] = { "", "k", "M", "G", "T" };
	int64_t			 div = 1;
	int			 i = 0;

	while (i < 4 && v >= div * 1000) {
		div *= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%lld", (long long)v);
	else if (v % div == 0 || v / div >= 100)
		snprintf(buf, len, "%lld%s", (long long)(v / div), suffix[i]);
	else
		snprintf(buf, len, "%lld.%lld%s", (long long)(v / div),
		    (long long)((v % div) * 10 / div), suffix[i]);
}
