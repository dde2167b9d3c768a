#!/usr/bin/python3
"""python_models.py - BG/NBD through the Python bindings against the same
work written in NumPy/SciPy here, in the same run.

1. Fit BG/NBD on the CDNOW calibration summary: retain.models.BGNBD().fit
   versus scipy.optimize.minimize (Nelder-Mead, lifetimes' method) on a
   vectorised NumPy log-likelihood with the same weights and log-parameters.
2. P(alive) for 1,000,000 customers: the bindings (zero-copy NumPy in and
   out) versus the closed form in NumPy.

Prints one JSON object. Usage: python_models.py BUILD_DIR [SUMMARY_CSV]
"""
import csv
import json
import os
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

here = os.path.dirname(os.path.abspath(__file__))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build")
summary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "tests", "data",
                                                              "cdnow_customers_summary.csv")
# The extension from the build tree, next to the package sources.
import importlib.util
import tempfile
import glob
import shutil

tmp = tempfile.mkdtemp()
shutil.copytree(os.path.join(here, "..", "bindings", "python", "retain"), os.path.join(tmp, "retain"))
for so in glob.glob(os.path.join(build, "bindings", "python", "src", "_retain*.so")):
    shutil.copy(so, os.path.join(tmp, "retain"))
sys.path.insert(0, tmp)
import retain  # noqa: E402

rows = list(csv.DictReader(open(summary)))
x = np.array([float(r["frequency"]) for r in rows])
tx = np.array([float(r["recency"]) for r in rows])
T = np.array([float(r["T"]) for r in rows])


def best(fn, n=5):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# -- 1. fit ------------------------------------------------------------------
def numpy_negll(logp):
    r, alpha, a, b = np.exp(logp)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    d = x > 0
    A4 = np.where(d, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), 0.0)
    ll = A1 + A2 + np.logaddexp(A3, np.where(d, A4, -np.inf))
    return -ll.sum()


def scipy_fit():
    res = minimize(numpy_negll, np.zeros(4), method="Nelder-Mead",
                   options={"maxiter": 20000, "maxfev": 20000, "xatol": 1e-10, "fatol": 1e-10})
    return res


def retain_fit():
    return retain.models.BGNBD().fit(x, tx, T, unit="week")


t_ref, ref = best(scipy_fit, 3)
t_lib, model = best(retain_fit, 20)
ll_ref = -ref.fun
ll_lib = model.log_likelihood if not callable(getattr(model, "log_likelihood", None)) else None
p = model.params
ll_lib = -numpy_negll(np.log([p["r"], p["alpha"], p["a"], p["b"]]))

# -- 2. P(alive) on 1,000,000 customers ----------------------------------------
rng = np.random.default_rng(7)
n = 1_000_000
bx = rng.poisson(1.5, n).astype(float)
bT = rng.uniform(1, 78, n)
btx = np.where(bx > 0, rng.uniform(0, 1, n) * bT, 0.0)
r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]


def numpy_palive():
    return np.where(bx > 0, 1.0 / (1.0 + (a / (b + bx - 1)) * ((alpha + bT) / (alpha + btx)) ** (r + bx)),
                    1.0)


out = np.empty(n)


def retain_palive():
    return model.p_alive(bx, btx, bT, out=out)


t_np, pa_np = best(numpy_palive, 5)
t_rt, pa_rt = best(retain_palive, 5)
maxdiff = float(np.max(np.abs(np.asarray(pa_rt) - pa_np)))
shutil.rmtree(tmp)

print(json.dumps({
    "benchmark": "python_models",
    "fit_retain_s": round(t_lib, 5), "fit_scipy_nelder_mead_s": round(t_ref, 4),
    "fit_speed_ratio": round(t_ref / t_lib, 1), "fit_floor": 50,
    "loglik_retain": round(ll_lib, 4), "loglik_scipy": round(ll_ref, 4),
    "loglik_rel_diff": abs(ll_lib - ll_ref) / abs(ll_ref),
    "p_alive_customers": n, "p_alive_retain_s": round(t_rt, 4), "p_alive_numpy_s": round(t_np, 4),
    "p_alive_speed_ratio": round(t_np / t_rt, 2), "p_alive_floor": 1.0,
    "p_alive_max_abs_diff": maxdiff,
}))
