/*
 * ctl-field.h — reading fields of a control reply (a status object) by
 * a dotted path such as "lb.status" or "latency_ms.p99".
 *
 * Clients must cope with replies from older or newer daemons: a missing
 * field or one of another type yields the caller's default instead of an
 * error, so a display shows "-" rather than failing.
 */
#ifndef PFO3_CTL_FIELD_H
#define PFO3_CTL_FIELD_H

#include <jansson.h>

/* The value at `path` (object keys separated by '.'), or NULL. */
json_t		*ctl_field(const json_t *obj, const char *path);
/* A string at `path`, else `dflt`. */
const char	*ctl_field_str(const json_t *obj, const char *path,
		    const char *dflt);
/* A number (integer or real) at `path`, else `dflt`. */
double		 ctl_field_num(const json_t *obj, const char *path,
		    double dflt);
/* 1 when the number at `path` exists (booleans are not numbers). */
int		 ctl_field_has_num(const json_t *obj, const char *path);
/* 1 or 0 for a boolean at `path`, else `dflt`. */
int		 ctl_field_bool(const json_t *obj, const char *path,
		    int dflt);

#endif
