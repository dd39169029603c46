"""What a template's tags may do, checked on the parsed Jinja AST when a template is uploaded.

docxtpl renders a .docx's XML as Jinja source, so a template is code. It runs in Jinja's sandbox
(see `service.documents.render`); on top of that an upload is refused when any of its tags

* reads an attribute whose name starts with "_" or is one of Python's internal attributes
  (`x.__class__`, `x['__class__']`, `x|attr('__class__')`, `xs|map(attribute='__class__')`…);
* subscripts with a computed string (`x['_' ~ '_class__']`, `x[name|lower]`): a subscript key is
  a literal, a variable or arithmetic on those;
* calls a string's `format`/`format_map` (a route to attributes inside a format string);
* uses a name the data contract does not give (`VARIABLES[kind]`): this covers Jinja's own
  globals (`cycler`, `joiner`, `namespace`, `range`, `lipsum`, `dict`), which the shipped templates
  do not use, and the template's own `self`/`super`;
* pulls in another template (`extends`, `include`, `import`).

The sources are exactly what docxtpl renders: the body, the headers and footers of the main
part, the footnotes (each patched by docxtpl's `patch_xml`, with docxtpl's new lines before
`<w:p`) and six core properties. A refusal names each offending tag as written (found with
Jinja's own lexer), its part and line.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from docxtpl import DocxTemplate
from jinja2 import meta, nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
)

from service.domain.errors import TemplateRejected

# docxtpl's render_properties renders these core properties (a local list in docxtpl 0.20).
RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"

_INTERNAL_ATTRIBUTES = frozenset(
    {"mro", "func_globals", "func_code", "im_func", "im_self", "im_class", "tb_frame", "tb_next",
     "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "co_code"}
    | UNSAFE_GENERATOR_ATTRIBUTES | UNSAFE_COROUTINE_ATTRIBUTES | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
)
# Filters that look attributes up by a name given as an argument.
_ATTRIBUTE_FILTERS = frozenset(
    {"attr", "map", "selectattr", "rejectattr", "groupby", "sort", "sum", "unique", "min", "max", "join",
     "dictsort"}
)
_NAMED_BY_FIRST_ARGUMENT = frozenset({"attr", "map", "selectattr", "rejectattr", "groupby"})
_INCLUDES = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
_ARITHMETIC = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Neg, nodes.Pos)
_MAX_TAG = 160
_MAX_LISTED = 5


def _analysis_environment() -> ImmutableSandboxedEnvironment:
    # Same filters and tests as the renderer, but no globals: every name a template reads from
    # outside itself is then reported by meta.find_undeclared_variables.
    env = ImmutableSandboxedEnvironment(autoescape=True)
    env.globals.clear()
    return env


_ENV = _analysis_environment()


@dataclass(frozen=True)
class Source:
    part: str  # where in the .docx: "word/document.xml", "docProps/core.xml (title)"…
    text: str


@dataclass(frozen=True)
class Problem:
    part: str
    line: int
    what: str
    tag: str


def docx_sources(data: bytes) -> list[Source]:
    """The Jinja sources docxtpl renders from the .docx `data`, patched as docxtpl patches them."""
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    docx = tpl.docx
    main = docx.part

    def patched(xml: str) -> str:
        # render_xml_part puts each paragraph on a line of its own before compiling
        return tpl.patch_xml(xml).replace("<w:p>", "\n<w:p>").replace("<w:p ", "\n<w:p ")

    sources = [Source(str(main.partname).lstrip("/"), patched(tpl.xml_to_string(docx._element.body)))]
    for rel in main.rels.values():
        if rel.reltype in (tpl.HEADER_URI, tpl.FOOTER_URI) and not rel.is_external and rel.target_part.blob:
            part = rel.target_part
            sources.append(Source(str(part.partname).lstrip("/"), patched(tpl.get_part_xml(part))))
    for part in main.package.parts:
        if part.content_type == _FOOTNOTES:
            blob = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
            sources.append(Source(str(part.partname).lstrip("/"), patched(blob)))
    for prop in RENDERED_PROPERTIES:
        value = getattr(docx.core_properties, prop)
        if value:
            sources.append(Source(f"docProps/core.xml ({prop})", value))
    return sources


def check_sources(sources: Iterable[Source], allowed: frozenset[str], label: str) -> None:
    """Refuse (TemplateRejected) sources whose tags break the rules of the module doc.

    Jinja syntax errors propagate as TemplateSyntaxError (the caller words them)."""
    unsafe: list[Problem] = []
    unknown: dict[str, Problem] = {}
    for source in sources:
        ast = _ENV.parse(source.text)
        tags = list(_tags(source.text))
        for node, what, hint in _unsafe_nodes(ast):
            unsafe.append(Problem(source.part, node.lineno, what, _tag_at(tags, node.lineno, hint)))
        for name in sorted(meta.find_undeclared_variables(ast) - allowed):
            node = next((n for n in ast.find_all(nodes.Name) if n.name == name), None)
            line = node.lineno if node is not None else 1
            unknown.setdefault(name, Problem(source.part, line, name, _tag_at(tags, line, name)))
    if unsafe:
        problems = unsafe + [Problem(p.part, p.line, f"использует переменную «{p.what}», которой нет в данных", p.tag)
                             for p in unknown.values()]
        raise TemplateRejected(f"{label} небезопасен и не принят: {_listed(problems)}")
    if unknown:
        raise TemplateRejected(
            f"{label} использует переменные, которых нет в данных: {', '.join(sorted(unknown))} — "
            f"{_listed(list(unknown.values()), with_what=False)}"
        )


def _listed(problems: list[Problem], *, with_what: bool = True) -> str:
    """"тег «…» (part, строка N) what, what; тег «…» …": each tag once, at most _MAX_LISTED tags."""
    by_tag: dict[tuple[str, int, str], list[str]] = {}
    for p in problems:
        whats = by_tag.setdefault((p.part, p.line, p.tag), [])
        if p.what not in whats:
            whats.append(p.what)
    shown = [
        f"тег «{tag}» ({part}, строка {line})" + (f" {', '.join(whats)}" if with_what else "")
        for (part, line, tag), whats in list(by_tag.items())[:_MAX_LISTED]
    ]
    more = len(by_tag) - len(shown)
    return "; ".join(shown) + (f"; и ещё тегов: {more}" if more > 0 else "")


# --------------------------------------------------------------------------- the rules


def _private(name: str) -> bool:
    return name.startswith("_") or name in _INTERNAL_ATTRIBUTES


def _unsafe_nodes(ast: nodes.Template) -> Iterator[tuple[nodes.Node, str, str]]:
    """(node, what it does wrong, a word of the tag to find it by) for every offending node."""
    for node in ast.find_all(nodes.Node):
        if isinstance(node, nodes.Getattr) and _private(node.attr):
            yield node, f"обращается к служебному атрибуту «{node.attr}»", node.attr
        elif isinstance(node, nodes.Getitem):
            yield from _check_subscript(node)
        elif isinstance(node, nodes.Filter | nodes.Test) and node.name in _ATTRIBUTE_FILTERS:
            yield from _check_attribute_filter(node)
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) \
                and node.node.attr in ("format", "format_map"):
            yield node, f"вызывает форматирование строки «{node.node.attr}»", node.node.attr
        elif isinstance(node, nodes.Name) and node.name in ("self", "super") and node.ctx == "load":
            yield node, f"обращается к внутреннему объекту шаблона «{node.name}»", node.name
        elif isinstance(node, _INCLUDES):
            yield node, "подключает другой шаблон", type(node).__name__.lower()


def _check_subscript(node: nodes.Getitem) -> Iterator[tuple[nodes.Node, str, str]]:
    key = node.arg
    if isinstance(key, nodes.Const) and isinstance(key.value, str):
        if _private(key.value):
            yield node, f"обращается к служебному атрибуту «{key.value}»", key.value
    elif not _plain_index(key):
        yield node, "обращается к элементу по вычисляемому имени", "["


def _plain_index(node: nodes.Node) -> bool:
    """A subscript key that cannot spell a name: a number, a variable, arithmetic, a slice."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool) or node.value is None
    if isinstance(node, nodes.Name | nodes.Getattr):
        return True  # a variable's value comes from the data; Getattr is checked on its own
    if isinstance(node, nodes.Slice):
        return all(part is None or _plain_index(part) for part in (node.start, node.stop, node.step))
    if isinstance(node, nodes.UnaryExpr):
        return isinstance(node, nodes.Neg | nodes.Pos) and _plain_index(node.node)
    if isinstance(node, nodes.BinExpr):
        return isinstance(node, _ARITHMETIC) and _plain_index(node.left) and _plain_index(node.right)
    return False


def _check_attribute_filter(node: nodes.Filter | nodes.Test) -> Iterator[tuple[nodes.Node, str, str]]:
    how = f"через фильтр {node.name}"
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        yield node, f"передаёт вычисляемые аргументы фильтру {node.name}", node.name
        return
    named = [(i == 0 and node.name in _NAMED_BY_FIRST_ARGUMENT, arg) for i, arg in enumerate(node.args)]
    named += [(kw.key == "attribute", kw.value) for kw in node.kwargs]
    if node.name == "attr" and not node.args:
        yield node, "вызывает фильтр attr без имени атрибута", "attr"
    for is_name, arg in named:
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            bad = next((part for part in arg.value.split(".") if _private(part)), None)
            if bad is not None:
                yield node, f"обращается к служебному атрибуту «{bad}» {how}", bad
        elif is_name:
            yield node, f"обращается к атрибуту по вычисляемому имени {how}", node.name


# --------------------------------------------------------------------------- naming the tag


def _tags(source: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, text) of every {{ … }} and {% … %} tag, by Jinja's lexer."""
    start, parts = 0, []
    for lineno, token, value in _ENV.lexer.tokeniter(source, None):
        if token in ("variable_begin", "block_begin"):
            start, parts = lineno, [value]
        elif parts:
            parts.append(value)
            if token in ("variable_end", "block_end"):
                yield start, lineno, "".join(parts)
                parts = []


def _tag_at(tags: list[tuple[int, int, str]], line: int, hint: str) -> str:
    on_line = [text for first, last, text in tags if first <= line <= last]
    text = next((t for t in on_line if hint and hint in t), on_line[0] if on_line else hint)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TAG else text[: _MAX_TAG - 1] + "…"
