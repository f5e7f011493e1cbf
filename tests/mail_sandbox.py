"""``make mail-sandbox``: the desk's mail tried by hand, with the servers the tests use, on 127.0.0.1 only.

``python -m tests.mail_sandbox [DIR]`` (default ``mail-sandbox``) starts an IMAP server (pymap,
tests/mail_pymapd.py: IMAPS) and an SMTP server (aiosmtpd, tests/mail_smtpd.py: STARTTLS and AUTH) with a test
CA made here, writes a demo workspace and a config file whose ``[mail]`` table reaches them (the round every
5 seconds), and prints the command that opens the console on them. Then it reads commands, one a line:

- ``j``: a Japanese mail in ISO-2022-JP with a PDF attached, from 山田 太郎 of 株式会社さくら商事, into the inbox;
- ``a``: the customer's answer to the last mail the desk sent (In-Reply-To its Message-ID);
- ``o``: an out-of-office reply to it (``Auto-Submitted: auto-replied``, RFC 3834);
- ``s``: a mail from a sender no customer has (it waits in the console's Unmatched mail, ``e`` on the queue);
- ``l``: what the inbox and the processed folder hold; ``q`` (or end of input): stop.

Every message the desk sends is printed as it arrives, with its threading headers. Nothing is sent anywhere
else: the desk's replies go to this SMTP server, which keeps them.
"""

from __future__ import annotations

import imaplib
import logging
import shlex
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import trustme

from console.desk.identity import current_agent
from console.settings.config import DEMO_POLICY, load_config, write_demo_config
from console.shared.clock import utcnow
from console.shared.safe_text import clean_line
from console.store import Workspace
from tests import mail_corpus as corpus
from tests import mail_smtpd

DESK = "support@sakura-cloud.example"
CUSTOMER = "山田 太郎 <taro.yamada@sakura-shoji.co.jp>"
USER, PASSWORD = mail_smtpd.USER, mail_smtpd.PASSWORD  # one account for both servers, as a desk's mailbox has
INBOX, PROCESSED = "INBOX", "Processed"


class Sandbox:
    """The two servers, the workspace and the config file under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sent_seen = 0
        self.counter = 0

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        issued = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = self.root / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert, key = self.root / "imap-cert.pem", self.root / "imap-key.pem"
        issued.cert_chain_pems[0].write_to_path(str(cert))
        issued.private_key_pem.write_to_path(str(key))
        self.imap = subprocess.Popen(
            [sys.executable, "-m", "tests.mail_pymapd", str(cert), str(key), USER, PASSWORD],
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.imap.stdout is not None
        first = self.imap.stdout.readline().split()
        if first[:1] != ["PORTS"]:
            raise SystemExit(f"the IMAP server did not start: {first}")
        self.imap_plain, self.imaps = int(first[1]), int(first[2])
        self.smtp = mail_smtpd.serve("starttls", ca)
        self._write_desk()

    def _write_desk(self) -> None:
        self.db = self.root / "desk.db"
        self.config = self.root / "config.toml"
        fresh = not self.db.exists()
        if write_demo_config(self.config):
            with self.config.open("a", encoding="utf-8") as file:
                file.write(self.mail_table())
        if fresh:
            from console.demo.workspace import generate

            with Workspace.open(self.db) as ws:
                generate(
                    ws,
                    tickets=400,
                    seed=1,
                    now=utcnow(),
                    extra_admins=(current_agent(self.db),),
                    config=load_config(self.config),
                    policy=DEMO_POLICY,
                )
        else:  # the servers' ports are new at each start
            text = self.config.read_text(encoding="utf-8")
            self.config.write_text(text.split("\n[mail]\n")[0] + self.mail_table(), encoding="utf-8")

    def mail_table(self) -> str:
        return (
            f'\n[mail]\naddress = "{DESK}"\ndisplay_name = "Sakura Cloud Partners サポート"\n'
            f'imap_host = "127.0.0.1"\nimap_port = {self.imaps}\nimap_security = "imaps"\nimap_username = "{USER}"\n'
            f'smtp_host = "127.0.0.1"\nsmtp_port = {self.smtp.port}\nsmtp_security = "starttls"\n'
            f"password_command = {_toml(shlex.join(['printf', '%s', PASSWORD]))}\n"
            f'ca_bundle = "ca.pem"\npoll_seconds = 5\n'
        )

    def stop(self) -> None:
        if self.imap.stdin is not None:
            self.imap.stdin.close()
        self.imap.wait(timeout=10)
        self.smtp.stop()

    # -- mail in ------------------------------------------------------------------------------------------------
    def put(self, raw: bytes) -> None:
        imap = imaplib.IMAP4("127.0.0.1", self.imap_plain, timeout=20)
        try:
            imap.login(USER, PASSWORD)
            typ, data = imap.append(INBOX, None, None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def last_sent(self) -> Any:
        received = self.smtp.received
        return message_from_bytes(received[-1].raw, policy=default) if received else None

    def command(self, word: str) -> str:
        self.counter += 1
        n = f"{int(time.time())}-{self.counter}"
        if word == "j":
            self.put(japanese_mail(n))
            return "put into the inbox: a Japanese mail (ISO-2022-JP) with invoice-11.pdf, from 山田 太郎"
        if word == "s":
            self.put(
                corpus.utf8_plain(from_="Jane Doe <jane@unknown-reseller.example>", to=DESK, message_id=f"<s{n}@x>")
            )
            return "put into the inbox: a mail from jane@unknown-reseller.example (no customer has that domain)"
        if word in ("a", "o"):
            last = self.last_sent()
            if last is None:
                return "the desk has sent nothing yet: reply on a ticket first (r in the console)"
            if word == "o":
                self.put(corpus.auto_reply(from_=CUSTOMER, to=DESK, message_id=f"<o{n}@sakura-shoji.co.jp>",
                                           in_reply_to=str(last["Message-ID"])))  # fmt: skip
                return "put into the inbox: an out-of-office reply to the desk's last mail"
            self.put(answer_to(last, n))
            return f"put into the inbox: the customer's answer to {clean_line(str(last['Subject']))}"
        if word == "l":
            return self.listing()
        return "commands: j (Japanese mail), a (the customer's answer), o (out-of-office), s (stranger), l, q"

    def listing(self) -> str:
        imap = imaplib.IMAP4("127.0.0.1", self.imap_plain, timeout=20)
        try:
            imap.login(USER, PASSWORD)
            counts = []
            for folder in (INBOX, PROCESSED):
                typ, data = imap.select(folder, readonly=True)
                counts.append(f"{folder}: {int(data[0] or 0) if typ == 'OK' else 0}")
            return ", ".join(counts)
        finally:
            imap.logout()

    def new_sent(self) -> list[str]:
        """What the desk sent since the last look, a few lines each."""
        lines = []
        received = self.smtp.received
        for got in received[self.sent_seen :]:
            m = message_from_bytes(got.raw, policy=default)
            lines.append(f"SMTP received from {got.mail_from} to {', '.join(got.rcpt_tos)}:")
            for name in ("Subject", "Message-ID", "In-Reply-To", "References", "Auto-Submitted"):
                if m[name] is not None:
                    lines.append(f"  {name}: {clean_line(str(m[name]), 200)}")
            body = m.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            lines += [f"  | {clean_line(line, 100)}" for line in text.splitlines()[:6]]
        self.sent_seen = len(received)
        return lines


def japanese_mail(n: str) -> bytes:
    body = corpus.text_part(corpus.JA_BODY, label="ISO-2022-JP", codec="jis_ms", cte="7bit")
    pdf = corpus.binary_part(b"%PDF-1.4 invoice", "application/pdf", "attachment", '; filename="invoice-11.pdf"')
    envelope = corpus.Envelope(CUSTOMER, DESK, "請求書の金額について（11月分）", f"<jp{n}@sakura-shoji.co.jp>")
    return corpus.message(corpus.multipart("mixed", [body, pdf], f"b-{n}"), envelope, "ISO-2022-JP", "jis_ms")


def answer_to(last: Any, n: str) -> bytes:
    references = [str(last["References"] or ""), str(last["Message-ID"])]
    return corpus.japanese_iso2022jp(
        from_=CUSTOMER,
        to=DESK,
        subject=str(last["Subject"]) if str(last["Subject"]).lower().startswith("re:") else f"Re: {last['Subject']}",
        message_id=f"<ans{n}@sakura-shoji.co.jp>",
        in_reply_to=str(last["Message-ID"]),
        references=[r for r in " ".join(references).split() if r],
        body="ご確認ありがとうございます。引き続きよろしくお願いいたします。\n",
    )


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str]) -> int:
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own notes on each connection
    root = Path(argv[0] if argv else "mail-sandbox").resolve()
    box = Sandbox(root)
    box.start()
    print(f"IMAP (IMAPS) on 127.0.0.1:{box.imaps}, SMTP (STARTTLS) on 127.0.0.1:{box.smtp.port}, user {USER}")
    print(f"Workspace {box.db}, config {box.config} (the console reads the mailbox every 5 s).")
    print("In another terminal, open the console on them:\n")
    print(
        f"  make run ARGS={shlex.quote(f'--db {shlex.quote(str(box.db))} --config {shlex.quote(str(box.config))}')}\n"
    )
    print(box.command("help"), flush=True)
    stop = threading.Event()

    def show_sent() -> None:
        while not stop.wait(0.5):
            for line in box.new_sent():
                print(line, flush=True)

    threading.Thread(target=show_sent, daemon=True).start()
    try:
        for line in sys.stdin:
            word = line.strip().lower()[:1]
            if word == "q":
                break
            if word:
                print(box.command(word), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        box.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
