"""Checks a ROS 2 launch file without ROS 2: it compiles as Python, and every file it names through
repo_file("…") is listed (the TypeScript test checks they exist); files it writes go through
scratch_file("…"). Any other string literal that
looks like a file of ours (.yaml, .sdf, .urdf, .json, .js, .py) is listed as unrouted: launch files
must reach repository files through repo_file. Prints JSON."""
import ast
import json
import sys

FILE_LIKE = (".yaml", ".sdf", ".urdf", ".json", ".js", ".py")
# Files that are not ours: they come from installed ROS 2 packages.
EXTERNAL = {"gz_sim.launch.py"}

out = {}
for path in sys.argv[1:]:
    source = open(path, encoding="utf-8").read()
    entry = {"compiles": True, "error": None, "repo_files": [], "unrouted": []}
    try:
        compile(source, path, "exec")
        tree = ast.parse(source, path)
    except SyntaxError as err:
        entry.update(compiles=False, error="%s:%s: %s" % (path, err.lineno, err.msg))
        out[path] = entry
        continue
    routed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("repo_file", "scratch_file"):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if node.func.id == "repo_file":
                        entry["repo_files"].append(arg.value)
                    routed.add(id(arg))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in routed:
            v = node.value
            if v.endswith(FILE_LIKE) and " " not in v and v not in EXTERNAL:
                entry["unrouted"].append(v)
    out[path] = entry
print(json.dumps(out))
