"""The prose's ``{eval}`` values: how they display (tokenrace.book.prose), and how the build records
them while a notebook runs ahead (_ext/inline_eval.py), the way JupyterLab evaluates them."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.formatters import format_display_data

from tokenrace.book import prose

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import inline_eval

# -- the values ------------------------------------------------------------------------------------


def test_text_displays_as_itself_without_quotes() -> None:
    bundle, _ = format_display_data(prose.Text("15 %"))
    assert bundle == {"text/plain": "15 %"}
    assert prose.Text("holds") == "holds"


def test_markdown_displays_rendered_with_a_plain_fallback_and_dollars_escaped() -> None:
    sentence = prose.Markdown("cost **$4.22**, against *$0.40*")
    bundle, _ = format_display_data(sentence)
    assert bundle["text/markdown"] == r"cost **\$4.22**, against *\$0.40*"
    assert bundle["text/plain"] == "cost $4.22, against $0.40"
    assert prose.Markdown(r"already \$1") == r"already \$1"  # not escaped twice


@pytest.mark.parametrize(
    ("value", "spec", "unit", "shown"),
    [
        (12.345, ".1f", "", "12.3"),
        (61.5, ".0f", "%", "62 %"),
        (53, "d", "", "53"),
        (None, ".1f", "%", "unknown"),
        (float("nan"), ".1f", "", "unknown"),
    ],
)
def test_number_formats_in_code(value, spec: str, unit: str, shown: str) -> None:
    assert prose.number(value, spec, unit) == shown
    assert isinstance(prose.number(value, spec, unit), prose.Text)


def test_values_are_read_only_and_name_what_they_hold() -> None:
    values = prose.Values({"first_t": prose.number(2.06)}, verdict="holds")
    assert values.first_t == "2.1" and isinstance(values.verdict, prose.Text)
    with pytest.raises(AttributeError, match="read-only"):
        values.first_t = "3"
    with pytest.raises(AttributeError, match="has: first_t, verdict"):
        _ = values.missing
    with pytest.raises(ValueError, match="identifier"):
        prose.Values({"not a name": 1})


# -- finding and recording expressions ----------------------------------------------------------


def test_expressions_are_found_in_markdown() -> None:
    source = "A {eval}`a.b` and {eval}``c`` and *{eval}`d`*, not {ref}`x <y>`.\n"
    assert inline_eval.expressions(source) == ["a.b", "c", "d"]


def _notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    nb = nbformat.v4.new_notebook(cells=[make[kind](source) for kind, source in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_a_run_records_each_value_where_its_cell_stands(tmp_path: Path) -> None:
    nb = _notebook(
        ("markdown", "Before any code: {eval}`1 + 1`."),
        ("code", "from tokenrace.book import prose\nx = prose.number(2.345, '.1f', 'T')"),
        ("markdown", "Then {eval}`x`, and {eval}`prose.Markdown('**$1**')`."),
        ("code", "y = 'unrelated'"),
        ("markdown", "Again {eval}`x` (the same value: recorded once)."),
    )
    result = inline_eval.execute(nb, cwd=str(tmp_path), timeout=60)
    assert result.err is None, result.exc_string
    assert inline_eval.recorded(nb) == {"1 + 1", "x", "prose.Markdown('**$1**')"}
    outputs = {
        o.metadata["scrapbook"]["name"]: o.data
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "scrapbook" in o.get("metadata", {})
    }
    prefix = inline_eval.GLUE_PREFIX
    assert outputs["eval:x"] == {prefix + "text/plain": "2.3 T"}
    assert outputs["eval:1 + 1"] == {prefix + "text/plain": "2"}
    assert outputs["eval:prose.Markdown('**$1**')"][prefix + "text/markdown"] == r"**\$1**"
    # The hash the execution cache matches on is unchanged by the run (no timing metadata).
    assert all("execution" not in cell.metadata for cell in nb.cells)
    assert inline_eval.covers(nb, nb)
    more = _notebook(("code", "x = 1"), ("markdown", "{eval}`x` and {eval}`x + 1`"))
    assert not inline_eval.covers(nb, more)


def _recorded_outputs(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {
        o.metadata["scrapbook"]["name"][len(inline_eval.EVAL_KEY) :]: o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "scrapbook" in o.get("metadata", {})
    }


def test_an_expression_that_raises_is_recorded_with_its_error_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    nb = _notebook(("code", "x = 1"), ("markdown", "Shown: {eval}`x`, {eval}`undefined_name`."))
    result = inline_eval.execute(nb, cwd=str(tmp_path), timeout=60)
    assert result.err is None, result.exc_string
    outputs = _recorded_outputs(nb)
    assert outputs["x"].data == {inline_eval.GLUE_PREFIX + "text/plain": "1"}
    assert inline_eval.ERROR_KEY not in outputs["x"].metadata
    failure = outputs["undefined_name"].metadata[inline_eval.ERROR_KEY]
    assert failure.startswith("Markdown cell 1: it raised NameError: name 'undefined_name'")
    assert inline_eval.covers(nb, nb)  # cached with its error: the page warns again, no rerun


def test_one_expression_showing_two_values_is_recorded_as_an_error(tmp_path: Path) -> None:
    """The book records one value per expression, so it must not change between cells."""
    nb = _notebook(
        ("code", "x = 1"), ("markdown", "{eval}`x`"), ("code", "x = 2"), ("markdown", "{eval}`x`")
    )
    result = inline_eval.execute(nb, cwd=str(tmp_path), timeout=60)
    assert result.err is None, result.exc_string
    failure = _recorded_outputs(nb)["x"].metadata[inline_eval.ERROR_KEY]
    assert failure.startswith("Markdown cell 3: it shows another value than where it first")


PAGE = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
# A page

```{code-cell} python
answer = 42
```

The answer is {eval}`answer`; a typo reads {eval}`answr`.
"""


def test_a_build_warns_for_the_failing_expression_by_name_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    """End to end in Sphinx, as the book runs (cache mode, executed ahead): a typo in one
    expression fails a strict build with a message that names it and its error, not with a
    warning for every value of the page, and the page's other values still show."""
    import subprocess

    from bs4 import BeautifulSoup

    ext = Path(inline_eval.__file__).parent
    src = tmp_path / "src"
    src.mkdir()
    (src / "page.md").write_text(PAGE, encoding="utf-8")
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ext)!r})\n"
        'extensions = ["myst_nb", "inline_eval"]\n'
        'root_doc = "page"\n'
        'nb_execution_mode = "cache"\n'
        f"nb_execution_cache_path = {str(tmp_path / 'cache')!r}\n"
        "nb_execution_raise_on_error = True\n"
        "def setup(app):\n"
        "    from parallel_execute import execute_ahead\n"
        '    app.connect("env-before-read-docs", execute_ahead)\n',
        encoding="utf-8",
    )
    out = tmp_path / "html"
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", src, out],
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = built.stdout + built.stderr
    assert built.returncode != 0, log
    assert "{eval}`answr` has no value: Markdown cell 2: it raised NameError" in log, log
    assert "answer`" not in log.replace("`answr`", ""), log  # no warning for the good value
    page = BeautifulSoup((out / "page.html").read_text(encoding="utf-8"), "html.parser")
    assert [v.get_text() for v in page.select(f"span.{inline_eval.VALUE_CLASS}")] == ["42"]
