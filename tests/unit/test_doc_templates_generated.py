"""The committed templates are what tools/build_templates.py writes, byte for byte.

The generator's output is deterministic (fixed zip timestamps, attributes and member order,
see service/documents/render.normalize_docx) and the committed doc_templates/*.docx are
exactly that output, so the bytes are compared: a template's SHA-256 is its version, and an
issued document must re-render to its recorded SHA-256, so a generator change that would alter
a template shows here. Edit the generator, run it, commit both — as for the BPMN.
"""

from __future__ import annotations

import importlib
import io
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "doc_templates"


@pytest.fixture(scope="module")
def generator():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT / "tools"))  # the script imports docx_kit from its own folder
        yield importlib.import_module("build_templates")


def test_every_committed_template_has_a_builder(generator):
    assert sorted(generator.BUILDERS) == sorted(p.name for p in TEMPLATES.glob("*.docx"))


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.docx")))
def test_the_committed_template_is_what_the_generator_writes(generator, name):
    built = generator.build(name)
    committed = (TEMPLATES / name).read_bytes()
    if built != committed:  # name the parts that differ, then fail
        with zipfile.ZipFile(io.BytesIO(built)) as a, zipfile.ZipFile(io.BytesIO(committed)) as b:
            differ = sorted(n for n in set(a.namelist()) | set(b.namelist())
                            if n not in a.namelist() or n not in b.namelist() or a.read(n) != b.read(n))
        pytest.fail(f"{name}: {differ or 'zip metadata'} differ; run: python tools/build_templates.py")
