/*
 * conf-load.c — loads pfo3.conf into struct pfo3_conf, checking every
 * setting against conf_options[].
 *
 * libconfig only tokenizes.  Each leaf of the parsed tree is matched by its
 * dotted path against the table, converted, bounds-checked and copied into
 * the struct; the libconfig tree is then thrown away, so readers of the
 * struct never touch libconfig (which is not thread-safe).  Every problem
 * is collected, not only the first, so one edit-and-retry cycle fixes a
 * whole file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "conf-int.h"
#include "log.h"
#include "xmalloc.h"

/* Newline-separated error lines, built as they are found. */
struct conf_errors {
	char	*text;
};

static void
conf_error(struct conf_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends one line to `errs`. */
static void
conf_error(struct conf_errors *errs, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *text;
	int	 len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		fatalx("vsnprintf failed");
	line = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(line, (size_t)len + 1, fmt, ap);
	va_end(ap);
	if (errs->text == NULL)
		errs->text = line;
	else {
		text = xasprintf("%s\n%s", errs->text, line);
		free(errs->text);
		free(line);
		errs->text = text;
	}
}

/* Returns 1 when `path` is a group: a proper dotted prefix of some key. */
static int
conf_is_group(const char *path)
{
	const struct conf_option	*opt;
	size_t				 len = strlen(path);

	for (opt = conf_options; opt->name != NULL; opt++) {
		if (strncmp(opt->name, path, len) == 0 && opt->name[len] == '.')
			return 1;
	}
	return 0;
}

/* Names a libconfig setting type for "expected X, got Y". */
static const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "an unknown type";
}

/* Names what a key of `type` accepts in the file. */
static const char *
conf_expected(enum conf_type type)
{
	switch (type) {
	case CONF_STR:
		return "a string";
	case CONF_INT:
		return "an integer";
	case CONF_SIZE:
		return "a size (an integer of bytes or a string such as "
		    "\"64K\")";
	case CONF_DURATION:
		return "a duration (an integer of seconds or a string such as "
		    "\"500ms\")";
	case CONF_BOOL:
		return "a boolean";
	}
	return "a value";
}

/*
 * Converts one leaf of the file for `opt`, checks and stores it, or appends
 * an error "file:line: message" to `errs`.
 */
static void
conf_leaf(struct pfo3_conf *c, const struct conf_option *opt,
    const config_setting_t *s, const char *file, struct conf_errors *errs)
{
	struct conf_value	 v = { 0, NULL };
	int			 type = config_setting_type(s), line, numeric;
	char			*cause = NULL, lit[64];

	line = config_setting_source_line(s);
	numeric = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;

	if (type == CONFIG_TYPE_STRING && opt->type != CONF_INT) {
		if (conf_parse_text(opt, config_setting_get_string(s), &v,
		    &cause) != 0)
			goto error;
	} else if (numeric && opt->type != CONF_STR && opt->type != CONF_BOOL) {
		v.num = config_setting_get_int64(s);
		if (type == CONFIG_TYPE_INT &&
		    conf_literal_wrapped(file, config_setting_name(s), line,
		    v.num, lit, sizeof lit)) {
			cause = xasprintf("%s: %s is too large for a plain "
			    "integer (32 bits); %s", opt->name, lit,
			    opt->type == CONF_INT ? "append L" :
			    "write a string with a unit or append L");
			goto error;
		}
		if (opt->type == CONF_DURATION) {
			/* Plain numbers are seconds. */
			if (v.num > INT64_MAX / 1000 ||
			    v.num < INT64_MIN / 1000) {
				cause = xasprintf("%s: %lld seconds is too "
				    "large", opt->name, (long long)v.num);
				goto error;
			}
			v.num *= 1000;
		}
	} else if (type == CONFIG_TYPE_BOOL && opt->type == CONF_BOOL)
		v.num = config_setting_get_bool(s);
	else {
		cause = xasprintf("%s: expected %s, got %s", opt->name,
		    conf_expected(opt->type), conf_type_name(type));
		goto error;
	}
	if (conf_check(opt, &v, &cause) != 0)
		goto error;
	conf_store(c, opt, &v);
	return;

error:
	conf_error(errs, "%s:%d: %s", file, line, cause);
	free(cause);
}

/*
 * Walks the settings of `group` (whose dotted path is `prefix`, NULL for
 * the root), storing known keys and reporting everything else.
 */
static void
conf_walk(struct pfo3_conf *c, const config_setting_t *group,
    const char *prefix, const char *path, struct conf_errors *errs)
{
	const struct conf_option	*opt;
	config_setting_t		*s;
	const char			*file;
	char				*key, *msg;
	int				 i, n, line, isgroup;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, i);
		if (prefix != NULL)
			key = xasprintf("%s.%s", prefix,
			    config_setting_name(s));
		else
			key = xstrdup(config_setting_name(s));
		/* Settings from an @include name their own file. */
		if ((file = config_setting_source_file(s)) == NULL)
			file = path;
		line = config_setting_source_line(s);
		isgroup = config_setting_type(s) == CONFIG_TYPE_GROUP;

		if ((opt = conf_find(key)) != NULL)
			conf_leaf(c, opt, s, file, errs);
		else if (conf_is_group(key) && isgroup)
			conf_walk(c, s, key, path, errs);
		else if (conf_is_group(key)) {
			conf_error(errs, "%s:%d: %s: expected a group "
			    "(%s = { ... };), got %s", file, line, key, key,
			    conf_type_name(config_setting_type(s)));
		} else {
			msg = conf_unknown(key, isgroup);
			conf_error(errs, "%s:%d: %s", file, line, msg);
			free(msg);
		}
		free(key);
	}
}

/*
 * Reads the libconfig file `path` over the current values of `c`.  Every
 * error is reported in *cause, one "file:line: message" per line; keys that
 * were valid are stored even then, the others keep their old values.
 */
int
conf_load(struct pfo3_conf *c, const char *path, char **cause)
{
	config_t		 cfg;
	struct conf_errors	 errs = { NULL };
	struct stat		 sb;
	FILE			*f;
	const char		*file;

	/* libconfig reports a missing file without its name or errno. */
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("%s: cannot open: %s", path,
		    strerror(EISDIR));
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	fclose(f);

	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			*cause = xasprintf("%s: cannot read file", path);
		else {
			if ((file = config_error_file(&cfg)) == NULL)
				file = path;
			*cause = xasprintf("%s:%d: %s", file,
			    config_error_line(&cfg), config_error_text(&cfg));
		}
		config_destroy(&cfg);
		return -1;
	}
	conf_walk(c, config_root_setting(&cfg), NULL, path, &errs);
	config_destroy(&cfg);
	if (errs.text != NULL) {
		*cause = errs.text;
		return -1;
	}
	return 0;
}
