"""Shipped defaults: local-only servers, no telemetry, XSRF on, version floors with fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).parents[1]


def test_streamlit_binds_to_localhost_without_usage_stats():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["headless"] is True
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] <= 10
    assert config["browser"]["gatherUsageStats"] is False


def test_dependency_floors_include_the_known_fixes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = " ".join(project["dependencies"])
    for floor in ("gradio>=6.20", "streamlit>=1.54", "keras>=3.15.1", "pillow>=12.3"):
        assert floor in deps, floor


def test_no_share_links_anywhere_in_the_code():
    sources = [*ROOT.glob("core/*.py"), *ROOT.glob("dashboard/*.py"), *ROOT.glob("pages/*.py")]
    assert sources
    offenders = [path.name for path in sources if "share=True" in path.read_text()]
    assert offenders == []
