"""Reply templates: the words around an agent's reply and the acknowledgement of a new mail ticket, in the
customer's language (Japanese in keigo, English otherwise), with fields filled from the ticket.

Fields (``{contact.family_name}``): ``customer.name``, ``contact.name``, ``contact.family_name``,
``ticket.id``, ``ticket.title``, ``offer.hours`` (the customer's support offer's service hours and zone, or
the desk's), ``agent.name``, ``desk.name``, ``body`` (what the agent wrote). A desk may replace any template
with its own (``[mail] templates``: a TOML file of ``[reply]``/``[acknowledgement]`` tables with ``ja`` and
``en`` strings); an unknown field is refused when the file is read, naming the template and the field.

Japanese business mail addresses the company, then the person by family name with 様 (``山田様``), opens with
いつもお世話になっております and closes with 何卒よろしくお願い申し上げます; the values a field takes are the
customer's text, put in as they are (never read as a template).
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from console.settings.toml_lines import line_of, malformed

FIELDS = (
    "customer.name",
    "contact.name",
    "contact.family_name",
    "ticket.id",
    "ticket.title",
    "offer.hours",
    "agent.name",
    "desk.name",
    "body",
)
KINDS = ("reply", "acknowledgement")
LANGUAGES = ("ja", "en")

BUILT_IN: dict[str, dict[str, str]] = {
    "reply": {
        "ja": "{customer.name}\n{contact.family_name}様\n\nいつもお世話になっております。\n"
        "{desk.name}の{agent.name}でございます。\n\n{body}\n\n何卒よろしくお願い申し上げます。",
        "en": "Dear {contact.name},\n\n{body}\n\nKind regards,\n{agent.name}\n{desk.name}",
    },
    "acknowledgement": {
        "ja": "{customer.name}\n{contact.family_name}様\n\nいつもお世話になっております。{desk.name}でございます。\n\n"
        "お問い合わせを受け付けました。受付番号は {ticket.id} です。\n件名: {ticket.title}\n\n"
        "サポート受付時間: {offer.hours}\n担当者より改めてご連絡いたします。このメールにご返信いただく際は、"
        "件名の [{ticket.id}] をそのまま残してください。\n\n何卒よろしくお願い申し上げます。",
        "en": "Dear {contact.name},\n\nThank you for contacting {desk.name}. Your request is ticket {ticket.id}:\n"
        "{ticket.title}\n\nOur support hours: {offer.hours}\nAn engineer will get back to you. When you answer this "
        "mail, please keep [{ticket.id}] in the subject.\n\nKind regards,\n{desk.name}",
    },
}

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


class TemplateError(ValueError):
    """A template file the desk wrote cannot be used: the message names the file, the template and the field."""


@dataclass(frozen=True)
class Templates:
    """The templates in force: kind -> language -> text."""

    texts: Mapping[str, Mapping[str, str]]

    def render(self, kind: str, language: str, values: Mapping[str, str]) -> str:
        """Template ``kind`` in ``language`` (a BCP 47 tag: ``ja-JP`` is Japanese; others English) filled in."""
        lang = "ja" if language.lower().startswith("ja") else "en"
        text = self.texts.get(kind, {}).get(lang) or BUILT_IN[kind][lang]
        return fill(text, values)


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{field}`` replaced by its value, taken literally (a value's own braces stay)."""
    out: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


def fields_of(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def load_templates(path: Path | None) -> Templates:
    """The built-in templates, with those of the desk's file over them. A fault names the file and its line."""
    if path is None:
        return Templates(BUILT_IN)
    try:
        source = path.read_text(encoding="utf-8")
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(malformed(path, exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read the mail templates ({exc})") from None

    def at(dotted: str) -> str:
        line = line_of(source, dotted)
        return f"{path}:{line}" if line else str(path)

    texts: dict[str, dict[str, str]] = {kind: dict(langs) for kind, langs in BUILT_IN.items()}
    for kind, langs in data.items():
        if kind not in KINDS or not isinstance(langs, dict):
            raise TemplateError(f"{at(kind)}: [{kind}] is not a template (expected {', '.join(KINDS)})")
        for lang, text in langs.items():
            where = f"{at(f'{kind}.{lang}')}: {kind}.{lang}"
            if lang not in LANGUAGES or not isinstance(text, str):
                raise TemplateError(f"{where}: expected a string for ja or en")
            try:
                unknown = [name for name in fields_of(text) if name not in FIELDS]
            except ValueError as exc:
                raise TemplateError(f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from None
            if unknown:
                raise TemplateError(f"{where}: unknown field {{{unknown[0]}}} (fields: {', '.join(FIELDS)})")
            texts[kind][lang] = text
    return Templates(texts)


def family_name(name: str) -> str:
    """The family name to address a person by: a Japanese name is written family name first (山田 太郎, or
    山田太郎 with no space: the whole); a Western one last (John Smith: Smith)."""
    parts = name.replace("\u3000", " ").split()
    if not parts:
        return ""
    if _CJK.search(name):
        return parts[0]
    return parts[-1]
