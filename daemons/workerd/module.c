/*
 * module.c — loads the worker's renderer modules (see module.h).
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "log.h"
#include "module.h"
#include "xmalloc.h"

const char *
module_dir(void)
{
	const char	*dir;

	dir = getenv("PFO3_MODULE_DIR");
	if (dir != NULL && *dir != '\0')
		return dir;
	return PFO3_MODULEDIR;
}

void *
module_symbol(const char *file, const char *symbol, char **cause)
{
	char	*path;
	void	*handle, *sym;

	path = xasprintf("%s/%s", module_dir(), file);
	/*
	 * RTLD_NOW: a module that lacks a symbol fails here, with the
	 * loader's message, not in the middle of a job.  RTLD_LOCAL: its
	 * symbols stay its own.
	 */
	if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		*cause = xasprintf("cannot load module %s: %s", path,
		    dlerror());
		free(path);
		return NULL;
	}
	if ((sym = dlsym(handle, symbol)) == NULL) {
		*cause = xasprintf("module %s has no %s", path, symbol);
		free(path);
		return NULL;
	}
	log_info("loaded module %s", path);
	free(path);
	return sym;
}

const struct module_head *
module_start(const char *file, const char *symbol, const char *what,
    char **cause)
{
	const struct module_head	*head;
	char				*why = NULL;

	if ((head = module_symbol(file, symbol, &why)) == NULL)
		goto fail;
	if (head->abi != MODULE_ABI) {
		why = xasprintf("module %s/%s is of another build (interface "
		    "%d, not %d)", module_dir(), file, head->abi, MODULE_ABI);
		goto fail;
	}
	if (head->init(&why) != 0)
		goto fail;
	return head;

fail:
	*cause = xasprintf("%s are unavailable: %s", what, why);
	free(why);
	return NULL;
}
