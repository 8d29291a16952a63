#!/usr/bin/env python3
"""postman_copies.t - one message, several recipients: one LMTP
transaction (and one mailer run) delivers to several people, each
person's copy shows its own Delivered-To and the envelope Return-Path
on top, as Dovecot and Cyrus write them, while the store keeps the
message once.  Seen through real clients: IMAP BODY[] and its sections,
RFC822.SIZE, BODYSTRUCTURE (against the same bytes APPENDed), partial
fetches, SEARCH, COPY; POP3 LIST, RETR, TOP; oomgr and sqlite3 as an
administrator would look."""
import os
import poplib
import re
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsmail import strip_trace  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "pop3srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

PEOPLE = ["demo@example.test", "ann@example.test", "bob@example.test"]
SENDER = "sender@outside.example"
# A multipart message in CRLF form, so that part offsets matter.
MSG = (b"From: Sender <sender@outside.example>\r\n"
       b"To: demo@example.test, ann@example.test, bob@example.test\r\n"
       b"Subject: three copies\r\n"
       b"Message-ID: <copies.1@outside.example>\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
       b"\r\n"
       b"preamble\r\n"
       b"--b1\r\n"
       b"Content-Type: text/plain; charset=us-ascii\r\n"
       b"\r\n"
       b"first part\r\nline two\r\n"
       b"--b1\r\n"
       b"Content-Type: application/octet-stream\r\n"
       b"Content-Transfer-Encoding: base64\r\n"
       b"\r\n"
       b"AAECAwQFBgcICQ==\r\n"
       b"--b1--\r\n")

s = ImapSuite({"postman": {"interval_s": 600}, "store": {"backend": "sqlite"}},   # reads the SQLite file
              name="copies")
s.admin("insert person username=ann@example.test password=ann",
        "insert person username=bob@example.test password=bob")
PASSWORDS = {"demo@example.test": "demo", "ann@example.test": "ann",
             "bob@example.test": "bob"}
s.start_imap()
pop_port, pops_port = emstest.free_port(), emstest.free_port()
s.start_listening("pop3srv", pop_port, pops_port, ())
s.start_daemons()


def trace(rcpt):
    return b"Return-Path: <%s>\r\nDelivered-To: %s\r\n" % (SENDER.encode(),
                                                             rcpt.encode())


def fetch(m, uid, items):
    """{item name: bytes} of one FETCH answer (literals and atoms)."""
    typ, data = m.uid("FETCH", str(uid), "(%s)" % items)
    out = {}
    for d in data:
        if isinstance(d, tuple):
            name = re.search(rb"([A-Z0-9.\[\]<> ()-]+?) \{\d+\}$", d[0])
            key = re.sub(rb"^.*?\(|^\s+", b"", name.group(1)).split(b" ")[-1]
            out[key.decode()] = d[1]
            rest = d[0]
        else:
            rest = d
        for k, v in re.findall(rb"(RFC822\.SIZE) (\d+)", rest):
            out[k.decode()] = v
    return out


def bodystructure(m, uid):
    typ, data = m.uid("FETCH", str(uid), "(BODYSTRUCTURE)")
    found = re.search(rb"BODYSTRUCTURE (\(.*\))(?: UID \d+)?\)$", data[0] or b"")
    return found.group(1) if found else data


# --- one LMTP transaction, three local recipients
with smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT) as c:
    refused = c.sendmail(SENDER, PEOPLE, MSG)
    # LMTP answers DATA once per recipient; smtplib reads the first
    more = [c.getreply()[0] for _ in PEOPLE[1:]]
t.is_((refused, more), ({}, [250, 250]), "LMTP: 250 for each of the three recipients")
for p in PEOPLE:
    t.is_(len(s.wait_messages(p, 1)), 1, "%s has it" % p)

# --- the store holds it once
ids = {p: [e.message for e in s.messages(p)] for p in PEOPLE}
t.ok(len({i[0] for i in ids.values() if i}) == 1 and all(len(i) == 1 for i in ids.values()),
     "oomgr list message: the three entries point at one message (%r)" % ids)
store_db = os.path.join(s.state, "store.db")
rows = subprocess.run(["sqlite3", store_db, "SELECT count(*) FROM messages"],
                      capture_output=True, text=True).stdout.strip()
t.is_(rows, "1", "sqlite3: one message row holds the bytes")
shown = {p: s.message(p, 1) for p in PEOPLE}
t.ok(all(shown[p].startswith(trace(p)) for p in PEOPLE),
     "oomgr show message: each copy with its own trace fields")

# --- IMAP, each person
bodies = {}
for p in PEOPLE:
    m = s.connect(user=p, password=PASSWORDS[p])
    m.select("INBOX")
    f = fetch(m, 1, "BODY.PEEK[] RFC822.SIZE")
    body = f.get("BODY[]", b"")
    bodies[p] = body
    t.ok(body.startswith(trace(p)), "%s: BODY[] starts with its own Return-Path and "
         "Delivered-To" % p)
    t.is_(body.count(b"Delivered-To:"), 1, "%s: and no one else's" % p)
    t.is_(strip_trace(body), MSG, "%s: the rest is the sent bytes" % p)
    t.is_(int(f.get("RFC822.SIZE", b"-1")), len(body), "%s: RFC822.SIZE is len(BODY[])" % p)
    m.logout()

m = s.connect(user="ann@example.test", password="ann")
m.select("INBOX")
body = bodies["ann@example.test"]
head, text = body.split(b"\r\n\r\n", 1)
f = fetch(m, 1, "BODY.PEEK[HEADER]")
t.is_(f.get("BODY[HEADER]"), head + b"\r\n\r\n", "BODY[HEADER] holds the trace fields")
f = fetch(m, 1, "BODY.PEEK[HEADER.FIELDS (DELIVERED-TO RETURN-PATH)]")
t.is_(list(f.values())[0] if f else None, trace("ann@example.test") + b"\r\n",
      "HEADER.FIELDS (DELIVERED-TO RETURN-PATH)")
f = fetch(m, 1, "BODY.PEEK[TEXT]")
t.is_(f.get("BODY[TEXT]"), text, "BODY[TEXT] is the body after the header")
f = fetch(m, 1, "BODY.PEEK[1]")
t.is_(f.get("BODY[1]"), b"first part\r\nline two", "BODY[1]: the text part")
f = fetch(m, 1, "BODY.PEEK[2]")
t.is_(f.get("BODY[2]"), b"AAECAwQFBgcICQ==", "BODY[2]: the base64 part")
f = fetch(m, 1, "BODY.PEEK[2.MIME]")
t.is_(f.get("BODY[2.MIME]"), b"Content-Type: application/octet-stream\r\n"
      b"Content-Transfer-Encoding: base64\r\n\r\n", "BODY[2.MIME]")
cut = len(trace("ann@example.test")) - 5
f = fetch(m, 1, "BODY.PEEK[]<%d.20>" % cut)
t.is_(list(f.values())[0] if f else None, body[cut:cut + 20],
      "a partial fetch across the end of the trace fields")
delivered_bs = bodystructure(m, 1)
typ, data = m.uid("SEARCH", None, "HEADER", "Delivered-To", "ann@example.test")
t.is_(data[0], b"1", "SEARCH HEADER Delivered-To finds ann's own")
typ, data = m.uid("SEARCH", None, "HEADER", "Delivered-To", "bob@example.test")
t.is_(data[0], b"", "and not bob's")
typ, data = m.uid("SEARCH", None, "TEXT", "Return-Path")
t.is_(data[0], b"1", "SEARCH TEXT sees the trace fields")
typ, data = m.uid("SEARCH", None, "LARGER", str(len(body) - 1))
t.is_(data[0], b"1", "SEARCH LARGER counts them")
typ, data = m.uid("SEARCH", None, "LARGER", str(len(body)))
t.is_(data[0], b"", "  exactly")

m.create("Kept")
typ, _ = m.uid("COPY", "1", "Kept")
t.is_(typ, "OK", "COPY to another folder")
m.create("Appended")
typ, _ = m.append("Appended", None, None, body)
t.is_(typ, "OK", "APPEND of BODY[]'s bytes")
m.select("Kept")
f = fetch(m, 1, "BODY.PEEK[] RFC822.SIZE")
t.is_(f.get("BODY[]"), body, "the copy keeps the trace fields")
t.is_(int(f.get("RFC822.SIZE", b"-1")), len(body), "  and its size")
m.select("Appended")
t.is_(delivered_bs, bodystructure(m, 1),
      "BODYSTRUCTURE equals that of the same bytes APPENDed")
t.like(delivered_bs, b'("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 20 2',
       "  with the text part's size and lines")
m.logout()

# --- POP3
for p in PEOPLE[:2]:
    c = poplib.POP3("127.0.0.1", pop_port, timeout=emstest.DEFAULT_TIMEOUT)
    c.user(p)
    c.pass_(PASSWORDS[p])
    t.is_(c.list()[1], [b"1 %d" % len(bodies[p])], "%s: POP3 LIST gives its size" % p)
    resp, lines, octets = c.retr(1)
    t.is_(b"\r\n".join(lines) + b"\r\n", bodies[p], "%s: RETR is BODY[]" % p)
    resp, lines, octets = c.top(1, 0)
    t.is_(b"\r\n".join(lines) + b"\r\n", bodies[p].split(b"\r\n\r\n")[0] + b"\r\n\r\n",
          "%s: TOP 1 0 is the header with the trace fields" % p)
    c.quit()

# --- the mailer: one run, two recipients
r = s.mailer(SENDER, ["demo@example.test", "Bob@Example.TEST"],
             MSG.replace(b"copies.1@", b"copies.2@"))
t.is_(r.returncode, 0, "mailer: one run for two recipients")
s.wait_messages("demo@example.test", 2)
s.wait_messages("bob@example.test", 2)
t.ok(s.message("demo@example.test", 2).startswith(trace("demo@example.test")),
     "demo's copy names demo")
t.ok(s.message("bob@example.test", 2).startswith(trace("Bob@example.test")),
     "bob's names bob, as the MTA wrote him")
t.done()
s.stop()
