#!/usr/bin/env python3
"""imap_search_address.t - SEARCH FROM, TO, CC and BCC match the
addresses as a client shows them: the display name (decoded from RFC
2047 encoded words), the local part, the domain and local@domain, in any
case; a comment or blanks inside an address do not hide it, a comment
after a bare address counts as its name, and a group is found by its
name and its members.  HEADER FROM "" finds every message with a From
field.  Checked through imaplib."""
import imaplib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite(name="searchaddr")
s.start_imap()

HEADERS = [
    # 1: bare addresses
    "From: ann.lee@north.example\r\nTo: bo@south.example\r\n"
    "Cc: cy@east.example\r\nBcc: di@west.example",
    # 2: display names
    "From: Ann Lee <ann.lee@north.example>\r\nTo: \"Bo, the Boss\" <bo@south.example>",
    # 3: comments and blanks inside the address
    "From: <ann.lee (work) @ (mail) north.example>\r\nTo: <bo@south.example>",
    # 4: a comment after a bare address is its name
    "From: ann.lee@north.example (Ann Lee)",
    # 5: encoded-word display names
    "From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <renee@north.example>\r\n"
    "To: =?ISO-8859-1?B?Sm9z6Q==?= <jose@south.example>",
    # 6: groups, one of them empty
    "From: ann.lee@north.example\r\n"
    "To: Crew: gus@south.example, hal@south.example;, Empty:;",
    # 7: two senders, neither of them ann.lee
    "From: ann.leer@north.example, ann@north.example",
]

m = s.connect()
for i, h in enumerate(HEADERS, 1):
    msg = "%s\r\nSubject: m%d\r\n\r\nbody %d\r\n" % (h, i, i)
    m.append("INBOX", None, None, msg.encode())
m.select("INBOX")


def search(*criteria, charset=None):
    typ, data = m.search(charset, *criteria)
    return data[0].decode() if typ == "OK" else typ


for crit, want, what in (
    (("FROM", "ann.lee@north.example"), "1 2 3 4 6", "FROM local@domain, however written"),
    (("FROM", "ANN.LEE@NORTH.EXAMPLE"), "1 2 3 4 6", "  in any case"),
    (("FROM", "ann.lee"), "1 2 3 4 6 7", "FROM the local part (a substring)"),
    (("FROM", "north.example"), "1 2 3 4 5 6 7", "FROM the domain"),
    (("FROM", "nn.le"), "1 2 3 4 6 7", "FROM any part of an address"),
    (("FROM", '"ann lee"'), "2 4", "FROM the display name, a comment after a bare one too"),
    (("FROM", "work"), "", "a comment inside an address is not its name"),
    (("TO", '"the boss"'), "2", "TO a quoted display name"),
    (("TO", "bo@south.example"), "1 2 3", "TO local@domain"),
    (("CC", "cy@east"), "1", "CC"),
    (("BCC", "WEST.example"), "1", "BCC"),
    (("TO", "crew"), "6", "TO a group's name"),
    (("TO", "hal@south.example"), "6", "TO a member of a group"),
    (("TO", "empty"), "6", "TO the name of an empty group"),
    (("HEADER", "TO", '""'), "1 2 3 5 6", 'HEADER TO "" finds every message with a To field'),
    (("FROM", '""'), "1 2 3 4 5 6 7", 'FROM "" finds every message with a From field'),
):
    t.is_(search(*crit), want, "%s: SEARCH %s" % (what, " ".join(crit)))

# UTF-8 criteria go as literals; imaplib sends them with CHARSET UTF-8
m.literal = "müller".encode()
t.is_(search("FROM", charset="UTF-8"), "5", "FROM a word of a decoded UTF-8 display name")
m.literal = "JOSé".encode()
t.is_(search("TO", charset="UTF-8"), "5", "TO a decoded ISO-8859-1 name (ASCII case ignored)")
m.literal = "Renée".encode()
t.is_(search("FROM", charset="UTF-8"), "5", "  the whole decoded name")

m.logout()
s.stop()
t.done()
