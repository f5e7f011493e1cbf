"""Mail in and out: a desk's mailbox read over IMAP into tickets, replies sent over SMTP from a durable outbox.

- :mod:`console.mail.message`: what a parsed mail is (the shapes the other modules share);
- :mod:`console.mail.parse`: raw RFC 5322 bytes to a :class:`~console.mail.message.ParsedMail` (Japanese
  encodings, HTML-only mail, attachments, quoted history), read by :mod:`~console.mail.headers`,
  :mod:`~console.mail.addresses`, :mod:`~console.mail.words` (RFC 2047),
  :mod:`~console.mail.charsets` and :mod:`~console.mail.jis` (Japanese as Windows writes it),
  :mod:`~console.mail.bodies`, :mod:`~console.mail.params` and :mod:`~console.mail.names` (parts, attachments and
  their names), :mod:`~console.mail.html_body` and :mod:`~console.mail.history` (what the sender wrote this time);
- :mod:`console.mail.loops`: auto-replies, bounces and list mail, which never become tickets;
- :mod:`console.mail.imap` and :mod:`console.mail.smtp`: the clients (TLS, password or XOAUTH2);
- :mod:`console.mail.intake` and :mod:`console.mail.outbox`: each message once into a ticket, each reply once out.
"""
