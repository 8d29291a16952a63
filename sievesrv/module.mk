# sievesrv/module.mk - the ManageSieve worker (RFC 5804).  sievesrv/sievesrv.c
# opens with a map of its files.

PROGRAMS += sievesrv
sievesrv_SRCS := sievesrv/sievesrv.c sievesrv/msv_conn.c sievesrv/msv_args.c \
                 sievesrv/msv_cmd.c sievesrv/msv_auth.c sievesrv/msv_script.c \
                 sievesrv/msv_write.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_msv_args := sievesrv/msv_args.c
