"""Charts as inline SVG built on the server: no JavaScript, no CDN, readable without scripts."""

from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 40, 28, 12
COLOURS = {"card": "#417690", "crypto": "#e0a526"}


def _n(value: float) -> str:
    return f"{value:.1f}"


def packs_by_method_svg(rows: list[tuple[date, int, int]]) -> SafeString:
    """Stacked bars per day: card packs under crypto packs, with a y scale and a legend."""
    peak = max((card + crypto for _, card, crypto in rows), default=0) or 1
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) / max(len(rows), 1)
    bar_w = max(slot * 0.7, 1)
    bars = []
    for i, (day, card, crypto) in enumerate(rows):
        x = PAD_LEFT + i * slot + (slot - bar_w) / 2
        y: float = HEIGHT - PAD_BOTTOM
        for method, packs in (("card", card), ("crypto", crypto)):
            h = plot_h * packs / peak
            y -= h
            if packs:
                bars.append((x, y, bar_w, h, COLOURS[method], f"{day}: {packs} {method}"))
        if i % max(len(rows) // 7, 1) == 0:
            bars.append((x, HEIGHT - 10, 0, 0, "", f"{day:%m-%d}"))
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        ((_n(x), _n(y), _n(w), _n(h), c, t) for x, y, w, h, c, t in bars if c),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10">{}</text>',
        ((_n(x), _n(y), t) for x, y, _, _, c, t in bars if not c),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {w} {h}" width="100%"'
        ' aria-labelledby="sold-title" class="packs-chart"><title id="sold-title">Packs sold per'
        " day by payment method</title>"
        '<line x1="{pl}" y1="{base}" x2="{w}" y2="{base}" stroke="#999"/>'
        '<text x="2" y="{top}" font-size="10">{peak}</text>'
        '<text x="2" y="{base}" font-size="10">0</text>{rects}{labels}'
        '<rect x="{lx}" y="2" width="10" height="10" fill="{cc}"/>'
        '<text x="{lt}" y="11" font-size="10">card</text>'
        '<rect x="{lx2}" y="2" width="10" height="10" fill="{cy}"/>'
        '<text x="{lt2}" y="11" font-size="10">crypto</text></svg>',
        w=WIDTH,
        h=HEIGHT,
        pl=PAD_LEFT,
        base=HEIGHT - PAD_BOTTOM,
        top=PAD_TOP + 8,
        peak=peak,
        rects=rects,
        labels=labels,
        lx=WIDTH - 120,
        lt=WIDTH - 106,
        lx2=WIDTH - 60,
        lt2=WIDTH - 46,
        cc=COLOURS["card"],
        cy=COLOURS["crypto"],
    )
