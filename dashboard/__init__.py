"""cifar-lab's Streamlit dashboard: entry point, cached loaders, Plotly charts, teaching text."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "pages"
CONTENT_DIR = Path(__file__).resolve().parent / "content"


def page_file(name: str) -> str:
    """Absolute path of a page script (``"4_train.py"``), as ``st.page_link`` accepts it."""
    return str(PAGES_DIR / name)


def content(name: str) -> str:
    """The teaching text of a page, from ``dashboard/content/<name>.md``."""
    return (CONTENT_DIR / f"{name}.md").read_text(encoding="utf-8")
