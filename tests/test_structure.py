"""The house rules the layout promises: thin pages in section folders, few top-level engine modules."""

from pathlib import Path

from cnnviz.pagemap import HOME, PAGES

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_is_a_thin_file_in_its_section_folder():
    assert len(PAGES) >= 10  # a loop over no pages would assert nothing
    for page in [HOME, *PAGES]:
        path = ROOT / "pages" / page.file
        assert path.parent != ROOT / "pages", f"{page.file}: Streamlit's old pages/ mode would run it alone"
        assert len(path.read_text().splitlines()) <= 150, f"{page.file} is over 150 lines: move logic to cnnviz/"
    assert not list((ROOT / "pages").glob("*.py"))


def test_the_engine_keeps_at_most_eight_top_level_modules():
    top = [p.name for p in (ROOT / "cnnviz").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= 8, top
