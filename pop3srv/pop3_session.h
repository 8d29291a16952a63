/*
 * pop3_session.h - the POP3 protocol on one connection (RFC 1939 with
 * RFC 2449 CAPA and response codes): the greeting, each command line
 * dispatched by state, and the commands of the TRANSACTION state.  The
 * login commands are in pop3_cmd_auth.c, QUIT in pop3_quit.c, XTND in
 * pop3_xtnd.c.
 */
#ifndef POP3_SESSION_H
#define POP3_SESSION_H

#include "pop3_client.h"

/* Sends the greeting (with APOP's timestamp when the site keeps
 * retrievable secrets). */
void pop3_session_greet(struct pop3_client *c);

/* Handles one input line (a command, or a SASL response while AUTH is
 * in progress).  Replies are queued; c->closing says when to end. */
void pop3_session_line(struct pop3_client *c, char *line, size_t len);

/* ---- in pop3_cmd_auth.c ---- */

/* USER, PASS, APOP, AUTH, STLS in the AUTHORIZATION state. */
void pop3_cmd_user(struct pop3_client *c, const struct pop3_cmd *cmd);
void pop3_cmd_pass(struct pop3_client *c, const struct pop3_cmd *cmd);
void pop3_cmd_apop(struct pop3_client *c, const struct pop3_cmd *cmd);
void pop3_cmd_auth(struct pop3_client *c, const struct pop3_cmd *cmd);
void pop3_cmd_stls(struct pop3_client *c, const struct pop3_cmd *cmd);
/* A client response line inside an AUTH exchange. */
void pop3_auth_response(struct pop3_client *c, char *line, size_t len);
/* The SASL mechanisms offered on this connection now, space-separated,
 * into OUT; "" when none. */
void pop3_auth_mechanisms(const struct pop3_client *c, char *out, size_t len);

/* ---- in pop3_quit.c ---- */

/* QUIT; in the TRANSACTION state the UPDATE state runs on the store pool
 * first, and the session reads nothing until it is answered. */
void pop3_cmd_quit(struct pop3_client *c);

/* ---- in pop3_xtnd.c ---- */

/* XTND CLIENT / LOGLEVEL / STATS / SHUTDOWN, for persons with the admin
 * right. */
void pop3_cmd_xtnd(struct pop3_client *c, const struct pop3_cmd *cmd);

#endif
