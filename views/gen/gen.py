#!/usr/bin/env python3
"""Generates views/*.toml from csysdig's view_info dump (csysdig-views.json).

Usage: python3 views/gen/gen.py [path/to/csysdig-views.json]

The TOML files are the source of truth; this script only did the first port
and can redo it. Views that need containers, Kubernetes, Mesos or tracers
are not ported.
"""
import json
import os
import sys

PORTED = [
    "procs", "procs_cpu", "procs_errors", "procs_fd_usage", "threads",
    "connections", "incoming_connections", "sports", "backlog", "files",
    "directories", "file_opens", "io_by_type", "errors", "page_faults",
    "slow_io", "syscalls", "syscall_procs", "spy_syslog", "spy_users",
    "spectro_all", "spectro_file",
]

VIEW_KEYS = ["id", "name", "description", "tips", "tags", "view_type", "filter",
             "applies_to", "is_root", "drilldown_target", "use_defaults",
             "propagate_filter", "drilldown_increase_depth", "spectro_type"]
COL_KEYS = ["name", "field", "description", "colsize", "aggregation",
            "groupby_aggregation", "is_key", "is_groupby_key", "is_sorting",
            "filterfield", "filter_in_child_only", "tags"]
ACT_KEYS = ["hotkey", "command", "description", "ask_confirmation", "wait_finish"]


def val(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(val(x) for x in v) + "]"
    raise ValueError(v)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "..", "shared", "reference", "csysdig-views.json")
    views = json.load(open(src))
    out_dir = os.path.join(here, "..")
    for vid in PORTED:
        v = views[vid]
        lines = [f"# Ported from csysdig 0.29.3 {v['_file']}.", ""]
        for k in VIEW_KEYS:
            if k in v:
                lines.append(f"{k} = {val(v[k])}")
        for c in v.get("columns", []):
            lines.append("")
            lines.append("[[columns]]")
            for k in COL_KEYS:
                if k in c:
                    lines.append(f"{k} = {val(c[k])}")
        for a in v.get("actions", []):
            lines.append("")
            lines.append("[[actions]]")
            for k in ACT_KEYS:
                if k in a:
                    lines.append(f"{k} = {val(a[k])}")
        with open(os.path.join(out_dir, f"{vid}.toml"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
