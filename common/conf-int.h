/*
 * conf-int.h — what the conf*.c files share with one another and with no
 * one else; the interface for the rest of pfo3 is conf.h.
 */
#ifndef PFO3_CONF_INT_H
#define PFO3_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* One converted value, before it is checked and stored. */
struct conf_value {
	int64_t		 num;	/* every type but CONF_STR */
	const char	*str;	/* CONF_STR; not owned */
};

/* conf.c: a value on its way into struct pfo3_conf. */
/* Converts `text` by the type of `opt`; -1 and *cause on error. */
int	conf_parse_text(const struct conf_option *opt, const char *text,
	    struct conf_value *v, char **cause);
/* Checks `v` against the bounds and choices of `opt`; -1 and *cause. */
int	conf_check(const struct conf_option *opt, const struct conf_value *v,
	    char **cause);
/* Copies a checked `v` into `c`, duplicating strings. */
void	conf_store(struct pfo3_conf *c, const struct conf_option *opt,
	    const struct conf_value *v);

/* conf-suggest.c: "unknown key 'x' (did you mean 'y'?)" for `path`, a key
 * or, when `group` is set, a group.  Never NULL; caller frees. */
char	*conf_unknown(const char *path, int group);

/* conf-wrap.c: -1, with the literal as written in `lit`, when the integer
 * setting `name` at line `target` of `file` was wrapped to 32 bits into
 * `value`; 0 otherwise. */
int	conf_literal_wrapped(const char *file, const char *name,
	    unsigned int target, int64_t value, char *lit, size_t litlen);

#endif
