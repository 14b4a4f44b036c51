/*
 * broker-int.h — the state of a broker connection, shared by broker.c,
 * broker-topology.c, broker-publish.c and broker-consume.c only.
 */
#ifndef PFO3_BROKER_INT_H
#define PFO3_BROKER_INT_H

#include <sys/queue.h>

#include <amqp.h>

#include "broker.h"

#define BROKER_CHANNEL	1

/* Delay levels (retry queues) at most; later attempts reuse the last. */
#define BROKER_RETRY_LEVELS	16
/* No retry waits longer than this, whatever the level (ms). */
#define BROKER_RETRY_MAX_DELAY	(24LL * 3600 * 1000)

/* A delivery that arrived while waiting for something else (a confirm). */
struct broker_stashed {
	struct broker_delivery		 d;
	TAILQ_ENTRY(broker_stashed)	 entry;
};

struct broker {
	amqp_connection_state_t		 conn;
	const struct conf_amqp		*conf;
	char				*url;		/* masked */
	char				*prefix;
	int				 dead;		/* connection lost */
	int				 chan_open;
	int				 confirming;	/* confirm.select done */
	int				 consumers;	/* on this channel */
	char				*chan_error;	/* why it was closed */
	int				 last_code;	/* of the last failed RPC */
	int64_t				 deadline;	/* mono ms; 0: none */

	/* Publisher confirms: tags are numbered from 1 per channel. */
	uint64_t			 next_tag;
	uint64_t			*pending;	/* unconfirmed, ascending */
	size_t				 npending;
	size_t				 szpending;
	uint64_t			 wait_tag;	/* being waited for */
	int				 nacked;	/* wait_tag was nacked */
	char				*returned;	/* basic.return text */

	TAILQ_HEAD(, broker_stashed)	 stash;
};

/* broker.c */
char	*broker_name(const struct broker *b, const char *name);
int	 broker_ready(struct broker *b, char **cause);
int	 broker_reply(struct broker *b, amqp_rpc_reply_t r, const char *what,
	    char **cause);
int	 broker_status(struct broker *b, int status, const char *what,
	    char **cause);
void	 broker_lost(struct broker *b, const char *why);
int	 broker_frame(struct broker *b, amqp_frame_t *frame, char **cause);
int64_t	 broker_bound(const struct broker *b, int64_t ms);
void	 broker_rpc_bound(struct broker *b);

/* broker-publish.c */
int	 broker_publish_props(struct broker *b, const char *exchange,
	    const char *routing_key, amqp_basic_properties_t *props,
	    const void *body, size_t len, char **cause);
void	 broker_confirmed(struct broker *b, uint64_t tag, int multiple,
	    int nack);

/* broker-consume.c */
void	 broker_delivery_fill(struct broker_delivery *out, uint64_t tag,
	    int redelivered, amqp_bytes_t exchange, amqp_bytes_t routing_key,
	    const amqp_message_t *msg);
void	 broker_stash_clear(struct broker *b);

#endif
