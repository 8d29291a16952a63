#!/usr/bin/env python3
"""imap_esearch.t - SEARCH RETURN (...) answered with ESEARCH (RFC 4731),
with MODSEQ when the criteria use it (RFC 4731 3.2), and the saved
result "$" of SEARCHRES (RFC 5182) in FETCH, STORE, SEARCH and UID
SEARCH, following expunges, emptied by a failed SEARCH and by SELECT.

The mailbox is built so that the examples of RFC 4731 section 3.1 give
the RFC's answers literally: 20 messages, 1 to 3 seen, 2, 5, 10 and 11
flagged (5 from Smith), 6 to 20 deleted.  Its uids are 7 to 26, so
example A285 (UID MIN 7 MAX 3800 in the RFC) ends at 26 here."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

s = ImapSuite(name="esearch")
s.start_imap()
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")


def cmd(text, tag="x"):
    return r.command(tag, text)


def run(*texts):
    for text in texts:
        _, tagged = cmd(text)
        if not tagged.startswith(b"x OK"):
            raise RuntimeError("%s: %s" % (text, tagged))


lines, _ = cmd("CAPABILITY")
caps = lines[0].split() if lines else []
t.ok(b"ESEARCH" in caps and b"SEARCHRES" in caps, "ESEARCH and SEARCHRES are advertised")

for i in range(1, 27):
    sender = "Smith <smith@example.org>" if i == 11 else "Jones <jones@example.org>"
    text = "From: %s\r\nSubject: %d\r\n\r\nbody %d\r\n" % (sender, i, i)
    r.send("a APPEND INBOX {%d}\r\n" % len(text))
    r.line()
    r.send(text + "\r\n")
    r.until("a")
run("SELECT INBOX", "STORE 1:6 +FLAGS.SILENT (\\Deleted)", "EXPUNGE",
    "STORE 1:3 +FLAGS.SILENT (\\Seen)", "STORE 2,5,10,11 +FLAGS.SILENT (\\Flagged)",
    "STORE 6:20 +FLAGS.SILENT (\\Deleted)", "STORE 5 +FLAGS.SILENT ($Later)")


def esearch(tag, text, want, what):
    lines, tagged = cmd(text, tag)
    t.ok(lines == [want.encode()] and tagged.startswith(tag.encode() + b" OK"),
         "%s: %s" % (what, want))
    if lines != [want.encode()]:
        t.diag("got %r" % lines)


# --- RFC 4731 3.1, literally ---
CRIT = 'FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'
esearch("A282", "SEARCH RETURN (MIN COUNT) " + CRIT, '* ESEARCH (TAG "A282") MIN 2 COUNT 3',
        "MIN and COUNT")
esearch("A283", "SEARCH RETURN () " + CRIT, '* ESEARCH (TAG "A283") ALL 2,10:11',
        "RETURN () is ALL, as a sequence set")
esearch("A284", "SEARCH RETURN (MIN) UNSEEN", '* ESEARCH (TAG "A284") MIN 4',
        "the first unseen message")
esearch("A285", "UID SEARCH RETURN (MIN MAX) 1:5000", '* ESEARCH (TAG "A285") UID MIN 7 MAX 26',
        "UID SEARCH answers in uids, marked UID")
esearch("A286", "SEARCH RETURN (COUNT) DELETED", '* ESEARCH (TAG "A286") COUNT 15',
        "COUNT of the deleted messages")
esearch("n1", "SEARCH RETURN (MIN MAX ALL COUNT) KEYWORD Nowhere", '* ESEARCH (TAG "n1") COUNT 0',
        "no match: only COUNT")
esearch("n2", "SEARCH RETURN (MIN) KEYWORD Nowhere", '* ESEARCH (TAG "n2")',
        "no match, no COUNT asked: an ESEARCH all the same")
lines, _ = cmd("SEARCH FLAGGED")
t.is_(lines, [b"* SEARCH 2 5 10 11"], "SEARCH without RETURN answers SEARCH as before")
_, tagged = cmd("SEARCH RETURN (BOGUS) ALL")
t.ok(tagged.startswith(b"x BAD"), "an unknown return option is BAD")

# --- with CONDSTORE (RFC 4731 3.2) ---
lines, _ = cmd("FETCH 1:* (MODSEQ)")
modseq = {int(m.group(1)): int(m.group(2))
          for m in (re.match(rb"\* (\d+) FETCH \(MODSEQ \((\d+)\)\)", ln) for ln in lines) if m}
flagged = [2, 5, 10, 11]
esearch("a1", "SEARCH RETURN (MIN) MODSEQ 1 FLAGGED",
        '* ESEARCH (TAG "a1") MIN 2 MODSEQ %d' % modseq[2], "MIN: the modseq of that message")
esearch("a2", "SEARCH RETURN (MAX) MODSEQ 1 FLAGGED",
        '* ESEARCH (TAG "a2") MAX 11 MODSEQ %d' % modseq[11], "MAX: the modseq of that message")
esearch("a3", "SEARCH RETURN (MIN MAX) MODSEQ 1 FLAGGED",
        '* ESEARCH (TAG "a3") MIN 2 MAX 11 MODSEQ %d' % max(modseq[2], modseq[11]),
        "MIN MAX: the higher of the two")
esearch("a4", "SEARCH RETURN (MIN COUNT) MODSEQ 1 FLAGGED",
        '* ESEARCH (TAG "a4") MIN 2 COUNT 4 MODSEQ %d' % max(modseq[n] for n in flagged),
        "with COUNT: the highest of all matches")

# --- SEARCHRES (RFC 5182) ---
lines, tagged = cmd("FETCH $ (UID)")
t.ok(lines == [] and tagged.startswith(b"x OK"), "$ before any SAVE names no message")
lines, tagged = cmd("SEARCH RETURN (SAVE) " + CRIT)
t.ok(lines == [] and tagged.startswith(b"x OK"), "SAVE alone answers nothing but OK")
lines, _ = cmd("FETCH $ (UID)")
t.is_(lines, [b"* 2 FETCH (UID 8)", b"* 10 FETCH (UID 16)", b"* 11 FETCH (UID 17)"],
      "FETCH $ fetches the saved messages")
lines, _ = cmd("UID SEARCH UID $ SMALLER 4096")
t.is_(lines, [b"* SEARCH 8 16 17"], "UID SEARCH UID $")
lines, _ = cmd("SEARCH $ SEEN")
t.is_(lines, [b"* SEARCH 2"], "SEARCH $ with another key")
lines, _ = cmd("SEARCH RETURN (SAVE MIN) FLAGGED")
t.is_(lines, [b'* ESEARCH (TAG "x") MIN 2'], "SAVE with MIN answers MIN")
lines, _ = cmd("FETCH $ (UID)")
t.is_(lines, [b"* 2 FETCH (UID 8)"], "  and saves only that message")
lines, _ = cmd("SEARCH RETURN (SAVE ALL) FLAGGED")
t.is_(lines, [b'* ESEARCH (TAG "x") ALL 2,5,10:11'], "SAVE with ALL")
run("STORE $ +FLAGS.SILENT (\\Answered)")
lines, _ = cmd("SEARCH ANSWERED")
t.is_(lines, [b"* SEARCH 2 5 10 11"], "STORE $")
run("EXPUNGE")
lines, _ = cmd("FETCH $ (UID)")
t.is_(lines, [b"* 2 FETCH (UID 8)", b"* 5 FETCH (UID 11)"],
      "the saved result follows expunges (kept as uids)")
_, tagged = cmd("SEARCH RETURN (SAVE) NOSUCHKEY")
lines, _ = cmd("FETCH $ (UID)")
t.ok(tagged.startswith(b"x BAD") and lines == [], "a failed SEARCH with SAVE empties the result")
run("SEARCH RETURN (SAVE) ALL", "SELECT INBOX")
lines, _ = cmd("FETCH $ (UID)")
t.is_(lines, [], "SELECT empties the saved result")

r.close()
t.done()
