/*
 * report-month.c — which months a report may be of (report-pdf.h).  The
 * worker checks a month when a report is asked for, long before the
 * renderer (the module report.so, module.h) is loaded.
 */
#include <string.h>

#include "report-pdf.h"

int
report_month_days(const char *month)
{
	static const int	 days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int			 i, year, mon;

	if (month == NULL || strlen(month) != 7 || month[4] != '-')
		return -1;
	for (i = 0; i < 7; i++) {
		if (i != 4 && (month[i] < '0' || month[i] > '9'))
			return -1;
	}
	year = (month[0] - '0') * 1000 + (month[1] - '0') * 100 +
	    (month[2] - '0') * 10 + (month[3] - '0');
	mon = (month[5] - '0') * 10 + (month[6] - '0');
	if (year < 1970 || mon < 1 || mon > 12)
		return -1;
	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[mon - 1];
}
