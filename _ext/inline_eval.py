"""The ``{eval}`expression``` role in a cached, parallel, non-inline build.

The chapters write the numbers of their prose as MyST's inline ``{eval}`` role. JupyterLab
(jupyterlab-myst) evaluates each expression in the live kernel when a Markdown cell runs, through
the Jupyter protocol's ``user_expressions`` field of an ``execute_request``. myst-nb evaluates
``{eval}`` only in its ``inline`` execution mode, which has no cache; this book keeps its cache
and executes its notebooks ahead, in parallel (``parallel_execute.py``). So:

1. **While a notebook runs ahead** (:func:`execute`), each Markdown cell's ``{eval}`` expressions
   are evaluated in the kernel at the point the cell stands, the way JupyterLab evaluates them (an
   empty ``execute_request`` with ``user_expressions``), and each result's display data is stored
   as a hidden, glue-style output (key ``eval:<expression>``) of the code cell before it. The
   executed notebook, with these outputs, goes into the execution cache.
2. **While Sphinx reads the page**, the ``eval`` role (:class:`RecordedEvalRole`, registered over
   myst-nb's) renders the recorded display data exactly as myst-nb's own ``{eval}`` would.
3. **A cached notebook whose recorded expressions do not cover its prose** (a Markdown-only edit:
   jupyter-cache hashes code cells only) is executed again (:func:`covers`).

An expression that raises, or one that shows two values in one notebook, is recorded with why it
has no value; the page then warns for that expression alone, naming the error (fatal under
``-W``), and keeps every other value. One with no recorded value at all warns too.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

#: Key prefix of a recorded value among the notebook's glue data.
EVAL_KEY = "eval:"
#: The mime-type prefix of hidden glue outputs (``myst_nb.ext.glue.GLUE_PREFIX``).
GLUE_PREFIX = "application/papermill.record/"
#: Metadata key of a recorded output that holds why its expression has no value.
ERROR_KEY = "tokenrace_eval_error"
#: Name prefix of the temporary folder holding a kernel's sockets while it runs a notebook.
SOCKETS_PREFIX = "tokenrace-kernel-"
#: ``{eval}`expr``` or ``{eval}`` expr ``` in Markdown source.
_ROLE = re.compile(r"\{eval\}(`+)(.+?)\1", re.S)


class ExpressionError(Exception):
    """An ``{eval}`` expression of a Markdown cell raised in the kernel."""


def expressions(source: str) -> list[str]:
    """The ``{eval}`` expressions of a piece of Markdown, in order (duplicates kept)."""
    found = []
    for match in _ROLE.finditer(source):
        text = match.group(2)
        if len(match.group(1)) > 1 and text.startswith(" ") and text.endswith(" "):
            text = text[1:-1]
        found.append(text)
    return found


def notebook_expressions(notebook) -> list[str]:
    """Every distinct ``{eval}`` expression of the notebook's Markdown cells, in order."""
    seen: dict[str, None] = {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            seen.update(dict.fromkeys(expressions(cell.source)))
    return list(seen)


def recorded(notebook) -> set[str]:
    """The expressions whose values an executed notebook holds (see :func:`execute`)."""
    found = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name", "")
            if name.startswith(EVAL_KEY):
                found.add(name[len(EVAL_KEY) :])
    return found


def covers(executed, notebook) -> bool:
    """True if ``executed`` (a cached run) recorded every ``{eval}`` expression of ``notebook``."""
    return set(notebook_expressions(notebook)) <= recorded(executed)


def _failure(message: str) -> dict[str, Any]:
    """A recorded expression's result that says why it has no value."""
    return {"status": "error", "data": {}, ERROR_KEY: message}


def _output(expression: str, result: dict[str, Any]) -> dict[str, Any]:
    from nbformat.v4 import new_output

    metadata: dict[str, Any] = {
        "scrapbook": {"name": EVAL_KEY + expression, "mime_prefix": GLUE_PREFIX}
    }
    if ERROR_KEY in result:
        metadata[ERROR_KEY] = result[ERROR_KEY]
    return new_output(
        "display_data",
        data={GLUE_PREFIX + mime: value for mime, value in result.get("data", {}).items()},
        metadata=metadata,
    )


def _recording_client():
    from nbclient import NotebookClient
    from nbclient.util import ensure_async

    class RecordingClient(NotebookClient):
        """nbclient that evaluates each Markdown cell's ``{eval}`` expressions as it passes it."""

        def __init__(self, *args: Any, sockets: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sockets = sockets  # a folder of this kernel's own (see create_kernel_manager)
            self.last_code = None  # index of the last code cell passed
            # expression -> (index of the code cell before its first use, its result), in order
            self.values: dict[str, tuple[int | None, dict]] = {}

        def create_kernel_manager(self):
            """The kernel talks over Unix sockets in a folder of its own (IPC transport), not
            over TCP ports: kernels started side by side by the worker pool raced for the same
            free ports ("zmq.error.ZMQError: Address already in use")."""
            km = super().create_kernel_manager()
            km.transport = "ipc"
            km.ip = os.path.join(self.sockets, "kernel")  # sockets kernel-1, kernel-2, ...
            return km

        async def async_execute_cell(self, cell, cell_index, execution_count=None, **kw):
            if cell.cell_type == "markdown":
                await self._evaluate(cell, cell_index)
                return cell
            if cell.cell_type == "code":
                self.last_code = cell_index
            return await super().async_execute_cell(cell, cell_index, execution_count, **kw)

        async def _evaluate(self, cell, cell_index: int) -> None:
            wanted = list(dict.fromkeys(expressions(cell.source)))
            if not wanted:
                return
            named = {str(i): expression for i, expression in enumerate(wanted)}
            msg_id = await ensure_async(
                self.kc.execute("", silent=True, store_history=False, user_expressions=named)
            )
            reply = await self.async_wait_for_reply(msg_id, cell)
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise ExpressionError(f"Markdown cell {cell_index}: the kernel did not evaluate")
            for key, expression in named.items():
                result = content.get("user_expressions", {}).get(key, {})
                where = f"Markdown cell {cell_index}"
                if result.get("status") != "ok":
                    # Recorded as this expression's error: the page warns for it alone, naming
                    # the error, and every other value of the notebook is kept.
                    result = _failure(
                        f"{where}: it raised {result.get('ename', 'an error')}: "
                        f"{result.get('evalue', '')}"
                    )
                if expression not in self.values:
                    self.values[expression] = (self.last_code, result)
                    continue
                index, first = self.values[expression]
                if ERROR_KEY not in first and result.get("data") != first.get("data"):
                    # The book records one value per expression: it must mean one thing.
                    self.values[expression] = (
                        index,
                        _failure(
                            f"{where}: it shows another value than where it first appears; "
                            "give each value its own name"
                        ),
                    )

    return RecordingClient


def attach(notebook, values: dict[str, tuple[int | None, dict]]) -> None:
    """Store recorded values (expression -> (code cell index, result)) as hidden outputs of the
    code cell before each (or the first one)."""
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    for expression, (index, result) in values.items():
        if index is None:
            if not code:
                raise ExpressionError(f"{{eval}}`{expression}`: the notebook has no code cell")
            index = code[0]
        notebook.cells[index].outputs.append(_output(expression, result))


def execute(notebook, cwd: str, timeout: int | None, allow_errors: bool = False):
    """Execute ``notebook`` in place, recording its ``{eval}`` values (see the module docstring).

    Returns jupyter-cache's ``ExecutionResult`` (notebook, cwd, seconds, error, traceback), like
    ``jupyter_cache.executors.utils.single_nb_execution``, whose timeout and allow_errors
    overrides from the notebook's metadata it honours too. The kernel talks over IPC (Unix
    sockets) in a temporary folder of its own, removed afterwards, so kernels started at once
    never race for a TCP port.
    """
    import traceback

    import forked_kernels
    from jupyter_cache.executors.utils import ExecutionResult
    from jupyter_cache.utils import Timer
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    settings = notebook.metadata.get("execution", {})
    timeout = settings.get("timeout", timeout)
    allow_errors = settings.get("allow_errors", allow_errors)
    error = exc_string = None
    timer = Timer()
    # A short path: a Unix socket's path may not exceed about 100 bytes.
    with tempfile.TemporaryDirectory(prefix=SOCKETS_PREFIX) as sockets, timer:
        client = _recording_client()(
            notebook,
            sockets=sockets,
            timeout=timeout,
            allow_errors=allow_errors,
            record_timing=False,  # timing metadata in the cells would change the cache's hash
            # Every output has arrived when the last cell replies: the kernel is stopped at once
            # rather than asked to exit, which waited on the interpreter tearing down pandas and
            # matplotlib (0.3 s a notebook here, seconds now and then).
            shutdown_kernel="immediate",
            # Forked from the build's kernel server when it runs (forked_kernels.py).
            kernel_manager_class=forked_kernels.kernel_manager_class(),
            resources={"metadata": {"path": cwd}},
        )
        try:
            client.execute()
            attach(notebook, client.values)
        except (CellExecutionError, CellTimeoutError, ExpressionError) as err:
            error = err
            exc_string = "".join(traceback.format_exc())
    return ExecutionResult(notebook, cwd, timer.last_split, error, exc_string)


# --- the role -----------------------------------------------------------------------------------


#: The HTML class of the ``<span>`` around each value the ``eval`` role shows.
VALUE_CLASS = "eval-value"


def _role_class():
    from docutils import nodes
    from myst_nb.core.variables import RetrievalError, VariableOutput, render_variable_outputs
    from myst_nb.ext.eval import EvalRoleAny, eval_warning

    class RecordedEvalRole(EvalRoleAny):
        """``{eval}`expr```: the value recorded when the notebook ran, rendered as myst-nb's
        own ``{eval}`` renders a live one (text/plain without quotes, Markdown parsed inline)."""

        def run(self):
            try:
                outputs = self._recorded()
            except RetrievalError as exc:
                return [], [eval_warning(str(exc), self.document, self.line)]
            for output in outputs:
                output.metadata["strip_text_quotes"] = True
            rendered = render_variable_outputs(
                outputs, self.document, self.line, self.source, inline=True
            )
            # One wrapper per value (class "eval-value"), so a reader's tools and the tests can
            # find every computed value on the page, Markdown ones included.
            return [nodes.inline("", "", *rendered, classes=[VALUE_CLASS])], []

        def _recorded(self) -> list:
            if "nb_renderer" not in self.document:
                raise RetrievalError(f"{{eval}}`{self.text}` is used in a page without a kernel")
            element = self.document["nb_renderer"]
            glued = element.renderer.nb_client.glue_data
            output = glued.get(EVAL_KEY + self.text)
            if output is None:
                raise RetrievalError(
                    f"no value of {{eval}}`{self.text}` was recorded when the notebook ran "
                    "(the pre-execution log above says why)"
                )
            failure = output.get("metadata", {}).get(ERROR_KEY)
            if failure:
                raise RetrievalError(f"{{eval}}`{self.text}` has no value: {failure}")
            return [
                VariableOutput(
                    data=output.get("data", {}),
                    metadata=dict(output.get("metadata", {})),
                    nb_renderer=element,
                    vtype="eval",
                )
            ]

    return RecordedEvalRole


def setup(app) -> dict:
    """Register the ``eval`` role over myst-nb's (myst-nb is set up first)."""
    app.setup_extension("myst_nb")
    app.add_role("eval", _role_class()(), override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
