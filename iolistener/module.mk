# iolistener/module.mk - the listener of the mail ports.
# iolistener/iolistener.c opens with a map of its files.
PROGRAMS += iolistener

iolistener_SRCS := iolistener/iolistener.c iolistener/iol_sockets.c \
                   iolistener/iol_client.c iolistener/iol_resolve.c \
                   iolistener/iol_filters.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_iol_resolve := iolistener/iol_resolve.c
