/*
 * test-ctld-stat.c — pfo3-ctld's reader of HAProxy's `show stat`: columns
 * found by name wherever they are, FRONTEND and BACKEND rows skipped,
 * empty numbers read as 0, and a reply without a header or without a
 * column it needs refused.
 */
#include <stdlib.h>
#include <string.h>

#include "haproxy-stat.h"
#include "tap.h"

struct seen {
	int	 n;
	char	 px[8][32], sv[8][32], status[8][32], check[8][32];
	char	 addr[8][64];
	int64_t	 scur[8], qcur[8], rate[8], h5xx[8];
};

static void
collect(const struct lb_row *r, void *arg)
{
	struct seen *s = arg;

	if (s->n == 8)
		return;
	strncpy(s->px[s->n], r->pxname, 31);
	strncpy(s->sv[s->n], r->svname, 31);
	strncpy(s->status[s->n], r->status, 31);
	strncpy(s->check[s->n], r->check, 31);
	strncpy(s->addr[s->n], r->addr, 63);
	s->scur[s->n] = r->scur;
	s->qcur[s->n] = r->qcur;
	s->rate[s->n] = r->rate;
	s->h5xx[s->n] = r->hrsp_5xx;
	s->n++;
}

/* HAProxy 2.6's own order (the first columns, then those read later). */
static const char stat26[] =
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,rate,hrsp_5xx,"
    "check_status,addr,extra\n"
    "http,FRONTEND,,,2,5,4096,100,OPEN,3,0,,,\n"
    "workers,w1,0,0,1,3,,50,UP,2,0,L7OK,127.0.0.1:8001,x\n"
    "workers,w2,4,0,0,3,,50,DRAIN (agent),0,7,L7OK,127.0.0.1:8002,x\n"
    "workers,w4,,,,,,,MAINT,,,,,\n"
    "workers,BACKEND,0,0,1,3,,100,UP,2,7,,,\n"
    "seed,w1,0,0,3,3,,9,DOWN,0,0,L4CON,127.0.0.1:8001,x\n";

int
main(void)
{
	struct seen	 s;
	char		*cause = NULL;
	int		 rc;

	memset(&s, 0, sizeof s);
	rc = lb_stat_parse(stat26, collect, &s, &cause);
	tap_is_int(rc, 0, "a 2.6 reply parses");
	tap_is_int(s.n, 4, "four server rows: FRONTEND and BACKEND skipped");
	tap_is_str(s.px[0], "workers", "backend of the first row");
	tap_is_str(s.sv[0], "w1", "server of the first row");
	tap_is_int(s.scur[0], 1, "w1: scur");
	tap_is_str(s.status[1], "DRAIN (agent)", "w2: status with a space");
	tap_is_int(s.qcur[1], 4, "w2: qcur");
	tap_is_int(s.h5xx[1], 7, "w2: hrsp_5xx");
	tap_is_str(s.addr[1], "127.0.0.1:8002", "w2: addr");
	tap_is_str(s.status[2], "MAINT", "w4 in maintenance");
	tap_is_int(s.scur[2] + s.rate[2], 0, "w4: empty numbers read as 0");
	tap_is_str(s.check[2], "", "w4: no check status");
	tap_is_str(s.px[3], "seed", "a second backend's row");
	tap_is_str(s.check[3], "L4CON", "its check status");

	/* Columns in another order, no addr column: found by name. */
	memset(&s, 0, sizeof s);
	rc = lb_stat_parse("# svname,status,pxname,check_status,scur,rate,"
	    "qcur,hrsp_5xx\nw3,UP,workers,L7OK,9,1,0,0\n", collect, &s, &cause);
	tap_ok(rc == 0 && s.n == 1 && strcmp(s.px[0], "workers") == 0 &&
	    strcmp(s.sv[0], "w3") == 0 && s.scur[0] == 9,
	    "columns in another order are found by name");
	tap_is_str(s.addr[0], "", "no addr column: empty address");

	/* A short row (fewer fields than the header) is read as far as it
	 * goes, never past its end. */
	memset(&s, 0, sizeof s);
	rc = lb_stat_parse("# pxname,svname,scur,qcur,status,rate,hrsp_5xx,"
	    "check_status\nworkers,w5,2\n", collect, &s, &cause);
	tap_ok(rc == 0 && s.n == 1 && s.scur[0] == 2 &&
	    strcmp(s.status[0], "") == 0, "a short row is read safely");

	rc = lb_stat_parse("Unknown command\n", collect, &s, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "header") != NULL,
	    "a reply without a header is refused: %s", cause);
	free(cause);
	cause = NULL;
	rc = lb_stat_parse("# pxname,svname,status\nworkers,w1,UP\n", collect,
	    &s, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "scur") != NULL,
	    "a missing column is named: %s", cause);
	free(cause);
	cause = NULL;
	rc = lb_stat_parse("", collect, &s, &cause);
	tap_ok(rc == -1, "an empty reply is refused");
	free(cause);
	return tap_done();
}
