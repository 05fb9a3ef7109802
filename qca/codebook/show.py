"""Present a codebook: Markdown for a paper's appendix, JSON for scripts."""

from __future__ import annotations

import json

from qca.codebook.model import Code, Codebook
from qca.codebook.writers import codebook_to_dict


def code_rule_count(code: Code) -> int:
    """Count one code's matching rules: terms in every language, patterns and regexes."""
    return sum(len(terms) for terms in code.terms.values()) + len(code.patterns) + len(code.regex)


def codebook_to_json(codebook: Codebook) -> str:
    """Return the codebook as JSON with the structure of the YAML file (keys in a fixed order)."""
    return json.dumps(codebook_to_dict(codebook), ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def codebook_to_markdown(codebook: Codebook) -> str:
    """Return the codebook as a Markdown appendix: per theme, a table of its codes.

    Each row gives the code, its definition, the include and exclude rules and
    the first example, so the table can go into a paper as it is.

    Examples:
        >>> print(codebook_to_markdown(read_codebook("esther.yaml")))  # doctest: +SKIP
        # Codebook: Esther improvement coaching
        ...
    """
    lines = [f"# Codebook: {codebook.name}", ""]
    about = f"Version {codebook.version}; language `{codebook.language}`; unit: {codebook.unit}."
    lines += [about, ""]
    if codebook.description:
        lines += [" ".join(codebook.description.split()), ""]
    for theme in codebook.themes:
        title = theme.label or theme.id
        lines += [f"## {title} (`{theme.id}`)", ""]
        if theme.definition:
            lines += [" ".join(theme.definition.split()), ""]
        lines += [
            "| Code | Definition | Include | Exclude | Example |",
            "|---|---|---|---|---|",
        ]
        for code in theme.codes:
            depth = code.id.count(".") if code.parent else 0
            name = code.label or (code.id[len(code.parent) + 1 :] if code.parent else code.id)
            indent = "&nbsp;&nbsp;" * depth + ("↳ " if depth else "")
            example = f"“{_cell(code.examples[0])}”" if code.examples else ""
            cells = [
                f"{indent}{_cell(name)} (`{code.id}`)",
                _cell(code.definition),
                _cell(code.include),
                _cell(code.exclude),
                example,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
