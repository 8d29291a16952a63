#!/usr/bin/env python3
"""imap_mime.t - what imap4srv answers from a message's MIME structure: a
nested multipart (with a message/rfc822 part holding its own multipart)
delivered through smtpgw and postman has its structure stored at
delivery (and by oomgr import); BODYSTRUCTURE and BODY are checked field by field, ENVELOPE
with groups, defaults and imap.unixgwy stripping, BODY[section] of
nested parts (MIME, HEADER, TEXT, HEADER.FIELDS, partial) byte for byte,
SEARCH on an RFC 2047 encoded subject; a message whose structure is
missing is parsed on first FETCH and the structure written back; broken
MIME still gets a well-formed answer."""
import imaplib
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

NESTED = (
    "From: \"Doe, Jane\" <jane.gw@example.org>\n"
    "To: bob@relay.example.gw, Team: carol@example.org, dave@example.org;\n"
    "Subject: =?utf-8?q?caf=C3=A9?= menu\n"
    "Date: Tue, 1 Dec 2026 08:00:00 +0000\n"
    "Message-ID: <m1@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed;\n boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "plain text\n"
    "second line\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>html</p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Description: forwarded\n"
    "\n"
    "From: Eve <eve@example.net>\n"
    "Subject: inner\n"
    "Content-Type: multipart/mixed; boundary=fw\n"
    "\n"
    "--fw\n"
    "\n"
    "inner one\n"
    "--fw\n"
    "Content-Type: image/png\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0K\n"
    "--fw--\n"
    "--outer\n"
    "Content-Type: application/pdf; name=\"r.pdf\"\n"
    "Content-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf\n"
    "Content-Language: fr, en\n"
    "Content-ID: <pdf@x>\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
    "Content-Location: http://example.org/r.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQK\n"
    "--outer--\n"
    "epilogue\n").encode()


def parse_sexp(data):
    """An IMAP response's parenthesised data as nested lists: strings as
    bytes, NIL as None, numbers as int."""
    pos = 0

    def value():
        nonlocal pos
        while data[pos:pos + 1] == b" ":
            pos += 1
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            out = []
            while True:
                while data[pos:pos + 1] == b" ":
                    pos += 1
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return out
                out.append(value())
        if c == b'"':
            pos += 1
            out = b""
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                out += data[pos:pos + 1]
                pos += 1
            pos += 1
            return out
        if c == b"{":
            end = data.index(b"}", pos)
            n = int(data[pos + 1:end])
            pos = end + 3
            out = data[pos:pos + n]
            pos += n
            return out
        m = re.compile(rb"[^ ()]+").match(data, pos)
        pos = m.end()
        tok = m.group(0)
        return None if tok == b"NIL" else int(tok) if tok.isdigit() else tok

    return value()


def fetch_item(r, tag, command, item):
    """Sends COMMAND on Raw R; returns the parsed value of ITEM in its
    FETCH response (literals read in)."""
    r.send("%s %s\r\n" % (tag, command))
    text = b""
    while True:
        ln = r.line()
        if ln.startswith(tag.encode() + b" ") or not ln:
            break
        m = re.search(rb"\{(\d+)\}$", ln)
        text += ln + b"\r\n"
        if m:
            text += r.take(int(m.group(1)))
    at = text.index(item.encode() + b" ") + len(item) + 1
    return parse_sexp(text[at:])


s = ImapSuite({"store": {"backend": "sqlite"},   # reads the SQLite file
              "postman": {"interval_s": 600}, "imap": {"unixgwy": ["gw", "relay"]}},
              name="mime")
s.start_imap()
s.start_daemons(smtpgw=False)
s.deliver(NESTED)
s.deliver(b"From: a@example.org\nSubject: simple\n\nJust text.\nTwo lines.\n")
entries = s.wait_messages("demo@example.test", 2)
t.is_(len(entries), 2, "two messages delivered")
stored = s.message("demo@example.test", 1)

db = sqlite3.connect(os.path.join(s.state, "store.db"), timeout=10)
row = db.execute("SELECT structure FROM messages WHERE id = ?", (entries[0].message,)).fetchone()
t.ok(row is not None and row[0] is not None and len(row[0]) > 0,
     "postman stored the MIME structure with the message, before any FETCH")

mbox = os.path.join(s.dir, "import.mbox")
with open(mbox, "wb") as f:
    f.write(b"From x@example.org Sun Mar  1 10:00:00 2026\n" + NESTED.replace(b"Subject: =?utf-8",
                                                                          b"Subject: again =?utf-8"))
s.admin("import mbox %s person=demo@example.test folder=Imported" % mbox)
imported = s.messages("demo@example.test", "Imported")
row = db.execute("SELECT structure FROM messages WHERE id = ?",
                 (imported[0].message,)).fetchone() if imported else None
t.ok(row is not None and row[0] is not None, "oomgr import stores the MIME structure too")

r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
r.command("s", "SELECT INBOX")

bs = fetch_item(r, "b1", "FETCH 1 (BODYSTRUCTURE)", "BODYSTRUCTURE")
t.is_(len(bs), 3 + 1 + 4, "multipart: three parts, subtype and four extension fields")
t.is_(bs[3], b"mixed", "  subtype mixed")
t.is_(bs[4], [b"boundary", b"outer"], "  its parameters")
t.ok(bs[5:] == [None, None, None], "  no disposition, language, location")
alt = bs[0]
t.is_(alt[2], b"alternative", "part 1: multipart/alternative of two")
plain = alt[0]
body11 = b"plain text\r\nsecond line"
t.is_(plain[:7], [b"text", b"plain", [b"charset", b"utf-8"], None, None, b"7BIT",
                  len(body11)], "1.1: type, params, id, description, default encoding, octets")
t.is_(plain[7], 2, "1.1: lines")
t.is_(plain[8:], [None, None, None, None], "1.1: md5, disposition, language, location")
t.is_(alt[1][:6], [b"text", b"html", None, None, None, b"quoted-printable"],
      "1.2: no parameters (NIL), its encoding")
fw = bs[1]
t.is_(fw[:6], [b"message", b"rfc822", None, None, b"forwarded", b"7BIT"],
      "2: message/rfc822 with its description")
env2 = fw[7]
t.is_(env2[1], b"inner", "2: the enclosed message's envelope (subject)")
t.is_(env2[2], [[b"Eve", None, b"eve", b"example.net"]], "  its From")
t.is_(env2[3], env2[2], "  Sender defaults to From")
inner = fw[8]
t.is_(len(inner), 2 + 4 + 1 if isinstance(inner[1], list) else 0,
      "  its body: a multipart of two parts")
t.is_(inner[0][:2], [b"text", b"plain"], "  2.1 defaults to text/plain")
t.is_(inner[0][2], [b"charset", b"us-ascii"], "  with charset us-ascii")
t.is_(inner[1][:6], [b"image", b"png", None, None, None, b"base64"], "  2.2 image/png")
t.ok(isinstance(fw[9], int) and fw[9] > 0, "2: lines of the enclosed message")
pdf = bs[2]
t.is_(pdf[:7], [b"application", b"pdf", [b"name", b"r.pdf"], b"<pdf@x>", None,
                b"base64", len(b"JVBERi0xLjQK")], "3: application/pdf fields")
t.is_(pdf[7:], [b"Q2hlY2sgSW50ZWdyaXR5IQ==",
                [b"attachment", [b"filename*", b"iso-8859-1'fr'r%E9sum%E9.pdf"]],
                [b"fr", b"en"], b"http://example.org/r.pdf"],
      "3: md5, disposition with an RFC 2231 parameter, languages, location")

b = fetch_item(r, "b2", "FETCH 1 (BODY)", "BODY")
t.is_(len(b), 4, "BODY: the same without extension data")
t.is_(b[0][0], [b"text", b"plain", [b"charset", b"utf-8"], None, None, b"7BIT",
                len(body11), 2], "  1.1 ends with its lines")
t.is_(len(b[2]), 7, "  3 ends with its octets")

env = fetch_item(r, "e1", "FETCH 1 (ENVELOPE)", "ENVELOPE")
t.is_(env[0], b"Tue, 1 Dec 2026 08:00:00 +0000", "ENVELOPE date")
t.is_(env[1], b"=?utf-8?q?caf=C3=A9?= menu", "  subject as written (encoded words kept)")
t.is_(env[2], [[b"Doe, Jane", None, b"jane", b"example.org"]],
      "  From: quoted name; gateway .gw stripped from the mailbox")
t.ok(env[3] == env[2] and env[4] == env[2], "  Sender and Reply-To default to From")
t.is_(env[5], [[None, None, b"bob", b"relay.example"],
               [None, None, b"Team", None],
               [None, None, b"carol", b"example.org"],
               [None, None, b"dave", b"example.org"],
               [None, None, None, None]],
      "  To: gateway stripped from the host once, a group with its markers")
t.ok(env[6] is None and env[7] is None and env[8] is None, "  no Cc, Bcc, In-Reply-To")
t.is_(env[9], b"<m1@example.org>", "  Message-ID")

# --- sections ---
head, body = stored.split(b"\r\n\r\n", 1)


def section(spec):
    typ, data = m.fetch("1", "(BODY.PEEK[%s])" % spec)
    return data[0][1] if isinstance(data[0], tuple) else None


m = s.connect()
m.select("INBOX")
t.is_(section("1.1"), body11, "BODY[1.1]: the part's body, byte for byte")
t.is_(section("1.2.MIME"), b"Content-Type: text/html\r\nContent-Transfer-Encoding: "
      b"quoted-printable\r\n\r\n", "BODY[1.2.MIME]: the part's header")
t.is_(section("1"), stored[stored.index(b"--inner\r\n"):stored.index(b"\r\n--outer\r\nContent-"
                                                                    b"Type: message")],
      "BODY[1]: a multipart part's body")
t.is_(section("2.HEADER"), b"From: Eve <eve@example.net>\r\nSubject: inner\r\n"
      b"Content-Type: multipart/mixed; boundary=fw\r\n\r\n",
      "BODY[2.HEADER]: the enclosed message's header")
t.ok(section("2.TEXT").startswith(b"--fw\r\n") and section("2.TEXT").endswith(b"--fw--"),
     "BODY[2.TEXT]: its body")
t.is_(section("2.1"), b"inner one", "BODY[2.1]: the first part inside it")
t.is_(section("2.2"), b"iVBORw0K", "BODY[2.2]")
t.is_(section("2.HEADER.FIELDS (SUBJECT)"), b"Subject: inner\r\n\r\n",
      "BODY[2.HEADER.FIELDS (SUBJECT)]")
typ, data = m.fetch("1", "(BODY.PEEK[3]<2.4>)")
t.ok(data[0][0].endswith(b"BODY[3]<2> {4}") and data[0][1] == b"BERi",
     "BODY[3]<2.4>: a partial part")
typ, data = m.fetch("1", "(BODY.PEEK[4] BODY.PEEK[1.3] BODY.PEEK[3.1])")
t.ok(typ == "OK" and b"BODY[4] NIL" in b" ".join(x if isinstance(x, bytes) else x[0]
                                               for x in data),
     "a part that does not exist is NIL")
t.is_(section("1.1.HEADER"), None, "HEADER of a part that is no message is NIL")

typ, data = m.fetch("2", "(BODY.PEEK[1])")
t.is_(data[0][1], b"Just text.\r\nTwo lines.\r\n", "single part: BODY[1] is the body")
t.is_(fetch_item(r, "b3", "FETCH 2 (BODYSTRUCTURE)", "BODYSTRUCTURE"),
      [b"text", b"plain", [b"charset", b"us-ascii"], None, None, b"7BIT", len(data[0][1]), 2,
       None, None, None, None], "single part: the default type, octets and lines")

m.literal = "café".encode()
typ, data = m.search("UTF-8", "SUBJECT")
t.is_(data[0], b"1", "SEARCH SUBJECT matches the decoded encoded word")

# --- a message stored without a structure is parsed once, then kept ---
db.execute("UPDATE messages SET structure = NULL WHERE id = ?", (entries[1].message,))
db.commit()
typ, data = m.fetch("2", "(BODYSTRUCTURE)")
t.ok(b'("text" "plain"' in data[0], "no stored structure: parsed on FETCH")
row = db.execute("SELECT structure FROM messages WHERE id = ?", (entries[1].message,)).fetchone()
t.ok(row[0] is not None, "  and written back for next time")
db.execute("UPDATE messages SET structure = X'45534d494d45313b3939' WHERE id = ?",
           (entries[1].message,))
db.commit()
typ, data = m.fetch("2", "(BODYSTRUCTURE)")
t.ok(b'("text" "plain"' in data[0], "a damaged stored structure is not trusted: parsed again")

# --- broken MIME via APPEND still gets well-formed answers ---
broken = [
    b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno boundary at all\r\n",
    b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/x\r\n\r\ncut",
    b"Content-Type: multipart/mixed\r\n\r\n--\r\n",
    b"Content-Type: /; ;;=\r\nContent-Disposition: ;\r\nContent-Language: ,,\r\n\r\nx\r\n",
    b"From: <>, ,;:@, \"unterminated\r\nTo: a@\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
             for i in range(60)),
]
ok_all = True
for i, msg in enumerate(broken):
    typ, data = m.append("INBOX", None, None, msg)
    seq = str(3 + i)
    r.command("n%d" % i, "NOOP")   # the Raw session learns of the new message
    try:
        bsb = fetch_item(r, "x%d" % i, "FETCH %s (BODYSTRUCTURE ENVELOPE)" % seq,
                         "BODYSTRUCTURE")
        envb = fetch_item(r, "y%d" % i, "FETCH %s (ENVELOPE)" % seq, "ENVELOPE")
        good = isinstance(bsb, list) and isinstance(envb, list) and len(envb) == 10
    except (ValueError, AttributeError, IndexError):
        good = False
    if not good:
        t.diag("broken message %d: %r" % (i, msg[:60]))
    ok_all &= good
t.ok(ok_all, "broken and hostile MIME: BODYSTRUCTURE and ENVELOPE stay well formed")
lines, tagged = r.command("z", "FETCH 1:* (BODY)")
t.ok(tagged.startswith(b"z OK"), "BODY of every message")

r.command("o", "LOGOUT")
r.close()
m.logout()
db.close()
s.stop()
t.done()
