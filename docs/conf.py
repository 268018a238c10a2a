"""Sphinx configuration for the femstat documentation.

Build (from the repository root)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build needs no network: no intersphinx inventories are fetched, no remote images are
used. MathJax is loaded by the reader's browser, not by the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import femstat  # noqa: E402

project = "femstat"
author = "femstat contributors"
copyright = "femstat contributors, MIT licence"
release = femstat.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "femstat_docs",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
templates_path: list[str] = []
# Definitions are quoted from the code: keep "...", ' and -- as the code writes them.
smartquotes = False

# MyST: $...$ and $$...$$ maths (methods.md), ::: fences, anchors for "#section" links.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# autodoc: the public API only, type hints in the signature (numpydoc docstrings already
# describe the types in words). The API pages use autofunction/autoclass on the top-level
# names rather than autosummary: names such as ``femstat.validate`` are both a function and
# a submodule, and autosummary would document the submodule.
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True

# numpydoc: class member tables would need a stub page per method; autodoc lists members.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# Modules written by other parts of the project, documented when they import here.
# The ``femstat-optional-api`` directive (docs/_ext/femstat_docs.py) documents each of
# them that exists and imports; a module whose optional dependency is not installed at
# build time (dask for femstat.dask, matplotlib for femstat.plots) is listed as such.

html_theme = "pydata_sphinx_theme"
html_title = f"femstat {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "use_edit_page_button": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The narrative pages have no sub-pages: no left sidebar, more room for the tables.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting-started",
        "framework",
        "methods",
        "sources",
        "examples",
        "performance",
        "dependencies",
    )
}
html_show_sourcelink = False

# Pages written by colleagues that may not exist yet in a given checkout: index.md lists
# them, and this hook drops the toctree entry of one that is absent, so the -W build
# passes before the page lands and includes it as soon as it does.
OPTIONAL_PAGES = ("performance",)


def _drop_absent_pages(app: object, docname: str, source: list[str]) -> None:
    if docname != "index":
        return
    for page in OPTIONAL_PAGES:
        if not (HERE / f"{page}.md").exists():
            source[0] = source[0].replace(f"\n{page}\n", "\n")


def setup(app: object) -> None:
    app.connect("source-read", _drop_absent_pages)  # type: ignore[attr-defined]
