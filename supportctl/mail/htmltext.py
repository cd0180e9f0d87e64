"""HTML-only mail bodies (webmails, Outlook) as plain text for the journal."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr",
           "section", "article", "header", "footer", "address", "dl", "dt", "dd"}
_SKIP = {"script", "style", "head", "title", "template", "xml"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
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
                self.lines.append("> " * self.quote if self.quote else "")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if self.href is not None:
            self.link_text.append(data)
        self.current.append(data)

    def newline(self, force: bool = False) -> None:
        """End the current line; an empty one only for an explicit <br>, so nested blocks add no gaps."""
        line = "".join(self.current)
        line = line if self.pre else line.strip()
        self.current = []
        if line or force:
            self.lines.append("> " * self.quote + line if line else (">" if self.quote else ""))

    def text(self) -> str:
        self.newline()
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()
