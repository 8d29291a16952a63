/* Unit tests for libcommon/log.c: file naming, line format, levels,
 * quoting and reopen after rotation. */
#include "log.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int main(void)
{
	char path[512], rotated[520];
	const char *dir = tap_tmpdir();

	plan(14);
	is_int(log_level_parse("debug"), LOG_LVL_DEBUG, "level names parse");
	is_int(log_level_parse("loud"), -1, "unknown level name is refused");

	is_int(log_open("node1", "pop3", 1, dir, LOG_LVL_INFO, false), 0,
	       "log_open succeeds");
	snprintf(path, sizeof path, "%s/node1_pop301.log", dir);
	is_str(log_path(), path, "file named <node>_<prog><NN>.log");

	log_info("login", "user=%s", "demo");
	log_debug("noise", "x=1");
	char *text = slurp(path);
	ok(text && strstr(text, " level=info proc=pop301 pid=") != NULL,
	   "line carries level, proc and pid");
	ok(text && strstr(text, " event=login user=demo\n") != NULL,
	   "event and fields end the line");
	ok(text && strstr(text, "noise") == NULL, "debug lines filtered at info");
	ok(text && text[4] == '-' && strchr(text, 'T') && strstr(text, "Z level"),
	   "timestamp is ISO 8601 UTC");

	log_set_level(LOG_LVL_DEBUG);
	log_debug("noise", "x=1");
	text = slurp(path);
	ok(text && strstr(text, "event=noise x=1") != NULL,
	   "debug shown after log_set_level(debug)");

	is_str(log_quote("plain"), "plain", "plain value unquoted");
	is_str(log_quote("two words \"q\"\n"), "\"two words \\\"q\\\"\\x0a\"",
	       "spaces, quotes and control characters are quoted");

	snprintf(rotated, sizeof rotated, "%s.1", path);
	ok(rename(path, rotated) == 0, "rotate the file away");
	is_int(log_reopen(), 0, "log_reopen succeeds");
	log_info("after_rotate", NULL);
	text = slurp(path);
	ok(text && strstr(text, "event=after_rotate") != NULL &&
	   strstr(text, "event=login") == NULL,
	   "after reopen lines go to a fresh file");
	log_close();
	return exit_status();
}
