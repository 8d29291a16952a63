/*
 * handoff_wire.c - building and checking the records of the
 * iolistener/worker hand-off; see handoff_wire.h.
 */
#include "handoff_wire.h"

#include <string.h>

void handoff_msg_init(struct handoff_msg *m, enum handoff_msg_type type)
{
	memset(m, 0, sizeof *m);
	m->version = HANDOFF_VERSION;
	m->type = (uint16_t)type;
}

/* True when NAME holds a non-empty, terminated service name. */
static bool service_ok(const char name[HANDOFF_SERVICE_MAX + 1])
{
	size_t n = strnlen(name, HANDOFF_SERVICE_MAX + 1);
	return n > 0 && n <= HANDOFF_SERVICE_MAX;
}

static int check_client(const struct handoff_msg *m, const char **why)
{
	if (!service_ok(m->u.client.service)) {
		*why = "bad service name";
		return -1;
	}
	if (m->u.client.peer_len > sizeof m->u.client.peer ||
	    m->u.client.local_len > sizeof m->u.client.local) {
		*why = "bad address length";
		return -1;
	}
	return 0;
}

int handoff_msg_check(const struct handoff_msg *m, size_t len,
                      const char **why)
{
	if (len != sizeof *m) {
		*why = "bad record size";
		return -1;
	}
	if (m->version != HANDOFF_VERSION) {
		*why = "unsupported version";
		return -1;
	}
	switch (m->type) {
	case HANDOFF_MSG_REGISTER:
		if (!service_ok(m->u.reg.service)) {
			*why = "bad service name";
			return -1;
		}
		if (m->u.reg.maxclt == 0) {
			*why = "maxclt is 0";
			return -1;
		}
		return 0;
	case HANDOFF_MSG_REGISTERED:
	case HANDOFF_MSG_LOAD:
		return 0;
	case HANDOFF_MSG_CLIENT:
		return check_client(m, why);
	default:
		*why = "unknown record type";
		return -1;
	}
}

const char *handoff_msg_type_name(unsigned type)
{
	switch (type) {
	case HANDOFF_MSG_REGISTER: return "register";
	case HANDOFF_MSG_REGISTERED: return "registered";
	case HANDOFF_MSG_LOAD: return "load";
	case HANDOFF_MSG_CLIENT: return "client";
	default: return "unknown";
	}
}

const char *handoff_result_name(enum handoff_result r)
{
	switch (r) {
	case HANDOFF_SENT: return "sent";
	case HANDOFF_NO_WORKER: return "no_worker";
	case HANDOFF_BUSY: return "busy";
	}
	return "unknown";
}
