/*
 * lmtp_cmd.c - libFuzzer target: one LMTP command line (without CRLF)
 * through lmtp_cmd_parse(), as lmtp_session.c calls it.  See mk/fuzz.sh.
 *
 * fuzz-sources: smtpgw/lmtp_cmd.c
 */
#include "lmtp_cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_cmd cmd;
	const char *reply = NULL;
	char *line;

	if (size > LMTP_CMD_MAX)
		return 0;       /* the session refuses longer lines before parsing */
	line = malloc(size + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (lmtp_cmd_parse(line, size, &cmd, &reply) < 0 &&
	    (reply == NULL || strlen(reply) < 4))
		abort();        /* every refusal carries a complete reply */
	free(line);
	return 0;
}
