/*
 * ring.c — fixed-size rings of samples for the sparklines of status.
 *
 * Each ring keeps its samples as a JSON array too, updated as samples
 * arrive (one append and one removal per sample), so that a status does
 * not build thousands of numbers each time: it shares the arrays, which
 * are encoded at once on the event thread that owns them.
 */
#include <stdlib.h>

#include <jansson.h>

#include "ctld.h"
#include "xmalloc.h"

void
ring_init(struct ring *r, int cap, int integers)
{
	r->cap = cap;
	r->len = 0;
	r->integers = integers;
	r->json = json_array();
}

void
ring_free(struct ring *r)
{
	json_decref(r->json);
	r->json = NULL;
	r->cap = r->len = 0;
}

void
ring_push(struct ring *r, double v)
{
	if (r->cap == 0)
		return;
	json_array_append_new(r->json, r->integers ?
	    json_integer((json_int_t)v) :
	    json_real((double)(int64_t)(v * 100 + 0.5) / 100));
	if (r->len == r->cap)
		json_array_remove(r->json, 0);
	else
		r->len++;
}

/* Oldest first; a new reference to the ring's own array. */
json_t *
ring_json(const struct ring *r)
{
	return json_incref(r->json);
}
