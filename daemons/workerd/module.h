/*
 * module.h — the renderers the worker loads only when it first needs
 * them: the thumbnail maker (thumb.so: libvips and the codecs it links)
 * and the report renderer (report.so: cairo, pango, fontconfig).
 *
 * Linked into the worker, those libraries were mapped into every worker
 * from its start, with their relocated data (copy-on-write pages of
 * each process's own) and, for libvips, loaders for formats no upload is
 * thumbnailed from.  An idle worker, or one that never makes a
 * thumbnail or a report, now maps none of them.
 *
 * Modules are found in $PFO3_MODULE_DIR when it is set (./stack and the
 * tests point it at the build tree) and in the installed PKGLIBDIR
 * otherwise.  Each exports one table (render-module.h); its calls use
 * the worker's own allocation and logging functions (module-host.sym).
 * A module is never unloaded: the libraries it pulls in keep threads and
 * types registered for the life of the process.
 */
#ifndef PFO3_MODULE_H
#define PFO3_MODULE_H

#define MODULE_ABI	1	/* bump when a module's table changes */

/*
 * How every module's table begins: the interface it was built for (a
 * module left from another build is refused with a reason rather than
 * called wrongly) and its start, made once before any other call.
 */
struct module_head {
	int	  abi;
	int	(*init)(char **cause);
};

/*
 * Loads module `file` ("thumb.so") and returns the address of its
 * `symbol`; NULL and *cause (one line naming the path and the loader's
 * reason) when it cannot.  Thread-safe; loading twice returns the same
 * address.
 */
void	*module_symbol(const char *file, const char *symbol, char **cause);

/*
 * Loads module `file`, checks its table `symbol` and starts it: the
 * table, or NULL and *cause ("<what> are unavailable: <reason>").
 * Call once per module (pthread_once).
 */
const struct module_head *module_start(const char *file, const char *symbol,
	    const char *what, char **cause);

/* The directory modules are loaded from (see above). */
const char *module_dir(void);

#endif
