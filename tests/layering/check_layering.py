#!/usr/bin/env python3
"""Fails when a lower layer of cask depends on a higher one.

Dependencies run one way: public API and engine (engine/) <- adapters
(adapters/) <- language bindings (bindings/) <- tools (tools/). A file may include headers of its own layer
or a lower one; a CMake target may link targets of its own layer or a lower
one. Usage: check_layering.py SOURCE_ROOT. Prints every violation, exit 1.
"""
import pathlib
import re
import sys

LAYERS = ["engine", "adapters", "bindings", "tools"]  # lowest first
SOURCE_SUFFIXES = {".h", ".cc", ".c", ".hpp", ".cpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
DEFINES_TARGET = re.compile(r"^\s*add_library\(\s*([A-Za-z0-9_]+)[\s)]", re.M)
DEFINES_ADAPTER = re.compile(r"^\s*cask_add_adapter\(\s*([A-Za-z0-9_]+)", re.M)
LINKS = re.compile(r"target_link_libraries\(\s*([A-Za-z0-9_]+)([^)]*)\)", re.S)


def layer_of(root, path):
    top = path.relative_to(root).parts[0]
    return LAYERS.index(top) if top in LAYERS else None


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    files = [p for layer in LAYERS for p in (root / layer).rglob("*")
             if p.is_file()]
    sources = [p for p in files if p.suffix in SOURCE_SUFFIXES]
    # Which layers hold a header that an include could name.
    headers = {}
    for p in sources:
        if p.suffix in {".h", ".hpp"}:
            rel = p.relative_to(root).as_posix()
            parts = rel.split("/")
            for i in range(len(parts)):
                headers.setdefault("/".join(parts[i:]), set()).add(
                    layer_of(root, p))
    violations = []
    for p in sources:
        own = layer_of(root, p)
        for name in INCLUDE.findall(p.read_text(errors="replace")):
            layers = headers.get(name)
            if layers and min(layers) > own:
                violations.append(
                    f"{p.relative_to(root)}: includes \"{name}\" from "
                    f"{', '.join(LAYERS[l] + '/' for l in sorted(layers))}")
    # Which layer defines each CMake target.
    defined = {}
    cmake_files = [p for p in files if p.name == "CMakeLists.txt"]
    for p in cmake_files:
        text = p.read_text()
        for t in DEFINES_TARGET.findall(text):
            defined[t] = layer_of(root, p)
        for t in DEFINES_ADAPTER.findall(text):
            defined["cask_" + t] = layer_of(root, p)
    for p in cmake_files:
        own = layer_of(root, p)
        for target, rest in LINKS.findall(p.read_text()):
            for dep in re.findall(r"[A-Za-z0-9_:]+", rest):
                if dep in defined and defined[dep] > own:
                    violations.append(
                        f"{p.relative_to(root)}: {target} links {dep} from "
                        f"{LAYERS[defined[dep]]}/")
    for v in violations:
        print("layering violation:", v)
    checked = len(sources)
    if violations:
        print(f"{len(violations)} violation(s) in {checked} files; "
              "dependencies must run engine <- adapters <- bindings <- tools")
        return 1
    print(f"layering ok: {checked} source files, {len(cmake_files)} "
          "CMakeLists.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
