/*
 * access_filter.c - libFuzzer target: the access-filter parser.  The
 * input is used whole as the compact access.rules string, then each of
 * its lines as an access.allow entry and as an access.deny entry; a set
 * that parses is asked about an address.  See mk/fuzz.sh.
 *
 * fuzz-sources:
 */
#include "access_filter.h"
#include "log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LINES_MAX 64

static const char *const services[] = { "pop", "imap", "lmtp", NULL };

/* Asks SET about one client in each host-name state. */
static void ask(const struct access_filters *set)
{
	struct sockaddr_in peer = { .sin_family = AF_INET };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(110) };
	struct access_client client = { .peer = (struct sockaddr *)&peer,
	                                 .local = (struct sockaddr *)&local,
	                                 .hostname = "mail.example.test" };
	struct access_decision d;

	inet_pton(AF_INET, "192.0.2.7", &peer.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
	for (int s = ACCESS_HOST_UNRESOLVED; s <= ACCESS_HOST_MISMATCH; s++) {
		client.host_state = (enum access_host_state)s;
		access_check(set, "pop", &client, &d);
	}
}

static void try_set(const struct access_filter_config *cfg)
{
	char err[256];
	struct access_filters *f = access_filters_parse(cfg, err, sizeof err);

	if (f == NULL)
		return;
	ask(f);
	access_filters_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *lines[LINES_MAX];
	size_t n = 0;
	char *text = malloc(size + 1), *p, *save = NULL;

	if (text == NULL)
		return 0;
	log_set_level(LOG_LVL_ERROR);
	memcpy(text, data, size);
	text[size] = '\0';
	try_set(&(struct access_filter_config){ .source = "fuzz", .compact = text,
	                                        .services = services });
	for (p = strtok_r(text, "\n", &save); p != NULL && n < LINES_MAX;
	     p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	try_set(&(struct access_filter_config){ .source = "fuzz", .allow = lines,
	                                        .n_allow = n, .services = services });
	try_set(&(struct access_filter_config){ .source = "fuzz", .deny = lines,
	                                        .n_deny = n });
	free(text);
	return 0;
}
