#!/usr/bin/env python3
"""pop3_concurrent.t - a POP3 session while IMAP changes the same
INBOX: a message that IMAP expunged (and the collector removed) after
the POP3 login is answered with -ERR, not a broken multi-line reply; a
DELE of it still commits at QUIT; new mail shows in the next session."""
import imaplib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emsmail  # noqa: E402
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "imap4srv", "collector", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = PopSuite({"store": {"backend": "sqlite"},   # reads the SQLite file
              "collector": {"message_grace_s": 0, "expunged_keep_s": 0,
                            "queue_keep_s": 0}}, name="pop3conc")
s.start_daemons(smtpgw=False)
for subject in ("one", "two", "three"):
    s.deliver(emsmail.make_message(subject))
entries = s.wait_messages(USER, 3)
t.is_(len(entries), 3, "three messages delivered")
s.start_pop()
imap_port = emstest.free_port()
s.start("imap4srv", "-c", s.conf_path, "--listen", "127.0.0.1:%d" % imap_port)
t.ok(emstest.wait_for(lambda: emstest.port_open(imap_port)), "imap4srv listens")

r = Raw(s.pop_port)
r.command("USER %s" % USER)
t.ok(r.command("PASS %s" % PASSWORD).startswith(b"+OK maildrop has 3"), "POP3 logs in")

m = imaplib.IMAP4("127.0.0.1", imap_port, timeout=emstest.DEFAULT_TIMEOUT)
m.login(USER, PASSWORD)
m.select("INBOX")
m.store("2", "+FLAGS", "\\Deleted")
typ, data = m.expunge()
t.is_(typ, "OK", "IMAP expunges message 2 meanwhile")
m.logout()


def collected():
    # a message becomes collectable in the second after its expunge
    s.run("collector", "-c", s.conf_path, "--once")
    db = sqlite3.connect(os.path.join(s.state, "store.db"))
    try:
        return db.execute("SELECT count(*) FROM messages WHERE id = ?",
                          (entries[1].message,)).fetchone()[0] == 0
    finally:
        db.close()


t.ok(emstest.wait_for(collected), "the collector removes the expunged message")

t.ok(r.command("RETR 2").startswith(b"-ERR that message was removed"),
     "RETR of the vanished message is a clean -ERR")
first, lines = r.multi("RETR 3")
t.ok(first.startswith(b"+OK") and any(b"Subject: three" == ln for ln in lines),
     "the others are still retrieved")
t.ok(r.command("DELE 2").startswith(b"+OK"), "DELE of the vanished message")
t.ok(r.command("DELE 1").startswith(b"+OK"), "DELE 1")
t.ok(r.command("QUIT").startswith(b"+OK signing off (2 messages removed)"),
     "QUIT commits both")
r.close()
s.deliver(emsmail.make_message("four"))
s.wait_messages(USER, 2)
r = Raw(s.pop_port)
r.command("USER %s" % USER)
t.ok(r.command("PASS %s" % PASSWORD).startswith(b"+OK maildrop has 2"),
     "the next session sees message three and the new one")
r.command("QUIT")
r.close()
s.stop()
t.done()
