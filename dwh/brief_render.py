"""The brief's two renderings: markdown (text and tables) and a self-contained HTML page (with charts).

Both render the same `dwh.brief.Brief`; nothing is computed here. The HTML has no scripts and no external
resources: the charts are inline SVG, the style a short <style> block.
"""
from __future__ import annotations

import html
import re

STATUS_CLASS = re.compile(r"\((verified by \d+ sources|single source|disputed|unverified)")


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(brief) -> str:
    out = [f"# {brief.title}", ""]
    out += [p + "\n" for p in brief.intro]
    for s in brief.sections:
        out += [f"## {s.title}", ""]
        out += [p + "\n" for p in s.paragraphs]
        for caption, header, rows in s.tables:
            if not rows:
                continue
            out += [f"**{caption}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
            out.append("")
        if s.charts:
            out += [f"_{len(s.charts)} chart(s) in the HTML version of this brief._", ""]
    return "\n".join(out).rstrip() + "\n"


def _status_class(text: str) -> str:
    for word, cls in (("verified by", "verified"), ("single source", "single"), ("disputed", "disputed"),
                      ("unverified", "unverified")):
        if text.startswith(word):
            return cls
    return ""


def _html_text(text: str) -> str:
    """Escape, colouring each bracketed label "(verified by ... / single source ... / ...)" by its status."""
    out, i = [], 0
    for m in STATUS_CLASS.finditer(text):
        if m.start() < i:
            continue
        depth, j = 0, m.start()
        while j < len(text):  # the label runs to the bracket that closes it
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        out.append(html.escape(text[i:m.start() + 1]))
        out.append(f'<span class="{_status_class(m.group(1))}">{html.escape(text[m.start() + 1:j])}</span>')
        i = j
    out.append(html.escape(text[i:]))
    return "".join(out)


CSS = """
body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
caption{text-align:left;font-weight:bold;padding:.2em 0}
.verified{color:#1a7f37}.single{color:#9a6700}.disputed{color:#cf222e;font-weight:bold}
.unverified{color:#8250df;font-weight:bold}td.verified,td.single,td.disputed,td.unverified{font-weight:normal}
figure{margin:1em 0}
"""


def render_html(brief) -> str:
    parts = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(brief.title)}</title>", f"<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(brief.title)}</h1>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in brief.intro]
    for s in brief.sections:
        parts.append(f"<section><h2>{html.escape(s.title)}</h2>")
        parts += [f"<p>{_html_text(p)}</p>" for p in s.paragraphs]
        for chart in s.charts:
            parts.append(f"<figure>{chart}</figure>")
        for caption, header, rows in s.tables:
            if not rows:
                continue
            parts.append(f"<table><caption>{html.escape(caption)}</caption><tr>"
                         + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
            for r in rows:
                cells = []
                for h, c in zip(header, r):
                    cls = _status_class(str(c)) if h == "Verification" else ""
                    cells.append(f'<td class="{cls}">{html.escape(str(c))}</td>' if cls else f"<td>{html.escape(str(c))}</td>")
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</table>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
