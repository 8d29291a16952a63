# imap4srv/module.mk - the IMAP4rev1 worker.  imap4srv/imap4srv.c opens
# with a map of its files.

PROGRAMS += imap4srv
imap4srv_SRCS := imap4srv/imap4srv.c imap4srv/imap_conn.c \
                 imap4srv/imap_command.c imap4srv/imap_output.c \
                 imap4srv/imap_capability.c imap4srv/imap_parse.c \
                 imap4srv/imap_seqset.c imap4srv/imap_seqlist.c imap4srv/imap_view.c imap4srv/imap_view_sync.c \
                 imap4srv/imap_mailbox_share.c \
                 imap4srv/imap_view_flags.c imap4srv/imap_vanished.c \
                 imap4srv/imap_cmd_any.c imap4srv/imap_cmd_auth.c imap4srv/imap_auth.c \
                 imap4srv/imap_cmd_mailbox.c imap4srv/imap_cmd_list.c imap4srv/imap_list_tree.c \
                 imap4srv/imap_status.c imap4srv/imap_objectid.c \
                 imap4srv/imap_cmd_select.c imap4srv/imap_cmd_expunge.c \
                 imap4srv/imap_cmd_store.c imap4srv/imap_cmd_copy.c \
                 imap4srv/imap_cmd_append.c imap4srv/imap_cmd_search.c \
                 imap4srv/imap_fetch.c imap4srv/imap_fetch_att.c imap4srv/imap_idle.c imap4srv/imap_idle_job.c \
                 imap4srv/imap_quota.c imap4srv/imap_message.c imap4srv/imap_message_mime.c \
                 imap4srv/imap_search_parse.c imap4srv/imap_search_eval.c \
                 imap4srv/imap_names.c imap4srv/imap_utf7.c imap4srv/imap_flags.c \
                 imap4srv/imap_trace.c imap4srv/imap_job.c imap4srv/imap_claims.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_imap_utf7 := imap4srv/imap_utf7.c
UNIT_EXTRA_imap_parse := imap4srv/imap_parse.c imap4srv/imap_seqset.c \
                         imap4srv/imap_flags.c imap4srv/imap_fetch_att.c
UNIT_EXTRA_imap_search := imap4srv/imap_parse.c imap4srv/imap_seqset.c \
                          imap4srv/imap_search_parse.c imap4srv/imap_search_eval.c \
                          imap4srv/imap_flags.c
UNIT_EXTRA_imap_names := imap4srv/imap_names.c imap4srv/imap_utf7.c \
                         imap4srv/imap_parse.c
