/*
 * xmalloc.h — allocation that cannot fail: out of memory ends the process
 * with a message, so callers never carry a NULL check for it.
 */
#ifndef PFO3_XMALLOC_H
#define PFO3_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *ptr, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
