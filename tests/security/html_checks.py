"""What a rendered page may contain under our Content-Security-Policy, checked with the standard HTML parser.

A page passes when every script comes from /static/, no element carries an event
handler, a ``style`` attribute or a script URL, and no element appears that our
templates never produce (frames, objects, ``<base>``, refresh ``<meta>``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "ping"}
NEVER_OURS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "math", "portal", "style"}
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "livescript:")
# Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


class PageProblems(HTMLParser):
    def __init__(self, *, allow_style_attribute: bool = False, script_prefixes: tuple[str, ...] = ("/static/",)):
        super().__init__(convert_charrefs=True)
        self.allow_style_attribute = allow_style_attribute
        self.script_prefixes = script_prefixes
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts += 1
            if not values.get("src", "").startswith(self.script_prefixes):
                self.problems.append(f"inline or foreign <script {values}>")
        if tag in NEVER_OURS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            elif name == "style" and not self.allow_style_attribute:
                self.problems.append(f"style= on <{tag}>")
            elif name == "srcdoc":
                self.problems.append(f"srcdoc= on <{tag}>")
            elif name in URL_ATTRIBUTES:
                scheme = IGNORED_IN_SCHEME.sub("", value).lower()
                if scheme.startswith(SCRIPT_SCHEMES):
                    self.problems.append(f"script URL {name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def page_problems(
    html: str, *, allow_style_attribute: bool = False, script_prefixes: tuple[str, ...] = ("/static/",)
) -> list[str]:
    parser = PageProblems(allow_style_attribute=allow_style_attribute, script_prefixes=script_prefixes)
    parser.feed(html)
    parser.close()
    return parser.problems


def csp_header_problems(policy: str) -> list[str]:
    problems = []
    if not policy:
        return ["no Content-Security-Policy header"]
    for word in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"):
        if word in policy:
            problems.append(f"policy allows {word}")
    if "script-src 'self'" not in policy:
        problems.append("script-src is not 'self'")
    return problems
