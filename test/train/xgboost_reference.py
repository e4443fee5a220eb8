"""The BDT of a supervised train node, redone with XGBoost's Python API alone.

Reads the same preselect artifacts and scaler as the node, builds the training set by the
documented rule (train split, split == 0, of the samples in name order; background class 0,
signal class 1; every class weighted to the same total, all to mean 1; features standardised
with the scaler), trains with the given parameters, and prints the margin (log-odds) of the
held-out events (split == 1) of every sample, in name order, as JSON.

  python xgboost_reference.py JOB   JOB: samples [{name, kind, path}], scaler, params, rounds
"""

import json
import sys

import numpy as np
import pyarrow.parquet as pq
import xgboost as xgb

job = json.load(open(sys.argv[1]))
scaler = json.load(open(job["scaler"]))
features = scaler["features"]
mean = np.array(scaler["mean"])
std = np.array(scaler["std"])


def part(sample, split):
    table = pq.read_table(sample["path"]).to_pandas()
    rows = table[table["split"] == split]
    x = ((rows[features].to_numpy(dtype=np.float64) - mean) / std).astype(np.float32)
    return x, rows["weight"].to_numpy(dtype=np.float64)


samples = sorted(job["samples"], key=lambda s: s["name"])
xs, ws, ys = [], [], []
for sample in samples:
    x, w = part(sample, 0)
    xs.append(x)
    ws.append(w)
    ys.append(np.full(len(w), 1.0 if sample["kind"] == "signal" else 0.0))
x, w, y = np.concatenate(xs), np.concatenate(ws), np.concatenate(ys)
totals = {label: w[y == label].sum() for label in (0.0, 1.0)}
weights = np.array([wi * len(w) / (2 * totals[yi]) for wi, yi in zip(w, y)], dtype=np.float32)

booster = xgb.train(job["params"], xgb.DMatrix(x, label=y, weight=weights, feature_names=features), num_boost_round=job["rounds"])
held_out = np.concatenate([part(s, 1)[0] for s in samples])
margin = booster.predict(xgb.DMatrix(held_out, feature_names=features), output_margin=True)
print(json.dumps([float(v) for v in margin.astype(np.float32)]))
