#!/usr/bin/env python3
"""imap_binary.t - BINARY (RFC 3516): FETCH BINARY[part] gives a part
decoded from its Content-Transfer-Encoding (base64, quoted-printable; as
it is for 7bit/8bit/binary and the whole message), as a literal8 ~{n}
when it holds NUL; BINARY.SIZE[part] its decoded size; <partial> counts
decoded bytes; BINARY.PEEK leaves \\Seen alone and BINARY sets it; an
unknown encoding answers NO [UNKNOWN-CTE]; APPEND takes a literal8."""
import base64
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

s = ImapSuite(name="binary")
s.start_imap()

BLOB = bytes(range(256)) * 3              # NUL and every other byte
QP_TEXT = "Gr=C3=BC=C3=9Fe, soft=\r\nbreak =3D equal  \r\nend\r\n"
QP_DECODED = "Grüße, softbreak = equal\r\nend".encode()   # the last CRLF is the boundary's
MSG = ("From: a@example.test\r\nSubject: binary\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
       "--XX\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
       "--XX\r\nContent-Type: application/octet-stream\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" +
       "\r\n".join(re.findall(".{1,76}", base64.b64encode(BLOB).decode())) + "\r\n"
       "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + QP_TEXT +
       "--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-rot13\r\n\r\n"
       "uryyb\r\n--XX--\r\n")


def fetch(r, what):
    """FETCH 1 WHAT: (the literal's prefix "{" or "~{", its bytes) of the
    first literal, the text of the response line(s), the tagged line."""
    r.send("f FETCH 1 (%s)\r\n" % what)
    text, data, prefix = b"", None, None
    while True:
        ln = r.line()
        if ln.startswith(b"f ") or not ln:
            return prefix, data, text, ln
        m = re.search(rb"(~?\{)(\d+)\}$", ln)
        text += ln
        if m and data is None:
            prefix, data = m.group(1), r.take(int(m.group(2)))


r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
lines, _ = r.command("c", "CAPABILITY")
t.ok(b"BINARY" in lines[0].split(), "BINARY is advertised after login")
_, tagged = r.append("a", MSG)
t.ok(tagged.startswith(b"a OK"), "a multipart message is appended")
r.command("s", "SELECT INBOX")

prefix, data, _, tagged = fetch(r, "BINARY.PEEK[2]")
t.ok(tagged.startswith(b"f OK"), "FETCH BINARY.PEEK[2] is OK")
t.is_(prefix, b"~{", "  a part holding NUL comes as a literal8")
t.ok(data == BLOB, "  base64 decoded to the very bytes")
_, _, text, _ = fetch(r, "BINARY.SIZE[2]")
t.ok(b"BINARY.SIZE[2] %d" % len(BLOB) in text, "BINARY.SIZE[2] is the decoded size")
prefix, data, text, _ = fetch(r, "BINARY.PEEK[2]<254.4>")
t.ok(b"BINARY[2]<254> ~{4}" in text and data == b"\xfe\xff\x00\x01",
     "<partial> counts decoded bytes")
prefix, data, _, _ = fetch(r, "BINARY.PEEK[3]")
t.is_((prefix, data), (b"{", QP_DECODED), "quoted-printable decoded, a plain literal without NUL")
_, _, text, _ = fetch(r, "BINARY.SIZE[3]")
t.ok(b"BINARY.SIZE[3] %d" % len(QP_DECODED) in text, "  and its size")
prefix, data, _, _ = fetch(r, "BINARY.PEEK[1]")
t.is_(data, b"plain text", "a part without an encoding as it is")
_, data, _, _ = fetch(r, "BINARY.PEEK[]")
t.is_(data, MSG.encode(), "BINARY[] is the whole message")
_, _, text, tagged = fetch(r, "BINARY.PEEK[9]")
t.ok(b"BINARY[9] NIL" in text, "a part that does not exist is NIL")
_, _, text, tagged = fetch(r, "BINARY.PEEK[4]")
t.ok(tagged.startswith(b"f NO [UNKNOWN-CTE]"), "an unknown encoding is NO [UNKNOWN-CTE]")
for bad in ("BINARY[1.MIME]", "BINARY[HEADER]", "BINARY.SIZE[1]<0.1>"):
    _, _, _, tagged = fetch(r, bad)
    t.ok(tagged.startswith(b"f BAD"), "%s is BAD" % bad)
_, _, text, _ = fetch(r, "FLAGS")
t.ok(b"\\Seen" not in text, "BINARY.PEEK and BINARY.SIZE leave \\Seen alone")
_, _, text, _ = fetch(r, "BINARY[1]")
t.ok(b"\\Seen" in text, "BINARY sets \\Seen")

# APPEND with a literal8: the message is stored byte for byte
raw = b"Subject: nul\r\n\r\nbefore\x00after\r\n"
r.send(b"a APPEND INBOX ~{%d+}\r\n" % len(raw) + raw + b"\r\n")
_, tagged = r.until("a")
t.ok(tagged.startswith(b"a OK [APPENDUID"), "APPEND takes a literal8")
r.command("n", "NOOP")
r.send("f UID FETCH * (BINARY.PEEK[])\r\n")
ln = r.line()
while not ln.startswith(b"* 2 FETCH"):
    ln = r.line()
data = r.take(int(re.search(rb"~\{(\d+)\}$", ln).group(1))) if ln.endswith(b"}") else b""
r.until("f")
t.ok(data == raw, "  and BINARY[] gives it back with its NUL, as a literal8")

r.command("z", "LOGOUT")
r.close()
t.done()
