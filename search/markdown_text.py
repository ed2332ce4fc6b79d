"""The text a reader sees in a post: Liquid rendered, kramdown's markup removed, Markdown rendered, HTML
stripped, repeats dropped. Pure functions on strings; imports markdown-it only.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import html
import itertools
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.rules_block.hr import hr
from markdown_it.rules_block.html_block import html_block
from markdown_it.rules_block.lheading import lheading
from markdown_it.rules_block.list import list_block
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_block.table import table
from markdown_it.rules_core.state_core import StateCore
from markdown_it.rules_inline.state_inline import Delimiter
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

# Bump when the clean text of a post changes for the same source (a new rule here or in what Liquid
# renders), or its URL does (search/posts.py), so that existing indexes are rebuilt: an update redoes
# only the posts whose files changed.
# 4: markup left open hides the rest of the page (_TextExtractor.close); a post's own permalink is never a
# style name, and :name keeps the file name's date.
# 5: Markdown read as kramdown reads it: "*", "_" and "~~" open and close by its rule (_kramdown_delimiters),
# ordered lists start where it starts them (_kramdown_list), underlined headings only where it reads them
# (_kramdown_setext); an END marker in a heading counts in its id (_hide_end_marker).
# 6: footnotes as kramdown shows them: a marker is its number, the footnote's text ends the post
# (_move_footnotes); two backslashes ending a line are a line break (_kramdown_line_break); abbreviation
# definitions are no text (_drop_abbreviations); quotes, dashes and ellipses typeset by kramdown's rules
# (_kramdown_typography); a rule right below a line of text is text of it (_kramdown_rule); "<<" starts no
# tag (_kramdown_guillemet); a task list item's box is no text (_gfm_task_list); definition lists' terms and
# definitions are blocks (_definition_lists); a table only between blank lines (_kramdown_table); an HTML
# block's content as written (_keep_html_blocks_raw); a comment below a line of text does not end its
# paragraph (_kramdown_html_block); a "|" in code in a table is code (_codes_in_tables); lines of cells
# without a separator line are a table (_tables_without_separator).
TEXT_VERSION = 6

# What ``{{ … }}`` outputs may add to one text in all, however often a post repeats a long value.
MAX_LIQUID_OUTPUT_CHARS = 100_000

# Liquid's pairs, each an opening and a closing pattern: what lies between is the first closing after the
# opening (as ``open(.*?)close`` with re.S would take it), found by _replace_pairs.
_RAW = (re.compile(r"{%-?\s*raw\s*-?%}"), re.compile(r"{%-?\s*endraw\s*-?%}"))
_COMMENT = (re.compile(r"{%-?\s*comment\s*-?%}"), re.compile(r"{%-?\s*endcomment\s*-?%}"))
_HIGHLIGHT = (re.compile(r"{%-?\s*highlight\b[^%]*-?%}\n?"), re.compile(r"{%-?\s*endhighlight\s*-?%}"))
_LIQUID_TAG = (re.compile(r"{%"), re.compile(r"%}"))
# A "-" before the "}}" trims whitespace and is not part of the expression.
_LIQUID_OUTPUT = (re.compile(r"{{-?"), re.compile(r"-?}}"))
# The value an output names: a string literal or a dotted variable, before any filter.
_LIQUID_STRING_RE = re.compile(r"""\A\s*(?:"([^"]*)"|'([^']*)')\s*(?:\||\Z)""")
_LIQUID_VARIABLE_RE = re.compile(r"\A\s*([A-Za-z_][\w-]*\??(?:\.[A-Za-z_][\w-]*\??)*)\s*(?:\||\Z)")
_END_MARKER_RE = re.compile(r"^[ \t]*-{2,}[ \t]*END[ \t]*-{2,}[ \t]*$", re.M | re.I)
# Only from the first dash of a run, and no giving back: a match from inside a run would start at its
# first dash anyway, and retrying each shorter run made a long run of dashes quadratic.
_INLINE_END_RE = re.compile(r"(?<!-)-{3,}+\s*+END\s*+-{3,}+", re.I)
# Around an END marker inside a line, carried through Markdown rendering: the page shows it, so a heading's
# id counts it (_inline_text), and the text leaves it out (_TextExtractor._flush). Control characters, which
# a post's own text loses first (render_text).
_HIDDEN_START, _HIDDEN_END = "\x05", "\x06"
_HIDDEN_RE = re.compile("\x05[^\x05\x06]*+\x06")
# Control characters other than tab and newline, U+FFFD left by broken encodings upstream, and the bidi
# embedding, override and isolate controls, which can make displayed text read differently from what it is
# ("‮evil‬ txt.exe").
_JUNK_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\u202a-\u202e\u2066-\u2069]")
_FENCE_RE = re.compile(r"```+[\w+-]*")
_HEADING_MARK_RE = re.compile(r"^\s*#{1,6}\s+")

# kramdown (Jekyll's Markdown converter) syntax that markdown-it would show as text. Lengths are bounded
# so that no pattern rescans a long line or post from every position where a match fails.
# The attribute list of an IAL or ALD: anything but braces (an escaped "}" aside) and line ends.
_ATTRS = r"(?:\\\}|[^{}\n]){0,500}"
# Fenced code blocks and code spans: their text is code, where kramdown sees no markup. A fence is all of
# its run (a shorter one never matches where the whole one fails: only a missing line end fails it), so a
# line of backticks is not retried run length by run length.
_CODE_RE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}+|~{3,}+)[^\n]*+\n.*?(?:^[ \t]{0,3}(?P=fence)[`~]*[ \t]*$|\Z)"
    r"|(?<!`)(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).){1,1000}?(?<!`)(?P=ticks)(?!`)",
    re.M | re.S,
)
_PLACEHOLDER_RE = re.compile("\x01(\\d+)\x02")
# Extensions: {::comment}…{:/comment} (dropped), {::nomarkdown}…{:/nomarkdown} (kept), {::options … /}.
# kramdown leaves other names as text, and so does this.
_EXTENSION_RE = re.compile(r"\{::(comment|nomarkdown|options)\b(" + _ATTRS + r")\}")
_EXTENSION_ENDS = {name: re.compile(r"\{:/(?:" + name + r")?\}") for name in ("comment", "nomarkdown")}
# Block IALs and ALDs alone on a line (in a list or quote too): {: .class}, {:#id .c key="v"},
# {:ref: .class}, {:toc}. Group 1 is the quote markers, group 2 the attributes.
_BLOCK_IAL_RE = re.compile(r"\A((?:[ \t]*>)*)[ \t]*\{:(?![:/])(" + _ATTRS + r")\}[ \t]*\Z")
# A span IAL right after an inline element: a link, image, emphasis, code span or HTML element.
_SPAN_IAL_RE = re.compile(r"(?<=[)\]*_~>\x02])\{:(?![:/])" + _ATTRS + r"\}")
# These two start at the first blank of a run only (a match from inside one would start at its first blank
# anyway), so that a long run of blanks is not searched from each of its blanks.
_HEADER_ID_RE = re.compile(r"(?<![ \t])[ \t]++\{#([A-Za-z][\w:-]*+)\}[ \t]*+\Z")
# Around a kramdown header id ({#id}) carried through Markdown rendering; control characters, which the
# clean text never holds.
_ID_START, _ID_END = "\x03", "\x04"
# From the first blank of a run only, as _HEADER_ID_RE: a heading of many blanks is not searched from each.
_ID_MARK_RE = re.compile(r"(?<!\s)\s*+\x03([^\x03\x04]*+)\x04\s*+\Z")
_ATX_RE = re.compile(r"\A[ \t]{0,3}#{1,6}(?:[ \t]|\Z)")
_ATX_CLOSE_RE = re.compile(r"(?<![ \t])[ \t]++#++[ \t]*+\Z")
_SETEXT_RE = re.compile(r"\A[ \t]{0,3}(?:=+|-+)[ \t]*\Z")
_LIST_ITEM_RE = re.compile(r"\A[ \t]{0,3}(?:[*+-]|\d+[.)])[ \t]")
# An HTML block whose content kramdown parses as Markdown blocks (markdown="1" or "block"); group 1 is
# its start tag, 2 the name, 3 and 5 the other attributes. The tag is checked to end in ">" first, and the
# attribute is looked for only where a run of blanks starts (or right after the name's blank, where the
# lazy group 3 first tries it): a match from inside a run would start at its first blank anyway. Without
# both, a tag with a long run of blanks, or many markdown="1" and no ">", was searched from each position.
_MARKDOWN_HTML_RE = re.compile(
    r"^[ \t]{0,3}(?=<[^<>]*+>)"
    r"(<([A-Za-z][\w-]*+)(\s(?:[^<>]*?(?<!\s))??)?\s++markdown\s*+=\s*+([\"']?)(?:1|block)\4(\s[^<>]*+)?>)",
    re.M | re.I,
)
_HTML_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w-]*)(?:\s[^<>]*)?>")

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
_LIST_TAGS = frozenset({"ul", "ol"})
# A list of links only is navigation (related posts, further reading) from this many items: one link alone
# in a list is more often the point of the sentence it stands for.
MIN_LINK_LIST_ITEMS = 2
_HEADING_TAGS = frozenset({"h1", "h2", "h3"})
_SECTION_TAGS = frozenset({"h2", "h3"})  # the headings a hit links to
_TYPOGRAPHIC_DASH_RE = re.compile(r"-{2,3}")
# Ruby's \p{Word}: letters, marks, decimal digits, connector punctuation.
_WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Pc"})


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Jekyll's kramdown renders GFM-style tables and ~~strikethrough~~ and passes raw HTML through; so does
    # this. Its emphasis opens and closes by its own rule, not CommonMark's (_kramdown_delimiters).
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.inline.ruler.at("emphasis", _kramdown_delimiters)
    md.inline.ruler.at("strikethrough", _kramdown_delimiters)
    md.block.ruler.at("list", _kramdown_list, {"alt": ["paragraph", "reference", "blockquote"]})
    md.block.ruler.at("lheading", _kramdown_setext)
    md.block.ruler.at("hr", _kramdown_rule, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.block.ruler.at("table", _kramdown_table, {"alt": ["paragraph", "reference"]})
    md.block.ruler.at("html_block", _kramdown_html_block, {"alt": ["paragraph", "reference", "blockquote"]})
    md.inline.ruler.before("escape", "kramdown_line_break", _kramdown_line_break)
    md.inline.ruler.before("autolink", "kramdown_guillemet", _kramdown_guillemet)
    md.core.ruler.before("text_join", "kramdown_typography", _kramdown_typography)
    md.core.ruler.before("text_join", "gfm_task_list", _gfm_task_list)
    return md


# A GFM task list item's box: "[ ]" or "[x]" and blanks, at the start of its first paragraph.
_TASK_BOX_RE = re.compile(r"\A\s*\[(?: |[xX])\]\s+")


def _gfm_task_list(state: StateCore) -> None:
    """kramdown's GFM parser makes a list item's leading "[ ] " or "[x] " a checkbox, which shows no
    text; markdown-it left the brackets in the item's text."""
    tokens = state.tokens
    for n in range(len(tokens) - 2):
        if tokens[n].type != "list_item_open" or tokens[n + 1].type != "paragraph_open":
            continue
        children = tokens[n + 2].children
        if children and children[0].type == "text":
            children[0].content = _TASK_BOX_RE.sub("", children[0].content, count=1)


def _kramdown_guillemet(state: StateInline, silent: bool) -> bool:
    """Two "<" are text, which _kramdown_typography makes «: kramdown reads them as a typographic symbol
    before the second could start a tag or an autolink, so <<Jekyll>> is «Jekyll» on the page, where
    markdown-it read a tag <Jekyll> and the text lost the word."""
    if not state.src.startswith("<<", state.pos):
        return False
    if not silent:
        state.pending += "<<"
    state.pos += 2
    return True


# kramdown's typographic symbols (TYPOGRAPHIC_SYMS, in its order: the longer first) and what Jekyll's page
# shows for each. "<< " is "&laquo;&nbsp;" there; a plain blank here, as in the text kramdown derives a
# heading's id from (and the clean text makes every blank one space anyway).
_TYPOGRAPHIC_SYMS = {
    "---": "\u2014",
    "--": "\u2013",
    "...": "\u2026",
    "\\<<": "<<",
    "\\>>": ">>",
    "<< ": "\u00ab ",
    " >>": " \u00bb",
    "<<": "\u00ab",
    ">>": "\u00bb",
}
# Where kramdown's span parsers for smart quotes and typographic symbols may start ([^\\]?["'] and
# --|\.\.\.|(?:\\| )?(?:<<|>>)), the quotes first where both may.
_TYPOGRAPHY_START_RE = re.compile(r"""(?P<quote>[^\\]?["'])|(?P<sym>--|\.\.\.|(?:\\| )?(?:<<|>>))""")
_SYMS_RE = re.compile("|".join(re.escape(sym) for sym in _TYPOGRAPHIC_SYMS))
_TYPOGRAPHY_MARKS = ('"', "'", "--", "...", "<<", ">>")  # where _TYPOGRAPHY_START_RE can match
# kramdown's SQ_RULES, tried in order where a quote may start (ASCII classes, as Ruby's \w, \s and \d):
# each part is a group kept as text or a quote, "l"/"r" opening or closing, of the kind the group holds
# (a fixed "‘" or "“" where the rule names one).
_SQ_PUNCT = r"""[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]"""
_SQ_CLOSE = r"[^ \\\t\r\n\[{(-]"
_SMART_QUOTE_RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.ASCII | flags), parts)
    for pattern, flags, parts in (
        (r"""("|')(?=[_*]{1,2}\S)""", 0, ("l",)),
        (r"""("|')(?=""" + _SQ_PUNCT + r"""(?!\.\.)\B)""", 0, ("r",)),
        (r"""(\s?)(")(')(?=\w)""", 0, ("", "l", "l")),
        (r"""(\s?)(')(")(?=\w)""", 0, ("", "l", "l")),
        (r"""(\s?)(')(?=\d\ds)""", 0, ("", "r")),
        (r"""(\s)('|")(?=\w)""", 0, ("", "l")),
        (r"(" + _SQ_CLOSE + r""")('|")""", 0, ("", "r")),
        (r"""("|')(?=\s|s\b|$)""", re.M, ("r",)),
        (r"(.?)(')", re.S, ("", "l")),
        (r"""(.?)(")""", re.S, ("", "l")),
    )
)
_QUOTES = {("l", "'"): "\u2018", ("r", "'"): "\u2019", ("l", '"'): "\u201c", ("r", '"'): "\u201d"}


def _kramdown_typography(state: StateCore) -> None:
    """kramdown's smart quotes and typographic symbols in the text of each inline run, as Jekyll's page
    shows them: "quoted" as “quoted”, it's as it’s, "--" and "---" as – and —, "..." as …, "<<" as «. Not in
    code, HTML, an image's alt text (kramdown keeps it as written) nor a title or tag (clean_inline: a
    layout shows those as written)."""
    if state.inlineMode:
        return
    for token in state.tokens:
        # The run's source holds every character its rules could typeset (most Japanese text none of them);
        # substring tests, as _TYPOGRAPHY_START_RE's optional first character makes a search of it slow.
        if token.type == "inline" and token.children and _may_typeset(token.content):
            _typography_in(token.children)


def _may_typeset(source: str) -> bool:
    """Whether ``source`` holds a quote or the start of a typographic symbol (:data:`_TYPOGRAPHIC_SYMS`)."""
    return any(mark in source for mark in _TYPOGRAPHY_MARKS)


def _typography_in(children: list[Token]) -> None:
    # kramdown reads a run of text (line breaks within it too) with a scanner that jumps over each element
    # it parses (emphasis, a code span, a link, an escaped character), so a quote right after one has no
    # character before it for the rules to look at; what follows a quote is the source, whatever element it
    # starts. That source is rebuilt from the tokens.
    pieces: list[str] = []
    runs: list[list[tuple[int, Token]]] = []  # each run's tokens, with where each starts in the source
    length = 0
    in_run = False
    for token in children:
        if token.type in ("text", "softbreak"):
            piece = token.content if token.type == "text" else "\n"
            if not in_run:
                runs.append([])
            runs[-1].append((length, token))
            in_run = True
        else:
            piece = _source_of(token)
            in_run = False
        pieces.append(piece)
        length += len(piece)
    source = "".join(pieces)
    for run in runs:
        starts = [start for start, _ in run]
        end = starts[-1] + (len(run[-1][1].content) if run[-1][1].type == "text" else 1)
        ends = [*starts[1:], end]
        texts: list[list[str]] = [[] for _ in run]
        for start, stop, piece in _typographic_pieces(source, starts[0], end):
            n = bisect.bisect_right(starts, start) - 1
            if piece != source[start:stop]:  # a quote or symbol typeset: its token's, where it starts
                texts[n].append(piece)
                continue
            while start < stop:  # text kept as written may run over several tokens: each keeps its own
                texts[n].append(source[start : min(stop, ends[n])])
                start = ends[n]
                n += 1
        for (_, token), shown in zip(run, texts, strict=True):
            if token.type == "text":
                token.content = "".join(shown)


def _source_of(token: Token) -> str:
    """What kramdown's scanner sees of an element: its markup (what a quote's rules look at after it)."""
    if token.type == "text_special":
        return token.markup or token.content  # an escape ("\\'") or an entity as written
    if token.type == "code_inline":
        return token.markup + token.content + token.markup
    if token.type == "html_inline":
        return token.content
    if token.type == "hardbreak":
        return "\n"
    if token.type == "link_open":
        return "["
    if token.type in ("link_close", "image"):
        return "](x)"
    return token.markup


def _typographic_pieces(source: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The text of ``source[start:end]`` with kramdown's typography, as pieces each with the span of the
    source it stands for."""
    out: list[tuple[int, int, str]] = []
    pos = start
    while (m := _TYPOGRAPHY_START_RE.search(source, pos, end)) is not None:
        out.append((pos, m.start(), source[pos : m.start()]))
        pos = m.start()
        if m.group("quote") is not None:
            for rule, parts in _SMART_QUOTE_RULES:
                # A rule may look past the run (at what follows it) but takes nothing beyond it.
                found = rule.match(source, pos)
                if found is None or found.end() > end:
                    continue
                for n, part in enumerate(parts, 1):
                    group = found.group(n)
                    out.append((found.start(n), found.end(n), _QUOTES[part, group] if part else group))
                pos = found.end()
                break
            else:  # no rule takes it (kramdown's last two always do)
                out.append((pos, pos + 1, source[pos]))
                pos += 1
        else:
            sym = _SYMS_RE.match(source, pos, end)
            if sym is None:  # " <<" may start one, and is none: kramdown keeps the blank and reads on
                out.append((pos, pos + 1, source[pos]))
                pos += 1
                continue
            out.append((pos, sym.end(), _TYPOGRAPHIC_SYMS[sym.group()]))
            pos = sym.end()
    out.append((pos, end, source[pos:end]))
    return out


def _kramdown_line_break(state: StateInline, silent: bool) -> bool:
    """kramdown's other hard line break: two backslashes at the end of a line (LINE_BREAK), where
    CommonMark reads an escaped backslash and the page showed a "\\" that Jekyll's does not. Runs before
    markdown-it's escapes, which take backslashes in pairs from the left as kramdown does, so an odd one
    before the pair ("\\\\\\") is still an escaped backslash followed by a break."""
    pos = state.pos
    src = state.src
    if not src.startswith("\\\\\n", pos):
        return False
    if not silent:
        state.push("hardbreak", "br", 0)
    pos += 3
    while pos < state.posMax and src[pos] in " \t":  # the next line's indent, as after any break
        pos += 1
    state.pos = pos
    return True


_SETEXT_UNDERLINE_RE = re.compile(r"(?:=+|-+)[ \t]*\Z")


def _kramdown_setext(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's setext heading rule, held to kramdown's: one line and its underline, where a block may
    start (first in the post, a quote or a list item, or after a blank line). CommonMark also underlines
    several lines, and a line right after a heading or a rule ("---" then "注記" then "---"), so a section
    link could point at a heading the page does not have (kramdown shows the underline in the paragraph)."""
    underline = startLine + 1
    if underline >= endLine or not state.blkIndent <= state.sCount[underline] < state.blkIndent + 4:
        return False
    pos = state.bMarks[underline] + state.tShift[underline]
    if not _SETEXT_UNDERLINE_RE.match(state.src, pos, state.eMarks[underline]):
        return False
    # A container's first block follows its opening token; any other follows a blank line.
    first = not state.tokens or state.tokens[-1].nesting == 1
    if not (first or (startLine > 0 and state.isEmpty(startLine - 1))):
        return False
    return lheading(state, startLine, endLine, silent)


def _kramdown_html_block(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's HTML block, held to kramdown's paragraphs: they end at a line starting an element's
    tag (LAZY_END_HTML_START), never at a comment, declaration or processing instruction, so a
    "<!-- more -->" right below a line of text is a comment inside the paragraph, not the end of it."""
    if silent and state.parentType in ("paragraph", "blockquote"):
        pos = state.bMarks[startLine] + state.tShift[startLine]
        if state.src.startswith(("<!", "<?"), pos):
            return False
    return html_block(state, startLine, endLine, silent)


def _kramdown_table(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's table, held to kramdown's: a table stands between block boundaries, a blank line (or
    the start of the post or of a container) above it and a blank line (or the end) below it, and each of
    its lines holds a "|". Elsewhere kramdown shows its lines as text of a paragraph, pipes and all, and
    a table never interrupts a paragraph; markdown-it read a table right below a line of text or a heading,
    or with a line of text right below it."""
    if silent:  # asked whether a table ends the paragraph above it: kramdown's never does
        return False
    first = not state.tokens or state.tokens[-1].nesting == 1
    if not (first or (startLine > 0 and state.isEmpty(startLine - 1))):
        return False
    count = len(state.tokens)
    if not table(state, startLine, endLine, silent):
        return False
    end = state.line
    rows = range(startLine, end)
    piped = all("|" in state.src[state.bMarks[n] : state.eMarks[n]] for n in rows)
    if piped and (end >= endLine or state.isEmpty(end)):
        return True
    del state.tokens[count:]
    state.line = startLine
    return False


# A line kramdown's GFM parser lets end a paragraph that a rule may also be: one starting a bullet list.
_BULLET_START_RE = re.compile(r"[ \t]{0,3}[*+-][ \t]")


def _kramdown_rule(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's thematic break, held to kramdown's paragraphs: they end at a line that starts a list,
    a heading, a quote or a fence (PARAGRAPH_END_GFM), never at a rule, so "***" or "___" right below a line
    of text (a quote's or list item's too) is text of it; "* * *", which starts a list item, is a rule. The
    text had a paragraph break there, and lost the line the page shows."""
    if silent and state.parentType in ("paragraph", "blockquote"):
        pos = state.bMarks[startLine]
        if not _BULLET_START_RE.match(state.src, pos, state.eMarks[startLine]):
            return False
    return hr(state, startLine, endLine, silent)


# kramdown's ordered list items: digits and a dot, then a blank (LIST_START_OL); "1)" starts none.
_KRAMDOWN_ORDERED_RE = re.compile(r"\d+\.[ \t]")
_PAREN_ORDERED_RE = re.compile(r"\d+\)")


def _kramdown_list(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's list rule, with kramdown's (GFM input) ordered lists: any number ends the paragraph
    above it ("文章です。" then "2. 二番目"), where CommonMark lets only a "1." interrupt one and kept "2."
    in the paragraph's text; and "1)" starts no list, as kramdown has none, so it stays text."""
    pos = state.bMarks[startLine] + state.tShift[startLine]
    end = state.eMarks[startLine]
    if _PAREN_ORDERED_RE.match(state.src, pos, end):
        return False
    if (
        silent
        and state.parentType == "paragraph"
        and state.blkIndent <= state.sCount[startLine] < state.blkIndent + 4
        and _KRAMDOWN_ORDERED_RE.match(state.src, pos, end)
    ):
        return True
    return list_block(state, startLine, endLine, silent)


# Ruby's \s, what kramdown's emphasis rules test for: ASCII blanks only (a full-width space is no blank).
_RUBY_BLANKS = frozenset(" \t\n\r\f\v")


def _kramdown_delimiters(state: StateInline, silent: bool) -> bool:
    """markdown-it's tokenizer of ``*``, ``_`` and ``~~`` runs, which marks each run as able to open or
    close emphasis (strikethrough), with kramdown's rule instead of CommonMark's.

    kramdown opens where no blank follows the run and closes where no blank comes before it; ``_`` does not
    open after a letter ("a-" too) nor close before a letter or digit. CommonMark also refuses a run with
    punctuation on one side and a letter on the other, so ``**「強調」**です`` and ``**注意:**本文`` showed
    their asterisks where a Jekyll page shows bold text. Pairing the runs stays markdown-it's (balance_pairs
    and each rule's post-processing, in linear time).
    """
    src = state.src
    start = state.pos
    marker = src[start]
    if silent or marker not in "*_~":
        return False
    end = start
    while end < state.posMax and src[end] == marker:
        end += 1
    length = end - start
    if marker == "~" and length < 2:
        return False
    before = src[start - 1] if start > 0 else " "
    after = src[end] if end < state.posMax else " "
    can_open = after not in _RUBY_BLANKS
    can_close = before not in _RUBY_BLANKS
    if marker == "_":
        after_letter = before.isalpha() or (before == "-" and start > 1 and src[start - 2].isalpha())
        can_open = can_open and not after_letter
        can_close = can_close and not after.isalnum()
    if marker == "~":
        # As markdown-it's strikethrough: each pair of tildes is a delimiter, an odd one left is text.
        if length % 2:
            state.push("text", "", 0).content = "~"
        for _ in range(length // 2):
            state.push("text", "", 0).content = "~~"
            state.delimiters.append(Delimiter(ord("~"), 0, len(state.tokens) - 1, -1, can_open, can_close))
    else:
        for _ in range(length):
            state.push("text", "", 0).content = marker
            state.delimiters.append(
                Delimiter(ord(marker), length, len(state.tokens) - 1, -1, can_open, can_close)
            )
    state.pos = end
    return True


@dataclass(frozen=True, slots=True)
class HeadingIds:
    """How Jekyll's kramdown (GFM input, its default) gives headings their ids: ``auto`` (kramdown's
    ``auto_ids``, on by default) and ``prefix`` (``auto_id_prefix``). A ``{#id}`` of the post's own wins."""

    auto: bool = True
    prefix: str = ""


JEKYLL_HEADING_IDS = HeadingIds()  # Jekyll's defaults: ids derived from the text, no prefix


def gfm_heading_id(text: str) -> str:
    """The id kramdown's GFM parser derives from a heading's text (before numbering repeats): lower case,
    every character but letters, marks, decimal digits, connector punctuation, "-", space and tab dropped,
    spaces and tabs made "-" (Ruby's ``/[^\\p{Word}\\- \\t]/``). Japanese stays as it is."""
    # kramdown makes "--" and "---" typographic dashes, which are then dropped; "-" alone stays.
    text = _TYPOGRAPHIC_DASH_RE.sub("", text.lower())
    kept = (
        ch
        for ch in text
        if ch in "- \t" or unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) in ("Nd", "Pc")
    )
    return "".join(kept).replace(" ", "-").replace("\t", "-")


def _inline_text(token: Token) -> str:
    """A heading's text as kramdown reads it for its id: text and code, not images or markup."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts).replace(_HIDDEN_START, "").replace(_HIDDEN_END, "").strip()


def _set_heading_ids(tokens: list[Token], ids: HeadingIds | None) -> None:
    """Give each Markdown heading the id Jekyll's kramdown gives it; take out the ``{#id}`` markers."""
    used: dict[str, int] = {}
    for heading, inline in itertools.pairwise(tokens):
        if heading.type != "heading_open" or inline.type != "inline":
            continue
        explicit = None
        last = inline.children[-1] if inline.children else None
        if last is not None and last.type == "text" and (m := _ID_MARK_RE.search(last.content)):
            explicit = m.group(1)
            last.content = last.content[: m.start()]
        if ids is None:
            continue
        if explicit is not None:
            heading.attrSet("id", explicit)
        elif ids.auto:
            base = gfm_heading_id(_inline_text(inline))
            n = used[base] = used.get(base, -1) + 1
            heading.attrSet("id", ids.prefix + base + (f"-{n}" if n else ""))


def render_markdown(body: str, ids: HeadingIds | None = None) -> str:
    """Render kramdown-flavoured Markdown (see :func:`strip_kramdown`) to HTML, headings with the ids
    Jekyll gives them (``ids`` None: none)."""
    md = _markdown()
    tokens = md.parse(strip_kramdown(body))
    _set_heading_ids(tokens, ids)
    return str(md.renderer.render(tokens, md.options, {}))


def strip_liquid(text: str, variables: Mapping[str, str] | None = None) -> str:
    """Render Liquid as the reader sees it: outputs become their value, tags are removed.

    ``{{ site.title }}``, ``{{ page.author.name }}`` or ``{{ "text" }}`` render as the value ``variables``
    gives the dotted name (filters are ignored), or as the literal; unknown names render as nothing, as in
    Liquid. ``{% raw %}`` content and ``{% highlight %}`` code are kept. Outputs add at most
    :data:`MAX_LIQUID_OUTPUT_CHARS` characters in all.

    :param variables: scalar values by dotted name (``"site.title"``, ``"page.date"``), already text.
    """
    raws: list[str] = []

    def keep_raw(content: str) -> str:
        raws.append(content)
        return f"\x00{len(raws) - 1}\x00"

    text = _replace_pairs(text, _RAW, keep_raw)
    text = _replace_pairs(text, _COMMENT, lambda content: "")
    text = _replace_pairs(text, _HIGHLIGHT, lambda content: "\n```\n" + content + "\n```\n")
    text = _replace_pairs(text, _LIQUID_TAG, lambda content: "")
    text = _replace_pairs(text, _LIQUID_OUTPUT, _OutputRenderer(variables or {}))
    return re.sub(r"\x00(\d+)\x00", lambda m: raws[int(m.group(1))], text)


def _replace_pairs(
    text: str, pair: tuple[re.Pattern[str], re.Pattern[str]], replace: Callable[[str], str]
) -> str:
    """Replace each opening, the text up to the first closing after it, and that closing, with
    ``replace(the text between)``: what ``re.sub`` of ``open(.*?)close`` (re.S) does, in linear time.

    That pattern, where a closing is missing, searches the rest of the text from every opening (a post of
    ``{{`` repeated took seconds per 100 KB, growing with the square of its size). A closing is looked for
    once per opening here, and the first opening without one ends the work: a later opening has no closing
    after it either. Each opening's end is unique, so nothing a backtracking regex could try is lost.
    """
    opening, closing = pair
    out: list[str] = []
    pos = 0
    while (start := opening.search(text, pos)) is not None:
        end = closing.search(text, start.end())
        if end is None:
            break
        out.append(text[pos : start.start()])
        out.append(replace(text[start.end() : end.start()]))
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


class _OutputRenderer:
    """Give the value of one ``{{ … }}`` expression, within a budget of characters for the whole text."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables
        self.left = MAX_LIQUID_OUTPUT_CHARS

    def __call__(self, expression: str) -> str:
        literal = _LIQUID_STRING_RE.match(expression)
        if literal:
            value = literal.group(1) if literal.group(1) is not None else literal.group(2)
        else:
            name = _LIQUID_VARIABLE_RE.match(expression)
            value = self.variables.get(name.group(1), "") if name else ""
        if len(value) > self.left:
            return ""
        self.left -= len(value)
        return value


def strip_kramdown(text: str) -> str:
    """Remove the kramdown markup that CommonMark would show as text, as Jekyll's kramdown removes it.

    Inline attribute lists after an element (``[link](/x){: .cta}``) or alone on a line (``{: .note}``,
    ``{:#id .c key="v"}``), attribute list definitions (``{:ref: .c}``), ``{:toc}`` with the list it
    replaces, header IDs (``## 見出し {#id}``), and the extensions ``{::comment}…{:/comment}`` (content
    dropped), ``{::nomarkdown}…{:/nomarkdown}`` (content kept) and ``{::options … /}``. HTML blocks with
    ``markdown="1"`` get their content parsed as Markdown. Code blocks and code spans are left alone.
    """
    codes: list[str] = []

    def keep_code(m: re.Match[str]) -> str:
        codes.append(m.group())
        return f"\x01{len(codes) - 1}\x02"

    # The placeholders' delimiters are control characters, dropped from the clean text anyway.
    text = _CODE_RE.sub(keep_code, text.replace("\x01", "").replace("\x02", ""))
    text = _definition_lists(_move_footnotes(_drop_abbreviations(_strip_extensions(text))))
    text = _open_markdown_html(_strip_attribute_lists(_keep_html_blocks_raw(text)))
    text = _tables_without_separator(text)
    in_tables = _codes_in_tables(text)

    def restore(m: re.Match[str]) -> str:
        code = codes[int(m.group(1))]
        return code.replace("|", "\\|") if m.group(1) in in_tables else code

    return _PLACEHOLDER_RE.sub(restore, text)


# A pipe kramdown splits a table row at (TABLE_PIPE_CHECK): one no backslash escapes. Code is kept aside.
_CELL_PIPE_RE = re.compile(r"(?<!\\)\|")
_BLANK_LINES_RE = re.compile(r"(\n[ \t]*\n)")
# A cell's start that markdown-it would read as a block of its own once the cell is a paragraph.
_CELL_BLOCK_START_RE = re.compile(r"\A(?:[#>]|[+*-](?=[ \t]|\Z)|(\d+)([.)])(?=[ \t]|\Z))")


def _tables_without_separator(text: str) -> str:
    """kramdown's tables without a separator line: lines between blank lines that each hold a "|" are a
    table's rows (a line of "タグ: Python | Jekyll" alone too), which GFM, and so markdown-it, reads as a
    paragraph, pipes and all. Each cell is made a paragraph of its own (the page shows each cell as a
    block), with the indent of its rows, so that a table in a list item stays in it. A run read otherwise
    first (a quote, heading, list item, indented code) or that is a GFM table already is left alone."""
    if "|" not in text:
        return text
    parts = _BLANK_LINES_RE.split(text)
    for n in range(0, len(parts), 2):
        rows = parts[n].split("\n")
        first = rows[0]
        indent = first[: len(first) - len(first.lstrip(" "))]
        if (
            not all(_CELL_PIPE_RE.search(row) for row in rows)
            or len(indent) > 3
            or first.startswith("\t")
            or (_NOT_PARAGRAPH_RE.match(first.lstrip(" ")) and not first.lstrip(" ").startswith("|"))
            or (len(rows) > 1 and _TABLE_SEPARATOR_RE.fullmatch(rows[1]))
            or all(_TABLE_SEPARATOR_RE.fullmatch(row) for row in rows)
        ):
            continue
        leading_pipe = first.lstrip().startswith("|")
        cells: list[str] = []
        for row in rows:
            if _TABLE_SEPARATOR_RE.fullmatch(row):
                continue
            split = _CELL_PIPE_RE.split(row)
            if leading_pipe and not split[0].strip():
                split = split[1:]
            if split and not split[-1].strip():
                split = split[:-1]
            for cell in (part.replace("\\|", "|").strip() for part in split):
                if cell:
                    cells.append(indent + _CELL_BLOCK_START_RE.sub(_escape_block_start, cell))
        parts[n] = "\n\n".join(cells)
    return "".join(parts)


def _escape_block_start(start: re.Match[str]) -> str:
    if start.group(1) is not None:
        return start.group(1) + "\\" + start.group(2)
    return "\\" + start.group()


# A table's separator line, as kramdown's TABLE_SEP_LINE finds one: pipes, colons, blanks and a "-".
_TABLE_SEPARATOR_RE = re.compile(r"[ \t|:+-]*-[ \t|:+-]*")


def _codes_in_tables(text: str) -> set[str]:
    """The numbers of the code spans kept aside (strip_kramdown) that lie in a table's rows: a run of
    lines between blank lines, each with a "|", the second a separator line. kramdown splits a row into
    cells around its code spans, so a "|" in one is code ("`a|b`", and "`c\\|d`" as written), where
    markdown-it's GFM table ends a cell at it unless escaped: the escape added for markdown-it is taken
    back by its table, once per pipe."""
    found: set[str] = set()
    if "\x01" not in text or "|" not in text:
        return found
    for run in _BLANK_LINE_RE.split(text):
        rows = run.strip("\n").split("\n")
        if (
            "\x01" in run
            and len(rows) > 1
            and _TABLE_SEPARATOR_RE.fullmatch(rows[1])
            and all("|" in row for row in rows)
        ):
            found.update(m.group(1) for m in _PLACEHOLDER_RE.finditer(run))
    return found


# A definition in kramdown's definition lists (DEFINITION_LIST_START): a colon and a blank starting a line.
_DEFINITION_RE = re.compile(r"[ ]{0,3}:[ \t]")
# A line that starts a block other than a paragraph, which no definition's terms may be: a heading, list item,
# quote, table row, HTML, indented code, a code block kept aside, a definition of kramdown's.
_NOT_PARAGRAPH_RE = re.compile(
    r"[ ]{0,3}(?:#|>|[*+-][ \t]|\d+\.[ \t]|\||<|\x01|\*\[|\[\^|\{:|:[ \t])|\t|[ ]{4}"
)


def _definition_lists(text: str) -> str:
    """kramdown's definition lists, as blocks: the lines of the paragraph right above a ": definition" line
    (a blank line between at most) are its terms, each shown as a block of its own, and each definition
    (its indented and lazy lines with it) is one too. markdown-it read them as one paragraph, the colons
    in its text. Top-level lists only: a paragraph inside a list item or a quote stays one."""
    if ":" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    start = 0  # where the run of lines that ends out starts (blank lines end a run), found once per line
    i = 0
    while i < len(lines):
        line = lines[i]
        terms_end = len(out) - 1 if out and not out[-1].strip() else len(out)
        if terms_end > 0 and not out[terms_end - 1].strip():
            terms_end = 0  # two blank lines above: no paragraph right above
        terms_start = start if terms_end == len(out) else _run_start(out, terms_end)
        if (
            not _DEFINITION_RE.match(line)
            or terms_start == terms_end
            or _NOT_PARAGRAPH_RE.match(out[terms_start])
        ):
            out.append(line)
            if not line.strip():
                start = len(out)
            i += 1
            continue
        terms = [term.strip() for term in out[terms_start:terms_end]]
        del out[terms_start:]
        for term in terms:
            out.extend((term, ""))
        while i < len(lines) and _DEFINITION_RE.match(lines[i]):  # the definitions of these terms
            out.extend(("", lines[i].lstrip(" ")[1:].strip()))
            i += 1
            while i < len(lines):  # its lines, indented or lazy, and indented ones after blank lines
                j = i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j == len(lines):
                    break
                if _DEFINITION_RE.match(lines[j]):  # the next definition, blank lines before it or not
                    i = j
                    break
                if j > i and not lines[j].startswith((" ", "\t")):
                    break
                out.extend(lines[i:j])
                out.append(lines[j].strip())
                i = j + 1
            out.append("")
        start = len(out)
    return "\n".join(out)


def _run_start(out: list[str], end: int) -> int:
    """Where the run of non-blank lines ending at ``out[end - 1]`` starts."""
    while end > 0 and out[end - 1].strip():
        end -= 1
    return end


# kramdown's abbreviation definition, one line (ABBREV_DEFINITION_START): "*[HTML]: Hyper Text Markup".
_ABBREVIATION_RE = re.compile(r"[ ]{0,3}\*\[.+?\]:.*")


def _drop_abbreviations(text: str) -> str:
    """Take out the abbreviation definitions that start a block (first in the post, after a blank line or
    another one), which kramdown shows nowhere (its abbreviations keep their text, only titled); markdown-it
    showed each as a line of text. Inside a paragraph, kramdown shows one as text, and so does this."""
    if "*[" not in text:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if _ABBREVIATION_RE.fullmatch(line) and not (out and out[-1].strip()):
            line = ""  # a blank, as the block after it starts anew
        out.append(line)
    return "\n".join(out)


# kramdown's footnotes: a definition starts a block ("[^name]: text", the name ASCII word characters and
# "-"), its text going on over the lines indented after it (blank lines between them, and lines right after
# an indented one, lazily); a marker "[^name]" of a defined name.
_FOOTNOTE_DEF_RE = re.compile(r"[ ]{0,3}\[\^([A-Za-z0-9_][A-Za-z0-9_-]*+)\]:[ \t]*+(.*)")
_FOOTNOTE_MARKER_RE = re.compile(r"\[\^([A-Za-z0-9_][A-Za-z0-9_-]*+)\]")
_INDENT_RE = re.compile(r"\t| {4}")


def _move_footnotes(text: str) -> str:
    """Footnotes as Jekyll's kramdown shows them: each marker is its footnote's number (in the order the
    markers first appear), and the text of each footnote referred to stands at the end of the post, in that
    order. markdown-it reads a definition as a link reference, and its text was lost, while the marker
    showed as "^name"."""
    if "[^" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    notes: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        definition = _FOOTNOTE_DEF_RE.fullmatch(line)
        # A definition starts a block: first in the post, or after a blank line or another definition
        # (whose place is left blank here); inside a paragraph it is the paragraph's text.
        if definition is None or (out and out[-1].strip()):
            out.append(line)
            i += 1
            continue
        content = [definition.group(2)]
        i += 1
        while True:  # groups of indented lines, each after any blank lines and with lazy lines after it
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j == len(lines) or not _INDENT_RE.match(lines[j]):
                break
            content.extend("" for _ in range(i, j))
            while j < len(lines) and lines[j].strip():
                content.append(_INDENT_RE.sub("", lines[j], count=1))
                j += 1
            i = j
        notes[definition.group(1)] = content  # a later definition of a name wins, as in kramdown
        out.append("")
    if not notes:
        return text
    numbers: dict[str, int] = {}

    def number(marker: re.Match[str]) -> str:
        name = marker.group(1)
        if name not in notes:
            return marker.group()  # kramdown shows a marker without a definition as written
        return f"<sup>{numbers.setdefault(name, len(numbers) + 1)}</sup>"

    body = _FOOTNOTE_MARKER_RE.sub(number, "\n".join(out))
    # Markers inside a footnote number the footnotes they name after those of the post's own text.
    shown = [_FOOTNOTE_MARKER_RE.sub(number, "\n".join(notes[name])) for name in list(numbers)]
    return "\n\n".join([body, *shown])


def _strip_extensions(text: str) -> str:
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # names with no end after some point: none after any later start either
    while (m := _EXTENSION_RE.search(text, pos)) is not None:
        out.append(text[pos : m.start()])
        pos = m.end()
        name, attrs = m.group(1), m.group(2)
        if name == "options" or attrs.rstrip().endswith("/"):
            continue  # no content
        end = None if name in unclosed else _EXTENSION_ENDS[name].search(text, pos)
        if end is None:  # never closed: kramdown shows it as text
            unclosed.add(name)
            out.append(m.group())
            continue
        if name == "nomarkdown":
            out.append(text[pos : end.start()])
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


def _strip_attribute_lists(text: str) -> str:
    if "{:" not in text and "{#" not in text:  # every rule below needs one of the two: most posts have none
        return text
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        block = _BLOCK_IAL_RE.match(line)
        if block:
            if block.group(2).strip() == "toc":
                _drop_list_above(out)  # kramdown replaces that list with a table of contents
            # A blank line (inside the same quote): like the IAL, it ends the block before it.
            out.append(block.group(1).rstrip())
            continue
        line = _SPAN_IAL_RE.sub("", line)
        underlined = i + 1 < len(lines) and line.strip() and _SETEXT_RE.match(lines[i + 1])
        header_id = _HEADER_ID_RE.search(line) if _ATX_RE.match(line) or underlined else None
        if header_id is not None:
            # The id stays as a marker at the end of the heading's text, for _set_heading_ids to take;
            # closing hashes before it ("## 見出し ## {#id}") close the heading, as they would at the end.
            before = line[: header_id.start()]
            if _ATX_RE.match(line):
                before = _ATX_CLOSE_RE.sub("", before)
            line = f"{before} {_ID_START}{header_id.group(1)}{_ID_END}"
        out.append(line)
    return "\n".join(out)


# A line starting a block-level HTML element, as kramdown's HTML_BLOCK_START finds one (HTML_SPAN_ELEMENTS
# start a paragraph instead); group 1 its name. Elements without a body, and those whose content markdown-it
# also keeps to their end tag, are left out.
_HTML_BLOCK_LINE_RE = re.compile(r"^[ ]{0,3}<([A-Za-z][\w-]*+(?::[A-Za-z][\w-]*+)?)(?=[\s/>]|\Z)", re.M)
_HTML_SPAN_ELEMENTS = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "b",
        "big",
        "bdo",
        "br",
        "button",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "i",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "mark",
        "option",
        "q",
        "rb",
        "rbc",
        "rp",
        "rt",
        "rtc",
        "ruby",
        "samp",
        "select",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "tt",
        "u",
        "var",
    }
)
_HTML_NO_BODY = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "command",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "pre",
        "script",
        "style",
        "textarea",
    }
)
_MARKDOWN_ATTR_RE = re.compile(r"\smarkdown\s*=", re.I)
_TAG_REST_RE = re.compile(r"[^<>]*+>")
# A run of blank lines, where markdown-it ends an HTML block.
_BLANK_RUN_RE = re.compile(r"\n[ \t]*(?=\n)")


def _keep_html_blocks_raw(text: str) -> str:
    """Keep each block-level HTML element one HTML block to its end tag, as kramdown (Jekyll's default,
    without parse_block_html) keeps it as written, blank lines and all: Markdown inside it is text on the
    page ("**注意**", "## 見出し"), and no heading. markdown-it ended the block at a blank line and read what
    followed as Markdown, so the text lost the marks and gained headings, with section links to ids the page
    does not have. Each blank line inside is made an empty comment, which shows nothing and keeps the block
    open. An element never closed runs to the end of the post, as in kramdown; one marked markdown="…" is
    _open_markdown_html's."""
    if "<" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (start := _HTML_BLOCK_LINE_RE.search(text, pos)) is not None:
        name = start.group(1).lower()
        tag = _TAG_REST_RE.match(text, start.end())  # up to the next "<" at most: each part read once
        if (
            name in _HTML_SPAN_ELEMENTS
            or name in _HTML_NO_BODY
            or tag is None
            or _MARKDOWN_ATTR_RE.search(tag.group())
            or tag.group().endswith("/>")
        ):
            out.append(text[pos : start.end()])
            pos = start.end()
            continue
        end = _element_end(text, name, tag.end())
        out.append(text[pos : start.start()])
        out.append(_BLANK_RUN_RE.sub("\n<!-- -->", text[start.start() : end]))
        # What follows the end tag's line starts a block of its own, as in kramdown; markdown-it would
        # have kept it in the HTML block, its Markdown unread.
        if text.startswith("\n", end) and not text.startswith("\n\n", end):
            out.append("\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _element_end(text: str, name: str, pos: int) -> int:
    """Where the element ``name`` whose start tag ends before ``pos`` ends: after its end tag, elements of
    the same name inside it counted; the end of the text if it has none."""
    tags = re.compile(r"<(/?)" + re.escape(name) + r"(?=[\s/>])[^<>]*+>", re.I)
    depth = 1
    for tag in tags.finditer(text, pos):
        if not tag.group(1):
            depth += not tag.group().endswith("/>")
        else:
            depth -= 1
            if not depth:
                return tag.end()
    return len(text)


def _drop_list_above(lines: list[str]) -> None:
    """Remove the block ending ``lines`` if it is a list (the ``* TOC`` that ``{:toc}`` replaces)."""
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    if start < len(lines) and _LIST_ITEM_RE.match(lines[start]):
        del lines[start:]


def _open_markdown_html(text: str) -> str:
    """Put blank lines inside HTML blocks marked ``markdown="1"``, so that CommonMark parses their content."""
    openers = {m.start(1): m for m in _MARKDOWN_HTML_RE.finditer(text)}
    if not openers:
        return text
    edits = [
        (m.start(1), m.end(), f"<{m.group(2)}{m.group(3) or ''}{m.group(5) or ''}>\n\n")
        for m in openers.values()
    ]
    # One pass over the tags of those names, nesting counted per name, finds where each marked one ends.
    names = {m.group(2).lower() for m in openers.values()}
    open_elements: dict[str, list[bool]] = {name: [] for name in names}  # True: marked markdown="1"
    for tag in _HTML_TAG_RE.finditer(text):
        stack = open_elements.get(tag.group(2).lower())
        if stack is None:
            continue
        if not tag.group(1):
            if not tag.group().endswith("/>"):
                stack.append(tag.start() in openers)
        elif stack and stack.pop():
            edits.append((tag.start(), tag.start(), "\n\n"))
    out: list[str] = []
    pos = 0
    for start, end, replacement in sorted(edits):
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


@dataclass(slots=True)
class _ListItem:
    """An open ``<li>``: where its blocks start, and whether its text lies inside links, outside, or both."""

    first_block: int
    in_link: bool = False
    outside: bool = False


@dataclass(slots=True)
class _List:
    """An open ``<ul>``/``<ol>``: its items' blocks, and whether every item so far is one link's text."""

    depth: int  # how many items were open around it: an item it holds ends with it (HTML may omit </li>)
    spans: list[tuple[int, int]] = field(default_factory=list)  # each item's blocks, first to last + 1
    items: int = 0
    links_only: bool = True


class _TextExtractor(HTMLParser):
    """Collect the visible text of HTML as blocks, noting which blocks are h1-h3 headings and which are
    items of a list of links only."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (kind, text): kind is "h" for h1-h3, "nav" for an item of a list of links only, else "p"
        self.blocks: list[tuple[str, str]] = []
        self.sections: dict[int, str] = {}  # block number -> id, for the h2 and h3 headings with one
        self._parts: list[str] = []
        self._drop_depth = 0
        self._heading_depth = 0
        self._heading_id = ""
        self._pre_depth = 0
        self._link_depth = 0
        self._lists: list[_List] = []
        self._items: list[_ListItem] = []
        self._nav: list[tuple[int, int]] = []  # spans of blocks to mark "nav" once the page is read

    def _flush(self) -> None:
        text = _HIDDEN_RE.sub(" ", "".join(self._parts))
        self._parts = []
        for line in text.split("\n") if self._pre_depth else [text]:
            clean = _normalise_space(line)
            if clean:
                if self._heading_depth and self._heading_id:
                    self.sections[len(self.blocks)] = self._heading_id
                self.blocks.append(("h" if self._heading_depth else "p", clean))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._drop_depth += 1
        elif tag == "a":
            self._link_depth += 1
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag in _LIST_TAGS:
                self._lists.append(_List(len(self._items)))
            elif tag == "li":
                self._end_items()  # an <li> ends the item before it in the same list
                self._items.append(_ListItem(len(self.blocks)))
            if tag in _HEADING_TAGS:
                self._heading_depth += 1
                self._heading_id = (dict(attrs).get("id") or "") if tag in _SECTION_TAGS else ""
            if tag == "pre":
                self._pre_depth += 1
        elif tag == "br":
            self._parts.append("\n" if self._pre_depth else " ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self._drop_depth:
                self._parts.append(f" {alt} ")
                self._note_text(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag == "a":
            self._link_depth = max(0, self._link_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag == "li" and len(self._items) > (self._lists[-1].depth if self._lists else 0):
                self._end_item(self._items.pop())
            elif tag in _LIST_TAGS and self._lists:
                self._end_items()
                self._end_list(self._lists.pop())
            if tag in _HEADING_TAGS:
                self._heading_depth = max(0, self._heading_depth - 1)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            self._parts.append(data)
            self._note_text(data)

    def _note_text(self, text: str) -> None:
        if not self._items or not text.strip():
            return
        # An item's text is also the text of the items around it. Innermost first, up to an item already
        # marked: the items around that one were open when it was marked, so they were marked too. Each
        # item is marked once, however deep a page nests its lists.
        for item in reversed(self._items):
            if self._link_depth:
                if item.in_link:
                    break
                item.in_link = True
            else:
                if item.outside:
                    break
                item.outside = True

    def _end_items(self) -> None:
        """End the items left open in the innermost list (HTML lets ``</li>`` be left out)."""
        depth = self._lists[-1].depth if self._lists else 0
        while len(self._items) > depth:
            self._end_item(self._items.pop())

    def _end_item(self, item: _ListItem) -> None:
        if not self._lists:
            return
        listed = self._lists[-1]
        listed.items += 1
        listed.spans.append((item.first_block, len(self.blocks)))
        listed.links_only = listed.links_only and item.in_link and not item.outside

    def _end_list(self, listed: _List) -> None:
        """A list of two or more items that are each one link's text (related posts, further reading) is
        navigation: its items are marked "nav", which the post's text leaves out."""
        if listed.links_only and listed.items >= MIN_LINK_LIST_ITEMS:
            self._nav.extend(listed.spans)

    def _mark_nav(self) -> None:
        """Mark the blocks of the lists of links only, each block once: a list inside another one's item
        has its blocks in that item's span too."""
        marked = 0  # blocks before this one are marked where a span covers them
        for first, end in sorted(self._nav):
            for n in range(max(first, marked), end):
                self.blocks[n] = ("nav", self.blocks[n][1])
            marked = max(marked, end)
        self._nav = []

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        # "<![" in a page (not in SVG or MathML) is a bogus comment up to the next ">", for a browser and for
        # html.parser since CPython's fix of gh-135462; Python 3.11's raises AssertionError on one it does
        # not know ("<![ x"), which stopped a whole build.
        end = self.rawdata.find(">", i + 3)
        return -1 if end < 0 else end + 1

    def close(self) -> None:
        # What feed() leaves unread from a "<" on is markup the page never closes: a comment without "-->",
        # a tag, declaration or processing instruction without ">". A browser reads it to the end of the page
        # and shows nothing of it, and so does html.parser since CPython's fix of gh-135462 (June 2025).
        # Before it (Python 3.11.7 here) close() showed it as text, searching the rest again from every "<"
        # after it: a post of "<!--" or "<div " repeated took 13 s and 88 s per 200 KB (docs/DESIGN.md,
        # Traps: T27). "</" alone at the end is text in both.
        if len(self.rawdata) > 1 and self.rawdata[0] == "<" and self.rawdata != "</" and not self.cdata_elem:
            self.rawdata = ""
        super().close()
        self._flush()
        self._mark_nav()


def _normalise_space(text: str) -> str:
    # NFC: an accent typed as its own code point (e + U+0301, as text pasted from macOS often is) is the
    # one code point a reader types (é); queries are composed the same way (syntax.parse_user_query).
    return " ".join(unicodedata.normalize("NFC", _JUNK_RE.sub("", text)).split())


def html_blocks(html: str) -> list[tuple[str, str]]:
    """Return the visible text blocks of ``html`` as ``(kind, text)``; kind "h" marks h1-h3."""
    return _extract(html).blocks


def _extract(html: str) -> _TextExtractor:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser


@dataclass(frozen=True, slots=True)
class PostText:
    """A post body as a reader sees it."""

    text: str  # blocks joined with "\n"
    headings: tuple[str, ...]
    first_paragraph: str
    # The h2 and h3 headings a link can open, as (the block the section starts at, id, heading text): the
    # heading itself, or the block after it where a repeated heading was dropped from the text.
    sections: tuple[tuple[str, str, str], ...] = ()


def render_text(
    body: str,
    *,
    markdown: bool = True,
    plain: bool = False,
    variables: Mapping[str, str] | None = None,
    heading_ids: HeadingIds | None = None,
) -> PostText:
    """Render a post body (Markdown, HTML, or with ``plain`` text shown as is) to clean text blocks, each
    repeated block kept once.

    Generated posts often repeat whole sections; indexing them once keeps ranking and excerpts honest.
    Each heading is a block of its own, so no excerpt runs a heading into the sentence after it.

    :param variables: the ``site.*`` and ``page.*`` values Liquid outputs render (see :func:`strip_liquid`).
    :param heading_ids: how Jekyll gives Markdown headings their ids (None: it gives none); an HTML
        heading keeps its own ``id``.
    """
    body = strip_liquid(body, variables).replace(_HIDDEN_START, "").replace(_HIDDEN_END, "")
    body = _INLINE_END_RE.sub(_hide_end_marker, _END_MARKER_RE.sub("", body))
    if plain:
        extracted = _extract(_plain_text_html(body))
    else:
        extracted = _extract(render_markdown(body, heading_ids) if markdown else body)
    rendered = extracted.blocks
    # A list of the post's own headings is its table of contents, and a list of links only (related posts,
    # further reading) points elsewhere: navigation, not content. Their items are dropped (the headings
    # themselves stay, where they stand).
    heading_keys = {"".join(text.split()) for kind, text in rendered if kind == "h"}
    seen: set[str] = set()
    blocks: list[str] = []
    headings: list[str] = []
    sections: list[tuple[str, str, str]] = []
    pending: tuple[str, str] | None = (
        None  # a repeated heading, dropped: its section starts at the next block
    )
    first_paragraph = ""
    for n, (kind, text) in enumerate(rendered):
        key = "".join(text.split())
        section_id = extracted.sections.get(n)
        if kind == "nav" or key in seen or (kind != "h" and key in heading_keys):
            if section_id is not None:
                pending = (section_id, text)
            continue
        seen.add(key)
        blocks.append(text)
        if section_id is not None:
            sections.append((text, section_id, text))
        elif pending is not None and kind != "h":
            sections.append((text, *pending))
        pending = None
        if kind == "h":
            headings.append(text)
        elif not first_paragraph:
            first_paragraph = text
    return PostText("\n".join(blocks), tuple(headings), first_paragraph, tuple(sections))


_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


def _plain_text_html(text: str) -> str:
    """Plain text (a ``.txt`` post Jekyll publishes as written) as HTML paragraphs, one per run of lines
    between blank lines, escaped: its "#", "*" and "<b>" are what the reader sees, so they stay text."""
    paragraphs = (p for p in _BLANK_LINE_RE.split(text) if p.strip())
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)


def _hide_end_marker(marker: re.Match[str]) -> str:
    """An END marker inside a line, kept for the id of a heading it stands in (a Jekyll page shows it, and
    kramdown's id counts its letters: "## 見出し ---END---" is #見出し-end) and left out of the text. One
    that spans lines is taken out, as before: kept, it would change the blocks around it."""
    if "\n" in marker.group():
        return " "
    return _HIDDEN_START + marker.group() + _HIDDEN_END


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


def block_key(block: str) -> str:
    """A short, stable key of a text block, whitespace ignored (48 bits: no collision among a site's
    blocks in practice, and 8 characters in the index)."""
    digest = hashlib.blake2b("".join(block.split()).encode("utf-8"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def block_keys(text: str) -> tuple[str, ...]:
    """The keys of the blocks of a post's clean text (one block a line), each once."""
    return tuple(dict.fromkeys(block_key(line) for line in text.split("\n") if line.strip()))
