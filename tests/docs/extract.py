#!/usr/bin/env python3
"""Writes every ```cpp block of the given Markdown files to <out>/<file>_<n>.cpp.

Each such block is a complete program: the tests compile and run it, so the docs cannot
drift from the library. Prints the paths written, one a line."""
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
fence = re.compile(r"^```cpp[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
for name in sys.argv[2:]:
    path = pathlib.Path(name)
    for n, match in enumerate(fence.finditer(path.read_text(encoding="utf-8")), start=1):
        target = out / f"{path.stem.lower()}_{n}.cpp"
        code = f"// Extracted from {path.name}, code block {n}.\n" + match.group(1)
        if not target.exists() or target.read_text(encoding="utf-8") != code:
            target.write_text(code, encoding="utf-8")
        print(target)
