"""A corpus of hostile strings, each carrying a unique marker so that a test can find it wherever it lands.

Every entry is what a careless, curious or malicious user might type into a text field: markup and
script, template syntax, spreadsheet formulas, text that runs right to left, control characters and
strings far longer than any column. tests/test_hostile_input.py submits them through every form that
takes text and checks every page, e-mail and export that shows them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    key: str
    text: str
    # False when no field can keep the text as typed: PostgreSQL cannot store NUL, so forms refuse it.
    # (Other control characters are kept; the packs leave out those XML cannot hold.)
    storable: bool = True
    # True when a spreadsheet would run the text as a formula unless it is neutralised.
    formula: bool = False

    @property
    def marker(self) -> str:
        return f"hx{self.key}x"


def _make(key: str, template: str, **flags) -> Hostile:
    """`template` holds {m}, where the entry's marker goes."""
    return Hostile(key=key, text=template.format(m=f"hx{key}x"), **flags)


CORPUS: list[Hostile] = [
    _make("script", "{m}<script>alert(1)</script>"),
    _make("imgerror", '{m}"><img src=x onerror=alert(1)>'),
    _make("svgload", "{m}<svg onload=alert(1)>"),
    _make("jsurl", "javascript:alert(1)//{m}"),
    _make("mdlink", "{m} [click me](javascript:alert(1)) and <a href=javascript:alert(2)>here</a>"),
    _make("template", "{m} {{{{ 7*7 }}}} {{% debug %}} ${{7*7}}"),
    _make("hyperlink", '=HYPERLINK("http://evil.example/{m}","x")', formula=True),
    _make("plus", "+1+1 {m}", formula=True),
    _make("minus", "-1+1 {m}", formula=True),
    _make("at", "@SUM(A1) {m}", formula=True),
    _make("tab", "\t=1+1 {m}", formula=True),
    _make("cr", "\r=1+1 {m}", formula=True),
    _make("long", "{m} " + "All work and no play makes a long answer. " * 240),
    _make("rlo", "{m} \u202eevil.exe\u202c and \u200fmark"),
    _make("arabic", "{m} نحن ندعم التنسيق بين أصحاب المصلحة المتعددين"),
    _make("nul", "{m} before\x00after", storable=False),
    _make("control", "{m} bell\x07 and escape\x1b[31m"),
    _make("emoji", "{m} 👩‍👩‍👧‍👦 🏳️‍🌈 e\u0301\u0301\u0301 Z̷̡̛a̶l̸g̵o"),
    _make("sql", "{m}'; DROP TABLE responses_response; --"),
    _make("cdata", "{m}</textarea><b>bold</b>]]><![CDATA[x]]></title>"),
]

BY_KEY = {entry.key: entry for entry in CORPUS}
STORABLE = [entry for entry in CORPUS if entry.storable]
REFUSED = [entry for entry in CORPUS if not entry.storable]
