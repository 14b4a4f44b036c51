/*
 * pfo3ctl-render.h — the human form of the daemon's replies: tables for
 * a status, the command list for help, "key: value" lines for the rest.
 */
#ifndef PFO3CTL_RENDER_H
#define PFO3CTL_RENDER_H

#include <stdio.h>

#include <jansson.h>

#include "pfo3ctl-words.h"

/* How many of the status's recent events are shown (newest last). */
#define PFO3CTL_STATUS_EVENTS	5

/* A status object (the reply to `status`, each line of `watch`); -1
 * without printing anything when it is not one (see model_apply). */
int	pfo3ctl_render_status(FILE *f, const json_t *status);
/* The command table, as typed words; only rows marked in `sel` (NULL:
 * all).  `access` is the level of the socket asked ("read", "admin"),
 * NULL when the server does not say. */
void	pfo3ctl_render_help(FILE *f, const struct pfo3ctl_cmds *t,
	    const unsigned char *sel, const char *access);
/* Any other reply: its fields but "ok" and "v", one per line, nested
 * objects as dotted keys ("threads.busy: 0"). */
void	pfo3ctl_render_reply(FILE *f, const json_t *reply);
/* The reply to storage.check and storage.repair (pfo3ctl-storage.c). */
void	pfo3ctl_render_storage(FILE *f, const json_t *reply);
/* Picks one of the above for the reply to protocol command `cmd`. */
void	pfo3ctl_render(FILE *f, const char *cmd, const json_t *reply);

#endif
