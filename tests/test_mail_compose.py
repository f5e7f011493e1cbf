"""Replies' headers and words: threading (RFC 5322 3.6.4), header injection refused, templates in the customer's
language with fields taken literally, the [mail] config and the mail desk rules checked with their place."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from console.desk.policy import PolicyError, parse_value
from console.mail.compose import MAX_REFERENCES, compose, references
from console.mail.message import Address
from console.mail.templates import TemplateError, Templates, family_name, load_templates
from console.mail.threads import reply_subject, tagged_ticket, ticket_title
from console.settings.config import ConfigError, load_config

DESK = Address("Sakura Cloud Partners サポート", "support@sakura-cloud.example")
WHEN = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TICKET = {"id": "CSP-001511", "seq": 1511, "title": "請求書", "contactName": "山田 太郎", "contactEmail": "t@c.example"}


def answering(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "messageId": "m2@c.example",
        "refs": ["m0@c.example", "m1@c.example"],
        "fromName": "山田 太郎",
        "fromEmail": "t@c.example",
        "replyTo": [],
        "toList": [("Desk", "support@sakura-cloud.example"), ("鈴木", "suzuki@c.example")],
        "ccList": [("", "t@c.example"), ("Sato", "sato@c.example")],
        "subject": "RE: Re: 請求書 [CSP-001511]",
        "body": "一行目\n二行目",
        "sentDate": "2026-11-23T02:00:00Z",
    }
    row.update(over)
    return row


def test_a_reply_threads_on_the_customers_mail_and_copies_the_others_but_not_the_desk() -> None:
    out = compose(desk=DESK, ticket=TICKET, answering=answering(), text="拝承しました。", signature="Sakura", when=WHEN)
    msg = message_from_bytes(out.raw, policy=default)
    assert msg["In-Reply-To"] == "<m2@c.example>"
    assert msg["References"] == "<m0@c.example> <m1@c.example> <m2@c.example>"
    assert msg["Subject"] == "Re: 請求書 [CSP-001511]"
    assert [a.email for a in out.to] == ["t@c.example"]
    assert [a.email for a in out.cc] == ["suzuki@c.example", "sato@c.example"]
    assert msg["Message-ID"] == f"<{out.message_id}>" and out.message_id.endswith("@sakura-cloud.example")
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert body.startswith("拝承しました。\n\n-- \nSakura") and "> 一行目\n> 二行目" in body
    assert b"\r\n" in out.raw  # SMTP line ends


def test_reply_to_wins_over_from() -> None:
    out = compose(
        desk=DESK,
        ticket=TICKET,
        answering=answering(replyTo=[("Team", "team@c.example")]),
        text="x",
        signature="",
        when=WHEN,
    )
    assert [a.email for a in out.to] == ["team@c.example"]


def test_a_name_or_subject_with_line_breaks_cannot_add_headers() -> None:
    hostile = answering(fromName="Eve\r\nBcc: all@evil.example", subject="hi\r\nBcc: all@evil.example")
    out = compose(desk=DESK, ticket=TICKET, answering=hostile, text="x", signature="", when=WHEN)
    msg = message_from_bytes(out.raw, policy=default)
    assert msg["Bcc"] is None and [a.addr_spec for a in msg["To"].addresses] == ["t@c.example"]
    assert "Bcc: all@evil.example" in msg["Subject"]  # kept as text on one line


def test_long_threads_keep_the_first_and_the_latest_references() -> None:
    refs = [f"r{i}@x" for i in range(40)]
    chain = references(refs, "p@x")
    assert len(chain) == MAX_REFERENCES and chain[0] == "r0@x" and chain[-1] == "p@x"


def test_subjects_and_tags() -> None:
    assert tagged_ticket("Re: 件名 ［csp-000042］") == "CSP-000042"
    assert tagged_ticket("Fwd: [CSP-000001] then [CSP-000002]") == "CSP-000002"
    assert reply_subject("返信: RE: 件名 [CSP-000042]", "CSP-000042") == "Re: 件名 [CSP-000042]"
    assert ticket_title("") == "(no subject)" and ticket_title("Fw: " + "あ" * 300).endswith("…")


def test_templates_address_japanese_customers_in_keigo_and_take_values_literally() -> None:
    values = {
        "customer.name": "株式会社さくら商事",
        "contact.family_name": "山田",
        "desk.name": "SCP",
        "agent.name": "田中",
        "body": "{ticket.id} は {x}",
        "contact.name": "Jane Doe",
    }
    ja = Templates({}).render("reply", "ja-JP", values)
    assert ja.startswith("株式会社さくら商事\n山田様\n\nいつもお世話になっております。") and "{ticket.id} は {x}" in ja
    assert Templates({}).render("reply", "en-US", values).startswith("Dear Jane Doe,")
    assert family_name("山田 太郎") == "山田" and family_name("山田\u3000太郎") == "山田"
    assert family_name("Jane Doe") == "Doe" and family_name("") == ""


def test_a_desks_template_file_is_checked_naming_the_template_and_the_field(tmp_path: Path) -> None:
    good = tmp_path / "t.toml"
    good.write_text('[reply]\nen = "Hello {contact.name},\\n{body}"\n', encoding="utf-8")
    assert load_templates(good).render("reply", "en", {"contact.name": "Ann", "body": "B"}) == "Hello Ann,\nB"
    bad = tmp_path / "bad.toml"
    bad.write_text('[reply]\nen = "Hello"\nja = "{contact.nmae}様"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"bad\.toml:3: reply\.ja: unknown field \{contact\.nmae\}"):
        load_templates(bad)
    unknown = tmp_path / "u.toml"
    unknown.write_text('# the desk\'s\n[greeting]\nen = "x"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"u\.toml:2: \[greeting\] is not a template"):
        load_templates(unknown)
    broken = tmp_path / "broken.toml"
    broken.write_text('[reply]\nen = "Hello\n', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"broken\.toml:2: malformed TOML: .*\(at line 2, column 12\)"):
        load_templates(broken)


def test_the_mail_config_is_checked_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[mail]\naddress = "support@x.example"\nimap_host = "imap.x.example"\nimap_security = "ssl"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"config.toml:4: mail.imap_security 'ssl' is not one of imaps"):
        load_config(path)
    path.write_text('[mail]\naddress = "not an address"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a mail address"):
        load_config(path)
    path.write_text('[mail]\naddress = "support@x.example"\nimap_host = "h"\npassword = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml:4"):  # no password in the file: password_env or _command
        load_config(path)


def test_the_mail_desk_rules_are_checked() -> None:
    assert parse_value("mail.acknowledge", "yes") is True
    with pytest.raises(PolicyError, match=r"mail\.reply_status must be waiting_customer"):
        parse_value("mail.reply_status", "resolved")
    with pytest.raises(PolicyError, match=r"mail\.rate_limit must be 1 to 10000"):
        parse_value("mail.rate_limit", "0")
