/* job-types.c — see job-types.h. */
#include <string.h>

#include "job-types.h"

const char *const job_types[JOB_NTYPES + 1] = {
	[JOB_REPORT] =		"report",
	[JOB_THUMBNAIL] =	"thumbnail",
	[JOB_TASK] =		"task",
	[JOB_NTYPES] =		NULL,
};

int
job_type_find(const char *name)
{
	int	i;

	for (i = 0; i < JOB_NTYPES; i++) {
		if (strcmp(job_types[i], name) == 0)
			return i;
	}
	return -1;
}
