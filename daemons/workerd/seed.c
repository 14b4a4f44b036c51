/*
 * seed.c — the seed's raw task protocol: a client connects, sends one JSON
 * object (no framing, no newline required: the original client just writes
 * it and waits), reads one JSON object back, and the connection closes.
 *
 * The end of the object is found by seed_scan (seed-scan.c), so the reply
 * does not wait for the client to half-close; validity is left to the
 * JSON parser here.
 */
#include <jansson.h>

#include "conn.h"
#include "respond.h"
#include "workerd.h"

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
