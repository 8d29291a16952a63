/*
 * reply_delay.c - an answer held back for a while; see reply_delay.h.
 */
#include "reply_delay.h"

#include <stdlib.h>
#include <string.h>

static void send_line(struct client_conn *cc, const char *line, bool close)
{
	ios_puts(cc->ios, line);
	ios_puts(cc->ios, "\r\n");
	if (close)
		cc->closing = true;
}

static void on_timer(struct ev_timer *t, void *arg)
{
	struct reply_delay *d = arg;
	(void)t;
	if (d->line != NULL) {
		send_line(d->cc, d->line, d->close);
		free(d->line);
		d->line = NULL;
	}
	client_conn_pump(d->cc);
}

void reply_delay_start(struct reply_delay *d, struct client_conn *cc, struct evloop *loop,
                       unsigned delay_ms, const char *line, bool close)
{
	char *copy = delay_ms > 0 ? strdup(line) : NULL;
	d->cc = cc;
	if (copy != NULL) {
		if (d->timer == NULL)
			d->timer = evloop_add_timer(loop, delay_ms, false, on_timer, d);
		else
			evloop_timer_set(d->timer, delay_ms);
		if (d->timer != NULL) {
			free(d->line);
			d->line = copy;
			d->close = close;
			return;
		}
	}
	free(copy);
	send_line(cc, line, close);
}

bool reply_delay_pending(const struct reply_delay *d)
{
	return d->line != NULL;
}

void reply_delay_clear(struct reply_delay *d)
{
	evloop_del_timer(d->timer);
	free(d->line);
	d->timer = NULL;
	d->line = NULL;
}
