#!/usr/bin/python3
"""Reference fit for bench/models.c: the BG/NBD log-likelihood of Fader,
Hardie & Lee (2005) on the CDNOW summary, maximized with SciPy's
Nelder-Mead in log-parameter space (the way lifetimes fits it), vectorised
with NumPy. Prints one JSON object: the optimizer's wall time (the minimize
call only), the log-likelihood and the parameters; or "reference": null
with the reason when SciPy is missing.

usage: models_ref.py cdnow_customers_summary_with_transactions.csv
"""
import json
import sys
import time

try:
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import gammaln
except ImportError as e:  # report honestly instead of inventing a number
    print(json.dumps({"reference": None, "reason": "import failed: %s" % e}))
    sys.exit(2)


def main():
    data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
    x, tx, T = data[:, 1], data[:, 2], data[:, 3]

    # log L = A1 + A2 + logaddexp(A3, A4), as lifetimes writes it
    def nll(logp):
        r, alpha, a, b = np.exp(logp)
        A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        A3 = -(r + x) * np.log(alpha + T)
        xp = np.maximum(x, 1)
        A4 = np.log(a) - np.log(b + xp - 1) - (r + x) * np.log(alpha + tx)
        A4 = np.where(x > 0, A4, -np.inf)
        return -np.sum(A1 + A2 + np.logaddexp(A3, A4))

    x0 = np.zeros(4)  # r = alpha = a = b = 1
    t0 = time.perf_counter()
    res = minimize(nll, x0, method="Nelder-Mead",
                   options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20000, "maxfev": 40000})
    elapsed = time.perf_counter() - t0
    r, alpha, a, b = np.exp(res.x)
    print(json.dumps({
        "tool": "scipy.optimize.minimize(method='Nelder-Mead') %s" % __import__("scipy").__version__,
        "time_s": elapsed,
        "loglik": -float(res.fun),
        "nfev": int(res.nfev),
        "success": bool(res.success),
        "params": {"r": r, "alpha": alpha, "a": a, "b": b},
    }))


if __name__ == "__main__":
    main()
