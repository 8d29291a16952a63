/* Unit tests for libcommon/refusal.c: the refusal line of each protocol
 * for each reason (RFC 3206, 5530 and 3463 codes), a neutral line for an
 * unknown service, and no line at all on a TLS port. */
#include "refusal.h"
#include "params.h"
#include "tap.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int sv[2];
	char buf[256];

	plan(13);
	is_str(refusal_line("imap", REFUSE_UNAVAILABLE),
	       "* BYE [UNAVAILABLE] Service temporarily unavailable, try again "
	       "later\r\n", "IMAP unavailable: BYE [UNAVAILABLE]");
	is_str(refusal_line("pop", REFUSE_UNAVAILABLE),
	       "-ERR [SYS/TEMP] Service temporarily unavailable, try again "
	       "later\r\n", "POP3 unavailable: -ERR [SYS/TEMP]");
	is_str(refusal_line("LMTP", REFUSE_UNAVAILABLE),
	       "421 4.3.0 Service temporarily unavailable, try again later\r\n",
	       "LMTP unavailable: 421 4.3.0 (service names are not case "
	       "sensitive)");
	ok(strncmp(refusal_line("lmtp", REFUSE_BUSY), "421 4.3.2 ", 10) == 0,
	   "LMTP busy: 421 4.3.2");
	ok(strncmp(refusal_line("imap", REFUSE_BUSY), "* BYE [UNAVAILABLE] "
	           "Server busy", 31) == 0, "IMAP busy");
	ok(strncmp(refusal_line("pop", REFUSE_DENIED), "-ERR [SYS/PERM] ", 16) == 0,
	   "POP3 denied: -ERR [SYS/PERM]");
	is_str(refusal_line("sieve", REFUSE_DENIED), "BYE \"Access denied by site policy\"\r\n",
	       "ManageSieve refuses with BYE and a quoted string");
	ok(strncmp(refusal_line("sieve", REFUSE_BUSY), "BYE (TRYLATER) ", 15) == 0,
	   "busy with RFC 5804's TRYLATER");
	ok(strncmp(refusal_line("imap", REFUSE_DENIED), "* BYE [NOPERM] ", 15) == 0,
	   "IMAP denied: BYE [NOPERM]");
	is_str(refusal_line("smtp", REFUSE_UNAVAILABLE),
	       "Service temporarily unavailable, try again later\r\n",
	       "an unknown service gets neutral words");
	is_str(refusal_name(REFUSE_UNAVAILABLE), "unavailable", "its log name");

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	is_int(refusal_send(sv[0], "pop", PROC_FLAG_SSL, REFUSE_UNAVAILABLE), 0,
	       "a TLS port: nothing to send");
	refusal_send(sv[0], "pop", 0, REFUSE_UNAVAILABLE);
	close(sv[0]);
	ssize_t n = read(sv[1], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, refusal_line("pop", REFUSE_UNAVAILABLE),
	       "a plain port gets exactly the line");
	close(sv[1]);
	return exit_status();
}
