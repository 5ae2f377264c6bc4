"""Build hoptac/static/hoptac/icons.svg: the Lucide icons the interface uses, as one sprite.

    npm pack lucide-static@1.62.0 && tar xzf lucide-static-1.62.0.tgz
    python scripts/build_icons.py package/

Only the icons named in ICONS are shipped (each a <symbol id="name">); templates draw them
with ``{% icon "name" %}``. The licence is copied next to the sprite. Lucide is ISC
(some icons derived from Feather, MIT); see docs/architecture.md.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ICONS = (
    # navigation
    "house", "wallet", "bell", "circle-plus", "shopping-basket", "hand-coins", "users", "map-pin",
    "package", "tag", "message-square", "user-cog", "settings", "menu", "x", "log-out",
    "arrow-left-right", "languages", "user-round",
    # states, toasts, empty states
    "circle-check", "info", "triangle-alert", "circle-x", "inbox", "circle-help",
    # actions
    "search", "chevron-left", "chevron-right", "trash-2", "printer", "download", "pencil", "plus",
    "receipt", "coins", "scale",
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "hoptac" / "static" / "hoptac"


def symbol(name: str, svg: str) -> str:
    body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
    body = re.sub(r"\s*\n\s*", "", body)
    return f'<symbol id="{name}" viewBox="0 0 24 24">{body}</symbol>'


def main(package: Path) -> None:
    version = re.search(r'"version":\s*"([^"]+)"', (package / "package.json").read_text()).group(1)
    symbols = [symbol(name, (package / "icons" / f"{name}.svg").read_text()) for name in ICONS]
    sprite = (
        f"<!-- Lucide {version} (ISC, https://lucide.dev), the icons Hợp Tác uses; "
        "see icons-LICENSE.txt. Built by scripts/build_icons.py. -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round">\n' + "\n".join(symbols) + "\n</svg>\n"
    )
    (OUT / "icons.svg").write_text(sprite, encoding="utf-8")
    shutil.copy(package / "LICENSE", OUT / "icons-LICENSE.txt")
    print(f"{len(ICONS)} icons, {len(sprite)} bytes, lucide-static {version}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
