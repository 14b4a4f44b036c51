/*
 * fuzz-conf.c — a libFuzzer target for the configuration loader
 * (common/conf-load.c and the conf*.c it calls: libconfig's tokens matched
 * against the options table, values converted, bounds-checked and stored,
 * the 32-bit wrap check that reads the file again), fed a temporary file
 * as the daemons are fed pfo3.conf.
 *
 * Besides crashes, sanitizer reports and leaks it checks that a refusal
 * always says why, and that whatever the file held, every value stored
 * is within its option's bounds, the defaults staying where the file was
 * wrong.  @include is skipped: it reads other files, not this input.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The file: in memory (memfd), reached through /proc as a path; a disk
 * file emptied for each input would be flushed each time. */
static char	fuzz_path[64];

/* Every stored value is within the bounds of its option. */
static void
fuzz_check_bounds(const struct pfo3_conf *c)
{
	const struct conf_option	*opt;
	const char			*base = (const char *)c, *s;
	int64_t				 v;

	for (opt = conf_options; opt->name != NULL; opt++) {
		if (opt->type == CONF_STR) {
			memcpy(&s, base + opt->offset, sizeof s);
			if (s == NULL || (int64_t)strlen(s) < opt->min ||
			    (int64_t)strlen(s) > opt->max)
				abort();
			continue;
		}
		memcpy(&v, base + opt->offset, sizeof v);
		if (opt->type == CONF_BOOL ? v != 0 && v != 1 :
		    v < opt->min || v > opt->max)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 fd = -1;
	struct pfo3_conf	 c;
	char			*cause = NULL;

	if (fd == -1) {
		/* One file for the whole run, rewritten for each input. */
		if ((fd = memfd_create("pfo3-fuzz-conf", 0)) == -1)
			abort();
		snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fd);
	}
	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();

	conf_defaults(&c);
	if (conf_load(&c, fuzz_path, &cause) != 0) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
	}
	fuzz_check_bounds(&c);
	conf_free(&c);
	return 0;
}
