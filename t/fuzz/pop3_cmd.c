/*
 * pop3_cmd.c - libFuzzer target: one POP3 command line (without CRLF)
 * through pop3_cmd_parse() in both states, as pop3_session.c calls it.
 * See mk/fuzz.sh.
 *
 * fuzz-sources: pop3srv/pop3_cmd.c
 */
#include "pop3_cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void parse(const uint8_t *data, size_t size, enum pop3_state state)
{
	struct pop3_cmd cmd;
	const char *why = NULL;
	unsigned long n;
	char *line = malloc(size + 1);

	if (line == NULL)
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	enum pop3_parse_result r = pop3_cmd_parse(line, size, state, &cmd, &why);
	if (r != POP3_PARSE_OK && why == NULL)
		abort();        /* every refusal has its -ERR sentence */
	if (r == POP3_PARSE_OK) {
		for (int i = 0; i < cmd.argc && i < POP3_ARGS_MAX; i++)
			pop3_parse_number(cmd.argv[i], &n);
		pop3_cmd_name(cmd.id);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse(data, size, POP3_AUTHORIZATION);
	parse(data, size, POP3_TRANSACTION);
	return 0;
}
