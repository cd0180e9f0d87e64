"""HTML-only mail bodies (webmails, Outlook) as plain text for the journal.

The markup is read by a small tokenizer of our own, in one pass: the stdlib
``html.parser`` rescans unfinished tags and takes minutes on a 90 KB body of
``<a <a <a ...`` (issue 10, item 2). As in a browser, a tag or comment that is
never closed ends the text.
"""

from __future__ import annotations

import re
from html import unescape

_BLOCKS = {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr",
           "section", "article", "header", "footer", "address", "dl", "dt", "dd"}
_SKIP = {"script", "style", "head", "title", "template", "xml"}
_RAW_TEXT = ("script", "style")  # their content is no markup: it runs to the end tag
_MAX_QUOTE_PREFIX = 20  # "> " marks at most this deep, so nested blockquotes cannot square the text

_SPACES = re.compile(r"\s+")
_PLAIN_TAG = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*)>")  # most tags: no attributes
_TAG_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_SPACE = re.compile(r"[\t\n\f\r /]*")
_ATTR_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_BLANK = re.compile(r"[\t\n\f\r ]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")


def _tokens(html: str):
    """("start", name, attrs) / ("end", name, None) / ("data", text, None), each character read once."""
    pos, size = 0, len(html)
    while pos < size:
        lt = html.find("<", pos)
        if lt < 0:
            yield "data", html[pos:], None
            return
        if lt > pos:
            yield "data", html[pos:lt], None
        plain = _PLAIN_TAG.match(html, lt)
        if plain is not None:
            tag = plain.group(2).lower()
            pos = plain.end()
            if plain.group(1):
                yield "end", tag, None
                continue
            yield "start", tag, {}
            if tag in _RAW_TEXT:
                end = re.compile(rf"</{tag}[\t\n\f\r />]", re.I).search(html, pos)
                if end is None:
                    return
                pos = end.start()
            continue
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            if end < 0:
                return
            pos = end + 3
            continue
        nxt = html[lt + 1:lt + 2]
        if nxt in ("!", "?") or nxt == "/" and not _TAG_NAME.match(html, lt + 2):  # doctype, CDATA, bogus
            end = html.find(">", lt + 1)
            if end < 0:
                return
            pos = end + 1
            continue
        closing = nxt == "/"
        name = _TAG_NAME.match(html, lt + 2 if closing else lt + 1)
        if name is None:  # "a < b": a plain "<"
            yield "data", "<", None
            pos = lt + 1
            continue
        tag = name.group().lower()
        pos, attrs = _attributes(html, name.end())
        if pos < 0:
            return
        if closing:
            yield "end", tag, None
            continue
        yield "start", tag, attrs
        if tag in _RAW_TEXT:
            end = re.compile(rf"</{tag}[\t\n\f\r />]", re.I).search(html, pos)
            if end is None:
                return
            pos = end.start()


def _attributes(html: str, pos: int) -> tuple[int, dict[str, str]]:
    """The attributes of a tag from ``pos`` and the position after its ">", or -1 when it never ends."""
    attrs: dict[str, str] = {}
    size = len(html)
    while True:
        pos = _SPACE.match(html, pos).end()
        if pos >= size:
            return -1, attrs
        if html[pos] == ">":
            return pos + 1, attrs
        name = _ATTR_NAME.match(html, pos)
        key = name.group().lower()
        pos = _BLANK.match(html, name.end()).end()
        value = ""
        if html.startswith("=", pos):
            pos = _BLANK.match(html, pos + 1).end()
            quote = html[pos:pos + 1]
            if quote in ("'", '"'):
                end = html.find(quote, pos + 1)
                if end < 0:
                    return -1, attrs
                value, pos = html[pos + 1:end], end + 1
            else:
                found = _UNQUOTED.match(html, pos)
                value, pos = found.group(), found.end()
        attrs.setdefault(key, unescape(value))


class _Text:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: dict) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.newline(force=True)
        elif tag == "blockquote":
            self.newline()
            self.quote += 1
        elif tag == "li":
            self.newline()
            self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag == "img" and attrs.get("alt"):
            self.current.append(f"[{attrs['alt']}]")
        elif tag == "a":
            self.href, self.link_text = attrs.get("href"), []
        elif tag in _BLOCKS:
            self.newline()
            self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.newline()
            self.quote = max(0, self.quote - 1)
        elif tag == "a":
            text = "".join(self.link_text).strip()
            if self.href and self.href.startswith(("http:", "https:")) and self.href not in text:
                self.current.append(f" ({self.href})")
            self.href = None
        elif tag in _BLOCKS:
            self.pre -= tag == "pre" and self.pre > 0
            self.newline()
            if tag == "p":
                self.lines.append("> " * min(self.quote, _MAX_QUOTE_PREFIX))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if "&" in data:
            data = unescape(data)
        if not self.pre:
            data = _SPACES.sub(" ", data)
        if self.href is not None:
            self.link_text.append(data)
        self.current.append(data)

    def newline(self, force: bool = False) -> None:
        """End the current line; an empty one only for an explicit <br>, so nested blocks add no gaps."""
        if not self.current and not force:
            return
        line = "".join(self.current)
        line = line if self.pre else line.strip()
        self.current = []
        if line or force:
            mark = "> " * min(self.quote, _MAX_QUOTE_PREFIX)
            self.lines.append(mark + line if line else mark.rstrip())

    def text(self) -> str:
        self.newline()
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """The text of an HTML body, in time linear in its length (``limits.MAX_HTML_CHARS`` bounds it)."""
    out = _Text()
    start, end, data = out.handle_starttag, out.handle_endtag, out.handle_data
    for kind, value, attrs in _tokens(html):
        if kind == "start":
            start(value, attrs)
        elif kind == "end":
            end(value)
        else:
            data(value)
    return out.text()
