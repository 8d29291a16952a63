# ems - one build for everything.
#
#   make              build every program into build/
#   make deps         print what each target needs from Debian, and what is missing
#   make check        run the tests in t/ with prove (installs the clients they drive)
#   make check SANITIZE=1   the same, built with ASan+UBSan into build-san/
#   make check STORE=postgresql   every suite's store in the run's private
#                     PostgreSQL cluster (tests of the SQLite file skip)
#   make run [PORTS=1100]   build, create ./run-state and start the suite in the
#                     foreground on ports PORTS+10 (POP3), +43 (IMAP), ... (see README)
#   make bench [PEER=dovecot|ems-postgresql]   measure ems (and a peer side by side;
#                     ems-postgresql: one node and two nodes on one database); see README
#   make conformance IMAPTEST=path   run imaptest against a private ems; see t/README
#   make install PREFIX=/usr/local DESTDIR=
#
# A program directory adds itself with a module.mk that appends to PROGRAMS
# and sets <program>_SRCS (see oomgr/module.mk).

SANITIZE ?=
BUILD    ?= $(if $(SANITIZE),build-san,build)
PREFIX   ?= /usr/local
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DESTDIR  ?=
STATE    ?= run-state
PROVE_JOBS ?= 2
STORE    ?= sqlite

CC       ?= cc
PKGS     := openssl sqlite3 libconfig libsystemd
# libpq gives its header only: it is loaded with dlopen when a store is
# on PostgreSQL (libcommon/pq_lib.h says why), so nothing links it.
# Asked of pkg-config once, on first use: after `deps` has installed them.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libpq))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)

CFLAGS   = -std=c17 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE \
            -Ilibcommon $(PKG_CFLAGS) -DEMS_HAVE_PG -MMD -MP
LDLIBS   = $(PKG_LIBS) -lcrypt
LDFLAGS  :=
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
CFLAGS   += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
endif

PROGRAMS :=
UNIT_EXTRA :=
include $(sort $(wildcard */module.mk))

# The store's unit tests run on either backend (t/store_test.h).
UNIT_EXTRA_store += t/store_test.c
UNIT_EXTRA_store_sieve += t/store_test.c
UNIT_EXTRA_store_pool += t/store_test.c
UNIT_EXTRA_store_schema_same += t/store_test.c
UNIT_EXTRA_auth += t/store_test.c
UNIT_EXTRA_auth_async += t/store_test.c
UNIT_EXTRA_spool += t/store_test.c
UNIT_EXTRA_postman_expand += t/store_test.c

LIBCOMMON_SRCS := $(sort $(wildcard libcommon/*.c))
LIBCOMMON_OBJS := $(LIBCOMMON_SRCS:%.c=$(BUILD)/%.o)
LIBCOMMON      := $(BUILD)/libcommon.a

UNIT_SRCS  := $(sort $(wildcard t/unit/*.c))
UNIT_BINS  := $(UNIT_SRCS:t/unit/%.c=$(BUILD)/t/unit/%)
TAP_OBJ    := $(BUILD)/t/tap.o
PROGRAM_BINS := $(PROGRAMS:%=$(BUILD)/bin/%)

.PHONY: all deps deps-quiet deps-check check run bench install clean cppcheck fuzz conformance
.DEFAULT_GOAL := all

all: deps-quiet $(PROGRAM_BINS) $(UNIT_BINS)

deps:
	@sh mk/deps.sh

# Each target checks (as root on Debian: installs) what it needs first,
# quietly when all is there: the build its compiler and libraries, check
# the clients the tests drive (mk/deps.sh has the lists).
deps-quiet:
	@sh mk/deps.sh -q build

deps-check: deps-quiet
	@sh mk/deps.sh -q check

$(BUILD)/%.o: %.c | deps-quiet
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(LIBCOMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# One link rule per program, from <program>_SRCS.
define program_rule
$(BUILD)/bin/$(1): $$($(1)_SRCS:%.c=$(BUILD)/%.o) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# A unit test t/unit/NAME.c links libcommon, the TAP helper and the
# program sources a module.mk lists in UNIT_EXTRA_NAME.
define unit_rule
$(BUILD)/t/unit/$(1): $(BUILD)/t/unit/$(1).o $$(UNIT_EXTRA_$(1):%.c=$(BUILD)/%.o) $(TAP_OBJ) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach u,$(UNIT_SRCS:t/unit/%.c=%),$(eval $(call unit_rule,$(u))))

$(BUILD)/t/%.o: CFLAGS += -It

# One private PostgreSQL cluster for the whole run (t/lib/emspg.py: an
# unprivileged owner, a unix socket in a directory of /tmp, which that
# owner can reach wherever the checkout is), stopped by pid afterwards
# whatever the tests did; the tests of the PostgreSQL store make their
# databases in it.  Without one they start their own, or skip.
check: all deps-check
	@pgdir=$$(mktemp -d /tmp/ems-pg-check.XXXXXX) && \
	pg=$$(python3 t/lib/emspg.py start $$pgdir 2>&1) || { echo "check: no PostgreSQL cluster: $$pg" >&2; pg=; }; \
	set -- $$pg; \
	EMS_TEST_PG_DIR=$${1:-} EMS_TEST_PG_PORT=$${2:-} EMS_TEST_STORE=$(STORE) \
	EMS_BUILD=$(abspath $(BUILD)) EMS_SRC=$(abspath .) \
	    prove -j$(PROVE_JOBS) $(UNIT_BINS) $(sort $(wildcard t/*.t)); rc=$$?; \
	python3 t/lib/emspg.py stop $$pgdir; rm -rf $$pgdir; exit $$rc

# libFuzzer targets t/fuzz/*.c, built with clang into build-fuzz/ and run
# FUZZ_SECONDS each (see mk/fuzz.sh); FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh mk/fuzz.sh $(FUZZ_TARGETS)

# imaptest, the IMAP conformance and stress tester of the Dovecot project,
# against a private imap4srv on free ports (mk/conformance.py).  imaptest
# is not part of ems and is not fetched or built here: IMAPTEST names a
# binary you built (t/README says how); without it this prints what to get.
IMAPTEST ?=
conformance: all
	EMS_BUILD=$(abspath $(BUILD)) EMS_SRC=$(abspath .) \
	    python3 mk/conformance.py --imaptest "$(IMAPTEST)" $(CONFORMANCE_FLAGS)

PROGRAM_DIRS := $(sort $(dir $(wildcard */module.mk)))

cppcheck:
	@sh mk/deps.sh -q cppcheck
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --std=c11 -D_GNU_SOURCE -DEMS_HAVE_PG -Ilibcommon -It --inline-suppr \
	    libcommon $(PROGRAM_DIRS) t/unit t/tap.c t/store_test.c

# make run PORTS=21100: POP3 on 21110, IMAP 21143 and so on (mk/run.sh).
PORTS ?= 1100
run: all
	@sh mk/run.sh $(abspath $(BUILD)) $(abspath $(STATE)) $(PORTS)

# Figures, never a failure on one: bench-results.json (and .svg with a PEER).
# PEER=ems-postgresql measures ems on PostgreSQL as one node and as two
# nodes sharing one database, beside ems on SQLite (bench/run.py --help).
PEER ?=
bench: all deps-check
	python3 bench/run.py --build $(abspath $(BUILD)) $(if $(PEER),--peer $(PEER)) $(BENCH_FLAGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/ems $(DESTDIR)/etc/ems
	$(if $(PROGRAMS),install -m 0755 $(filter-out %/emsbench,$(PROGRAM_BINS)) $(DESTDIR)$(PREFIX)/sbin)
	$(if $(wildcard man/*.5),install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5)
	$(if $(wildcard man/*.7),install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7)
	$(if $(wildcard man/*.8),install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8)
	install -m 0644 $(wildcard etc/*.conf) $(DESTDIR)$(PREFIX)/share/ems
	install -m 0644 etc/sendmail-ems.m4 $(wildcard etc/postfix-*) $(DESTDIR)$(PREFIX)/share/ems
	test -e $(DESTDIR)/etc/ems/ems.conf || install -m 0640 etc/ems.conf $(DESTDIR)/etc/ems/ems.conf
	install -d $(DESTDIR)/etc/logrotate.d
	test -e $(DESTDIR)/etc/logrotate.d/ems || install -m 0644 etc/logrotate.d/ems $(DESTDIR)/etc/logrotate.d/ems
	install -d $(DESTDIR)$(UNITDIR)
	for u in ems.service ems.socket ems-backup.service ems-backup.timer; do \
	    sed 's|/usr/local/sbin|$(PREFIX)/sbin|g' etc/$$u > $(DESTDIR)$(UNITDIR)/$$u; \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name "*.d" 2>/dev/null)
