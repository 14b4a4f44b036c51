/*
 * journal.h — pfo3-ctld's event journal: what happened to the cluster, in
 * words ("w2 draining (worker.drain by uid 0)"), logged at info level and
 * kept newest last, ctld.events at most, for the `events` of status.
 *
 * Every file of pfo3-ctld writes here; it depends on nothing else of
 * pfo3-ctld, so any file may use it without a circle.
 */
#ifndef PFO3_CTLD_JOURNAL_H
#define PFO3_CTLD_JOURNAL_H

#include <stdint.h>

#include <jansson.h>

struct journal {
	json_t		*events;	/* [{time, text}], newest last */
	int64_t		 max;		/* ctld.events */
};

void	 journal_init(struct journal *j, int64_t max);
void	 journal_free(struct journal *j);
/* Logs the text and keeps it with the wall-clock time. */
void	 journal_add(struct journal *j, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The events, borrowed. */
json_t	*journal_json(const struct journal *j);

#endif
