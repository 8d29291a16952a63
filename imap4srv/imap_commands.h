/*
 * imap_commands.h - the command handlers, one group per file, and the
 * capability list.  A handler finds the parser of c->active just past
 * the command name and parses its own arguments; it returns through
 * imap_done() (or suspends / waits for input, see imap_client.h).
 */
#ifndef IMAP_COMMANDS_H
#define IMAP_COMMANDS_H

#include "imap_client.h"

/* imap_capability.c: the CAPABILITY list for the client's state, without
 * the leading "CAPABILITY ", into OUT. */
void imap_capability(const struct imap_client *c, char *out, size_t outlen);

/* imap_cmd_any.c: any state */
enum cmd_result imap_cmd_capability(struct imap_client *c);
enum cmd_result imap_cmd_noop(struct imap_client *c);
enum cmd_result imap_cmd_logout(struct imap_client *c);
enum cmd_result imap_cmd_id(struct imap_client *c);
enum cmd_result imap_cmd_enable(struct imap_client *c);

/* imap_cmd_auth.c: not authenticated */
enum cmd_result imap_cmd_starttls(struct imap_client *c);
enum cmd_result imap_cmd_login(struct imap_client *c);
enum cmd_result imap_cmd_authenticate(struct imap_client *c);

/* imap_cmd_mailbox.c */
enum cmd_result imap_cmd_create(struct imap_client *c);
enum cmd_result imap_cmd_delete(struct imap_client *c);
enum cmd_result imap_cmd_rename(struct imap_client *c);
enum cmd_result imap_cmd_subscribe(struct imap_client *c);
enum cmd_result imap_cmd_unsubscribe(struct imap_client *c);
enum cmd_result imap_cmd_status(struct imap_client *c);
enum cmd_result imap_cmd_namespace(struct imap_client *c);

/* imap_cmd_list.c */
enum cmd_result imap_cmd_list(struct imap_client *c);
/* The untagged LIST of mailbox MB that SELECT and EXAMINE send to an
 * IMAP4rev2 client (RFC 9051 6.3.2): its special use, and whether it
 * has CHILDREN (imap_list_children()).  Returns 0, or -1 when the
 * output failed. */
int imap_list_selected(struct imap_client *c, const struct store_mailbox *mb, bool children);
/* A store read, for a job: *CHILDREN gets whether PERSON_ID has a
 * mailbox below NAME.  Returns 0, or -1 after a store failure. */
int imap_list_children(struct store *st, int64_t person_id, const char *name,
                       bool *children);
enum cmd_result imap_cmd_lsub(struct imap_client *c);

/* imap_cmd_select.c */
enum cmd_result imap_cmd_select(struct imap_client *c);
enum cmd_result imap_cmd_examine(struct imap_client *c);
enum cmd_result imap_cmd_close(struct imap_client *c);
enum cmd_result imap_cmd_unselect(struct imap_client *c);
enum cmd_result imap_cmd_check(struct imap_client *c);

/* imap_cmd_append.c */
enum cmd_result imap_cmd_append(struct imap_client *c);

/* imap_idle.c */
enum cmd_result imap_cmd_idle(struct imap_client *c);

/* imap_cmd_expunge.c */
enum cmd_result imap_cmd_expunge(struct imap_client *c);

/* imap_fetch.c */
enum cmd_result imap_cmd_fetch(struct imap_client *c);

/* imap_cmd_store.c */
enum cmd_result imap_cmd_store(struct imap_client *c);

/* imap_cmd_search.c */
enum cmd_result imap_cmd_search(struct imap_client *c);

/* imap_cmd_copy.c */
enum cmd_result imap_cmd_copy(struct imap_client *c);
enum cmd_result imap_cmd_move(struct imap_client *c);

/* imap_quota.c */
enum cmd_result imap_cmd_getquota(struct imap_client *c);
enum cmd_result imap_cmd_getquotaroot(struct imap_client *c);
enum cmd_result imap_cmd_setquota(struct imap_client *c);

#endif
