"""XGBoost for the BDT of the supervised baselines, driven by bdt.ts in a child process.

One job per call, a JSON file named on the command line; arrays travel as raw little-endian
float32 files written by bdt.ts. Progress goes to stdout as one JSON object per line, so the
node can heartbeat; failures go to stderr with exit code 2 (a missing xgboost: exit code 3).

  python bdt.py train JOB    JOB: x, y, w, rows, features, params, rounds, model
  python bdt.py predict JOB  JOB: x, rows, features, model, out (the margin: log-odds)
"""

import json
import sys

try:
    import numpy as np
    import xgboost as xgb
except ImportError as err:
    print(f"xgboost cannot be imported: {err}", file=sys.stderr)
    sys.exit(3)


def matrix(job, label=None, weight=None):
    x = np.fromfile(job["x"], dtype="<f4").reshape(job["rows"], len(job["features"]))
    return xgb.DMatrix(x, label=label, weight=weight, feature_names=job["features"], nthread=1)


class Progress(xgb.callback.TrainingCallback):
    def after_iteration(self, model, epoch, evals_log):
        print(json.dumps({"tree": epoch + 1}), flush=True)
        return False


def train(job):
    y = np.fromfile(job["y"], dtype="<f4")
    w = np.fromfile(job["w"], dtype="<f4")
    booster = xgb.train(job["params"], matrix(job, y, w), num_boost_round=job["rounds"], callbacks=[Progress()])
    booster.save_model(job["model"])


def predict(job):
    booster = xgb.Booster(model_file=job["model"])
    margin = booster.predict(matrix(job), output_margin=True)
    np.asarray(margin, dtype="<f4").tofile(job["out"])


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        job = json.load(f)
    try:
        {"train": train, "predict": predict}[command](job)
    except Exception as err:  # reported to the node with its type; the traceback would hide the message
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps({"version": xgb.__version__}), flush=True)
