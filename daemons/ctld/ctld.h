/*
 * ctld.h — the state of pfo3-ctld, the control daemon.
 *
 * DESIGN
 * One event thread (libevent) owns every decision: it spawns the local
 * workers and reaps them (SIGCHLD), talks to their control sockets without
 * blocking (wlink.c), drives HAProxy through its runtime API (haproxy.c,
 * short commands on a local socket, bounded by ctld.haproxy_timeout), runs
 * the admin actions as small state machines advanced by events and by the
 * refresh tick (action.c), and serves the control sockets (command.c).
 *
 * A worker's state changes only through its lifecycle (lifecycle.h): the
 * supervisor and the actions feed it events, and it tells HAProxy what
 * each step implies.  What happens is told in the journal (journal.h).
 * doc/DESIGN.md maps which file calls which: no two call each other.
 *
 * Whatever talks to PostgreSQL, S3 or RabbitMQ runs in a child process,
 * pfo3-ctld-deps (depslink.h): it probes them (queue depths included),
 * consumes the workers' heartbeats from pfo3.events and runs the storage
 * checks, and reports on a socket the event thread reads without
 * blocking.  A hanging dependency therefore never delays a status reply,
 * nor the supervision of the workers, and pfo3-ctld links no client of a
 * service (nor the TLS libraries they bring).
 */
#ifndef PFO3_CTLD_H
#define PFO3_CTLD_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "journal.h"
#include "lifecycle.h"

struct event;
struct event_base;
struct ctl_server;
struct ctl_call;
struct wlink;
struct depslink;

#define CTLD_ID_MAX	32
#define CTLD_ADDR_MAX	80
#define CTLD_BACKENDS	8
#define CTLD_SIGNALS	5	/* CHLD, HUP, TERM, INT, QUIT */
/* After worker.shutdown_timeout, this much more before SIGKILL (ms). */
#define CTLD_KILL_GRACE_MS	5000

/* Listeners of the workers' state changes (lifecycle_listen). */
#define CTLD_LISTENERS	4

enum wop {
	OP_NONE,
	OP_REMOVE,	/* drain, then out of HAProxy, then stop */
	OP_RESTART,	/* drain, stop, start again */
};

/* A ring of samples, oldest first, kept as a JSON array (ring.c). */
struct ring {
	json_t		*json;
	int		 cap;
	int		 len;
	int		 integers;	/* whole numbers, else 2 decimals */
};

/* One server's row of HAProxy's `show stat`. */
struct lbstat {
	int		 present;	/* listed in the first backend */
	char		 status[24];	/* UP, DOWN, DRAIN, MAINT, … */
	char		 check[24];	/* L7OK, L4CON, … */
	char		 addr[CTLD_ADDR_MAX];
	int64_t		 sessions;	/* scur, summed over the backends */
	int64_t		 queue;
	int64_t		 rate;
	int64_t		 http_5xx;
};

/* What a worker's `stats` (control socket or heartbeat) says. */
struct wstats {
	int		 valid;
	int		 pid;
	int		 threads_total;
	int		 threads_busy;
	int		 queue_len;
	int		 queue_cap;
	int		 inflight;
	int		 jobs_running;
	int		 draining;
	int		 deps_ok;	/* every dependency reachable */
	int		 deps_checked;	/* every dependency probed once */
	char		 degraded[64];	/* "s3,amqp": failed their last probe */
	int64_t		 uptime_s;
	int64_t		 requests;	/* totals since the worker started */
	int64_t		 errors;
	double		 p50_ms;
	double		 p99_ms;
	int64_t		 at_ms;		/* when it was read */
};

struct worker {
	TAILQ_ENTRY(worker)	 entry;
	struct ctld		*ctld;
	char			 id[CTLD_ID_MAX + 1];
	char			 addr[CTLD_ADDR_MAX];	/* IP:PORT */
	int			 n;		/* local: wN's N, for its ports */
	int			 local;
	int			 agent_port;	/* 0: none */
	char			*control;	/* local: control socket path */
	char			*pid_file;	/* local: "" or a path */
	struct wlink		*link;		/* local: to its control socket */

	/* Changed only by lifecycle_apply (lifecycle-apply.c). */
	enum wstate		 state;
	int64_t			 state_ms;	/* when it entered `state` */
	enum wop		 op;
	int64_t			 op_deadline_ms;
	int			 want_drain;	/* keep it drained across restarts */
	int			 in_lb;		/* added to HAProxy by us or found */

	pid_t			 pid;		/* local, 0 when not running */
	int			 adopted;	/* pid is not our child (adopt.c) */
	struct event		*watch_ev;	/* adopted: tells of its death */
	void			(*lost)(struct worker *, const char *);
						/* …to this (adopt_watch) */
	int64_t			 started_ms;
	int			 restarts;
	int64_t			 backoff_ms;
	struct event		*restart_ev;
	struct event		*check_ev;	/* fast readiness polls */
	int			 polling;	/* a stats call is out */
	char			 last_error[256];

	struct wstats		 st;
	struct wstats		 prev;		/* for the rates */
	double			 req_s;
	double			 errors_s;
	int64_t			 beat_ms;	/* remote: last heartbeat */
	struct lbstat		 lb;
	struct ring		 busy;
};
TAILQ_HEAD(worker_list, worker);

/* A `watch` client. */
struct watcher {
	TAILQ_ENTRY(watcher)	 entry;
	struct ctld		*ctld;
	struct ctl_call		*call;
	struct event		*ev;
	int64_t			 interval_ms;
};
TAILQ_HEAD(watcher_list, watcher);

struct ctld {
	struct pfo3_conf	 conf;
	const char		*conf_path;	/* passed on to the workers */
	char			**sets;		/* -o KEY=VALUE: to pfo3-ctld-deps */
	int			 nsets;
	char			*workerd;	/* the worker binary */
	struct event_base	*base;
	struct ctl_server	*admin;
	struct ctl_server	*readonly;
	struct event		*tick_ev;
	struct event		*sig_ev[CTLD_SIGNALS];

	struct worker_list	 workers;
	int			 nworkers;
	char			*restart_all;	/* ids left for restart all */
	char			 restart_current[CTLD_ID_MAX + 1];

	char			*backends[CTLD_BACKENDS];
	int			 nbackends;
	int			 lb_ok;
	double			 lb_latency_ms;
	char			 lb_error[256];

	struct depslink		*deps;		/* pfo3-ctld-deps */

	struct ring		 hist_busy;	/* cluster */
	struct ring		 hist_req;
	struct journal		 journal;
	struct watcher_list	 watchers;
	struct {
		lifecycle_listener	 fn;
		void			*arg;
	}			 listeners[CTLD_LISTENERS];
	int			 nlisteners;

	int			 stopping;	/* SIGTERM: stopping the workers */
	int			 leaving;	/* SIGQUIT: exit, workers run on */
	int64_t			 stop_deadline_ms;
	int64_t			 start_ms;
	pid_t			 pid;
};

/* ring.c */
void	ring_init(struct ring *r, int cap, int integers);
void	ring_free(struct ring *r);
void	ring_push(struct ring *r, double v);
json_t	*ring_json(const struct ring *r);

/* worker.c: the list of workers and their states. */
struct worker *worker_find(struct ctld *c, const char *id);
struct worker *worker_find_addr(struct ctld *c, const char *addr);
struct worker *worker_new_local(struct ctld *c, char **cause);
struct worker *worker_new_local_n(struct ctld *c, int n, char **cause);
struct worker *worker_new_remote(struct ctld *c, const char *addr,
	    char **cause);
void	worker_free(struct worker *w);
void	worker_stats_update(struct worker *w, const json_t *stats);
void	worker_write_pid(struct worker *w);
void	worker_remote_beat(struct worker *w, const json_t *stats,
	    int64_t recv_ms);

/* spawn.c: in a child of pfo3-ctld, its standard descriptors set: closes
 * the others, restores the default signals and execs. */
void	spawn_exec(const char *path, char *const argv[])
	    __attribute__((noreturn));
/* spawn.c: the path of program `name` in pfo3-ctld's own directory
 * (malloc'd); NULL + *cause when /proc/self/exe cannot be read. */
char	*spawn_beside_self(const char *name, char **cause);

/* supervise.c: local worker processes. */
int	supervise_start(struct ctld *c, char **cause);
int	supervise_spawn(struct worker *w, char **cause);
/* SIGTERM after `ev` (WE_STOP, or WE_RESTART: drained in HAProxy
 * first); -1 with *cause when the lifecycle refuses it. */
int	supervise_stop_worker(struct worker *w, enum wevent ev,
	    const char *why, char **cause);
void	supervise_reap(struct ctld *c);
void	supervise_poll(struct worker *w);
void	supervise_stop_all(struct ctld *c);

/* haproxy.c and haproxy-stat.c: the runtime API. */
int	lb_enabled(const struct ctld *c);
int	lb_command(struct ctld *c, const char *cmd, char **reply,
	    char **cause);
int	lb_refresh(struct ctld *c);
/* Carries out a lifecycle step's HAProxy action: the only caller is
 * lifecycle_apply. */
int	lb_carry(struct ctld *c, struct worker *w, enum lb_action a,
	    char **cause);
void	lb_reconcile(struct ctld *c);
int	lb_parse_stat(struct ctld *c, const char *text, char **cause);

/* action.c: add, drain, resume, remove, restart. */
/* Listens to the lifecycle (a worker kept drained is drained once up). */
void	action_start(struct ctld *c);
int	action_drain(struct worker *w, const char *by, char **cause);
int	action_resume(struct worker *w, const char *by, char **cause);
int	action_remove(struct worker *w, const char *by, char **cause);
int	action_restart(struct worker *w, const char *by, char **cause);
int	action_restart_all(struct ctld *c, const char *by, char **cause);
void	action_progress(struct ctld *c);

/* status.c */
json_t	*status_json(struct ctld *c);
void	status_sample(struct ctld *c);

/* command.c: the control sockets. */
int	command_start(struct ctld *c, char **cause);
void	command_stop(struct ctld *c);

/* storage.c: the storage.check and storage.repair commands. */
void	storage_check(struct ctl_call *call);
void	storage_repair(struct ctl_call *call);

#endif
