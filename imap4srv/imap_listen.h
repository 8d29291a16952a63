/*
 * imap_listen.h - imap4srv's own listening sockets (--listen and
 * --listen-tls), for development and tests when no iolistener runs.
 * Accepted clients take the same path as handed-off ones
 * (imap_client_new()); access filters are the listener's job and are
 * not applied here.
 */
#ifndef IMAP_LISTEN_H
#define IMAP_LISTEN_H

#include "imap_server.h"

/* Listens on SPEC ("127.0.0.1:1143", "[::1]:1143") and hands each client
 * to imap_client_new() with FLAGS (PROC_FLAG_SSL for --listen-tls).
 * Returns 0 or -1 (logged). */
int imap_listen_add(struct imap_server *srv, const char *spec, unsigned flags);

/* Closes every listening socket. */
void imap_listen_close_all(void);

#endif
