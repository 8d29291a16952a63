"""bench_mail - the messages every bench INBOX starts with, written once
as an mbox (for `oomgr import mbox`) and as a Maildir (for a peer
server), so both servers hold the same mail."""
import os

# Messages per INBOX and their sizes (cycled): small notes to attachments.
COUNT = 40
SIZES = (2048, 4096, 8192, 16384, 32768)
LINE = "Body text of a pre-filled message, one of the lines the bench repeats.\n"


def message(i):
    """Message I as text with LF line ends."""
    head = ("From: Sender %d <sender%d@outside.example>\nTo: bench@bench.test\n"
            "Subject: bench message prefill %d\nDate: Mon, 30 Nov 2026 %02d:%02d:00 +0000\n"
            "Message-ID: <prefill.%d@outside.example>\n\n" % (i, i, i, i % 24, i % 60, i))
    body = LINE * max(1, (SIZES[i % len(SIZES)] - len(head)) // len(LINE))
    return head + body


def write_mbox(path):
    with open(path, "w") as f:
        for i in range(COUNT):
            f.write("From sender%d@outside.example Mon Nov 30 10:00:00 2026\n" % i)
            f.write(message(i))
            f.write("\n")


def write_maildir(path, uid=-1, gid=-1):
    """A Maildir with the same messages (CRLF-free files, as Maildir keeps
    them), owned by UID:GID."""
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
        os.chown(os.path.join(path, sub), uid, gid)
    for i in range(COUNT):
        data = message(i).encode()
        name = os.path.join(path, "cur", "1796032800.M%dP1.bench,S=%d:2," % (i, len(data)))
        with open(name, "wb") as f:
            f.write(data)
        os.chown(name, uid, gid)
