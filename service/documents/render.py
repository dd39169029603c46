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

Safety
------
A template is code (Jinja source inside the XML). It is checked twice:

* on upload, before anything parses it, `service.documents.archive` refuses a zip whose central
  directory declares too much (a zip bomb), and `service.documents.safety` walks the Jinja AST of
  every part docxtpl renders and refuses private attributes, names outside the data contract and
  the like, naming the tag;
* every render runs in Jinja's sandbox (`ImmutableSandboxedEnvironment`), which blocks private
  attributes, unsafe callables and changes to lists and dicts at run time, for templates that
  reached the database some other way. An access the sandbox forbids raises at once (instead of
  printing an empty string) and render() turns it into UnsafeTemplate. The sandbox gives the
  same output as a plain environment for a template that does not try such things, so issued
  documents re-render to the same SHA-256.

PDF conversion lives in `service.documents.pdf` (`pdf_available` and `to_pdf` are re-exported here).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
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
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree
from markupsafe import Markup, escape

from service.documents import archive, safety
from service.documents.contract import VARIABLES, sample_context
from service.documents.pdf import pdf_available, to_pdf
from service.domain.errors import StepFailed, TemplateRejected

__all__ = [
    "FIXED_CORE_TIME", "Template", "UnsafeTemplate", "clean_text", "load_template", "load_template_file",
    "normalize_docx", "pdf_available", "render", "to_pdf",
]

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


class UnsafeTemplate(StepFailed):
    """A stored template tried what the sandbox forbids (it reached the database without the
    upload checks); the cause is the sandbox's SecurityError."""


_MAX_REPEAT = 1_000_000  # the longest string or list `*` may build in a template
_MAX_EXPONENT = 64


class _CachingEnvironment(ImmutableSandboxedEnvironment):
    """An autoescaping, sandboxed Jinja environment that keeps the compiled form of the sources
    docxtpl hands it (the patched XML of a template's parts): compiling is half the cost of a
    render, and the source is the same for every render of a template. Compiled templates are
    immutable and safe to render from several threads.

    On top of Jinja's sandbox: a forbidden attribute raises SecurityError where it is read, and
    `*` and `**` may not build huge values (a template has no use for either)."""

    max_cached = 64
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any):
        super().__init__(autoescape=True, **options)
        self._compiled: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def unsafe_undefined(self, obj: Any, attribute: str):
        raise SecurityError(f"обращение к служебному атрибуту «{attribute}» объекта {type(obj).__name__}")

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                        and len(seq) * times > _MAX_REPEAT:
                    raise SecurityError(f"построение значения длиннее {_MAX_REPEAT} элементов")
        elif operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"возведение в степень больше {_MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)

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


_ACCEPTED: dict[tuple[str, str, str], Template] = {}  # (kind, name, SHA-256) → a template that passed
_ACCEPTED_MAX = 256


def load_template(kind: str, name: str, data: bytes) -> Template:
    """`check_template`, once per process for the same kind, name and bytes: the checks take a
    few tenths of a second and their answer for the same bytes never changes (every start and
    every `deploy` hands over the same files again)."""
    key = (kind, name, hashlib.sha256(data).hexdigest())
    accepted = _ACCEPTED.get(key)
    if accepted is None:
        accepted = check_template(kind, name, data)
        if len(_ACCEPTED) < _ACCEPTED_MAX:
            _ACCEPTED[key] = accepted
    return accepted


def check_template(kind: str, name: str, data: bytes) -> Template:
    """Check that `data` is a usable template for `kind` and return it.

    Raises TemplateRejected (Russian message naming the file) when it is not a .docx, breaks
    the archive limits (a zip bomb), is corrupt, has a tag syntax error, has a tag that reaches
    into Python (private attributes, Jinja's globals, includes: see service.documents.safety;
    the message names the tag), uses top-level variables the service does not give, or fails
    to render the sample data of its kind."""
    if kind not in VARIABLES:
        raise TemplateRejected(f"Шаблон {name}: неизвестный вид документа «{kind}»")
    label = f"Шаблон {name}"
    # The archive's limits first, from its central directory: nothing below inflates a member
    # beyond the sizes checked here (see service.documents.archive).
    with archive.open_archive(data, label) as zf:
        names = set(zf.namelist())
        if "word/document.xml" not in names or "[Content_Types].xml" not in names:
            raise TemplateRejected(f"{label} не является документом .docx")
        archive.verify_members(zf, label)  # every CRC-32, inflating in bounded chunks

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
        sources = safety.docx_sources(data)
    except Exception as exc:
        raise TemplateRejected(f"Шаблон {name} повреждён: {exc}") from exc
    try:
        # private attributes, names outside the contract, includes…: refused with the tag
        safety.check_sources(sources, VARIABLES[kind], label)
    except TemplateSyntaxError as exc:
        raise TemplateRejected(f"Шаблон {name} содержит ошибку в тегах шаблона: {exc.message}") from exc
    except TemplateError as exc:
        raise TemplateRejected(f"Шаблон {name} содержит ошибку в тегах шаблона: {exc}") from exc

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
        except SecurityError as exc:
            raise TemplateRejected(f"Шаблон {name} небезопасен и не принят: {exc.message}") from exc
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

    Does not modify `context`; safe to call from several threads at once. Raises UnsafeTemplate
    when the template tries what the sandbox forbids."""
    try:
        return _render(template, context, strict=False)
    except SecurityError as exc:
        raise UnsafeTemplate(f"Шаблон {template.name} ({template.sha256[:12]}…) небезопасен, песочница "
                             f"запретила: {exc.message}. Загрузите исправленный шаблон") from exc


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


# --------------------------------------------------------------------------- .docx check


def _is_docx(data: bytes) -> bool:
    """A zip within the archive limits that holds word/document.xml (nothing is inflated)."""
    return archive.is_docx(data)
