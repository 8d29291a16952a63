#!/usr/bin/env python3
"""imap_listext.t - subscriptions and the extended LIST: LSUB as RFC 3501
6.3.9 has it (an unsubscribed level above a subscribed name is
\\Noselect for "%", unsubscribed names never appear, a subscription
outlives DELETE of its mailbox), the examples of RFC 5258 section 5 on
the hierarchies they describe, LIST-STATUS (RFC 5819) and STATUS=SIZE
(RFC 8438).

The RFC examples are compared as sets of (attributes, name, extended
data), since neither the order of attributes nor that of responses
carries meaning.  What differs by design, and is adjusted in the
expectation: the RFC's inbox carries \\Marked and \\NoInferiors, which ems
never sends (\\NoInferiors implies \\HasNoChildren, which ems sends when
children are asked for); plain LIST (not LIST-EXTENDED syntax) carries
\\HasChildren/\\HasNoChildren here (RFC 3348), which the RFC's plain-LIST
examples leave out; there are no remote mailboxes, so the \\Remote lines
of examples 4 to 6 and 11 are left out; and every ems person has an
INBOX, which example 11's hierarchy lacks."""
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

PEOPLE = ("fruit", "ex7", "ex8", "ex9", "ex10", "ex11", "lsub", "status")
s = ImapSuite(name="listext")
s.admin(*["insert person username=%s@example.test password=pw" % p for p in PEOPLE])
s.start_imap()

LINE = re.compile(rb'\* (LIST|LSUB) \(([^)]*)\) "/" ("[^"]*"|\S+)(.*)$')
CHILD = {"\\HasChildren", "\\HasNoChildren"}


def parse(line, plain=False):
    m = LINE.match(line)
    if m is None:
        return ("?", line)
    attrs = set(m.group(2).decode().split())
    if plain:
        attrs -= CHILD
    return (m.group(1).decode(), tuple(sorted(attrs)), m.group(3).decode().strip('"'),
            m.group(4).decode().strip())


def rfc(text, children):
    """The RFC's response lines as ems gives them (see the top)."""
    out = []
    for ln in text.strip().splitlines():
        kind, attrs, name, ext = parse(ln.strip().encode())
        attrs = set(attrs) - {"\\Marked"}
        if "\\NoInferiors" in attrs:
            attrs.discard("\\NoInferiors")
            if children:
                attrs.add("\\HasNoChildren")
        out.append((kind, tuple(sorted(attrs)), "INBOX" if name == "inbox" else name, ext))
    return sorted(out)


class Person:
    def __init__(self, name):
        self.r = Raw(s.imap_port)
        _, tagged = self.r.command("l", "LOGIN %s@example.test pw" % name)
        assert tagged.startswith(b"l OK"), tagged

    def cmd(self, text, ok=True):
        lines, tagged = self.r.command("x", text)
        if ok and not tagged.startswith(b"x OK"):
            raise RuntimeError("%s: %s" % (text, tagged))
        return lines, tagged

    def run(self, *texts):
        for text in texts:
            self.cmd(text)

    def example(self, command, expected, what, plain=False):
        """Sends COMMAND and compares its answer with the RFC's EXPECTED."""
        lines, tagged = self.cmd(command, ok=False)
        got = sorted(parse(ln, plain) for ln in lines)
        want = rfc(expected, "CHILDREN" in command)
        t.ok(tagged.startswith(b"x OK") and got == want, what)
        if got != want:
            t.diag("command:  %s\ngot:  %r\nwant: %r" % (command, got, want))

    def bare(self, keep_inbox=True):
        """Leaves only INBOX: no default folders, no subscriptions to them."""
        for box in ("Drafts", "Sent", "Trash", "Junk"):
            self.run("DELETE " + box, "UNSUBSCRIBE " + box)
        if not keep_inbox:
            self.run("UNSUBSCRIBE INBOX")

    def close(self):
        self.r.command("z", "LOGOUT")
        self.r.close()


# --- capabilities ---
p = Person("fruit")
lines, _ = p.cmd("CAPABILITY")
caps = lines[0].split()[2:] if lines else []
for cap in (b"LIST-EXTENDED", b"LIST-STATUS", b"STATUS=SIZE", b"CHILDREN"):
    t.ok(cap in caps, "%s is advertised" % cap.decode())

# --- RFC 5258 examples 1 to 6: the Fruit and Vegetable hierarchy ---
p.bare()
p.run("CREATE Fruit", "CREATE Fruit/Apple", "CREATE Fruit/Banana", "CREATE Fruit/Peach",
      "SUBSCRIBE Fruit/Banana", "SUBSCRIBE Fruit/Peach", "DELETE Fruit/Peach",
      "CREATE Tofu", "CREATE Vegetable", "CREATE Vegetable/Broccoli", "CREATE Vegetable/Corn",
      "SUBSCRIBE Vegetable", "SUBSCRIBE Vegetable/Broccoli")
p.example('LIST "" "*"', r'''
    * LIST (\Marked \NoInferiors) "/" "inbox"
    * LIST () "/" "Fruit"
    * LIST () "/" "Fruit/Apple"
    * LIST () "/" "Fruit/Banana"
    * LIST () "/" "Tofu"
    * LIST () "/" "Vegetable"
    * LIST () "/" "Vegetable/Broccoli"
    * LIST () "/" "Vegetable/Corn"''', "RFC 5258 example 1: the whole hierarchy", plain=True)
EX2 = r'''
    * LIST (\Marked \NoInferiors \Subscribed) "/" "inbox"
    * LIST (\Subscribed) "/" "Fruit/Banana"
    * LIST (\Subscribed \NonExistent) "/" "Fruit/Peach"
    * LIST (\Subscribed) "/" "Vegetable"
    * LIST (\Subscribed) "/" "Vegetable/Broccoli"'''
p.example('LIST (SUBSCRIBED) "" "*"', EX2,
          "example 2: LIST (SUBSCRIBED), a deleted subscribed mailbox \\NonExistent")
EX3 = r'''
    * LIST (\Marked \NoInferiors) "/" "inbox"
    * LIST (\HasChildren) "/" "Fruit"
    * LIST (\HasNoChildren) "/" "Tofu"
    * LIST (\HasChildren) "/" "Vegetable"'''
p.example('LIST () "" "%" RETURN (CHILDREN)', EX3, "example 3: RETURN (CHILDREN)")
p.example('LIST (REMOTE) "" "%" RETURN (CHILDREN)', EX3,
          "example 4: REMOTE (no remote mailboxes)")
p.example('LIST (REMOTE SUBSCRIBED) "" "*"', EX2, "example 5: REMOTE SUBSCRIBED")
p.example('LIST (REMOTE) "" "*" RETURN (SUBSCRIBED)', r'''
    * LIST (\Marked \NoInferiors \Subscribed) "/" "inbox"
    * LIST () "/" "Fruit"
    * LIST () "/" "Fruit/Apple"
    * LIST (\Subscribed) "/" "Fruit/Banana"
    * LIST () "/" "Tofu"
    * LIST (\Subscribed) "/" "Vegetable"
    * LIST (\Subscribed) "/" "Vegetable/Broccoli"
    * LIST () "/" "Vegetable/Corn"''',
          "example 6: RETURN (SUBSCRIBED) leaves out the subscribed name that does not exist")
p.close()

# --- example 7: several patterns ---
p = Person("ex7")
p.run("DELETE Drafts", "CREATE Drafts", "CREATE Sent/March2004", "CREATE Sent/December2003",
      "CREATE Sent/August2004")
p.example('LIST "" ("INBOX" "Drafts" "Sent/%")', r'''
    * LIST () "/" "INBOX"
    * LIST (\NoInferiors) "/" "Drafts"
    * LIST () "/" "Sent/March2004"
    * LIST (\Marked) "/" "Sent/December2003"
    * LIST () "/" "Sent/August2004"''', "example 7: several mailbox patterns")
p.close()

# --- example 8: \HasChildren and CHILDINFO ---
p = Person("ex8")
p.bare(keep_inbox=False)
p.run("CREATE Foo", "CREATE Foo/Bar", "CREATE Foo/Baz", "CREATE Moo")
p.example('LIST "" "%" RETURN (CHILDREN)', r'''
    * LIST (\Marked \NoInferiors) "/" "inbox"
    * LIST (\HasChildren) "/" "Foo"
    * LIST (\HasNoChildren) "/" "Moo"''', "example 8: RETURN (CHILDREN)")
p.run("SUBSCRIBE Foo/Baz")
p.example('LIST (SUBSCRIBED) "" "*"', r'''
    * LIST (\Subscribed) "/" "Foo/Baz"''', "example 8 A: Foo/Baz the only subscription")
p.example('LIST (SUBSCRIBED) "" "%"', "", "  LIST (SUBSCRIBED) \"\" \"%\" returns nothing")
C04 = 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'
p.example(C04, r'''
    * LIST () "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))''',
          "  with RECURSIVEMATCH the unsubscribed parent comes with CHILDINFO")
p.run("SUBSCRIBE Foo")
p.example(C04, r'''
    * LIST (\Subscribed) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))''',
          "example 8 A1: a subscribed parent keeps its CHILDINFO")
p.run("UNSUBSCRIBE Foo", "DELETE Foo")
p.example(C04, r'''
    * LIST (\NonExistent) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))''',
          "example 8 A2: a parent that is no mailbox is \\NonExistent")
p.run("CREATE Foo", "UNSUBSCRIBE Foo/Baz")
p.example(C04, "", "example 8 B: nothing subscribed, nothing returned")
p.run("SUBSCRIBE Foo", "SUBSCRIBE Moo")
p.example(C04 + " RETURN (CHILDREN)", r'''
    * LIST (\HasChildren \Subscribed) "/" "Foo"
    * LIST (\HasNoChildren \Subscribed) "/" "Moo"''',
          "example 8 C: children, but none subscribed: no CHILDINFO")
p.close()

# --- example 9: CHILDINFO whether or not the children match ---
p = Person("ex9")
p.bare(keep_inbox=False)
names = ("foo2/bar1", "foo2/bar2", "baz2/bar2", "baz2/bar22", "baz2/bar222", "eps2",
         "eps2/mamba", "qux2/bar2")
p.run(*["CREATE " + n for n in names])
p.run("DELETE qux2", *["SUBSCRIBE " + n for n in names])
p.example('LIST (SUBSCRIBED) "" "*"', r'''
    * LIST (\Subscribed) "/" "foo2/bar1"
    * LIST (\Subscribed) "/" "foo2/bar2"
    * LIST (\Subscribed) "/" "baz2/bar2"
    * LIST (\Subscribed) "/" "baz2/bar22"
    * LIST (\Subscribed) "/" "baz2/bar222"
    * LIST (\Subscribed) "/" "eps2"
    * LIST (\Subscribed) "/" "eps2/mamba"
    * LIST (\Subscribed) "/" "qux2/bar2"''', "example 9: the subscriptions")
p.example('LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"', r'''
    * LIST () "/" "foo2" ("CHILDINFO" ("SUBSCRIBED"))
    * LIST (\Subscribed) "/" "foo2/bar2"
    * LIST (\Subscribed) "/" "baz2/bar2"
    * LIST (\Subscribed) "/" "baz2/bar22"
    * LIST (\Subscribed) "/" "baz2/bar222"
    * LIST (\Subscribed) "/" "eps2" ("CHILDINFO" ("SUBSCRIBED"))
    * LIST (\Subscribed) "/" "qux2/bar2"''',
          "example 9: CHILDINFO for foo2 and eps2, none redundant for baz2 and qux2")
# The RFC's "*" variant of D03 also lists foo2 and baz2, whose subscribed
# children all match "*": section 3.5 says servers SHOULD NOT, and ems
# follows section 3.5 (as imaptest's listext script expects).
p.example('LIST (RECURSIVEMATCH SUBSCRIBED) "" "*"', r'''
    * LIST (\Subscribed) "/" "foo2/bar1"
    * LIST (\Subscribed) "/" "foo2/bar2"
    * LIST (\Subscribed) "/" "baz2/bar2"
    * LIST (\Subscribed) "/" "baz2/bar22"
    * LIST (\Subscribed) "/" "baz2/bar222"
    * LIST (\Subscribed) "/" "eps2" ("CHILDINFO" ("SUBSCRIBED"))
    * LIST (\Subscribed) "/" "eps2/mamba"
    * LIST (\Subscribed) "/" "qux2/bar2"''',
          "example 9 with \"*\": no redundant CHILDINFO (section 3.5)")
p.close()

# --- example 10: CHILDINFO without \HasChildren ---
p = Person("ex10")
p.bare()
p.run("CREATE foo", "CREATE foo/bar", "SUBSCRIBE foo/bar", "DELETE foo/bar")
p.example('LIST "" ("foo" "foo/*")', r'''
    * LIST () "/" foo''', "example 10 a1: several patterns")
p.example('LIST (SUBSCRIBED) "" "foo/*"', r'''
    * LIST (\Subscribed \NonExistent) "/" foo/bar''', "example 10 a2")
p.example('LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)', r'''
    * LIST (\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))''',
          "example 10 a3: CHILDINFO does not imply \\HasChildren")
p.close()

# --- example 11: a missing level ---
p = Person("ex11")
p.bare()
p.run("CREATE music/rock", "DELETE music")
p.example('LIST () "" %', r'''
    * LIST () "/" INBOX
    * LIST (\NonExistent \HasChildren) "/" music''',
          "example 11 a2: a missing level is \\NonExistent \\HasChildren")
p.example('LIST "" (% music/rock)', r'''
    * LIST () "/" INBOX
    * LIST () "/" music/rock''', "example 11 a3.1")
p.close()

# --- LSUB (RFC 3501 6.3.9) and subscriptions that outlive DELETE ---
p = Person("lsub")
p.run("CREATE box/test", "CREATE box/test2/test", "CREATE box/test3/test3",
      "SUBSCRIBE box/test", "SUBSCRIBE box/test2/test", "SUBSCRIBE box/test3/test3")
lines, _ = p.cmd('LSUB "" box/%')
t.is_(sorted(lines), [b'* LSUB () "/" box/test', b'* LSUB (\\Noselect) "/" box/test2',
                      b'* LSUB (\\Noselect) "/" box/test3'],
      "LSUB %: an unsubscribed level above a subscribed name is \\Noselect")
lines, _ = p.cmd('LSUB "" *test')
t.is_(sorted(lines), [b'* LSUB () "/" box/test', b'* LSUB () "/" box/test2/test'],
      "LSUB *: subscribed names only")
lines, _ = p.cmd('LSUB "" "*"')
t.ok(not any(re.search(rb'"/" box(/test[23])?$', ln) for ln in lines),
     "names that are not subscribed never appear in LSUB")
p.run("DELETE box/test")
lines, _ = p.cmd('LSUB "" box/%')
t.ok(b'* LSUB (\\Noselect) "/" box/test' in lines,
     "DELETE leaves the subscription (RFC 3501 6.3.9), \\Noselect while no mailbox")
lines, _ = p.cmd('LIST (SUBSCRIBED) "" box/test')
t.is_(lines, [b'* LIST (\\NonExistent \\Subscribed) "/" box/test'],
      "  LIST (SUBSCRIBED) shows it \\NonExistent")
lines, _ = p.cmd('LIST "" box/%')
t.ok(not any(b"box/test\r" in ln or ln.endswith(b"box/test") for ln in lines),
     "  plain LIST does not")
p.run("CREATE box/test")
lines, _ = p.cmd('LSUB "" box/test')
t.is_(lines, [b'* LSUB () "/" box/test'], "  CREATE of the name finds it subscribed")
p.run("DELETE box/test")
_, tagged = p.cmd("UNSUBSCRIBE box/test", ok=False)
lines, _ = p.cmd('LSUB "" box/test')
t.ok(tagged.startswith(b"x OK") and lines == [],
     "UNSUBSCRIBE drops a subscription whose mailbox is gone")
_, tagged = p.cmd("UNSUBSCRIBE box/nothing", ok=False)
t.ok(tagged.startswith(b"x NO [NONEXISTENT]"), "UNSUBSCRIBE of no name at all: NO")
p.close()
# a restart reads the subscription from the store
s.imap.terminate()
s.imap.wait(timeout=emstest.DEFAULT_TIMEOUT)
s.start_imap()
p = Person("lsub")
lines, _ = p.cmd('LSUB "" box/test2/%')
t.is_(lines, [b'* LSUB () "/" box/test2/test'], "subscriptions survive a restart")
p.close()

# --- LIST-STATUS (RFC 5819) and STATUS=SIZE (RFC 8438) ---
p = Person("status")
p.bare()
p.run("CREATE foo")
MSG = "Subject: %d\r\n\r\nbody %d\r\n"
sizes = []
for i, box in enumerate(("INBOX", "INBOX", "foo")):
    text = MSG % (i, i)
    sizes.append(len(text))
    p.r.send("a APPEND %s {%d}\r\n" % (box, len(text)))
    p.r.line()
    p.r.send(text + "\r\n")
    p.r.until("a")
p.run("SELECT INBOX", "STORE 1 +FLAGS (\\Seen)", "CLOSE", "CREATE bar/x", "DELETE bar")
lines, tagged = p.cmd('LIST "" % RETURN (STATUS (MESSAGES UNSEEN))')
t.is_(lines, [b'* LIST () "/" INBOX', b"* STATUS INBOX (MESSAGES 2 UNSEEN 1)",
              b'* LIST (\\NonExistent \\HasChildren) "/" bar',
              b'* LIST () "/" foo', b"* STATUS foo (MESSAGES 1 UNSEEN 1)"],
      "LIST RETURN (STATUS): a STATUS after each mailbox, none for a missing level")
lines, _ = p.cmd('LIST (SUBSCRIBED) "" "*" RETURN (STATUS (MESSAGES))')
t.is_(lines, [b'* LIST (\\Subscribed) "/" INBOX', b"* STATUS INBOX (MESSAGES 2)"],
      "  with a selection option: only what is selected")
_, tagged = p.cmd('LIST "" % RETURN (STATUS (BOGUS))', ok=False)
t.ok(tagged.startswith(b"x BAD"), "  an unknown STATUS item is BAD")
lines, _ = p.cmd("STATUS INBOX (MESSAGES SIZE)")
t.is_(lines, [b"* STATUS INBOX (MESSAGES 2 SIZE %d)" % (sizes[0] + sizes[1])],
      "STATUS SIZE is the octets of the mailbox's messages")
lines, _ = p.cmd('LIST "" foo RETURN (STATUS (SIZE))')
t.is_(lines[1:], [b"* STATUS foo (SIZE %d)" % sizes[2]], "  also through LIST-STATUS")
p.close()

t.done()
