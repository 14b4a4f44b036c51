/* testutil.c — see testutil.h. */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

extern char **environ;

char *
testutil_read(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 size = 0, n;

	if (len != NULL)
		*len = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	/* Read in blocks: a pipe or /proc file has no size to seek to. */
	do {
		buf = xrealloc(buf, size + 65536 + 1);
		n = fread(buf + size, 1, 65536, f);
		size += n;
	} while (n == 65536);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[size] = '\0';
	if (len != NULL)
		*len = size;
	return buf;
}

int
testutil_write(const char *path, const void *data, size_t len)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int
testutil_run(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t	 fa;
	pid_t				 pid;
	int				 status, rc;

	posix_spawn_file_actions_init(&fa);
	if (out != NULL)
		posix_spawn_file_actions_addopen(&fa, 1, out,
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		tap_diag("cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
