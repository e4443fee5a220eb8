"""Writes ROOT files with uproot for the tests, the example ntuples and the bench
(root-files.ts runs it). Reads one JSON job from stdin:

  {"files": [{"path": ..., "compression": "zlib" | "lzma" | "none", "basket": rows per basket,
              "trees": [{"name": ..., "parquet": file, "rows": [start, end],
                         "drop": [parquet column], "rename": {parquet column: branch}, "types": {branch: numpy dtype},
                         "branches": {branch: {"type": numpy dtype or "var * float64", "values": [...]}}}]}]}

A tree takes its branches from a Parquet file (a row range of it, renamed and cast) and/or
from explicit values; it is filled `basket` rows at a time, so it has several baskets."""
import json
import os
import sys

import awkward as ak
import numpy as np
import pyarrow.parquet as pq
import uproot

COMPRESSION = {"zlib": uproot.ZLIB(1), "lzma": uproot.LZMA(1), "none": None}


def tree_columns(tree):
    columns = {}
    if "parquet" in tree:
        table = pq.read_table(tree["parquet"])
        start, end = tree.get("rows", [0, table.num_rows])
        rename = tree.get("rename", {})
        for name in table.column_names:
            if name not in tree.get("drop", []):
                columns[rename.get(name, name)] = table.column(name).to_numpy()[start:end]
    for name, branch in tree.get("branches", {}).items():
        if branch["type"].startswith("var *"):
            columns[name] = ak.values_astype(ak.Array(branch["values"]), branch["type"].split("*")[1].strip())
        else:
            columns[name] = np.array(branch["values"], dtype=branch["type"])
    for name, dtype in tree.get("types", {}).items():
        columns[name] = columns[name].astype(dtype)
    return columns


def branch_type(values):
    if isinstance(values, ak.Array):
        return values.type.content
    return (values.dtype, values.shape[1:]) if values.ndim > 1 else values.dtype


def write(job):
    os.makedirs(os.path.dirname(job["path"]) or ".", exist_ok=True)
    with uproot.recreate(job["path"], compression=COMPRESSION[job.get("compression", "zlib")]) as out:
        for tree in job["trees"]:
            columns = tree_columns(tree)
            written = out.mktree(tree["name"], {name: branch_type(values) for name, values in columns.items()})
            rows = len(next(iter(columns.values())))
            step = job.get("basket", rows) or 1
            for start in range(0, max(rows, 1), step):
                written.extend({name: values[start:start + step] for name, values in columns.items()})


if __name__ == "__main__":
    for file in json.load(sys.stdin)["files"]:
        write(file)
