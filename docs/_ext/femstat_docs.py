"""Sphinx directives that render femstat's code lists and schemas at build time.

The tables on the framework page are generated from :mod:`femstat.codes`,
:func:`femstat.schemas.victim_variables` and the rule set :data:`femstat.UN_2022`, so the
documentation cannot drift from the code. Each directive builds docutils nodes directly,
so it works the same from reStructuredText and from MyST Markdown.

Directives
----------
``femstat-variables``
    The victim table's variables (option ``:table: perpetrator`` for the perpetrator table).
``femstat-codes``
    One code list with its definitions; the argument is a name in :mod:`femstat.codes`
    (``RELATIONSHIP``, ``MECHANISM``, ...).
``femstat-relationship-groups``
    Each relationship group with the fine codes that roll up to it.
``femstat-criteria``
    The eight criteria of the UN rule set, with their definitions.
``femstat-types``
    The femicide types, their meaning and UNODC's published label.
``femstat-decision-table``
    The decision procedure of :data:`femstat.UN_2022`, tabulated from ``RuleSet.decide``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive, directives

Cell = str | nodes.Node | Sequence[nodes.Node]


def _literal(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def _codes(values: Sequence[str]) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for i, value in enumerate(values):
        if i:
            out.append(nodes.Text(", "))
        out.append(_literal(value))
    return out


def _table(
    header: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[int]
) -> nodes.table:
    table = nodes.table(classes=["femstat-generated"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    def row_of(cells: Sequence[Cell]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            if isinstance(cell, str):
                para += nodes.Text(cell)
            elif isinstance(cell, nodes.Node):
                para += cell
            else:
                for node in cell:
                    para += node
            entry += para
            row += entry
        return row

    thead = nodes.thead()
    thead += row_of(header)
    group += thead
    tbody = nodes.tbody()
    for cells in rows:
        tbody += row_of(cells)
    group += tbody
    return table


def _yes_no_any(values: set[bool]) -> str:
    if len(values) == 2:
        return "any"
    return "yes" if next(iter(values)) else "no"


def _code_list_of(codes: tuple[str, ...]) -> Any:
    from femstat import codes as C

    for name in dir(C):
        obj = getattr(C, name)
        if isinstance(obj, C.CodeList) and obj.codes == codes:
            return name, obj
    return None, None


class VariablesDirective(Directive):
    """Table of a schema's variables: column, title, kind, required, definition, codes."""

    has_content = False
    option_spec = {"table": directives.unchanged}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        from femstat.schemas import perpetrator_variables, victim_variables

        which = self.options.get("table", "victim")
        variables = perpetrator_variables() if which == "perpetrator" else victim_variables()
        rows = []
        for var in variables.values():
            if var.kind == "code":
                name, _ = _code_list_of(var.codes)
                codes_cell: Cell = [
                    *_codes(var.codes),
                    *([nodes.Text(f" (femstat.codes.{name})")] if name else []),
                ]
            elif var.kind == "boolean":
                codes_cell = [nodes.Text("true, false, NA (unknown)")]
            elif var.kind == "integer":
                codes_cell = [nodes.Text("whole number, NA (unknown)")]
            elif var.kind == "year":
                codes_cell = [nodes.Text("four-digit year")]
            elif var.kind == "date":
                codes_cell = [nodes.Text("date")]
            else:
                codes_cell = [nodes.Text("any")]
            required = "yes" if var.required else "no"
            if which == "victim" and var.name in ("year", "date"):
                required = "one of year, date"
            rows.append(
                [_literal(var.name), var.title, var.kind, required, var.description, codes_cell]
            )
        return [
            _table(
                ["column", "title", "kind", "required", "definition", "values"],
                rows,
                [14, 12, 6, 6, 30, 32],
            )
        ]


class CodesDirective(Directive):
    """Table of one code list of :mod:`femstat.codes`: code and definition."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from femstat import codes as C

        name = self.arguments[0]
        code_list = getattr(C, name, None)
        if not isinstance(code_list, C.CodeList):
            raise self.error(f"femstat.codes.{name} is not a CodeList")
        rows = []
        for code, description in code_list.descriptions.items():
            note = " (the unknown code)" if code == code_list.unknown else ""
            rows.append([_literal(code), description + note])
        return [_table(["code", "definition"], rows, [25, 75])]


class RelationshipGroupsDirective(Directive):
    """Each relationship group with its fine codes and UNODC's published label."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from femstat import codes as C

        rows = []
        for group, description in C.RELATIONSHIP_GROUP.descriptions.items():
            fine = [c for c, g in C.RELATIONSHIP_GROUP_OF.items() if g == group and c != group]
            rows.append(
                [
                    _literal(group),
                    description,
                    _codes(fine) if fine else "(no finer codes)",
                    C.UNODC_RELATIONSHIP_LABELS[group],
                ]
            )
        return [
            _table(
                ["group (also a valid code)", "meaning", "fine codes", "UNODC label"],
                rows,
                [18, 22, 35, 25],
            )
        ]


class CriteriaDirective(Directive):
    """The criteria columns of the UN rule set and their definitions."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from femstat import UN_2022
        from femstat import codes as C
        from femstat.schemas import victim_variables

        variables = victim_variables()
        rows = [
            [str(bit), _literal(name), variables[name].title, C.CRITERIA_DESCRIPTIONS[name]]
            for bit, name in enumerate(UN_2022.criteria)
        ]
        return [_table(["bit", "column", "title", "criterion"], rows, [5, 20, 20, 55])]


class TypesDirective(Directive):
    """The femicide types and totals with their meaning and UNODC label."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from femstat import codes as C

        rows = [
            [_literal(code), description, C.UNODC_TYPE_LABELS[code]]
            for code, description in C.FEMICIDE_TYPE.descriptions.items()
        ]
        rows.append(
            [
                _literal("femicide"),
                "total: " + ", ".join(C.FEMICIDE),
                C.UNODC_TYPE_LABELS["femicide"],
            ]
        )
        rows.append(
            [
                _literal("female_homicide"),
                "total: every in-scope record (every type other than out_of_scope)",
                C.UNODC_TYPE_LABELS["female_homicide"],
            ]
        )
        return [
            _table(
                ["label", "meaning", "UNODC label, or femstat's for its own classes"],
                rows,
                [20, 50, 30],
            )
        ]


class DecisionTableDirective(Directive):
    """``RuleSet.decide`` over every combination of the facts it reads, for in-scope records."""

    has_content = False
    option_spec = {"rules": directives.unchanged}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        import femstat

        rules = getattr(femstat, self.options.get("rules", "UN_2022"))
        from femstat import codes as C

        rows = []
        rows.append(
            [
                "no",
                "any",
                "any",
                "any",
                _literal(rules.decide(False, "unknown", False, False)),
            ]
        )
        for group in C.RELATIONSHIP_GROUP.codes:
            seen: dict[tuple[str, ...], list[tuple[bool, bool]]] = {}
            for any_true in (True, False):
                for any_unknown in (True, False):
                    result = rules.decide(True, group, any_true, any_unknown)
                    seen.setdefault((result,), []).append((any_true, any_unknown))
            for (result,), combos in seen.items():
                trues = {t for t, _ in combos}
                unknowns = {u for _, u in combos}
                # Collapse to "any" only where the combinations form a full rectangle.
                blocks = (
                    [(trues, unknowns)]
                    if len(trues) * len(unknowns) == len(combos)
                    else [({t}, {u}) for t, u in combos]
                )
                for ts, us in blocks:
                    rows.append(
                        [
                            "yes",
                            _literal(group),
                            _yes_no_any(ts),
                            _yes_no_any(us),
                            _literal(result),
                        ]
                    )
        return [
            _table(
                [
                    "in scope",
                    "relationship group",
                    "a criterion true",
                    "a criterion unknown",
                    "femicide_type",
                ],
                rows,
                [10, 25, 18, 18, 29],
            )
        ]


class OptionalApiDirective(Directive):
    """Document each listed module that imports here; list those that do not.

    Content: one module name per line, optionally followed by `` -- `` and what the module
    needs (``femstat.dask -- the dask extra``). Only for reStructuredText documents.
    """

    has_content = True

    def run(self) -> list[nodes.Node]:
        import importlib
        import importlib.util

        from docutils.statemachine import StringList
        from sphinx.util.nodes import nested_parse_with_titles

        lines: list[str] = []
        missing: list[tuple[str, str]] = []
        for raw in self.content:
            if not raw.strip():
                continue
            name, _, needs = (part.strip() for part in raw.partition("--"))
            try:
                found = importlib.util.find_spec(name) is not None
                if found:
                    importlib.import_module(name)
            except ImportError:
                found = False
            if not found:
                missing.append((name, needs))
                continue
            title = f"``{name}``"
            lines += [title, "-" * len(title), "", f".. automodule:: {name}", "   :members:", ""]
        if missing:
            lines += ["Not in this build", "-" * 17, ""]
            lines += [
                "These modules were not importable when this site was built"
                " (not yet written, or an optional dependency was not installed):",
                "",
            ]
            lines += [
                f"- ``{name}``" + (f": needs {needs}" if needs else "") for name, needs in missing
            ]
            lines.append("")
        container = nodes.container()
        nested_parse_with_titles(
            self.state, StringList(lines, source="femstat-optional-api"), container
        )
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("femstat-variables", VariablesDirective)
    app.add_directive("femstat-codes", CodesDirective)
    app.add_directive("femstat-relationship-groups", RelationshipGroupsDirective)
    app.add_directive("femstat-criteria", CriteriaDirective)
    app.add_directive("femstat-types", TypesDirective)
    app.add_directive("femstat-decision-table", DecisionTableDirective)
    app.add_directive("femstat-optional-api", OptionalApiDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
