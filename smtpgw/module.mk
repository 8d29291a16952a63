# smtpgw/module.mk - the gateway between the MTA and the store: mailer
# mode, LMTP server and outbound side (see smtpgw/smtpgw.h for its files).
PROGRAMS += smtpgw

smtpgw_SRCS := smtpgw/smtpgw.c smtpgw/smtpgw_mailer.c smtpgw/smtpgw_message.c \
               smtpgw/smtpgw_submit.c smtpgw/deliver_local.c smtpgw/lmtp_cmd.c smtpgw/lmtp_data.c smtpgw/lmtp_session.c \
               smtpgw/lmtp_server.c smtpgw/smtpgw_outbound.c

UNIT_EXTRA_lmtp_cmd := smtpgw/lmtp_cmd.c
UNIT_EXTRA_smtpgw_message := smtpgw/smtpgw_message.c
UNIT_EXTRA_lmtp_data := smtpgw/lmtp_data.c smtpgw/smtpgw_message.c
