/*
 * t-probe.c — common/services/probe.c, the dependency prober of both
 * daemons, against the stack's PostgreSQL, S3, RabbitMQ and SMTP sink (the
 * workers' configuration, $PFO3_CONF, from ./stack test), printing TAP.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "probe.h"
#include "s3.h"
#include "tap.h"
#include "xmalloc.h"

#define T_INTERVAL	200	/* ms between probes */
#define T_TIMEOUT	1000	/* ms a probe may take */

/* What the extra function of a test does, and saw. */
struct t_extra {
	atomic_int	 calls[PROBE_COUNT];
	enum probe_dep	 fail;		/* PROBE_COUNT: none */
	enum probe_dep	 hang;		/* sleeps past the timeout */
};

static int
t_extra_fn(enum probe_dep dep, const struct probe_conf *pc, void *arg,
    char **cause)
{
	struct t_extra	*x = arg;

	atomic_fetch_add(&x->calls[dep], 1);
	if (pc->timeout != T_TIMEOUT) {
		*cause = xasprintf("timeout %lld", (long long)pc->timeout);
		return -1;
	}
	if (dep == x->hang)
		usleep((T_TIMEOUT + 800) * 1000);
	if (dep == x->fail) {
		*cause = xstrdup("the extra said no");
		return -1;
	}
	return 0;
}

/* Waits up to `ms` until every dependency of `mask` was probed. */
static void
t_wait_checked(struct probe *p, unsigned mask, int64_t ms,
    struct probe_result *r)
{
	int64_t	until = clock_mono_ms() + ms;
	int	i, all;

	for (;;) {
		probe_read(p, r);
		for (all = 1, i = 0; i < PROBE_COUNT; i++)
			if ((mask & PROBE_BIT(i)) && !r[i].checked)
				all = 0;
		if (all || clock_mono_ms() >= until)
			return;
		usleep(50 * 1000);
	}
}

/* The keys of probe_json, comma-separated (allocated). */
static char *
t_keys(struct probe *p)
{
	json_t		*j = probe_json(p), *v;
	const char	*k;
	char		*s = xstrdup(""), *t;

	json_object_foreach(j, k, v) {
		t = xasprintf("%s%s%s", s, *s != '\0' ? "," : "", k);
		free(s);
		s = t;
	}
	json_decref(j);
	return s;
}

/* Every dependency up, in one order, with latencies and no error. */
static void
t_all(const struct pfo3_conf *c)
{
	struct probe_result	 r[PROBE_COUNT];
	struct probe		*p;
	json_t			*j, *deg;
	char			*cause = NULL, *keys, why[64];
	int			 i, ok;

	if ((p = probe_start(c, &cause)) == NULL) {
		tap_ok(0, "all: started");
		tap_diag("%s", cause);
		free(cause);
		return;
	}
	t_wait_checked(p, PROBE_ALL, 10000, r);
	for (ok = 1, i = 0; i < PROBE_COUNT; i++) {
		if (!r[i].checked || !r[i].ok || r[i].latency_ms <= 0 ||
		    r[i].error[0] != '\0' || r[i].failures != 0) {
			tap_diag("%s: checked %d ok %d %.2f ms: %s",
			    probe_name(i), r[i].checked, r[i].ok,
			    r[i].latency_ms, r[i].error);
			ok = 0;
		}
	}
	tap_ok(ok, "all: postgres, s3, amqp and smtp up, with a latency");
	keys = t_keys(p);
	tap_is_str(keys, "postgres,s3,amqp,smtp", "all: one order");
	free(keys);
	j = probe_json(p);
	tap_ok(json_is_null(json_object_get(json_object_get(j, "smtp"),
	    "error")) && json_is_true(json_object_get(json_object_get(j,
	    "postgres"), "ok")), "all: ok, and error null");
	json_decref(j);
	deg = probe_degraded(p);
	tap_ok(json_array_size(deg) == 0, "all: nothing degraded");
	json_decref(deg);
	tap_ok(probe_down(p, PROBE_ALL, why, sizeof why) == -1,
	    "all: probe_down finds none down");
	probe_stop(p);
}

/* Only those asked for; the extra function runs after each good probe,
 * with the probe's deadlines, and its failure is the dependency's. */
static void
t_extra(const struct pfo3_conf *c)
{
	struct probe_opts	 o = { .deps = PROBE_BIT(PROBE_POSTGRES) |
	    PROBE_BIT(PROBE_AMQP), .interval = T_INTERVAL, .extra = t_extra_fn };
	struct probe_result	 r[PROBE_COUNT];
	struct t_extra		 x = { .fail = PROBE_AMQP, .hang = PROBE_COUNT };
	struct probe		*p;
	json_t			*deg;
	char			*cause = NULL, *keys, why[128];
	int			 dep;

	o.arg = &x;
	if ((p = probe_start_opts(c, &o, &cause)) == NULL) {
		tap_ok(0, "extra: started");
		tap_diag("%s", cause);
		free(cause);
		return;
	}
	t_wait_checked(p, o.deps, 10000, r);
	usleep(3 * T_INTERVAL * 1000);
	probe_read(p, r);
	keys = t_keys(p);
	tap_is_str(keys, "postgres,amqp", "extra: only those asked for");
	free(keys);
	tap_ok(!r[PROBE_S3].checked && !r[PROBE_SMTP].checked,
	    "extra: the others are never probed");
	tap_ok(atomic_load(&x.calls[PROBE_POSTGRES]) >= 2 &&
	    atomic_load(&x.calls[PROBE_AMQP]) >= 2 &&
	    atomic_load(&x.calls[PROBE_S3]) == 0,
	    "extra: runs after every probe, every interval (%d, %d)",
	    atomic_load(&x.calls[PROBE_POSTGRES]),
	    atomic_load(&x.calls[PROBE_AMQP]));
	tap_ok(r[PROBE_POSTGRES].ok, "extra: postgres up");
	tap_ok(r[PROBE_AMQP].checked && !r[PROBE_AMQP].ok &&
	    strcmp(r[PROBE_AMQP].error, "the extra said no") == 0 &&
	    r[PROBE_AMQP].failures >= 2,
	    "extra: its failure is the dependency's (%s, %llu failures)",
	    r[PROBE_AMQP].error, (unsigned long long)r[PROBE_AMQP].failures);
	dep = probe_down(p, PROBE_BIT(PROBE_POSTGRES) | PROBE_BIT(PROBE_AMQP),
	    why, sizeof why);
	tap_ok(dep == PROBE_AMQP && strcmp(why, "the extra said no") == 0,
	    "extra: probe_down names amqp and why");
	tap_ok(probe_down(p, PROBE_BIT(PROBE_POSTGRES), why, sizeof why) == -1,
	    "extra: a route needing postgres only is not held");
	deg = probe_degraded(p);
	tap_ok(json_array_size(deg) == 1 && strcmp(json_string_value(
	    json_array_get(deg, 0)), "amqp") == 0, "extra: degraded [amqp]");
	json_decref(deg);
	probe_stop(p);
}

/* A probe that overruns worker.probe_timeout reads as failed while it
 * runs, and as up again once it answers. */
static void
t_overrun(const struct pfo3_conf *c)
{
	struct probe_opts	 o = { .deps = PROBE_BIT(PROBE_POSTGRES),
	    .interval = 60000, .extra = t_extra_fn };
	struct probe_result	 r[PROBE_COUNT];
	struct t_extra		 x = { .fail = PROBE_COUNT,
	    .hang = PROBE_POSTGRES };
	struct probe		*p;
	char			*cause = NULL, *want;
	int64_t			 t0;

	o.arg = &x;
	t0 = clock_mono_ms();
	if ((p = probe_start_opts(c, &o, &cause)) == NULL) {
		tap_ok(0, "overrun: started");
		tap_diag("%s", cause);
		free(cause);
		return;
	}
	probe_read(p, r);
	tap_ok(!r[PROBE_POSTGRES].checked, "overrun: unchecked at first");
	usleep((T_TIMEOUT + 300) * 1000);
	probe_read(p, r);
	want = xasprintf("no answer within %d ms", T_TIMEOUT);
	tap_ok(r[PROBE_POSTGRES].checked && !r[PROBE_POSTGRES].ok &&
	    strcmp(r[PROBE_POSTGRES].error, want) == 0,
	    "overrun: past the timeout it reads as down (%s)",
	    r[PROBE_POSTGRES].error);
	free(want);
	while (clock_mono_ms() - t0 < T_TIMEOUT + 3000) {
		probe_read(p, r);
		if (r[PROBE_POSTGRES].ok)
			break;
		usleep(50 * 1000);
	}
	tap_ok(r[PROBE_POSTGRES].ok, "overrun: up once the probe answered");
	probe_stop(p);
}

/* Dependencies that cannot be reached fail with a cause, within the
 * timeout, and count their failures. */
static void
t_unreachable(struct pfo3_conf *c)
{
	struct probe_opts	 o = { .deps = PROBE_BIT(PROBE_POSTGRES) |
	    PROBE_BIT(PROBE_SMTP), .interval = T_INTERVAL };
	struct probe_result	 r[PROBE_COUNT];
	struct probe		*p;
	char			*cause = NULL;

	if (conf_set(c, "postgres.conninfo",
	    "host=127.0.0.1 port=1 dbname=none user=none", &cause) != 0 ||
	    conf_set(c, "smtp.url", "smtp://127.0.0.1:1", &cause) != 0 ||
	    (p = probe_start_opts(c, &o, &cause)) == NULL) {
		tap_ok(0, "unreachable: started");
		tap_diag("%s", cause);
		free(cause);
		return;
	}
	t_wait_checked(p, o.deps, 5000, r);
	tap_ok(r[PROBE_POSTGRES].checked && !r[PROBE_POSTGRES].ok &&
	    r[PROBE_POSTGRES].error[0] != '\0' &&
	    strstr(r[PROBE_POSTGRES].error, "none") == NULL,
	    "unreachable: postgres down, with a cause that shows no conninfo "
	    "(%s)", r[PROBE_POSTGRES].error);
	tap_ok(r[PROBE_SMTP].checked && !r[PROBE_SMTP].ok &&
	    strncmp(r[PROBE_SMTP].error, "SMTP relay: ", 12) == 0,
	    "unreachable: smtp down (%s)", r[PROBE_SMTP].error);
	usleep(3 * T_INTERVAL * 1000);
	probe_read(p, r);
	tap_ok(r[PROBE_POSTGRES].failures >= 2 && r[PROBE_SMTP].failures >= 2,
	    "unreachable: failures counted (%llu, %llu)",
	    (unsigned long long)r[PROBE_POSTGRES].failures,
	    (unsigned long long)r[PROBE_SMTP].failures);
	probe_stop(p);
}

int
main(void)
{
	struct pfo3_conf	 c;
	const char		*path;
	char			*cause = NULL;

	if ((path = getenv("PFO3_CONF")) == NULL || *path == '\0') {
		printf("1..0 # SKIP no running stack (run ./stack test)\n");
		return 0;
	}
	log_init("t-probe", 1, LOG_LVL_ERROR);
	conf_defaults(&c);
	if (conf_load(&c, path, &cause) != 0 || s3_global_init(&cause) != 0) {
		tap_ok(0, "configuration %s", path);
		tap_diag("%s", cause);
		free(cause);
		conf_free(&c);
		return tap_done();
	}
	c.worker.probe_interval = T_INTERVAL;
	c.worker.probe_timeout = T_TIMEOUT;

	t_all(&c);
	t_extra(&c);
	t_overrun(&c);
	t_unreachable(&c);

	s3_global_cleanup();
	conf_free(&c);
	return tap_done();
}
