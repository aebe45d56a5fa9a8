"""Markdown to safe HTML: the one place notices are rendered.

Markdown first (the ``markdown`` package, which passes raw HTML through), then
``nh3`` (ammonia) keeps only the tags and attributes listed here: no script,
style, image, iframe or event handler; links only to http(s) and mailto, and
with ``rel="noopener noreferrer nofollow"``.
"""

import markdown
import nh3

TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """``text`` (Markdown written by staff) as HTML safe to show anyone."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"])
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
