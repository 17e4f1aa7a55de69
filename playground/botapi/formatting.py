"""Parse modes: turns HTML / MarkdownV2 / Markdown text into Telegram's plain text + entities.

Telegram rejects malformed markup with "can't parse entities"; bots that build messages by
string concatenation hit this in production (an unescaped "<" or "." from user input), so the
emulator parses markup for real instead of trusting the bot. Limits are measured on the result.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, JsonDict, bad_request

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_MD_V2 = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MD_V1 = {"*": "bold", "_": "italic"}
_RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")
_ENTITY_NAMES = {"[": "TextUrl", **{k: v.capitalize() for k, v in _MD_V2.items()}}


def utf16_len(text: str) -> int:
    """Entity offsets and lengths are in UTF-16 code units, as in the Bot API."""
    return len(text.encode("utf-16-le")) // 2


def render(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JsonDict]]:
    """Returns (plain text, entities) exactly as Telegram would store the message."""
    if parse_mode is None or parse_mode == "":
        return _trim(text, entities if isinstance(entities, list) else [])
    mode = str(parse_mode).lower()
    if mode == "html":
        return _parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return _parse_markdown(text, v2=mode == "markdownv2")
    raise bad_request("unsupported parse_mode")


class _Builder:
    """Accumulates plain text and entity spans with UTF-16 offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[JsonDict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.length > start:
            entity = {"type": kind, "offset": start, "length": self.length - start, **extra}
            self.entities.append(entity)

    def result(self) -> tuple[str, list[JsonDict]]:
        return _trim("".join(self.parts), self.entities)


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram strips surrounding whitespace; entities shift and clip with it."""
    left = text.lstrip()
    lead = utf16_len(text) - utf16_len(left)
    plain = left.rstrip()
    total = utf16_len(plain)
    out: list[JsonDict] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, total)
        if end > start:
            out.append({**entity, "offset": start, "length": end - start})
    out.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, out


def _error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _decode_entity(name: str) -> str | None:
    try:
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
    except (ValueError, OverflowError):
        return None
    return _NAMED.get(name)


def _parse_html(text: str) -> tuple[str, list[JsonDict]]:
    out = _Builder()
    stack: list[tuple[str, int, JsonDict]] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            match = _ENTITY.match(text, i)
            decoded = _decode_entity(match.group(1)) if match else None
            if match and decoded is not None:
                out.add(decoded)
                i = match.end()
            else:
                out.add("&")
                i += 1
            continue
        if text[i] != "<":
            stops = [j for j in (text.find("<", i), text.find("&", i)) if j >= 0]
            end = min(stops, default=len(text))
            out.add(text[i:end])
            i = end
            continue
        offset = _byte_offset(text, i)
        tag = _TAG.match(text, i)
        if tag is None:
            shown = re.match(r"/?[^\s<>]*", text[i + 1 :])
            shown_name = shown.group(0) if shown else ""
            raise _error(f'Unsupported start tag "{shown_name}" at byte offset {offset}')
        name = tag.group(2).lower()
        if tag.group(1):
            _close_html(out, stack, name, offset)
        else:
            if name not in _HTML_TAGS:
                raise _error(f'Unsupported start tag "{name}" at byte offset {offset}')
            stack.append((name, out.length, _html_entity(name, tag.group(3), stack)))
        i = tag.end()
    if stack:
        raise _error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html(out: _Builder, stack: list[tuple[str, int, JsonDict]], name: str, at: int) -> None:
    if not stack:
        raise _error(f"Unexpected end tag at byte offset {at}")
    open_name, start, extra = stack.pop()
    if open_name != name:
        raise _error(
            f'Unmatched end tag at byte offset {at}, expected "</{open_name}>", found "</{name}>"'
        )
    kind = extra.pop("type", None)
    if kind:
        out.entity(str(kind), start, **extra)


def _html_entity(name: str, rest: str, stack: list[tuple[str, int, JsonDict]]) -> JsonDict:
    """The entity a start tag opens; {} when the tag produces none (e.g. <code> inside <pre>)."""
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR.finditer(rest)
    }
    if name == "a":
        return {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else {}
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _error('Tag "span" must have class "tg-spoiler"')
    if name == "tg-emoji":
        if "emoji-id" not in attrs:
            raise _error('Tag "tg-emoji" must have attribute "emoji-id"')
        return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][2]["language"] = language
        return {}
    if name == "blockquote" and "expandable" in rest:
        return {"type": "expandable_blockquote"}
    return {"type": _HTML_TAGS[name]}


def _find_closing(text: str, token: str, start: int) -> int:
    """Index of the next unescaped `token` at or after `start`, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(token, i):
            return i
        i += 1
    return -1


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _parse_markdown(text: str, *, v2: bool) -> tuple[str, list[JsonDict]]:
    out = _Builder()
    markers = _MD_V2 if v2 else _MD_V1
    stack: list[tuple[str, int, int]] = []
    quote_start: int | None = None
    i = 0
    while i < len(text):
        ch, offset = text[i], _byte_offset(text, i)
        if ch == "\\" and i + 1 < len(text) and (v2 or text[i + 1] in "_*`["):
            out.add(text[i + 1])
            i += 2
        elif ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _find_closing(text, fence, i + len(fence))
            if end < 0:
                kind = "PreCode" if fence == "```" else "Code"
                raise _error(f"Can't find end of {kind} entity at byte offset {offset}")
            body, extra = text[i + len(fence) : end], {}
            if fence == "```" and "\n" in body:
                language, body = body.split("\n", 1)
                extra = {"language": language} if language else {}
            start = out.length
            out.add(_unescape(body) if v2 else body)
            out.entity("pre" if fence == "```" else "code", start, **extra)
            i = end + len(fence)
        elif ch == "[":
            stack.append(("[", out.length, offset))
            i += 1
        elif ch == "]" and stack and stack[-1][0] == "[" and text.startswith("(", i + 1):
            end = _find_closing(text, ")", i + 2)
            if end < 0:
                raise _error(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 2)}")
            out.entity("text_link", stack.pop()[1], url=_unescape(text[i + 2 : end]))
            i = end + 1
        elif v2 and ch == ">" and (i == 0 or text[i - 1] == "\n"):
            quote_start = out.length if quote_start is None else quote_start
            i += 1
        else:
            marker = next((m for m in ("__", "||") if v2 and text.startswith(m, i)), ch)
            if marker in markers:
                if stack and stack[-1][0] == marker:
                    out.entity(markers[marker], stack.pop()[1])
                else:
                    stack.append((marker, out.length, offset))
                i += len(marker)
                continue
            if v2 and ch in _RESERVED_V2:
                raise _error(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            if ch == "\n" and quote_start is not None and not text.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(ch)
            i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, offset = stack[-1]
        if not v2:
            raise _error(f"Can't find end of the entity starting at byte offset {offset}")
        raise _error(f"Can't find end of {_ENTITY_NAMES[marker]} entity at byte offset {offset}")
    return out.result()
