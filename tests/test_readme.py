"""The README's code, run as a reader would paste it.

Every ```python block of README.md runs in a fresh namespace that holds
only the imports of the blocks above it (a reader who pastes the README
from the top has those; a block must import anything else it uses, numpy
included). The blocks fit small models or only build pipelines: a few
seconds each. The ```bash lines of "Your own data" are parsed by the
command line's own parsers, so that every option they show exists.
"""

import ast
import re
import shlex
from pathlib import Path

import pytest

from skrnn._cli.arguments import build_parser, build_predict_parser

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language):
    """``(section, line, code)`` of every block of ``language``, in order."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if match.group(1) != language:
            continue
        before = text[: match.start()]
        headings = re.findall(r"^#+ (.*)$", before, re.MULTILINE)
        line = before.count("\n") + 2  # the first line of code
        found.append((headings[-1] if headings else "", line, match.group(2)))
    return found


def imports(code):
    """The import statements of ``code``, as a module."""
    tree = ast.parse(code)
    body = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return ast.Module(body=body, type_ignores=[])


PYTHON = blocks("python")


def test_the_readme_has_python_blocks():
    sections = [section for section, _, _ in PYTHON]
    assert len(PYTHON) >= 3
    assert "Sentences: defaults and the recommended configuration" in sections


@pytest.mark.parametrize(
    "index", range(len(PYTHON)),
    ids=[f"line {line}: {section}" for section, line, _ in PYTHON],
)
def test_python_block_runs_as_pasted(index):
    _, line, code = PYTHON[index]
    namespace = {"__name__": "__readme__"}
    for _, _, earlier in PYTHON[:index]:
        exec(compile(imports(earlier), str(README), "exec"), namespace)  # noqa: S102
    # line numbers of tracebacks point into the README
    exec(compile("\n" * (line - 1) + code, str(README), "exec"), namespace)  # noqa: S102


def own_data_commands():
    commands = []
    for section, _, code in blocks("bash"):
        if section == "Your own data":
            for text in code.splitlines():
                text = text.split("#")[0].strip()
                if text:
                    commands.append(shlex.split(text))
    return commands


def test_own_data_commands_parse():
    commands = own_data_commands()
    assert len(commands) >= 3
    for argv in commands:
        assert argv[:3] == ["python", "-m", "skrnn"], argv
        args = argv[3:]
        if args[:1] == ["predict"]:
            build_predict_parser().parse_args(args[1:])
        else:
            build_parser().parse_args(args)
