/*
 * imap_fetch.c - FETCH and UID FETCH: answering each message's
 * attributes in the order asked, streaming body sections from the store
 * in chunks so a large message never sits whole in memory or in the
 * output buffer.  When the output passes its high-water mark the command
 * suspends and the pump resumes it once the client has read; nothing
 * else runs in between, so the view and its sequence numbers hold still.
 *
 * Fetching a body part without .PEEK sets \Seen first, in one
 * transaction for the whole command, and the FLAGS that result go out
 * with the message.
 */
#include "imap_commands.h"
#include "imap_date.h"
#include "imap_fetch_att.h"
#include "imap_flags.h"
#include "imap_job.h"
#include "imap_message.h"
#include "imap_objectid.h"
#include "imap_seqlist.h"
#include "imap_vanished.h"
#include "imap_view.h"
#include "log.h"
#include "stats.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a body section read from the store and queued at a time. */
#define STREAM_CHUNK (64 * 1024)

struct fetch_state {
	struct fetch_request req;
	struct imap_seqlist l;
	bool *seen_now;         /* per member of l: \Seen set by this FETCH */
	size_t i;               /* message being answered */
	size_t a;               /* its next attribute */
	bool open;              /* "* n FETCH (" is out */
	struct imap_message *msg;
	size_t lit_off, lit_left;   /* a section being streamed */
	char *chunk;
	bool missing;           /* some message could not be read */
	bool preloaded;         /* what the message needs of the store is in
	                           memory (a read job did it) */
	char emailid[IMAP_OBJECTID_MAX];   /* with preloaded: "" when unread */
	struct preloaded *batch;   /* the messages a read job preloaded ahead */
	size_t batch_n, batch_at;  /* how many, the next one to answer */
	bool unknown_cte;       /* BINARY of a part in an unknown encoding */
};

/* One message a read job preloaded, for member I of the list. */
struct preloaded {
	size_t i;
	struct imap_message *m;   /* NULL: the message is not needed */
	char emailid[IMAP_OBJECTID_MAX];
};

static void batch_free(struct preloaded *b, size_t from, size_t n)
{
	for (size_t k = from; k < n; k++)
		imap_message_close(b[k].m);
	free(b);
}

static void state_free(void *p)
{
	struct fetch_state *f = p;
	batch_free(f->batch, f->batch_at, f->batch_n);
	imap_fetch_request_free(&f->req);
	imap_seqlist_free(&f->l);
	imap_message_close(f->msg);
	free(f->seen_now);
	free(f->chunk);
	free(f);
}

static struct imap_message *message(struct imap_client *c, struct fetch_state *f)
{
	if (f->msg == NULL) {
		const struct view_msg *m = &c->view->msgs[f->l.seq[f->i] - 1];
		f->msg = imap_message_open(c->srv, c->view->mb.id, m);
	}
	return f->msg;
}

/* ---- one attribute ---- */

static void put_text(struct imap_client *c, struct fetch_state *f, const char *name,
                     int (*render)(struct imap_message *, char **, size_t *))
{
	char *text = NULL;
	size_t len;
	struct imap_message *msg = message(c, f);
	imap_outf(c, "%s ", name);
	if (msg == NULL || render(msg, &text, &len) < 0) {
		f->missing = true;
		imap_outs(c, "NIL");
		return;
	}
	imap_out(c, text, len);
	free(text);
}

static int render_bodystructure(struct imap_message *m, char **out, size_t *len)
{
	return imap_message_bodystructure(m, true, out, len);
}

static int render_body(struct imap_message *m, char **out, size_t *len)
{
	return imap_message_bodystructure(m, false, out, len);
}

/* Narrows OFF/LEN to the partial range <origin.count>; writes the
 * label's "<origin>" part. */
static void narrow(struct imap_client *c, const struct fetch_section *s, size_t *off,
                   size_t *len)
{
	if (!s->partial)
		return;
	imap_outf(c, "<%u>", s->origin);
	if (s->origin >= *len) {
		*off += *len;
		*len = 0;
		return;
	}
	*off += s->origin;
	*len -= s->origin;
	if (*len > s->count)
		*len = s->count;
}

static void put_fields(struct imap_client *c, struct fetch_state *f,
                       const struct fetch_att *a)
{
	char *text = NULL;
	size_t len = 0, off = 0;
	struct imap_message *msg = message(c, f);
	int r = msg ? imap_message_fields(msg, &a->sec, &text, &len) : -1;
	narrow(c, &a->sec, &off, &len);
	if (r <= 0) {
		f->missing |= r < 0;
		imap_outs(c, " NIL");
	} else {
		imap_outf(c, " {%zu}\r\n", len);
		imap_out_literal_data(c, text + off, len);
	}
	free(text);
}

static void put_section(struct imap_client *c, struct fetch_state *f,
                        const struct fetch_att *a)
{
	size_t off = 0, len = 0;
	imap_outs(c, a->label);
	if (a->sec.kind == SEC_HEADER_FIELDS || a->sec.kind == SEC_HEADER_FIELDS_NOT) {
		put_fields(c, f, a);
		return;
	}
	struct imap_message *msg = message(c, f);
	int r = msg ? imap_message_section(msg, &a->sec, &off, &len) : -1;
	narrow(c, &a->sec, &off, &len);
	if (r <= 0) {
		f->missing |= r < 0;
		imap_outs(c, " NIL");
		return;
	}
	imap_outf(c, " {%zu}\r\n", len);
	f->lit_off = off;
	f->lit_left = len;
	stats_retrieved(len);
}

/* BINARY[part] and BINARY.SIZE[part] (RFC 3516): the part decoded in
 * memory, since its size is not known before. */
static void put_binary(struct imap_client *c, struct fetch_state *f,
                       const struct fetch_att *a)
{
	char *data = NULL;
	size_t off = 0, len = 0;
	struct imap_message *msg = message(c, f);
	int r = msg ? imap_message_binary(msg, &a->sec, &data, &len) : -1;
	imap_outs(c, a->label);
	if (a->kind == FA_BINARY)
		narrow(c, &a->sec, &off, &len);
	if (r <= 0) {
		f->missing |= r == -1;
		f->unknown_cte |= r == -2;
		imap_outs(c, " NIL");
	} else if (a->kind == FA_BINARY_SIZE) {
		imap_outf(c, " %zu", len);
	} else {
		imap_outs(c, " ");
		imap_out_binary(c, data + off, len);
		stats_retrieved(len);
	}
	free(data);
}

/* A store failure here cannot end the FETCH: NIL stands in, logged. */
/* EMAILID: read by the preload when there was one, else here. */
static void put_emailid(struct imap_client *c, const struct fetch_state *f,
                        const struct view_msg *m)
{
	char read[IMAP_OBJECTID_MAX];
	const char *id = f->emailid;
	if (!f->preloaded)
		id = imap_emailid(c->srv->store, m->message_id, read) == 0 ? read : "";
	if (id[0] != '\0')
		imap_outf(c, "EMAILID (%s)", id);
	else
		imap_outs(c, "EMAILID NIL");
}

static void put_att(struct imap_client *c, struct fetch_state *f, const struct fetch_att *a)
{
	const struct view_msg *m = &c->view->msgs[f->l.seq[f->i] - 1];
	char date[IMAP_DATE_TIME_LEN];
	switch (a->kind) {
	case FA_UID:
		imap_outf(c, "UID %u", m->uid);
		break;
	case FA_FLAGS:
		imap_outs(c, "FLAGS ");
		imap_view_flags_write(c, m);
		break;
	case FA_INTERNALDATE:
		imap_date_time_format(m->internal_date, date);
		imap_outf(c, "INTERNALDATE \"%s\"", date);
		break;
	case FA_RFC822_SIZE:
		imap_outf(c, "RFC822.SIZE %lld", (long long)m->size);
		break;
	case FA_MODSEQ:
		imap_outf(c, "MODSEQ (%llu)", (unsigned long long)m->modseq);
		break;
	case FA_EMAILID:
		put_emailid(c, f, m);
		break;
	case FA_THREADID:
		imap_outs(c, "THREADID NIL");   /* no threads (RFC 8474 5.2) */
		break;
	case FA_ENVELOPE:
		put_text(c, f, "ENVELOPE", imap_message_envelope);
		break;
	case FA_BODYSTRUCTURE:
		put_text(c, f, "BODYSTRUCTURE", render_bodystructure);
		break;
	case FA_BODY:
		put_text(c, f, "BODY", render_body);
		break;
	case FA_SECTION:
		put_section(c, f, a);
		break;
	case FA_BINARY:
	case FA_BINARY_SIZE:
		put_binary(c, f, a);
		break;
	}
}

/* ---- the loop ---- */

/* Queues the next piece of the section being streamed. */
static int stream(struct imap_client *c, struct fetch_state *f)
{
	size_t want = f->lit_left < STREAM_CHUNK ? f->lit_left : STREAM_CHUNK;
	if (f->chunk == NULL && (f->chunk = malloc(STREAM_CHUNK)) == NULL) {
		log_error("imap_fetch", "error=\"out of memory\"");
		return -1;
	}
	ssize_t n = imap_message_read(f->msg, f->lit_off, f->chunk, want);
	if (n <= 0) {
		/* the message vanished under us: the literal's size is promised,
		 * so fill it rather than break the protocol */
		f->missing = true;
		memset(f->chunk, ' ', want);
		n = (ssize_t)want;
	}
	imap_out_literal_data(c, f->chunk, (size_t)n);
	f->lit_off += (size_t)n;
	f->lit_left -= (size_t)n;
	return 0;
}

/* True when member I of the list is not answered (CHANGEDSINCE). */
static bool skip(const struct imap_client *c, const struct fetch_state *f, size_t i)
{
	const struct view_msg *m = &c->view->msgs[f->l.seq[i] - 1];
	return f->req.changedsince_set && m->modseq <= f->req.changedsince;
}

static void close_message(struct imap_client *c, struct fetch_state *f)
{
	if (f->seen_now[f->i] && !imap_fetch_has(&f->req, FA_FLAGS)) {
		struct fetch_att flags = { .kind = FA_FLAGS };
		imap_outs(c, " ");
		put_att(c, f, &flags);
	}
	imap_outs(c, ")\r\n");
	imap_message_close(f->msg);
	f->msg = NULL;
	f->preloaded = false;
	f->open = false;
	f->i++;
}

/* ---- a message read off the loop ---- */

static enum cmd_result fetch_run(struct imap_client *c);

/* True when REQ asks for more of a message than its view entry holds. */
static bool needs_message(const struct fetch_request *req)
{
	for (size_t i = 0; i < req->n; i++)
		switch (req->att[i].kind) {
		case FA_ENVELOPE:
		case FA_BODYSTRUCTURE:
		case FA_BODY:
		case FA_SECTION:
		case FA_BINARY:
		case FA_BINARY_SIZE:
			return true;
		default:
			break;
		}
	return false;
}

/* When reads run off the loop, what the messages about to be answered
 * need of the store is read on the pool first, several in one job (one
 * hop for a range, not one per message) - each message whole
 * (imap_message_preload()), its EMAILID - then rendered here from
 * memory.  A batch stops at PRELOAD_MAX messages or, past its first,
 * at PRELOAD_BYTES of them. */
#define PRELOAD_MAX 16
#define PRELOAD_BYTES (1024 * 1024)

struct preload_job {
	struct preloaded *b;
	size_t n;
	bool emailid_wanted;
	int64_t *message_id;         /* per member of b */
};

static int preload_run(struct store *st, void *arg)
{
	struct preload_job *j = arg;
	for (size_t k = 0; k < j->n; k++) {
		struct preloaded *p = &j->b[k];
		/* a message gone is answered as unreadable, the rest as read;
		 * a temporary failure ends the command (preload_apply()) */
		if (p->m != NULL && imap_message_preload(p->m, st) < 0 &&
		    store_last_error(st) == STORE_E_TRANSIENT)
			return -1;
		if (j->emailid_wanted && imap_emailid(st, j->message_id[k], p->emailid) < 0)
			p->emailid[0] = '\0';
	}
	return 0;
}

static enum cmd_result preload_apply(struct imap_client *c, void *arg, int rc,
                                     enum store_error err)
{
	struct preload_job *j = arg;
	struct fetch_state *f = c->active.state;
	if (rc < 0)   /* only a temporary failure fails the whole batch */
		return imap_job_failed(c, err);
	batch_free(f->batch, f->batch_at, f->batch_n);   /* the one answered */
	f->batch = j->b;
	f->batch_n = j->n;
	f->batch_at = 0;
	j->b = NULL;
	return fetch_run(c);
}

static void preload_free(void *arg)
{
	struct preload_job *j = arg;
	if (j->b != NULL)
		batch_free(j->b, 0, j->n);
	free(j->message_id);
	free(j);
}

static const struct imap_job_ops preload_ops = { STORE_JOB_READ, preload_run, preload_apply,
	                                         preload_free };

/* Adds member I of the list to J's batch; false when out of memory. */
static bool preload_add(struct imap_client *c, const struct fetch_state *f,
                        struct preload_job *j, size_t i)
{
	const struct view_msg *m = &c->view->msgs[f->l.seq[i] - 1];
	struct preloaded *p = &j->b[j->n];
	p->i = i;
	if (needs_message(&f->req) && (p->m = imap_message_open(c->srv, c->view->mb.id, m)) == NULL)
		return false;
	j->message_id[j->n++] = m->message_id;
	return true;
}

/* Starts the read of the next messages to answer, from member F->i on. */
static enum cmd_result preload_start(struct imap_client *c, struct fetch_state *f)
{
	struct preload_job *j = calloc(1, sizeof *j);
	if (j == NULL || (j->b = calloc(PRELOAD_MAX, sizeof *j->b)) == NULL ||
	    (j->message_id = calloc(PRELOAD_MAX, sizeof *j->message_id)) == NULL) {
		if (j != NULL)
			preload_free(j);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	j->emailid_wanted = imap_fetch_has(&f->req, FA_EMAILID);
	int64_t bytes = 0;
	for (size_t i = f->i; i < f->l.n && j->n < PRELOAD_MAX; i++) {
		if (skip(c, f, i))
			continue;
		int64_t size = c->view->msgs[f->l.seq[i] - 1].size;
		if (j->n > 0 && needs_message(&f->req) && bytes + size > PRELOAD_BYTES)
			break;
		if (!preload_add(c, f, j, i)) {
			preload_free(j);
			return imap_done(c, "NO", "[SERVERBUG] out of memory");
		}
		bytes += size;
	}
	return imap_job_start(c, &preload_ops, j);
}

/* Takes member F->i's preloaded message from the batch; false when it
 * is not there (then the next batch is read). */
static bool preloaded_take(struct fetch_state *f)
{
	if (f->batch_at >= f->batch_n || f->batch[f->batch_at].i != f->i)
		return false;
	struct preloaded *p = &f->batch[f->batch_at++];
	f->msg = p->m;
	p->m = NULL;
	snprintf(f->emailid, sizeof f->emailid, "%s", p->emailid);
	f->preloaded = true;
	return true;
}

/* ---- the loop ---- */

static enum cmd_result fetch_run(struct imap_client *c)
{
	struct fetch_state *f = c->active.state;
	while (f->i < f->l.n) {
		if (ios_out_full(c->conn.ios)) {
			c->active.resume = fetch_run;
			return CMD_SUSPEND;
		}
		if (f->lit_left > 0) {
			if (stream(c, f) < 0)
				return imap_done(c, "NO", "[SERVERBUG] out of memory");
			continue;
		}
		if (!f->open) {
			if (skip(c, f, f->i)) {
				f->i++;
				continue;
			}
			if (!imap_reads_inline(c) &&
			    (needs_message(&f->req) || imap_fetch_has(&f->req, FA_EMAILID)) &&
			    !preloaded_take(f))
				return preload_start(c, f);
			/* FLAGS may show a keyword new to the session */
			imap_view_flags_announce(c, c->view->msgs[f->l.seq[f->i] - 1].keywords);
			imap_outf(c, "* %u FETCH (", f->l.seq[f->i]);
			f->open = true;
			f->a = 0;
		}
		if (f->a < f->req.n) {
			if (f->a > 0)
				imap_outs(c, " ");
			put_att(c, f, &f->req.att[f->a++]);
			continue;
		}
		close_message(c, f);
	}
	if (f->unknown_cte)
		return imap_done(c, "NO", "[UNKNOWN-CTE] a part's transfer encoding is unknown");
	if (f->missing)
		return imap_done(c, "NO", "[EXPUNGEISSUED] some messages could not be read");
	return imap_done(c, "OK", "FETCH completed");
}

/* \Seen for the messages a FETCH of BODY[] reads, set on a store thread
 * (imap_job.h) before the FETCH answers. */
struct seen_job {
	int64_t mailbox;
	size_t n;
	size_t *index;          /* the member of the FETCH's list */
	uint32_t *uids;
	uint64_t *modseq;       /* 0: expunged meanwhile, not set */
};

static void seen_free(void *arg)
{
	struct seen_job *j = arg;
	free(j->index);
	free(j->uids);
	free(j->modseq);
	free(j);
}

static int seen_run(struct store *st, void *arg)
{
	struct seen_job *j = arg;
	for (size_t i = 0; i < j->n; i++)
		if (store_entry_set_flags(st, j->mailbox, j->uids[i], STORE_FLAGS_ADD,
		                          STORE_FLAG_SEEN, NULL, &j->modseq[i]) < 0) {
			if (store_last_error(st) != STORE_E_NOTFOUND)
				return -1;
			j->modseq[i] = 0;
		}
	return 0;
}

/* After the commit: the view learns the new flags, then the FETCH runs. */
static enum cmd_result seen_apply(struct imap_client *c, void *arg, int rc,
                                  enum store_error err)
{
	const struct seen_job *j = arg;
	struct fetch_state *f = c->active.state;
	struct imap_view *v = c->view;
	if (rc < 0)
		return imap_job_failed(c, err);
	for (size_t i = 0; i < j->n; i++) {
		uint32_t seq = f->l.seq[j->index[i]];
		if (j->modseq[i] == 0)
			continue;
		imap_view_set_flags(v, seq, v->msgs[seq - 1].flags | STORE_FLAG_SEEN, NULL,
		                    j->modseq[i]);
		f->seen_now[j->index[i]] = true;
	}
	if (j->n > 0)
		imap_server_notify(c->srv, v->mb.id);
	return fetch_run(c);
}

static const struct imap_job_ops seen_ops = { STORE_JOB_WRITE_LAZY, seen_run, seen_apply,
	                                      seen_free };

/* The messages of F without \Seen that the FETCH shows; NULL when out of
 * memory. */
static struct seen_job *seen_plan(const struct imap_client *c, const struct fetch_state *f)
{
	const struct imap_view *v = c->view;
	struct seen_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->mailbox = v->mb.id;
	j->index = calloc(f->l.n + 1, sizeof *j->index);
	j->uids = calloc(f->l.n + 1, sizeof *j->uids);
	j->modseq = calloc(f->l.n + 1, sizeof *j->modseq);
	if (j->index == NULL || j->uids == NULL || j->modseq == NULL) {
		seen_free(j);
		return NULL;
	}
	for (size_t i = 0; i < f->l.n; i++) {
		const struct view_msg *m = &v->msgs[f->l.seq[i] - 1];
		if ((m->flags & STORE_FLAG_SEEN) || m->expunged ||
		    (f->req.changedsince_set && m->modseq <= f->req.changedsince))
			continue;
		j->index[j->n] = i;
		j->uids[j->n++] = m->uid;
	}
	return j;
}

/* Sets \Seen first when the FETCH asks for it, else fetches now. */
static enum cmd_result mark_seen_then_fetch(struct imap_client *c, struct fetch_state *f)
{
	if (!f->req.set_seen || c->view->readonly)
		return fetch_run(c);
	struct seen_job *j = seen_plan(c, f);
	if (j == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	if (j->n == 0) {
		seen_free(j);
		return fetch_run(c);
	}
	return imap_job_start(c, &seen_ops, j);
}

/* For UID FETCH's VANISHED modifier: "*" in the uid SET stands for the
 * last uid the mailbox gave, not the last one left, so that uids
 * expunged at the end are reported too (RFC 7162 3.2.6). */
static int resolve_uids(struct imap_client *c, struct imap_seqset *set)
{
	if (set->saved && imap_view_saved_set(c->view, set, true) < 0)
		return -1;
	uint32_t last = c->view->mb.uidnext > 1 ? c->view->mb.uidnext - 1 : 1;
	imap_seqset_resolve(set, last);
	return 0;
}

/* The FETCH in c->active.state, once VANISHED (EARLIER) went out. */
static enum cmd_result fetch_begin(struct imap_client *c)
{
	struct fetch_state *f = c->active.state;
	if (f->req.changedsince_set || imap_fetch_has(&f->req, FA_MODSEQ))
		imap_view_condstore_enable(c);
	f->seen_now = calloc(f->l.n + 1, sizeof *f->seen_now);
	if (f->seen_now == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	return mark_seen_then_fetch(c, f);
}

/* UID FETCH's VANISHED (RFC 7162 3.2.6), read as a job on a copy of the
 * view's uids: the uids of KNOWN expunged since SINCE. */
struct vanished_job {
	struct imap_view v;          /* mb.id, mb.uidnext, and the uids only */
	struct imap_seqset known;
	uint64_t since;
	struct imap_seqset out;
};

static int vanished_run(struct store *st, void *arg)
{
	struct vanished_job *j = arg;
	return imap_vanished_find(st, &j->v, &j->known, j->since, 0, &j->out);
}

static enum cmd_result vanished_apply(struct imap_client *c, void *arg, int rc,
                                      enum store_error err)
{
	struct vanished_job *j = arg;
	if (rc < 0)
		return imap_job_failed(c, err);
	/* VANISHED (EARLIER) comes before the FETCH responses */
	imap_vanished_write(c, &j->out, true);
	return fetch_begin(c);
}

static void vanished_free(void *arg)
{
	struct vanished_job *j = arg;
	free(j->v.msgs);
	imap_seqset_free(&j->known);
	imap_seqset_free(&j->out);
	free(j);
}

static const struct imap_job_ops vanished_ops = { STORE_JOB_READ, vanished_run,
	                                          vanished_apply, vanished_free };

/* Starts the VANISHED job for KNOWN (taken over). */
static enum cmd_result vanished_start(struct imap_client *c, struct imap_seqset *known,
                                      uint64_t since)
{
	const struct imap_view *v = c->view;
	struct vanished_job *j = calloc(1, sizeof *j);
	if (j == NULL || (j->v.msgs = calloc(v->n + 1, sizeof *j->v.msgs)) == NULL) {
		free(j);
		imap_seqset_free(known);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	j->v.mb.id = v->mb.id;
	j->v.mb.uidnext = v->mb.uidnext;
	j->v.n = v->n;
	for (uint32_t i = 0; i < v->n; i++)
		j->v.msgs[i].uid = v->msgs[i].uid;
	j->known = *known;
	*known = (struct imap_seqset){ 0 };
	j->since = since;
	return imap_read_start(c, &vanished_ops, j);
}

enum cmd_result imap_cmd_fetch(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_seqset set = { 0 };
	struct fetch_state *f = calloc(1, sizeof *f);
	if (f == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	c->active.state = f;
	c->active.state_free = state_free;
	/* with QRESYNC every untagged FETCH carries the UID (RFC 7162 3.2.4) */
	bool with_uid = c->active.uid || (c->enabled & IMAP_ENABLED_QRESYNC);
	if (imap_p_sp(p) < 0 || imap_p_seqset(p, &set) < 0 ||
	    imap_fetch_parse(p, with_uid, &f->req) < 0) {
		imap_seqset_free(&set);
		return imap_bad_syntax(c);
	}
	if (f->req.vanished && (!c->active.uid || !f->req.changedsince_set ||
	                        !(c->enabled & IMAP_ENABLED_QRESYNC))) {
		imap_seqset_free(&set);
		return imap_done(c, "BAD", "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC");
	}
	if (f->req.vanished && resolve_uids(c, &set) < 0) {
		imap_seqset_free(&set);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	int e = imap_seqlist_collect(c->view, &set, c->active.uid, &f->l);
	if (e != 0) {
		imap_seqset_free(&set);
		return e == -1 ? imap_done(c, "BAD", "invalid message sequence number")
		               : imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	if (f->req.vanished)
		return vanished_start(c, &set, f->req.changedsince);
	imap_seqset_free(&set);
	return fetch_begin(c);
}
