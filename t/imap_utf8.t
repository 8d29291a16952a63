#!/usr/bin/env python3
"""imap_utf8.t - UTF8=ACCEPT (RFC 6855): after ENABLE UTF8=ACCEPT a
client names mailboxes in UTF-8 (no modified UTF-7, "&" is a plain
character), sees them in UTF-8 quoted strings, may APPEND with the UTF8
(~{n}) data item and gets BAD for a SEARCH CHARSET; a client that did not
enable it keeps modified UTF-7 for the same mailboxes."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

s = ImapSuite(name="utf8")
s.start_imap()


def login():
    r = Raw(s.imap_port)
    _, tagged = r.command("l", "LOGIN demo@example.test demo")
    assert tagged.startswith(b"l OK"), tagged
    return r


def names(r, pattern):
    lines, _ = r.command("n", 'LIST "" %s' % pattern)
    return [ln.split(b' "/" ', 1)[1] for ln in lines if ln.startswith(b"* LIST ")]


old = login()
new = login()
lines, _ = new.command("c", "CAPABILITY")
t.ok(b"UTF8=ACCEPT" in lines[0].split(), "UTF8=ACCEPT is advertised after login")
lines, tagged = new.command("e", "ENABLE UTF8=ACCEPT")
t.is_(lines, [b"* ENABLED UTF8=ACCEPT"], "ENABLE UTF8=ACCEPT is answered ENABLED")
lines, tagged = new.command("e", "ENABLE UTF8=ACCEPT")
t.is_(lines, [b"* ENABLED"], "  and not a second time")

# a UTF-8 name from the UTF8=ACCEPT client
_, tagged = new.command("c", 'CREATE "Entwürfe"')
t.ok(tagged.startswith(b"c OK"), "CREATE of a UTF-8 name after UTF8=ACCEPT")
t.is_(names(new, '"Entw*"'), ['"Entwürfe"'.encode()],
      "  LIST shows it in UTF-8 to the UTF8=ACCEPT client")
t.is_(names(old, '"Entw*"'), [b'Entw&APw-rfe'], "  and in modified UTF-7 to a rev1 client")
lines, _ = old.command("s", 'STATUS "Entw&APw-rfe" (MESSAGES)')
t.is_(lines, [b'* STATUS Entw&APw-rfe (MESSAGES 0)'], "  the rev1 client names it in UTF-7")

# a modified UTF-7 name from the rev1 client
_, tagged = old.command("c", 'CREATE "Caf&AOk-"')
t.ok(tagged.startswith(b"c OK"), "CREATE of a modified UTF-7 name by the rev1 client")
lines, _ = new.command("s", 'STATUS "Café" (MESSAGES)')
t.is_(lines, ['* STATUS "Café" (MESSAGES 0)'.encode()],
      "  STATUS by its UTF-8 name, answered in UTF-8")
_, tagged = new.command("s", 'SELECT "Caf&AOk-"')
t.ok(tagged.startswith(b"s NO"), "  its UTF-7 spelling is no name after UTF8=ACCEPT")

# "&" is a character, not the start of a UTF-7 run
_, tagged = new.command("c", "CREATE R&D")
t.ok(tagged.startswith(b"c OK"), "CREATE R&D after UTF8=ACCEPT")
t.is_(names(old, "R*"), [b"R&-D"], "  the rev1 client sees R&-D")
t.is_(names(new, "R*"), [b"R&D"], "  the UTF8=ACCEPT client sees R&D")

# what is not UTF-8 is no name
new.send(b'c CREATE "bad\xff\xfe"\r\n')
_, tagged = new.until("c")
t.ok(tagged.startswith(b"c NO"), "a name that is not UTF-8 is refused")
_, tagged = old.command("c", 'CREATE "Entwürfe2"')
t.ok(tagged.startswith(b"c NO"), "the rev1 client cannot use raw UTF-8 in a name")

# APPEND UTF8 (~{n}) and SELECT by UTF-8 name
msg = "From: Jörg <j@example.test>\r\nSubject: Grüße\r\n\r\nHallo\r\n".encode()
new.send(b'a APPEND "Entw\xc3\xbcrfe" UTF8 (~{%d+}\r\n' % len(msg) + msg + b")\r\n")
_, tagged = new.until("a")
t.ok(tagged.startswith(b"a OK [APPENDUID"), "APPEND with the UTF8 (~{n}) data item")
lines, tagged = new.command("s", 'SELECT "Entwürfe"')
t.ok(tagged.startswith(b"s OK") and b"* 1 EXISTS" in lines, "  SELECT by UTF-8 name finds it")
lines, _ = new.command("f", "FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
t.ok("Subject: Grüße".encode() in b"\n".join(lines), "  its UTF-8 header is stored as sent")
_, tagged = new.command("x", "SEARCH CHARSET UTF-8 SUBJECT x")
t.ok(tagged.startswith(b"x BAD"), "SEARCH CHARSET is BAD after UTF8=ACCEPT (RFC 6855 3)")
_, tagged = old.command("x", 'SELECT "Entw&APw-rfe"')
_, tagged = old.command("x", "SEARCH CHARSET UTF-8 SUBJECT x")
t.ok(tagged.startswith(b"x OK"), "  and still OK for the rev1 client")

for r in (old, new):
    r.command("z", "LOGOUT")
    r.close()
t.done()
