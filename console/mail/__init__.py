"""Mail in and out: a desk's mailbox read over IMAP into tickets, replies sent over SMTP from a durable outbox.

- :mod:`console.mail.message`: what a parsed mail is (the shapes the other modules share);
- :mod:`console.mail.parse`: raw RFC 5322 bytes to a :class:`~console.mail.message.ParsedMail` (Japanese
  encodings, HTML-only mail, attachments, quoted history);
- :mod:`console.mail.loops`: auto-replies, bounces and list mail, which never become tickets;
- :mod:`console.mail.imap` and :mod:`console.mail.smtp`: the clients (TLS, password or XOAUTH2);
- :mod:`console.mail.intake` and :mod:`console.mail.outbox`: each message once into a ticket, each reply once out.
"""
