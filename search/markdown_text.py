"""The text a reader sees in a post: Liquid removed, Markdown rendered, HTML stripped, repeats dropped.

Pure functions on strings; imports markdown-it only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt

_RAW_RE = re.compile(r"{%-?\s*raw\s*-?%}(.*?){%-?\s*endraw\s*-?%}", re.S)
_COMMENT_RE = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.S)
_HIGHLIGHT_RE = re.compile(r"{%-?\s*highlight\b[^%]*-?%}\n?(.*?){%-?\s*endhighlight\s*-?%}", re.S)
_LIQUID_TAG_RE = re.compile(r"{%.*?%}", re.S)
_LIQUID_OUTPUT_RE = re.compile(r"{{.*?}}", re.S)
_END_MARKER_RE = re.compile(r"^[ \t]*-{2,}[ \t]*END[ \t]*-{2,}[ \t]*$", re.M | re.I)
_INLINE_END_RE = re.compile(r"-{3,}\s*END\s*-{3,}", re.I)
# Control characters other than tab and newline, U+FFFD left by broken encodings upstream, and the bidi
# embedding, override and isolate controls, which can make displayed text read differently from what it is
# ("‮evil‬ txt.exe").
_JUNK_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\u202a-\u202e\u2066-\u2069]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u3000]*\n[ \t\u00a0\u3000\n]*|[ \t\u00a0]+")
_FENCE_RE = re.compile(r"```+[\w+-]*")
_HEADING_MARK_RE = re.compile(r"^\s*#{1,6}\s+")

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_DROP_TAGS = frozenset(
    {"script", "style", "template", "noscript", "iframe", "svg", "object", "head", "title"}
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3"})


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Jekyll's kramdown renders GFM-style tables and passes raw HTML through; so does this.
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def strip_liquid(text: str) -> str:
    """Remove Liquid tags and outputs; keep ``{% raw %}`` content and ``{% highlight %}`` code."""
    raws: list[str] = []

    def keep_raw(m: re.Match[str]) -> str:
        raws.append(m.group(1))
        return f"\x00{len(raws) - 1}\x00"

    text = _RAW_RE.sub(keep_raw, text)
    text = _COMMENT_RE.sub("", text)
    text = _HIGHLIGHT_RE.sub(lambda m: "\n```\n" + m.group(1) + "\n```\n", text)
    text = _LIQUID_TAG_RE.sub("", text)
    text = _LIQUID_OUTPUT_RE.sub("", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: raws[int(m.group(1))], text)


class _TextExtractor(HTMLParser):
    """Collect the visible text of HTML as blocks, noting which blocks are h1-h3 headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []  # (kind, text): kind is "h" for h1-h3, else "p"
        self._parts: list[str] = []
        self._drop_depth = 0
        self._heading_depth = 0
        self._pre_depth = 0

    def _flush(self) -> None:
        text = "".join(self._parts)
        self._parts = []
        for line in text.split("\n") if self._pre_depth else [text]:
            clean = _normalise_space(line)
            if clean:
                self.blocks.append(("h" if self._heading_depth else "p", clean))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._drop_depth += 1
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag in _HEADING_TAGS:
                self._heading_depth += 1
            if tag == "pre":
                self._pre_depth += 1
        elif tag == "br":
            self._parts.append("\n" if self._pre_depth else " ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self._drop_depth:
                self._parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag in _HEADING_TAGS:
                self._heading_depth = max(0, self._heading_depth - 1)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _normalise_space(text: str) -> str:
    return " ".join(_JUNK_RE.sub("", text).split())


def html_blocks(html: str) -> list[tuple[str, str]]:
    """Return the visible text blocks of ``html`` as ``(kind, text)``; kind "h" marks h1-h3."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.blocks


@dataclass(frozen=True, slots=True)
class PostText:
    """A post body as a reader sees it."""

    text: str  # blocks joined with "\n"
    headings: tuple[str, ...]
    first_paragraph: str


def render_text(body: str, *, markdown: bool = True) -> PostText:
    """Render a post body (Markdown or HTML) to clean text blocks, each repeated block kept once.

    Generated posts often repeat whole sections; indexing them once keeps ranking and excerpts honest.
    """
    body = _END_MARKER_RE.sub("", strip_liquid(body))
    body = _INLINE_END_RE.sub(" ", body)
    html = _markdown().render(body) if markdown else body
    seen: set[str] = set()
    blocks: list[str] = []
    headings: list[str] = []
    first_paragraph = ""
    for kind, text in html_blocks(html):
        key = "".join(text.split())
        if key in seen:
            continue
        seen.add(key)
        blocks.append(text)
        if kind == "h":
            headings.append(text)
        elif not first_paragraph:
            first_paragraph = text
    return PostText("\n".join(blocks), tuple(headings), first_paragraph)


def clean_inline(text: str) -> str:
    """Clean a title, excerpt or tag: no Liquid, Markdown or HTML markup, one line, no junk characters."""
    text = strip_liquid(_JUNK_RE.sub("", text))
    text = _FENCE_RE.sub(" ", text)
    text = _HEADING_MARK_RE.sub("", text)
    text = _INLINE_END_RE.sub(" ", text)
    if any(ch in text for ch in "*_`[<&\\!~"):
        html = _markdown().renderInline(text)
        text = " ".join(t for _, t in html_blocks(html))
    return _normalise_space(text)
