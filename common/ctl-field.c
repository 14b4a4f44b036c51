/*
 * ctl-field.c — dotted-path access to the fields of a control reply.
 */
#include <string.h>

#include <jansson.h>

#include "ctl-field.h"

/* Keys in the protocol are short; a longer word cannot name a field. */
#define CTL_FIELD_MAX_KEY	64

json_t *
ctl_field(const json_t *obj, const char *path)
{
	char		 key[CTL_FIELD_MAX_KEY];
	const char	*p = path, *dot;
	json_t		*v = (json_t *)obj;
	size_t		 len;

	if (obj == NULL || path == NULL)
		return NULL;
	for (;;) {
		if (!json_is_object(v))
			return NULL;
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len >= sizeof key)
			return NULL;
		memcpy(key, p, len);
		key[len] = '\0';
		if ((v = json_object_get(v, key)) == NULL)
			return NULL;
		if (dot == NULL)
			return v;
		p = dot + 1;
	}
}

const char *
ctl_field_str(const json_t *obj, const char *path, const char *dflt)
{
	json_t	*v = ctl_field(obj, path);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

double
ctl_field_num(const json_t *obj, const char *path, double dflt)
{
	json_t	*v = ctl_field(obj, path);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

int
ctl_field_has_num(const json_t *obj, const char *path)
{
	return json_is_number(ctl_field(obj, path));
}

int
ctl_field_bool(const json_t *obj, const char *path, int dflt)
{
	json_t	*v = ctl_field(obj, path);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}
