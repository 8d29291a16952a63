/*
 * imap_command.h - from input to commands: greeting, assembling a
 * command from its lines and literals (with the size limits of RFC
 * 7888/7889), dispatching it by name and state, and finishing it with
 * the untagged updates the RFC allows and the tagged response.
 */
#ifndef IMAP_COMMAND_H
#define IMAP_COMMAND_H

#include "imap_client.h"

/* Sends the greeting "* OK [CAPABILITY ...] <banner>".  0 or -1. */
int imap_command_greet(struct imap_client *c);

/*
 * Takes the next piece of buffered input (a line or literal bytes) and
 * acts on it, or resumes a suspended command.  Returns 1 when it did
 * something (call again), 0 when it needs more input or output room,
 * -1 when the connection must close (after any output queued).
 */
int imap_command_step(struct imap_client *c);

/* Drops the active command's state (the connection is closing). */
void imap_command_reset(struct imap_client *c);

/* Finishes the active command after a handler (or its resume/on_line)
 * returned R: writes the tagged response when R is CMD_DONE. */
void imap_command_finish(struct imap_client *c, enum cmd_result r);

#endif
