# pop3srv/module.mk - the POP3 worker.  pop3srv/pop3srv.c opens with a
# map of its files.

PROGRAMS += pop3srv
pop3srv_SRCS := pop3srv/pop3srv.c pop3srv/pop3_conn.c pop3srv/pop3_cmd.c \
                pop3srv/pop3_session.c pop3srv/pop3_cmd_auth.c \
                pop3srv/pop3_maildrop.c pop3srv/pop3_retr.c pop3srv/pop3_xtnd.c \
                pop3srv/pop3_quit.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_pop3_cmd := pop3srv/pop3_cmd.c
