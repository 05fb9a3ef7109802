"""Property tests of the pseudonymise parsers and patterns (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qca.pseudonymise import find_identifiers, is_person_label, nhs_number_valid
from qca.pseudonymise.names import Name, name_forms, names_pattern
from qca.pseudonymise.streams import plain_stream, replace_spans, undo, xml_stream

DIGITS = st.text(alphabet="0123456789", min_size=9, max_size=9)


def _check_digit(nine: str) -> int:
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    return (11 - remainder) % 11


@given(DIGITS)
def test_pseudonymise_nhs_number_exactly_one_check_digit(nine: str) -> None:
    valid = [d for d in range(10) if nhs_number_valid(nine + str(d))]
    check = _check_digit(nine)
    assert valid == ([] if check == 10 else [check])


@given(DIGITS, st.sampled_from(["", " ", "-"]), st.sampled_from(["is ", "no. ", "("]))
def test_pseudonymise_nhs_number_found_in_text_when_valid(nine: str, gap: str, before: str) -> None:
    check = _check_digit(nine)
    number = nine + str(check % 10)
    shown = f"{number[:3]}{gap}{number[3:6]}{gap}{number[6:]}"
    found = find_identifiers(f"Her number {before}{shown}.")
    if check == 10:
        assert [f for f in found if f.kind == "nhs_number"] == []
    else:
        assert [(f.kind, f.value) for f in found] == [("nhs_number", shown)]


_LETTER = "ABCDEFGHIJKLMNOPRSTUWYZ"  # first position: no Q, V, X
_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # second position: no I, J, Z
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"  # inward letters: no C, I, K, M, O, V
OUTWARD = st.one_of(
    st.tuples(st.sampled_from(_LETTER), st.integers(0, 99)).map(lambda t: f"{t[0]}{t[1]}"),
    st.tuples(st.sampled_from(_LETTER), st.sampled_from(_SECOND), st.integers(0, 99)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}"
    ),
    st.tuples(st.sampled_from(_LETTER), st.integers(0, 9), st.sampled_from("ABCDEFGHJKPSTUW")).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}"
    ),
)
POSTCODE = st.tuples(
    OUTWARD, st.integers(0, 9), st.sampled_from(_INWARD), st.sampled_from(_INWARD)
).map(lambda t: f"{t[0]} {t[1]}{t[2]}{t[3]}")


@given(
    POSTCODE,
    st.sampled_from(["She lived near ", "Address: ", "("]),
    st.sampled_from([".", ")", "", " now"]),
)
def test_pseudonymise_postcode_found_whole(postcode: str, before: str, after: str) -> None:
    found = find_identifiers(before + postcode + after)
    assert [(f.kind, f.value) for f in found] == [("postcode", postcode)]


@given(POSTCODE)
def test_pseudonymise_postcode_not_inside_a_word(postcode: str) -> None:
    assert find_identifiers("X" + postcode.replace(" ", "") + "X") == []


@given(st.text(max_size=200))
def test_pseudonymise_findings_are_sorted_and_disjoint(text: str) -> None:
    found = find_identifiers(text)
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start
    for f in found:
        assert text[f.start : f.end] == f.value


SPANS = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 6), st.text(max_size=8)), max_size=6)


def _disjoint(length: int, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    end = 0
    for start, size, new in sorted(spans):
        if start >= end and start + size <= length:
            kept.append((start, start + size, new))
            end = start + size
    return kept


@given(st.text(max_size=60), SPANS)
def test_pseudonymise_plain_replace_then_undo_gives_back_the_text(
    text: str, spans: list[tuple[int, int, str]]
) -> None:
    spans = _disjoint(len(text), spans)
    new, edits = replace_spans(plain_stream(text), spans)
    assert undo(new, edits) == text


WORDS = st.lists(st.text(alphabet="ab &<>é", min_size=1, max_size=6), min_size=1, max_size=5)


@given(st.lists(WORDS, min_size=1, max_size=3), SPANS)
def test_pseudonymise_xml_replace_then_undo_gives_back_the_xml(
    paragraphs: list[list[str]], spans: list[tuple[int, int, str]]
) -> None:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    raw = (
        "<w:body>"
        + "".join(
            "<w:p>"
            + "".join(f'<w:r><w:t xml:space="preserve">{escape(r)}</w:t></w:r>' for r in runs)
            + "</w:p>"
            for runs in paragraphs
        )
        + "</w:body>"
    )
    stream = xml_stream(raw, frozenset({"w:t"}), frozenset({"w:p"}))
    assert stream.text == "".join("".join(runs) + "\n" for runs in paragraphs)
    spans = _disjoint(len(stream.text), spans)
    new, edits = replace_spans(stream, spans)
    assert undo(new, edits) == raw
    again = xml_stream(new, frozenset({"w:t"}), frozenset({"w:p"}))
    kept = [s for s in spans if "\n" not in stream.text[s[0] : s[1]]]
    expected, position = [], 0
    for start, end, replacement in kept:
        expected += [stream.text[position:start], replacement]
        position = end
    assert again.text == "".join(expected) + stream.text[position:]


@given(st.text(max_size=20))
def test_pseudonymise_label_with_a_digit_is_never_a_name(label: str) -> None:
    if any(c.isdigit() for c in label):
        assert not is_person_label(label, ["interviewer"])


@given(
    st.sampled_from(["Anna", "Anna Berg", "Berg", "ANNA", "BERG"]),
    st.sampled_from(["'s", "’s", "", ",", "."]),
)
def test_pseudonymise_name_forms_found_with_possessives(form: str, tail: str) -> None:
    forms, _ = name_forms([Name("Anna Berg")])
    pattern = names_pattern(forms)
    assert pattern is not None
    text = f"We asked {form}{tail} team"
    assert [m.group() for m in pattern.finditer(text)] == [form]
    assert re.sub(pattern, "P01", text) == f"We asked P01{tail} team"


NAME_WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ", min_size=1, max_size=1).flatmap(
    lambda first: st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöé'-", max_size=8).map(
        lambda rest: first + rest
    )
)
PERSON = st.lists(NAME_WORD, min_size=1, max_size=3).map(" ".join)


@given(
    st.lists(
        st.tuples(
            PERSON,
            st.lists(PERSON, max_size=2),
            st.sampled_from(["", "colleague", "place", "organisation", "GP"]),
        ),
        max_size=5,
    )
)
def test_pseudonymise_names_file_reads_what_was_written(
    tmp_path_factory: pytest.TempPathFactory,
    people: list[tuple[str, list[str], str]],
) -> None:
    from qca.pseudonymise.names import read_names_file

    path = tmp_path_factory.mktemp("names") / "names.txt"
    lines = ["# names"]
    for name, variants, role in people:
        line = "; ".join([name, *variants]) + (f" [{role}]" if role else "")
        lines += [line, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    read = read_names_file(path)
    assert [(n.original, list(n.variants)) for n in read] == [(n, v) for n, v, _ in people]
    kinds = {"place": ("place", "PLACE"), "organisation": ("organisation", "ORGANISATION")}
    expected = [kinds.get(r, ("person", (r or "person").upper())) for _, _, r in people]
    assert [(n.kind, n.label) for n in read] == expected
