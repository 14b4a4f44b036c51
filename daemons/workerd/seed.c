/*
 * seed.c — the seed's raw task protocol: a client connects, sends one JSON
 * object (no framing, no newline required: the original client just writes
 * it and waits), reads one JSON object back, and the connection closes.
 *
 * The end of the object is found by scanning its structure (braces and
 * brackets outside strings), so the reply does not wait for the client to
 * half-close.  The scan is resumable: bytes are scanned once however the
 * object arrives.  Validity is left to the JSON parser afterwards.
 */
#include <string.h>

#include <jansson.h>

#include "conn.h"
#include "respond.h"
#include "workerd.h"

/*
 * Scans buf[st->pos..len).  Returns the length of the first complete
 * top-level object, 0 when it is not complete yet, or -1 when the bytes
 * cannot begin or continue one (anything before '{' but whitespace, a
 * closing bracket with nothing open).
 */
ssize_t
seed_scan(struct seed_scan *st, const char *buf, size_t len)
{
	unsigned char ch;

	for (; st->pos < len; st->pos++) {
		ch = (unsigned char)buf[st->pos];
		if (!st->started) {
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			if (ch != '{')
				return -1;
			st->started = 1;
		}
		if (st->in_string) {
			if (st->escape)
				st->escape = 0;
			else if (ch == '\\')
				st->escape = 1;
			else if (ch == '"')
				st->in_string = 0;
			continue;
		}
		switch (ch) {
		case '"':
			st->in_string = 1;
			break;
		case '{':
		case '[':
			st->depth++;
			break;
		case '}':
		case ']':
			if (--st->depth < 0)
				return -1;
			if (st->depth == 0)
				return (ssize_t)++st->pos;
			break;
		}
	}
	return 0;
}

/* A seed-protocol error reply in the seed's shape, without a task id. */
static void
seed_error(struct workerd *w, struct response *resp, int status,
    const char *why)
{
	response_json(resp, status, json_pack("{s:n,s:n,s:s,s:s,s:s}", "id",
	    "operacion", "estado", "error", "error", why,
	    "worker", w->conf.worker.id));
}

void
seed_refuse(struct workerd *w, struct response *resp, const char *why)
{
	seed_error(w, resp, 400, why);
}

void
seed_busy(struct workerd *w, struct response *resp)
{
	seed_error(w, resp, 503, "Servidor ocupado, reintente");
}

void
seed_run(struct workerd *w, const struct request *req, struct response *resp)
{
	json_error_t jerr;
	json_t *task, *reply;
	int status;

	task = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (task == NULL) {
		seed_refuse(w, resp, "JSON inválido");
		return;
	}
	reply = tasks_execute(w, task, &status);
	json_decref(task);
	response_json(resp, status, reply);
}
