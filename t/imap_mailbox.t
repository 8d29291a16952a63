#!/usr/bin/env python3
"""imap_mailbox.t - mailboxes as a whole: the special-use folders of a
new person, CREATE (with missing levels), DELETE, RENAME (children
follow; INBOX's rename moves its messages), SUBSCRIBE/LSUB, LIST with
% and * and the LIST-EXTENDED options, NAMESPACE, STATUS, modified
UTF-7 names, the names that are refused and why, and that a person
reaches only their own mailboxes."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite(name="mailbox")
s.admin("insert person username=other@example.test password=other")
s.start_imap()
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")


def cmd(text, tag="x"):
    return r.command(tag, text)


def listed(text):
    """{name: attributes} of a LIST/LSUB answer."""
    lines, tagged = cmd(text)
    out = {}
    for ln in lines:
        m = re.match(rb'\* (?:LIST|LSUB) \(([^)]*)\) "/" (.*?)( \(.*\))?$', ln)
        if m:
            name = m.group(2).decode()
            if name.startswith('"'):
                name = name[1:-1]
            out[name] = set(m.group(1).decode().split())
    return out


boxes = listed('LIST "" "*"')
t.is_(sorted(boxes), ["Drafts", "INBOX", "Junk", "Sent", "Trash"],
      "a new person has INBOX and the four special-use folders")
t.ok("\\Sent" in boxes["Sent"] and "\\Drafts" in boxes["Drafts"] and
     "\\Trash" in boxes["Trash"] and "\\Junk" in boxes["Junk"],
     "each folder carries its SPECIAL-USE attribute")
t.ok("\\HasNoChildren" in boxes["INBOX"], "CHILDREN attributes are given")
lines, _ = cmd('LIST "" ""')
t.is_(lines, [b'* LIST (\\Noselect) "/" ""'], 'LIST "" "" gives the delimiter')
lines, _ = cmd("NAMESPACE")
t.is_(lines, [b'* NAMESPACE (("" "/")) NIL NIL'], "NAMESPACE: one personal namespace")

# --- CREATE and hierarchy ---
_, tagged = cmd("CREATE Projects/2026/Q1")
t.ok(tagged.startswith(b"x OK"), "CREATE of a deep name")
cmd("SUBSCRIBE Projects/2026/Q1")
boxes = listed('LIST "" "Projects*"')
t.is_(sorted(boxes), ["Projects", "Projects/2026", "Projects/2026/Q1"],
      "  creates the missing levels above it")
t.ok("\\HasChildren" in boxes["Projects"] and "\\HasNoChildren" in boxes["Projects/2026/Q1"],
     "  with their children attributes")
boxes = listed('LIST "" "%"')
t.ok("Projects" in boxes and "Projects/2026" not in boxes, "% stays on one level")
boxes = listed('LIST "Projects/" "%"')
t.is_(sorted(boxes), ["Projects/2026"], "a reference is a prefix of the pattern")
_, tagged = cmd("CREATE Projects")
t.ok(tagged.startswith(b"x NO [ALREADYEXISTS]"), "CREATE of an existing name: NO [ALREADYEXISTS]")
_, tagged = cmd("CREATE inbox")
t.ok(tagged.startswith(b"x NO [ALREADYEXISTS]"), "CREATE INBOX in any case: NO")
_, tagged = cmd("CREATE Trailing/")
t.ok(tagged.startswith(b"x OK") and "Trailing" in listed('LIST "" Trailing'),
     "a trailing delimiter is dropped")

# --- names that are refused ---
for name, why in (('"a/../b"', ".."), ('"foo*"', "wildcard"), ('"a//b"', "empty level"),
                  ('"/abs"', "start"), ('"&Jjo!"', "UTF-7"), ('"x' + "y" * 300 + '"', "long")):
    _, tagged = cmd("CREATE " + name)
    t.ok(tagged.startswith(b"x NO") and why.encode() in tagged,
         "CREATE %s is refused: %s" % (name[:12], tagged[5:].decode()))

# --- modified UTF-7 ---
_, tagged = cmd('CREATE "Entw&APw-rfe"')
t.ok(tagged.startswith(b"x OK"), "CREATE with a modified UTF-7 name")
t.ok("Entw&APw-rfe" in listed('LIST "" "Entw*"'), "  LIST shows it in modified UTF-7")
t.ok(any("Entw\u00fcrfe" in ln for ln in s.oomgr(
    "list folder username=demo@example.test").stdout.splitlines()),
    "  the store keeps it in UTF-8")

# --- RENAME ---
_, tagged = cmd("RENAME Projects Archive/Projects")
t.ok(tagged.startswith(b"x OK"), "RENAME into a new hierarchy")
boxes = listed('LIST "" "*"')
t.ok("Archive/Projects/2026/Q1" in boxes and "Projects" not in boxes and "Archive" in boxes,
     "  the children moved along, the new parent level exists")
_, tagged = cmd("RENAME Nowhere Else")
t.ok(tagged.startswith(b"x NO [NONEXISTENT]"), "RENAME of a missing mailbox: NO [NONEXISTENT]")
_, tagged = cmd("RENAME Sent Trash")
t.ok(tagged.startswith(b"x NO [ALREADYEXISTS]"), "RENAME onto an existing one: NO [ALREADYEXISTS]")
_, tagged = cmd("RENAME Archive Archive/Sub")
t.ok(tagged.startswith(b"x NO"), "RENAME into its own child is refused")

for i in range(3):
    r.send("a%d APPEND INBOX {23}\r\n" % i)
    r.line()
    r.send("Subject: m%d\r\n\r\nhello!\r\n\r\n" % i)
    r.until("a%d" % i)
_, tagged = cmd("RENAME INBOX Old-Inbox")
t.ok(tagged.startswith(b"x OK"), "RENAME INBOX")
lines, _ = cmd("STATUS Old-Inbox (MESSAGES)")
t.is_(lines, [b"* STATUS Old-Inbox (MESSAGES 3)"], "  moves its messages to the new mailbox")
lines, _ = cmd("STATUS INBOX (MESSAGES)")
t.is_(lines, [b"* STATUS INBOX (MESSAGES 0)"], "  and leaves INBOX there, empty")

# --- DELETE ---
_, tagged = cmd("DELETE INBOX")
t.ok(tagged.startswith(b"x NO"), "DELETE INBOX is refused")
_, tagged = cmd("DELETE Archive")
t.ok(tagged.startswith(b"x OK"), "DELETE of a mailbox with children")
boxes = listed('LIST "" "%"')
t.ok("Archive" in boxes and "\\Noselect" in boxes["Archive"] and
     "\\HasChildren" in boxes["Archive"],
     "  the level stays as \\Noselect while children exist")
boxes = listed('LIST "" "*"')
t.ok("Archive" not in boxes and "Archive/Projects" in boxes,
     "  * lists the children, not the empty level")
lines, _ = cmd('LIST (SUBSCRIBED) "" "Arch%"')
_, tagged = cmd("DELETE Archive")
t.ok(tagged.startswith(b"x NO [NONEXISTENT]"), "DELETE of a name that is no mailbox: NO")

# --- subscriptions ---
cmd("UNSUBSCRIBE Junk")
cmd("UNSUBSCRIBE Archive/Projects")
boxes = listed('LSUB "" "*"')
t.ok("Junk" not in boxes and "INBOX" in boxes, "UNSUBSCRIBE removes from LSUB")
t.ok("Archive/Projects/2026/Q1" in boxes and "Trailing" not in boxes,
     "a subscription follows RENAME; CREATE does not subscribe")
boxes = listed('LSUB "" "Archive/%"')
t.ok(boxes.get("Archive/Projects") == {"\\Noselect"},
     "LSUB % shows an unsubscribed level above subscribed ones as \\Noselect")
cmd("SUBSCRIBE Junk")
t.ok("Junk" in listed('LSUB "" "*"'), "SUBSCRIBE brings it back")
_, tagged = cmd("SUBSCRIBE Nowhere")
t.ok(tagged.startswith(b"x NO [NONEXISTENT]"), "SUBSCRIBE to a missing mailbox: NO")
boxes = listed('LIST (SUBSCRIBED) "" "*"')
t.ok("Junk" in boxes and "\\Subscribed" in boxes["Junk"] and "Archive/Projects" not in boxes,
     "LIST (SUBSCRIBED) selects subscribed mailboxes, marked \\Subscribed")
boxes = listed('LIST (SPECIAL-USE) "" "*"')
t.is_(sorted(boxes), ["Drafts", "Junk", "Sent", "Trash"], "LIST (SPECIAL-USE)")
boxes = listed('LIST "" ("INBOX" "Sent") RETURN (SUBSCRIBED CHILDREN)')
t.ok(sorted(boxes) == ["INBOX", "Sent"] and "\\Subscribed" in boxes["Sent"],
     "several patterns and RETURN options")
lines, tagged = cmd('LIST (RECURSIVEMATCH) "" "*"')
t.ok(tagged.startswith(b"x BAD"), "RECURSIVEMATCH alone is BAD (RFC 5258)")
lines, _ = cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "Archive/%"')
t.ok(any(b"CHILDINFO" in ln for ln in lines), "RECURSIVEMATCH reports CHILDINFO")

# --- STATUS ---
lines, _ = cmd("STATUS Old-Inbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)")
t.ok(re.match(rb"\* STATUS Old-Inbox \(MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY \d+ "
              rb"UNSEEN 3 HIGHESTMODSEQ \d+\)$", lines[0]), "STATUS with every item")
_, tagged = cmd("STATUS Old-Inbox (BOGUS)")
t.ok(tagged.startswith(b"x BAD"), "an unknown STATUS item is BAD")

# --- the other person's mailboxes ---
o = s.connect(user="other@example.test", password="other")
typ, data = o.status("Old-Inbox", "(MESSAGES)")
t.is_(typ, "NO", "another person does not see demo's mailbox")
typ, data = o.list('""', "*")
t.ok(not any(b"Old-Inbox" in d for d in data), "  nor lists it")
typ, data = o.select("Old-Inbox")
t.is_(typ, "NO", "  nor selects it")
o.logout()
r.close()
s.stop()
t.done()
