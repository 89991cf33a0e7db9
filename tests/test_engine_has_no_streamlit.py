"""cnnviz (outside cnnviz/ui) is importable and testable without Streamlit."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_engine_modules_do_not_import_streamlit():
    code = ("import sys, pkgutil, importlib, cnnviz\n"
            "for m in pkgutil.walk_packages(cnnviz.__path__, 'cnnviz.'):\n"
            "    if not m.name.startswith('cnnviz.ui') and m.name != 'cnnviz.__main__':\n"
            "        importlib.import_module(m.name)\n"
            "assert 'streamlit' not in sys.modules, 'streamlit imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=__import__("pathlib").Path(__file__).parents[1])
