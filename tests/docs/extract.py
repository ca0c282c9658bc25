#!/usr/bin/env python3
"""Writes the ```cpp blocks of the given Markdown files as programs under <out>/ and prints
the paths written, one a line.

Each block is a complete program: the tests compile and run it, so the docs cannot drift
from the library. To compile the library's headers once per document rather than once per
block, the blocks of one document go into one program, <out>/<doc>.cpp: each block's
#include lines at the top, the rest of it in a namespace of its own (doc_<doc>_<n>), and a
main() that runs every block's main() in order and stops at the first that fails, naming it.
A block that cannot live in a namespace (it opens a namespace, specializes a template, defines
a macro) or that needs its own libraries (the Redis spool, the PostgreSQL outbox) stays a program of its own,
<out>/<doc>_<n>.cpp."""
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
fence = re.compile(r"^```cpp[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
# What only the global namespace allows, or what links other libraries.
standalone = re.compile(r"^(namespace |template\s*<|#define |WEBHOOK_EVENT_TYPE)|redis_spool\.hpp|postgres_spool\.hpp", re.M)


def write(target, code):
    if not target.exists() or target.read_text(encoding="utf-8") != code:
        target.write_text(code, encoding="utf-8")
    print(target)


def alone(path, n, code):
    write(out / f"{path.stem.lower()}_{n}.cpp", f"// Extracted from {path.name}, code block {n}.\n" + code)


def merged(stem, doc, blocks):
    includes, bodies, calls = [], [], []
    for n, code in blocks:
        space = f"doc_{stem}_{n}"
        lines = code.splitlines()
        for line in lines:
            if line.startswith("#include") and line not in includes:
                includes.append(line)
        body = "\n".join(line for line in lines if not line.startswith("#include"))
        bodies.append(f"// {doc}, code block {n}.\nnamespace {space} {{\n{body}\n}} // namespace {space}\n")
        calls.append(f'    if (const int status = {space}::main(); status != 0) {{\n'
                     f'        std::fprintf(stderr, "{doc}, code block {n}: main returned %d\\n", status);\n'
                     f'        return status;\n    }}\n')
    if "#include <cstdio>" not in includes:
        includes.append("#include <cstdio>")
    return (f"// Extracted from {doc}: code blocks {', '.join(str(n) for n, _ in blocks)}.\n"
            + "\n".join(includes) + "\n\n" + "\n".join(bodies)
            + "\nint main() {\n" + "".join(calls) + "    return 0;\n}\n")


for name in sys.argv[2:]:
    path = pathlib.Path(name)
    stem = path.stem.lower()
    together = []
    for n, match in enumerate(fence.finditer(path.read_text(encoding="utf-8")), start=1):
        code = match.group(1)
        if standalone.search(code):
            alone(path, n, code)
        else:
            together.append((n, code))
    if len(together) == 1:
        alone(path, *together[0])
    elif together:
        write(out / f"{stem}.cpp", merged(stem, path.name, together))
