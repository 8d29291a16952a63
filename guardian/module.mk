# guardian/module.mk - the guardian, the supervisor of the suite.
# guardian/guardian.c opens with a map of its files.
PROGRAMS += guardian

guardian_SRCS := guardian/guardian.c guardian/guardian_control.c \
                 guardian/guardian_notify.c \
                 guardian/guardian_overrides.c \
                 guardian/guardian_procs.c guardian/guardian_registry.c \
                 guardian/guardian_restart.c guardian/guardian_sockets.c \
                 guardian/guardian_spawn.c guardian/guardian_startstop.c \
                 guardian/guardian_heartbeat.c guardian/guardian_landlock.c \
                 guardian/guardian_standin.c guardian/guardian_chan.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_guardian_restart := guardian/guardian_restart.c
UNIT_EXTRA_guardian_chan := guardian/guardian_chan.c guardian/guardian_procs.c \
                            guardian/guardian_restart.c \
                            guardian/guardian_registry.c \
                            guardian/guardian_overrides.c
UNIT_EXTRA_guardian_registry := guardian/guardian_registry.c \
                                guardian/guardian_overrides.c
UNIT_EXTRA_guardian_procs := guardian/guardian_procs.c \
                             guardian/guardian_chan.c \
                             guardian/guardian_restart.c \
                             guardian/guardian_registry.c \
                             guardian/guardian_overrides.c
