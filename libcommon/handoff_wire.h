/*
 * handoff_wire.h - the records iolistener and its workers exchange on
 * handoff.sock (see handoff.h for the protocol around them).
 *
 * Every record is one SEQPACKET message holding one struct handoff_msg,
 * in host byte order (both ends run on the same machine).  It starts with
 * the protocol version and the record type:
 *
 *   worker -> listener   REGISTER    service, instance, flags, maxclt and
 *                                    the current load (first record)
 *                        LOAD        clients now served, clients received
 *   listener -> worker   REGISTERED  the registration is accepted
 *                        CLIENT      a client socket (the one record that
 *                                    carries a descriptor), its service,
 *                                    the listener's flags and addresses
 *
 * "received" counts the CLIENT records the worker has taken on this
 * connection, so the listener can add the clients it sent that the
 * worker had not yet seen when it reported.
 */
#ifndef EMS_HANDOFF_WIRE_H
#define EMS_HANDOFF_WIRE_H

#include "handoff.h"

#include <stdint.h>
#include <sys/socket.h>

#define HANDOFF_VERSION 1

enum handoff_msg_type {
	HANDOFF_MSG_REGISTER = 1,
	HANDOFF_MSG_REGISTERED = 2,
	HANDOFF_MSG_LOAD = 3,
	HANDOFF_MSG_CLIENT = 4,
};

struct handoff_msg {
	uint16_t version;
	uint16_t type;
	uint32_t pad;
	union {
		struct {
			char service[HANDOFF_SERVICE_MAX + 1];
			int32_t instance;
			uint32_t flags;
			uint32_t maxclt;
			uint32_t nclients;
		} reg;
		struct {
			uint32_t nclients;
			uint32_t pad;
			uint64_t received;
		} load;
		struct {
			char service[HANDOFF_SERVICE_MAX + 1];
			uint32_t flags;
			uint32_t peer_len;
			uint32_t local_len;
			uint32_t pad;
			struct sockaddr_storage peer;
			struct sockaddr_storage local;
		} client;
	} u;
};

/* A zeroed record of TYPE with the current version. */
void handoff_msg_init(struct handoff_msg *m, enum handoff_msg_type type);

/*
 * Checks a record of LEN bytes as received: the size, the version, a
 * known type, and the type's fields (service names terminated and
 * non-empty, address lengths within their storage).  Returns 0, or -1
 * with a short reason in *WHY (static text) for the log.
 */
int handoff_msg_check(const struct handoff_msg *m, size_t len,
                      const char **why);

/* The record type's name for the log ("register", "client" ...), or
 * "unknown". */
const char *handoff_msg_type_name(unsigned type);

#endif
