#!/usr/bin/env python3
"""imap_message.t - messages in a selected mailbox: APPEND (flags, date,
literals), FETCH of every simple attribute and of BODY[] byte for byte
against what was delivered (also a 6 MB message, streamed), HEADER,
TEXT, HEADER.FIELDS(.NOT), partial ranges, \\Seen from BODY[] but not
from .PEEK, STORE with +/-FLAGS, .SILENT and keywords, SEARCH results
checked against the data, COPY and MOVE with COPYUID, EXPUNGE, UID
EXPUNGE, CLOSE, UNSELECT, EXAMINE's read-only state, and CONDSTORE."""
import imaplib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402
from emsmail import crlf, make_message, strip_trace  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite({"postman": {"interval_s": 600}}, name="message")
s.start_imap()
s.start_daemons(smtpgw=False)

# Three delivered messages, known byte for byte.
delivered = [
    make_message("Lunch plans", body="Pizza or sushi?\n", sender="alice@example.org"),
    make_message("Quarterly report", body="Figures attached.\nLine two.\n",
                 sender="bob@example.org", extra="Cc: carol@example.org\n"),
    make_message("Re: Lunch plans", body="Sushi.\n", sender="carol@example.org"),
]
for d in delivered:
    s.deliver(d)
t.is_(len(s.wait_messages("demo@example.test", 3)), 3, "three messages delivered")
stored = [s.message("demo@example.test", uid) for uid in (1, 2, 3)]

m = s.connect()
typ, data = m.select("INBOX")
t.is_(data, [b"3"], "SELECT: 3 messages")

# --- simple attributes ---
typ, data = m.fetch("1:3", "(UID RFC822.SIZE FLAGS)")
sizes = [int(re.search(rb"RFC822.SIZE (\d+)", d).group(1)) for d in data]
t.is_(sizes, [len(x) for x in stored], "RFC822.SIZE is the stored size")
t.ok(all(b"\\Recent" in d for d in data), "delivered messages are \\Recent for the first session")

# --- BODY[] byte for byte ---
typ, data = m.fetch("2", "(BODY.PEEK[])")
body = data[0][1]
t.is_(body, stored[1], "BODY[] is the stored message, byte for byte")
t.is_(strip_trace(body), crlf(delivered[1]), "  which is what was delivered (trace fields apart)")
head, text = stored[1].split(b"\r\n\r\n", 1)
typ, data = m.fetch("2", "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])")
t.is_(data[0][1], head + b"\r\n\r\n", "BODY[HEADER]: the header with its blank line")
t.is_(data[1][1], text, "BODY[TEXT]: the rest")
typ, data = m.fetch("2", "(BODY.PEEK[]<5.10>)")
t.ok(data[0][0].endswith(b"BODY[]<5> {10}") and data[0][1] == stored[1][5:15],
     "a partial range BODY[]<5.10> is answered as BODY[]<5>")
typ, data = m.fetch("2", "(BODY.PEEK[]<99999.10>)")
t.ok(data[0][0].endswith(b"BODY[]<99999> {0}"), "a range past the end is empty")
typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (Subject CC)])")
t.ok(data[0][0].endswith(b"BODY[HEADER.FIELDS (Subject CC)] {%d}" % len(data[0][1])),
     "HEADER.FIELDS echoes the field list")
t.is_(data[0][1], b"Subject: Quarterly report\r\nCc: carol@example.org\r\n\r\n",
      "  and returns those fields in message order, with a blank line")
typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS.NOT (Received Return-Path Delivered-To"
                    " Message-ID From To Cc)])")
t.is_(data[0][1], b"Subject: Quarterly report\r\n\r\n", "HEADER.FIELDS.NOT leaves out the list")
typ, data = m.fetch("1", "(RFC822.HEADER)")
t.ok(data[0][0].endswith(b"RFC822.HEADER {%d}" % len(data[0][1])) and
     data[0][1].endswith(b"\r\n\r\n"), "RFC822.HEADER")
typ, data = m.fetch("1:3", "(FLAGS)")
t.ok(not any(b"\\Seen" in d for d in data), "no \\Seen from .PEEK and RFC822.HEADER")
typ, data = m.fetch("1", "(BODY[TEXT])")
t.ok(b"FLAGS (\\Seen" in data[0][0] or b"FLAGS (\\Seen" in (data[1] if len(data) > 1 else b""),
     "BODY[TEXT] sets \\Seen and says so in the same answer")
typ, data = m.fetch("1", "(RFC822)")
t.is_(data[0][1], stored[0], "RFC822 is the whole message")

# --- APPEND with flags and a date ---
msg = b"From: me@example.test\r\nSubject: appended\r\nX-Tag: green\r\n\r\nSaved copy.\r\n"
typ, data = m.append("INBOX", "(\\Draft $Label1)", '"14-Mar-2026 15:09:26 +0100"', msg)
t.ok(typ == "OK" and re.match(rb"\[APPENDUID \d+ 4\]", data[0]), "APPEND answers APPENDUID")
typ, data = m.fetch("4", "(FLAGS INTERNALDATE BODY.PEEK[])")
t.ok(b"\\Draft" in data[0][0] and b"$Label1" in data[0][0], "  with its flags and keyword")
t.ok(b'INTERNALDATE "14-Mar-2026 14:09:26 +0000"' in data[0][0], "  and its date (in UTC)")
t.is_(data[0][1], msg, "  and its bytes")
typ, data = m.append("Nowhere", None, None, msg)
t.ok(typ == "NO" and b"TRYCREATE" in data[0], "APPEND to a missing mailbox: NO [TRYCREATE]")

# --- STORE ---
typ, data = m.store("2", "FLAGS", "(\\Flagged Important)")
t.ok(re.search(rb"FLAGS \(\\Flagged (\\Recent )?Important\)", data[0]), "STORE FLAGS replaces")
typ, data = m.store("2", "+FLAGS", "(\\Answered $Label2)")
t.ok(b"\\Answered" in data[0] and b"$Label2" in data[0] and b"Important" in data[0],
     "+FLAGS adds")
typ, data = m.store("2", "-FLAGS", "(Important \\Flagged)")
t.ok(b"Important" not in data[0] and b"\\Flagged" not in data[0] and b"\\Answered" in data[0],
     "-FLAGS removes, keywords ignoring case")
typ, data = m.store("1:2", "+FLAGS.SILENT", "(\\Deleted)")
t.is_(data, [None], "+FLAGS.SILENT answers nothing")
def answer(fn, *args):
    """(typ, data) of an imaplib call, also when imaplib raises for BAD."""
    try:
        return fn(*args)
    except imaplib.IMAP4.error as e:
        return ("BAD", [str(e).encode()])


typ, data = answer(m.store, "3", "+FLAGS", "(\\Recent)")
t.is_(typ, "BAD", "\\Recent cannot be stored")
typ, data = answer(m.store, "9", "+FLAGS", "(\\Seen)")
t.is_(typ, "BAD", "a sequence number past the end is BAD")

# --- SEARCH against the data ---
def search(*criteria):
    typ, data = m.search(None, *criteria)
    return data[0].decode()


t.is_(search("ALL"), "1 2 3 4", "SEARCH ALL")
t.is_(search("DELETED"), "1 2", "SEARCH DELETED")
t.is_(search("SEEN"), "1", "SEARCH SEEN")
t.is_(search("UNSEEN", "UNDELETED"), "3 4", "SEARCH UNSEEN UNDELETED")
t.is_(search("FROM", "carol"), "3", "SEARCH FROM (substring)")
t.is_(search("CC", "carol"), "2", "SEARCH CC")
t.is_(search("SUBJECT", '"lunch PLANS"'), "1 3", "SEARCH SUBJECT ignores case")
t.is_(search("BODY", "sushi"), "1 3", "SEARCH BODY")
t.is_(search("TEXT", "Quarterly"), "2", "SEARCH TEXT")
t.is_(search("HEADER", "X-Tag", "green"), "4", "SEARCH HEADER")
t.is_(search("KEYWORD", "$Label1"), "4", "SEARCH KEYWORD")
t.is_(search("LARGER", str(len(stored[1]) - 1)), " ".join(
    str(i + 1) for i, x in enumerate(stored + [msg]) if len(x) > len(stored[1]) - 1),
    "SEARCH LARGER")
t.is_(search("OR", "FROM", "alice", "DRAFT"), "1 4", "SEARCH OR")
t.is_(search("NOT", "OR", "DELETED", "DRAFT"), "3", "SEARCH NOT OR")
t.is_(search("SENTBEFORE", "1-Jan-2000"), "", "SENTBEFORE a long time ago")
t.is_(search("BEFORE", "15-Mar-2026"), "4", "SEARCH BEFORE (internal date)")
t.is_(search("CHARSET", "UTF-8", "SUBJECT", "report"), "2", "SEARCH CHARSET UTF-8")
typ, data = m.search("KOI8-R", "ALL")
t.ok(typ == "NO" and b"BADCHARSET" in data[0], "an unknown charset: NO [BADCHARSET]")
typ, data = m.uid("SEARCH", "UID", "2:*")
t.is_(data[0], b"2 3 4", "UID SEARCH answers uids")

# --- COPY, MOVE, EXPUNGE ---
m.create("Archive")
typ, data = m.copy("3:4", "Archive")
t.ok(typ == "OK" and re.match(rb"\[COPYUID \d+ 3:4 1:2\]", data[0]), "COPY answers COPYUID")
typ, data = m.copy("1", "Missing")
t.ok(typ == "NO" and b"TRYCREATE" in data[0], "COPY to a missing mailbox: NO [TRYCREATE]")
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
r.command("s", "SELECT INBOX")
lines, tagged = r.command("mv", "MOVE 3 Archive")
t.ok(re.match(rb"\* OK \[COPYUID \d+ 3 3\]", lines[0]) and lines[-1] == b"* 3 EXPUNGE" and
     tagged.startswith(b"mv OK"), "MOVE: COPYUID, then EXPUNGE")
lines, tagged = r.command("ux", "UID EXPUNGE 1")
t.is_(lines, [b"* 1 EXPUNGE"], "UID EXPUNGE removes only the named deleted message")
lines, tagged = r.command("ex", "EXPUNGE")
t.is_(lines, [b"* 1 EXPUNGE"], "EXPUNGE removes the other deleted one")
lines, _ = r.command("f", "UID FETCH 1:* (UID)")
t.is_(lines, [b"* 1 FETCH (UID 4)"], "  leaving uid 4")
r.command("cl", "UNSELECT")
lines, tagged = r.command("c2", "STATUS Archive (MESSAGES)")
t.is_(lines, [b"* STATUS Archive (MESSAGES 3)"], "Archive holds the copies and the moved one")
r.command("s2", "SELECT Archive")
r.command("d", "STORE 1 +FLAGS.SILENT (\\Deleted)")
lines, tagged = r.command("c3", "CLOSE")
t.is_(lines, [], "CLOSE expunges without EXPUNGE responses")
lines, _ = r.command("c4", "STATUS Archive (MESSAGES)")
t.is_(lines, [b"* STATUS Archive (MESSAGES 2)"], "  but it did expunge")

# --- EXAMINE ---
r.command("e", "EXAMINE INBOX")
lines, tagged = r.command("e2", "STORE 1 +FLAGS (\\Seen)")
t.ok(tagged.startswith(b"e2 NO [READ-ONLY]"), "EXAMINE: STORE is refused")
r.command("e3", "FETCH 1 (BODY[])")
r.take(0)
lines, _ = r.command("e4", "FETCH 1 (FLAGS)")
t.ok(b"\\Seen" not in lines[-1], "EXAMINE: BODY[] does not set \\Seen")

# --- CONDSTORE ---
# The first CONDSTORE-enabling command in a selected mailbox is answered
# with its HIGHESTMODSEQ before anything else (RFC 7162 3.1).
lines, _ = r.command("k0", "FETCH 1 (MODSEQ)")
t.ok(len(lines) == 2 and re.match(rb"\* OK \[HIGHESTMODSEQ \d+\]", lines[0]) and
     b"MODSEQ (" in lines[1], "FETCH MODSEQ enables CONDSTORE: HIGHESTMODSEQ first")
lines, _ = r.command("k0b", "FETCH 1 (MODSEQ)")
t.ok(len(lines) == 1 and b"HIGHESTMODSEQ" not in lines[0], "  and only the first time")
lines, tagged = r.command("k1", "SELECT INBOX (CONDSTORE)")
top = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(lines)).group(1))
t.ok(top > 0, "SELECT (CONDSTORE) reports HIGHESTMODSEQ")
lines, _ = r.command("k2", "FETCH 1 (MODSEQ)")
ms = int(re.search(rb"MODSEQ \((\d+)\)", lines[0]).group(1))
t.ok(0 < ms <= top, "FETCH MODSEQ")
lines, tagged = r.command("k3", "STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % ms)
t.ok(re.search(rb"MODSEQ \((\d+)\)", lines[0]) and tagged.startswith(b"k3 OK STORE"),
     "STORE UNCHANGEDSINCE the current modseq succeeds")
lines, tagged = r.command("k4", "STORE 1 (UNCHANGEDSINCE %d) -FLAGS (\\Flagged)" % ms)
t.ok(lines == [] and tagged.startswith(b"k4 OK [MODIFIED 1]"),
     "STORE UNCHANGEDSINCE an older modseq: [MODIFIED 1]")
lines, _ = r.command("k5", "FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % ms)
t.ok(len(lines) == 1 and b"MODSEQ" in lines[0], "FETCH CHANGEDSINCE lists what changed since")
lines, _ = r.command("k6", "SEARCH MODSEQ %d" % (ms + 1))
t.ok(re.match(rb"\* SEARCH 1 \(MODSEQ \d+\)$", lines[0]), "SEARCH MODSEQ")
r.close()

# --- a big message streams ---
big = b"Subject: big\r\n\r\n" + b"".join(b"line %07d of a big message\r\n" % i
                                          for i in range(200000))
typ, data = m.append("INBOX", None, None, big)
uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
m.select("INBOX")
typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[])")
t.ok(data[0][1] == big, "a %d MB message comes back byte for byte" % (len(big) // 1000000))
m.logout()
s.stop()
t.done()
