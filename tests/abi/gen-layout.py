#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes lib/abi_layout.c: a _Static_assert on the size of every structure
of tsmon's ABI (include/uapi/tsmon/abi.h) and of libtsmon's API
(include/tsmon/tsmon.h), and on the offset and size of every field, as the
compiler lays them out now. Run it after appending a field (make abilayout);
make check fails while the file is not current (make abilayoutcheck)."""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADERS = [("include/uapi/tsmon/abi.h", "<tsmon/abi.h>"),
           ("include/tsmon/tsmon.h", "<tsmon/tsmon.h>")]
DECL = re.compile(r"^\s*(?:const\s+)?(?:struct\s+\w+|__u64|__u32|uint64_t|uint32_t)\s+"
                  r"(\w+)\s*(\[[^\]]+\])?\s*;")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def fields(lines, i, prefix, out):
    """Fields of the body starting after line i, until its closing brace."""
    while i < len(lines):
        line = lines[i].strip()
        if re.match(r"^(union|struct)\s*\{$", line):
            j, inner = i + 1, []
            j = fields(lines, j, None, inner)
            m = re.match(r"^\}\s*(\w+)?\s*;", lines[j].strip())
            name = m.group(1) if m else None
            for f in inner:
                out.append((prefix or "") + (name + "." if name else "") + f)
            i = j + 1
            continue
        if line.startswith("}"):
            return i
        m = DECL.match(line)
        if m:
            out.append((prefix or "") + m.group(1))
        i += 1
    return i


def structs():
    found = []
    for path, _ in HEADERS:
        lines = strip_comments(open(os.path.join(ROOT, path)).read()).split("\n")
        for i, line in enumerate(lines):
            m = re.match(r"^struct\s+(\w+)\s*\{$", line.strip())
            if m:
                out = []
                fields(lines, i + 1, None, out)
                found.append((m.group(1), out))
    return found


def main():
    found = structs()
    prog = ["#include <stddef.h>", "#include <stdio.h>"]
    prog += ["#include %s" % inc for _, inc in HEADERS]
    prog.append("int main(void) {")
    for s, fl in found:
        prog.append('printf("S %s %%zu\\n", sizeof(struct %s));' % (s, s))
        for f in fl:
            prog.append('printf("F %s %s %%zu %%zu\\n", offsetof(struct %s, %s), '
                        'sizeof(((struct %s *)0)->%s));' % (s, f, s, f, s, f))
    prog.append("return 0; }")
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, "l.c"), os.path.join(d, "l")
        open(src, "w").write("\n".join(prog) + "\n")
        subprocess.check_call([os.environ.get("CC", "cc"), "-std=gnu11",
                               "-I" + os.path.join(ROOT, "include"),
                               "-I" + os.path.join(ROOT, "include/uapi"),
                               "-o", exe, src])
        facts = subprocess.check_output([exe], text=True).split("\n")
    body = ["// SPDX-License-Identifier: LGPL-2.1-or-later",
            "/*",
            " * The layout of tsmon's ABI and libtsmon's API structures, as 1.0",
            " * promised it: written by tests/abi/gen-layout.py (make abilayout).",
            " * A field that moves or changes size stops the build; the ABI grows",
            " * only by appending, and appended fields are added here by the",
            " * generator. Nothing here generates code.",
            " */",
            "#include <stddef.h>",
            "",
            "#include <tsmon/tsmon.h>",
            "",
            "#define SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s \" size\")",
            "#define FIELD(s, f, o, n) \\",
            "\t_Static_assert(offsetof(struct s, f) == (o) && \\",
            "\t\t       sizeof(((struct s *)0)->f) == (n), #s \".\" #f)",
            ""]
    for line in facts:
        p = line.split()
        if not p:
            continue
        if p[0] == "S":
            body.append("")
            body.append("SIZE(%s, %s);" % (p[1], p[2]))
        else:
            body.append("FIELD(%s, %s, %s, %s);" % (p[1], p[2], p[3], p[4]))
    text = "\n".join(body) + "\n"
    out = os.path.join(ROOT, "lib/abi_layout.c")
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        if open(out).read() != text:
            sys.exit("lib/abi_layout.c is not current: run make abilayout")
        return
    open(out, "w").write(text)


main()
