"""Loading, checking and rendering the .docx templates; PDF through LibreOffice.

Escaping and new lines
----------------------
docxtpl renders the template's XML as a Jinja2 template. With its default (autoescape=False) a
value with `&` or `<…>` produces broken XML, which docxtpl then parses in "recover" mode and
silently loses text. Here every string of the context is prepared before rendering:

* "\\r\\n" and "\\r" become "\\n"; characters XML 1.0 cannot hold (C0 controls other than tab and
  new line, lone surrogates, U+FFFE/U+FFFF) are dropped;
* the text is XML-escaped once (markupsafe.escape: & < > " ') and handed to Jinja as `Markup`,
  so the environment's autoescape=True does not escape it a second time, while any string that
  did not come through here (a literal in the template) is still escaped;
* "_" right after "{", "}" or "%" is written as the character reference "&#95;": docxtpl rewrites
  "{_{", "}_}", "{_%", "%_}" anywhere in the rendered XML (its escape for literal braces), which
  would otherwise alter a user's text.

New lines are left in the value: after rendering, docxtpl itself turns "\\n" inside <w:t> into
`</w:t><w:br/><w:t xml:space="preserve">` (and "\\t" into <w:tab/>), which python-docx reads back as
"\\n" ("\\t"). The tests prove both round trips.

Determinism
-----------
render() rewrites the .docx zip: members in a fixed order ([Content_Types].xml, then _rels/.rels,
then by name), timestamps 1980-01-01 00:00:00, fixed attributes, ZIP_DEFLATED at a fixed level,
and docProps/core.xml created/modified set to 1980-01-01T00:00:00Z. The same template and context
give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from lxml import etree
from markupsafe import Markup, escape

from service.documents.contract import KINDS, VARIABLES, sample_context
from service.domain.errors import TemplateRejected

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_CORE_TIME = "1980-01-01T00:00:00Z"
_ZIP_LEVEL = 6
_ZIP_EXTERNAL_ATTR = 0o100644 << 16  # regular file, rw-r--r--
_DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DOCXTPL_BRACE_ESCAPE = re.compile(r"(?<=[{}%])_")


@dataclass(frozen=True)
class Template:
    kind: str
    name: str
    sha256: str  # of the .docx bytes: the template version
    data: bytes = field(repr=False)


# --------------------------------------------------------------------------- values


def clean_text(value: str) -> str:
    """Normalize line ends to "\\n" and drop characters XML 1.0 cannot carry."""
    return _BAD_XML_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _prepare(value: Any) -> Any:
    """A copy of `value` with every string cleaned, escaped once and marked safe (see module doc)."""
    if isinstance(value, str):
        escaped = str(escape(clean_text(value)))
        return Markup(_DOCXTPL_BRACE_ESCAPE.sub("&#95;", escaped))
    if isinstance(value, Mapping):
        return {str(k): _prepare(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    return value


class _CachingEnvironment(Environment):
    """An autoescaping Jinja environment that keeps the compiled form of the sources docxtpl hands
    it (the patched XML of a template's parts): compiling is half the cost of a render, and the
    source is the same for every render of a template. Compiled templates are immutable and
    safe to render from several threads."""

    max_cached = 64

    def __init__(self, **options: Any):
        super().__init__(autoescape=True, **options)
        self._compiled: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._lock:
            compiled = self._compiled.get(source)
            if compiled is not None:
                self._compiled.move_to_end(source)
                return compiled
        compiled = super().from_string(source)
        with self._lock:
            self._compiled[source] = compiled
            while len(self._compiled) > self.max_cached:
                self._compiled.popitem(last=False)
        return compiled


_ENV = _CachingEnvironment()
_STRICT_ENV = _CachingEnvironment(undefined=StrictUndefined)


def _environment(strict: bool = False) -> Environment:
    return _STRICT_ENV if strict else _ENV


# --------------------------------------------------------------------------- loading


def load_template(kind: str, name: str, data: bytes) -> Template:
    """Check that `data` is a usable template for `kind` and return it.

    Raises TemplateRejected (Russian message naming the file) when it is not a .docx, is
    corrupt, has a tag syntax error, uses top-level variables the service does not give, or
    fails to render the sample data of its kind."""
    if kind not in KINDS:
        raise TemplateRejected(f"Шаблон {name}: неизвестный вид документа «{kind}»")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise TemplateRejected(f"Шаблон {name} не является документом .docx")
            bad = zf.testzip()
            if bad is not None:
                raise TemplateRejected(f"Шаблон {name} повреждён: ошибка контрольной суммы в {bad}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise TemplateRejected(f"Шаблон {name} не является документом .docx") from exc
    except (OSError, RuntimeError, ValueError) as exc:  # unsupported compression, encrypted member…
        raise TemplateRejected(f"Шаблон {name} повреждён: {exc}") from exc

    try:
        doc = Document(io.BytesIO(data))
    except ValueError as exc:
        # python-docx refuses packages whose main part is not a Word document (.dotx, .docm, .xlsx…)
        raise TemplateRejected(f"Шаблон {name} не является документом .docx: {exc}") from exc
    except Exception as exc:  # any parser failure means a corrupt file
        raise TemplateRejected(f"Шаблон {name} повреждён: {exc}") from exc
    if doc.part.content_type != _DOCX_CONTENT_TYPE:
        raise TemplateRejected(f"Шаблон {name} не является документом .docx")

    try:
        variables = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(_environment())
    except TemplateSyntaxError as exc:
        raise TemplateRejected(f"Шаблон {name} содержит ошибку в тегах шаблона: {exc.message}") from exc
    except TemplateError as exc:
        raise TemplateRejected(f"Шаблон {name} содержит ошибку в тегах шаблона: {exc}") from exc
    except Exception as exc:
        raise TemplateRejected(f"Шаблон {name} повреждён: {exc}") from exc
    unknown = sorted(set(variables) - VARIABLES[kind])
    if unknown:
        raise TemplateRejected(
            f"Шаблон {name} использует переменные, которых нет в данных: {', '.join(unknown)}"
        )

    template = Template(kind=kind, name=name, sha256=hashlib.sha256(data).hexdigest(), data=bytes(data))
    # A trial render with the sample data (full and signed; empty lists and unsigned) catches what
    # parsing cannot: unknown filters and tests, nested fields that do not exist (StrictUndefined),
    # variables in footnotes or document properties, a result python-docx cannot open.
    for sample in (
        sample_context(kind, hostile=True, signed=True),
        sample_context(kind, activities=0, corrections=0),
    ):
        try:
            out = _render(template, sample, strict=True)
            Document(io.BytesIO(out))
        except UndefinedError as exc:
            raise TemplateRejected(
                f"Шаблон {name} обращается к полю, которого нет в данных: {exc.message}"
            ) from exc
        except TemplateError as exc:
            raise TemplateRejected(f"Шаблон {name} содержит ошибку в тегах шаблона: {exc}") from exc
        except Exception as exc:
            raise TemplateRejected(f"Шаблон {name} не удаётся заполнить данными: {exc}") from exc
    return template


def load_template_file(kind: str, path: str | os.PathLike[str]) -> Template:
    p = Path(path)
    return load_template(kind, p.name, p.read_bytes())


# --------------------------------------------------------------------------- rendering


def render(template: Template, context: dict[str, Any]) -> bytes:
    """The .docx for `context`, byte-identical for the same template and context.

    Does not modify `context`; safe to call from several threads at once."""
    return _render(template, context, strict=False)


def _render(template: Template, context: Mapping[str, Any], *, strict: bool) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template.data))
    tpl.render(_prepare(context), jinja_env=_environment(strict), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return normalize_docx(out.getvalue())


def _fix_core_properties(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    ns = {"dcterms": "http://purl.org/dc/terms/"}
    for tag in ("created", "modified"):
        for el in root.findall(f"dcterms:{tag}", ns):
            el.text = FIXED_CORE_TIME
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _member_order(name: str) -> tuple[int, str]:
    if name == "[Content_Types].xml":
        return (0, name)
    if name == "_rels/.rels":
        return (1, name)
    return (2, name)


def normalize_docx(data: bytes) -> bytes:
    """Rewrite a .docx zip deterministically (order, timestamps, attributes, core dates)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist() if not info.is_dir()}
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = _fix_core_properties(members["docProps/core.xml"])
    with zipfile.ZipFile(out, "w") as zout:
        for name in sorted(members, key=_member_order):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = _ZIP_EXTERNAL_ATTR
            zout.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL)
    return out.getvalue()


# --------------------------------------------------------------------------- PDF


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    return _soffice() is not None


def to_pdf(docx: bytes, timeout: float = 120) -> bytes | None:
    """PDF of a .docx through LibreOffice headless; None when LibreOffice is not installed.

    Each call converts in a fresh temporary directory with its own LibreOffice profile, so calls
    may run in parallel. Raises RuntimeError (with LibreOffice's output) on failure or timeout,
    ValueError when `docx` is not a .docx (LibreOffice would happily print it as plain text)."""
    exe = _soffice()
    if exe is None:
        return None
    if not _is_docx(docx):
        raise ValueError("to_pdf: the data is not a .docx document")
    with tempfile.TemporaryDirectory(prefix="iom-pdf-") as tmp:
        work = Path(tmp)
        src = work / "document.docx"
        src.write_bytes(docx)
        profile = (work / "profile").as_uri()
        cmd = [
            exe,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nofirststartwizard",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work),
            str(src),
        ]
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=work, start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            stdout, stderr = proc.communicate()
            raise RuntimeError(
                f"LibreOffice не завершил преобразование в PDF за {timeout:g} с: "
                f"{stderr.decode('utf-8', 'replace').strip()}"
            ) from exc
        pdf = work / "document.pdf"
        if proc.returncode != 0 or not pdf.exists():
            output = (stderr or stdout).decode("utf-8", "replace").strip()
            raise RuntimeError(f"LibreOffice не смог преобразовать документ в PDF (код {proc.returncode}): {output}")
        return pdf.read_bytes()
