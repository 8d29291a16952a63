/*
 * bench_proto.h - the few protocol steps several loads share: LMTP
 * replies and transactions, waiting for an IMAP command's completion,
 * and an IMAP login with SELECT INBOX.
 *
 * Each returns 0 (or an object) on success and -1 (or NULL) on a
 * protocol error or a broken connection; the caller counts it.
 */
#ifndef EMS_BENCH_PROTO_H
#define EMS_BENCH_PROTO_H

#include <stddef.h>

#include "bench_conn.h"
#include "emsbench.h"

/* Reads an SMTP/LMTP reply, all its lines; returns its code or -1. */
int smtp_reply(struct bconn *c);

/* Sends CMD ARG and reads the reply; 0 when its code is WANT. */
int smtp_cmd(struct bconn *c, const char *cmd, const char *arg, int want);

/* Connects to an LMTP server at T and says LHLO; NULL on failure (the
 * reason on stderr). */
struct bconn *lmtp_open(const struct bench_target *t, int timeout_ms);

/* MAIL, RCPT (one recipient), DATA and the message MSG (CRLF lines, no
 * line starting with '.') with its terminating dot; the final reply is
 * left for the caller to read with smtp_reply(). */
int lmtp_send(struct bconn *c, const char *rcpt, const char *msg, size_t len);

/* Reads responses up to the tagged one of TAG, skipping literals; keeps
 * *EXISTS (when not NULL) in step with "* N EXISTS" and "* N EXPUNGE".  0 for OK, -1 for NO,
 * BAD or a broken connection; then WHY (when not NULL) gets the tagged
 * line or the connection's error, cut to WHYLEN. */
int imap_wait(struct bconn *c, const char *tag, long *exists, char *why, size_t whylen);

/* Connects to the IMAP server of O, logs in as client INDEX and selects
 * INBOX (its message count in *EXISTS when not NULL).  NULL on failure. */
struct bconn *imap_open_inbox(const struct bench_opts *o, int index, long *exists);

#endif
