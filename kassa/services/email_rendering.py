"""Email templates as Jinja2 in its sandbox: the HTML body autoescaped, the subject and the text
part not (they are not HTML), every variable the context lacks or holds as None rendered as ""
(so ``{{ invoice.customer.name }}`` in a customer.created email is empty, not an error). A text
part the template does not give is derived from the rendered HTML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kassa.domain.errors import InvalidRequest



class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox (no unsafe attributes, no changing the context), where ``a.b`` on a mapping
    is its key ``b`` first: ``{{ usage.values }}`` is the context's value, not dict.values."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _finalize(value: Any) -> Any:
    """What ``{{ x }}`` prints: "" for None too (a customer without a name is no "None")."""
    return "" if value is None else value


_ENVIRONMENTS = {
    autoescape: _Environment(autoescape=autoescape, undefined=ChainableUndefined,
                             finalize=_finalize)
    for autoescape in (True, False)
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@lru_cache(maxsize=1024)
def _compiled(source: str, *, html: bool) -> Template:
    return _ENVIRONMENTS[html].from_string(source)


def check_template(subject: str, body: str, text: str | None) -> None:
    """InvalidRequest naming ``subject``, ``body`` or ``text`` when one does not compile."""
    for name, source, html in (("subject", subject, False), ("body", body, True),
                               ("text", text, False)):
        if source is None:
            continue
        try:
            _compiled(source, html=html)
        except TemplateSyntaxError as exc:
            raise InvalidRequest(
                f"{name} is not a valid template: {exc.message} (line {exc.lineno}).", field=name
            ) from None


def render_parts(
    subject: str, body: str, text: str | None, context: Mapping[str, Any]
) -> Rendered:
    """The three parts rendered with ``context``; a failure at render time (a sandbox refusal,
    a filter given the wrong type) is an InvalidRequest naming ``template``."""
    try:
        html = _compiled(body, html=True).render(context)
        return Rendered(
            subject=" ".join(_compiled(subject, html=False).render(context).split()),
            html=html,
            text=_compiled(text, html=False).render(context) if text is not None
            else html_to_text(html),
        )
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidRequest(f"The template could not be rendered: {exc}", field="template"
                             ) from None


_LINES = {"br", "tr", "li"}  # start a new line
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul",
           "ol", "hr", "blockquote", "section", "header", "footer"}
_HIDDEN = {"head", "style", "script", "title"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS or tag in _LINES:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self._links:
            href, start = self._links.pop()
            label = "".join(self.parts[start:]).strip()
            if href and not href.startswith("#") and href != label:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """A readable plain-text version of an HTML email: blocks on their own lines, links as
    ``label (url)``, whitespace collapsed, at most one blank line in a row."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"
