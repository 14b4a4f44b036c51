/*
 * ctl-frame.c — one JSON object per line, both directions.
 *
 * Decoding is the only place a request's shape is checked, so the server
 * and every handler can read "cmd", "args" and "v" without checking types
 * again.  The caller bounds the line length before calling here: jansson
 * has no size limit of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <jansson.h>

#include "ctl.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Parses `len` bytes as one JSON object; anything after it, duplicate keys
 * and other values (arrays, strings) are refused.
 */
static json_t *
ctl_frame_load(const char *line, size_t len, const char *what, char **cause)
{
	json_error_t	 err;
	json_t		*obj;

	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL) {
		*cause = xasprintf("bad JSON in %s: %s (column %d)", what,
		    err.text, err.column);
		return NULL;
	}
	if (!json_is_object(obj)) {
		*cause = xasprintf("%s is not a JSON object", what);
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/*
 * Checks the optional "v" of a request; a missing one is taken as ours.
 * Returns -1 with *cause when it is not an integer we speak.
 */
static int
ctl_frame_check_version(json_t *req, char **cause)
{
	json_t		*v;
	json_int_t	 n;

	if ((v = json_object_get(req, "v")) == NULL) {
		json_object_set_new(req, "v", json_integer(CTL_PROTO_VERSION));
		return 0;
	}
	if (!json_is_integer(v)) {
		*cause = xstrdup("\"v\" must be an integer (protocol version)");
		return -1;
	}
	n = json_integer_value(v);
	if (n > CTL_PROTO_VERSION) {
		*cause = xasprintf("unsupported protocol version %lld (this "
		    "side speaks %d)", (long long)n, CTL_PROTO_VERSION);
		return -1;
	}
	if (n < 1) {
		*cause = xasprintf("bad protocol version %lld (versions start "
		    "at 1)", (long long)n);
		return -1;
	}
	return 0;
}

/* Accepts one line without its newline (a trailing CR is the caller's). */
json_t *
ctl_frame_decode_request(const char *line, size_t len, char **cause)
{
	json_t	*req, *cmd, *args, *arg;
	size_t	 i;

	if ((req = ctl_frame_load(line, len, "request", cause)) == NULL)
		return NULL;

	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd) || json_string_length(cmd) == 0) {
		*cause = xstrdup("request has no \"cmd\" string");
		goto fail;
	}

	if ((args = json_object_get(req, "args")) != NULL) {
		if (!json_is_array(args)) {
			*cause = xstrdup("\"args\" must be an array of strings");
			goto fail;
		}
		json_array_foreach(args, i, arg) {
			if (!json_is_string(arg)) {
				*cause = xasprintf("\"args\" must be an array "
				    "of strings (item %zu is not)", i);
				goto fail;
			}
		}
	}

	if (ctl_frame_check_version(req, cause) != 0)
		goto fail;
	return req;

fail:
	json_decref(req);
	return NULL;
}

/* Accepts one reply line without its newline. */
json_t *
ctl_frame_decode_reply(const char *line, size_t len, char **cause)
{
	json_t	*rep;

	if ((rep = ctl_frame_load(line, len, "reply", cause)) == NULL)
		return NULL;
	if (!json_is_boolean(json_object_get(rep, "ok"))) {
		*cause = xstrdup("reply has no boolean \"ok\"");
		json_decref(rep);
		return NULL;
	}
	return rep;
}

/*
 * Accepts any JSON value (objects in practice).  Returns a malloc'd,
 * NUL-terminated line ending in '\n'; *len (when not NULL) excludes the
 * NUL.  Values built through jansson's API always encode, so a failure
 * here is out of memory.
 */
char *
ctl_frame_encode(const json_t *obj, size_t *len)
{
	char	*text, *line;
	size_t	 n;

	text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL)
		fatalx("json_dumps failed");
	n = strlen(text);
	line = xmalloc(n + 2);
	memcpy(line, text, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(text);
	if (len != NULL)
		*len = n + 1;
	return line;
}

void
ctl_frame_send(struct bufferevent *bev, json_t *obj)
{
	char	*line;
	size_t	 len;

	line = ctl_frame_encode(obj, &len);
	json_decref(obj);
	bufferevent_write(bev, line, len);
	free(line);
}

/*
 * Accepts a command name and `argc` arguments (argv may be NULL when argc
 * is 0).  JSON strings must be UTF-8: returns NULL when the command or an
 * argument is not valid UTF-8, so a client can report it instead of
 * sending bytes the server would refuse.
 */
json_t *
ctl_frame_request(const char *cmd, const char *const *argv, int argc)
{
	json_t	*req, *args, *s;
	int	 i;

	if ((s = json_string(cmd)) == NULL)
		return NULL;
	req = json_object();
	json_object_set_new(req, "cmd", s);
	args = json_array();
	for (i = 0; i < argc; i++) {
		if ((s = json_string(argv[i])) == NULL) {
			json_decref(args);
			json_decref(req);
			return NULL;
		}
		json_array_append_new(args, s);
	}
	json_object_set_new(req, "args", args);
	json_object_set_new(req, "v", json_integer(CTL_PROTO_VERSION));
	return req;
}
