#!/usr/bin/env python3
"""Regenerate reference_values.inc: independent high-precision values for
test_models.c, computed with mpmath (40 digits) from the textbook formulas
(Fader, Hardie & Lee 2005 for BG/NBD, Batislam et al. 2007 / lifetimes for
MBG/NBD, Fader & Hardie's Pareto/NBD notes, Fader, Hardie & Shang 2010 for
BG/BB), NOT from libretain's own reformulations. Development tool only:
the tests read the generated file and never need mpmath.

    python3 tests/model/reference_values.py > tests/model/reference_values.inc
"""
import mpmath as mp

mp.mp.dps = 40
out = []


def emit(name, args, value):
    a = ", ".join(repr(float(v)) for v in args)
    out.append('    { "%s", { %s }, %s },' % (name, a, mp.nstr(value, 25, strip_zeros=False)))


# special functions
for y in [1e-8, 0.5, 1, 7.5, 1e6]:
    emit("digamma", [y], mp.digamma(y))
for y, e in [(0.5, 1e-10), (3.2, 0.7), (1e5, 0.79), (1e-3, 5.0), (20.0, -0.3)]:
    emit("lgamma_delta", [y, e], mp.loggamma(mp.mpf(y) + e) - mp.loggamma(y))
for a, b in [(0.79, 1e5 + 2.4), (1e-3, 1e-3), (2.5, 3.5)]:
    emit("lbeta", [a, b], mp.log(mp.beta(a, b)))
for b, c, z in [(0.55, 1.75, 0.9999), (100000.2, 100000.8, 0.7), (0.6, 1e5 + 0.6, 0.999999),
                (2.3, 10.0, 0.49), (2.3, 10.0, 0.51)]:
    f = lambda bb, cc, zz: mp.log(mp.hyp2f1(1, bb, cc, zz))
    emit("log2f1", [b, c, z], f(b, c, z))
    emit("log2f1_db", [b, c, z], mp.diff(lambda t: f(t, c, z), b))
    emit("log2f1_dc", [b, c, z], mp.diff(lambda t: f(b, t, z), c))
    emit("log2f1_dz", [b, c, z], mp.diff(lambda t: f(b, c, t), z))
for x, a, b in [(0.3, 2.0, 3.0), (0.999, 1000.0, 0.3), (0.5, 1e5, 0.24), (0.2, 1.5, 40.0)]:
    lo = mp.betainc(a, b, 0, x, regularized=True)
    hi = mp.betainc(a, b, x, 1, regularized=True)
    emit("log_ibeta", [x, a, b], mp.log(lo))
    emit("log_ibetac", [x, a, b], mp.log(hi))

# Pareto/NBD: log of s * int_{tx}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy, by quadrature
def pareto_log_tail(p, x, tx, T):
    r, al, s, be = map(mp.mpf, p)
    lf = lambda y: -(r + x) * mp.log(al + y) - (s + 1) * mp.log(be + y)
    m = lf(tx)  # the integrand decreases: scale by its value at tx
    I = mp.quad(lambda y: mp.exp(lf(y) - m), mp.linspace(tx, T, 40))
    return mp.log(s) + m + mp.log(I)

P1 = [0.553, 10.58, 0.606, 11.67]   # alpha < beta (CDNOW)
P2 = [0.5, 20.0, 0.8, 2.0]          # alpha >= beta
for p in (P1, P2):
    for x, tx, T in [(0, 0, 39), (5, 30, 39), (2, 38.99, 39), (100000, 38.5, 39), (100000, 30, 39)]:
        emit("pareto_log_tail", p + [x, tx, T], pareto_log_tail(p, x, tx, T))

def pareto_pmf(p, t, k):
    r, al, s, be = map(mp.mpf, p)
    nb = mp.gamma(r + k) / (mp.gamma(r) * mp.factorial(k)) * (al / (al + t)) ** r * (t / (al + t)) ** k
    K = mp.quad(lambda u: u ** k * (al + u) ** (-(r + k)) * (be + u) ** (-(s + 1)), [0, t / 4, t / 2, t])
    return nb * (be / (be + t)) ** s + s * be ** s * mp.gamma(r + k) * al ** r / (mp.gamma(r) * mp.factorial(k)) * K

for p in (P1, P2):
    for k in [0, 1, 5, 20]:
        emit("pareto_pmf", p + [39, k], pareto_pmf(p, 39, k))

# BG/NBD and MBG/NBD, closed forms with mpmath's 2F1
B1 = [0.2426, 4.414, 0.7929, 2.426]
B2 = [1.3, 20.0, 1.7, 0.9]

def bg_expected(p, t):
    r, al, a, b = map(mp.mpf, p)
    z = t / (al + t)
    return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * mp.hyp2f1(r, b, a + b - 1, z))

def bg_palive(p, x, tx, T):
    r, al, a, b = map(mp.mpf, p)
    if x == 0:
        return mp.mpf(1)
    return 1 / (1 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x))

def bg_cond(p, x, tx, T, t):
    r, al, a, b = map(mp.mpf, p)
    z = t / (al + T + t)
    num = (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x, a + b + x - 1, z))
    return num * bg_palive(p, x, tx, T)

def bg_pmf(p, t, k):
    r, al, a, b = map(mp.mpf, p)
    nb = lambda j: mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * (al / (al + t)) ** r * (t / (al + t)) ** j
    v = mp.beta(a, b + k) / mp.beta(a, b) * nb(k)
    if k > 0:
        v += mp.beta(a + 1, b + k - 1) / mp.beta(a, b) * (1 - mp.fsum(nb(j) for j in range(k)))
    return v

def mbg_expected(p, t):
    r, al, a, b = map(mp.mpf, p)
    return b / (a - 1) * (1 - mp.hyp2f1(r, b + 1, a + b, t / (al + t)) * (al / (al + t)) ** r)

def mbg_cond(p, x, tx, T, t):
    r, al, a, b = map(mp.mpf, p)
    h = mp.hyp2f1(r + x, b + x + 1, a + b + x, t / (al + T + t))
    num = (a + b + x) / (a - 1) * (1 - h * ((al + T) / (al + t + T)) ** (r + x))
    return num / (1 + (a / (b + x)) * ((al + T) / (al + tx)) ** (r + x))

def mbg_palive(p, x, tx, T):
    r, al, a, b = map(mp.mpf, p)
    return 1 / (1 + a / (b + x) * ((al + T) / (al + tx)) ** (r + x))

def mbg_pmf(p, t, k):
    r, al, a, b = map(mp.mpf, p)
    nb = lambda j: mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * (al / (al + t)) ** r * (t / (al + t)) ** j
    return (mp.beta(a, b + k + 1) / mp.beta(a, b) * nb(k)
            + mp.beta(a + 1, b + k) / mp.beta(a, b) * (1 - mp.fsum(nb(j) for j in range(k))))

for p in (B1, B2):
    for x, tx, T in [(0, 0, 38), (2, 30.43, 38.86), (7, 35, 39), (1000, 38, 39)]:
        emit("mbgnbd_p_alive", p + [x, tx, T], mbg_palive(p, x, tx, T))
    for k in [0, 1, 3, 10]:
        emit("mbgnbd_pmf", p + [39, k], mbg_pmf(p, 39, k))
    for t in [1, 39, 500]:
        emit("bgnbd_expected", p + [t], bg_expected(p, t))
        emit("mbgnbd_expected", p + [t], mbg_expected(p, t))
    for x, tx, T in [(0, 0, 38), (2, 30.43, 38.86), (7, 35, 39), (1000, 38, 39)]:
        emit("bgnbd_cond", p + [x, tx, T, 39], bg_cond(p, x, tx, T, 39))
        emit("mbgnbd_cond", p + [x, tx, T, 39], mbg_cond(p, x, tx, T, 39))
        emit("bgnbd_p_alive", p + [x, tx, T], bg_palive(p, x, tx, T))
    for k in [0, 1, 3, 10]:
        emit("bgnbd_pmf", p + [39, k], bg_pmf(p, 39, k))

# log-likelihoods of single customers, straight from the papers' formulas
def bg_ll(p, x, tx, T):
    r, al, a, b = map(mp.mpf, p)
    A = mp.gamma(r + x) * al ** r / mp.gamma(r)
    L = mp.beta(a, b + x) / mp.beta(a, b) * A / (al + T) ** (r + x)
    if x > 0:
        L += mp.beta(a + 1, b + x - 1) / mp.beta(a, b) * A / (al + tx) ** (r + x)
    return mp.log(L)

def mbg_ll(p, x, tx, T):
    r, al, a, b = map(mp.mpf, p)
    A = mp.gamma(r + x) * al ** r / mp.gamma(r)
    L = mp.beta(a, b + x + 1) / mp.beta(a, b) * A / (al + T) ** (r + x)
    L += mp.beta(a + 1, b + x) / mp.beta(a, b) * A / (al + tx) ** (r + x)
    return mp.log(L)

def pareto_ll(p, x, tx, T):
    r, al, s, be = map(mp.mpf, p)
    m = r + s + x
    if al >= be:
        P, d, bb = al, al - be, s + 1
    else:
        P, d, bb = be, be - al, r + x
    F = lambda y: (P + y) ** (-m) * mp.hyp2f1(m, bb, m + 1, d / (P + y))
    A0 = F(tx) - F(T)
    L = mp.gamma(r + x) * al ** r * be ** s / mp.gamma(r) * (1 / ((al + T) ** (r + x) * (be + T) ** s) + s / m * A0)
    return mp.log(L)

def pareto_palive(p, x, tx, T):
    r, al, s, be = map(mp.mpf, p)
    m = r + s + x
    if al >= be:
        P, d, bb = al, al - be, s + 1
    else:
        P, d, bb = be, be - al, r + x
    F = lambda y: (P + y) ** (-m) * mp.hyp2f1(m, bb, m + 1, d / (P + y))
    A0 = F(tx) - F(T)
    return 1 / (1 + s / m * (al + T) ** (r + x) * (be + T) ** s * A0)

def pareto_cond(p, x, tx, T, t):
    r, al, s, be = map(mp.mpf, p)
    return ((r + x) * (be + T) / ((al + T) * (s - 1)) * (1 - ((be + T) / (be + T + t)) ** (s - 1))
            * pareto_palive(p, x, tx, T))

for p in (P1, P2):
    for x, tx, T in [(0, 0, 39), (0, 0, 5), (2, 30.43, 38.86), (7, 35, 39), (1000, 38.9, 39)]:
        emit("pareto_p_alive", p + [x, tx, T], pareto_palive(p, x, tx, T))
        emit("pareto_cond", p + [x, tx, T, 39], pareto_cond(p, x, tx, T, 39))
    for t in [1, 39, 500]:
        r, al, s, be = map(mp.mpf, p)
        emit("pareto_expected", p + [t], r * be / (al * (s - 1)) * (1 - (be / (be + t)) ** (s - 1)))

for x, tx, T in [(0, 0, 39), (3, 20, 39), (100000, 38.5, 39), (100000, 38.9999, 39)]:
    for p in (B1, B2):
        emit("bgnbd_loglik", p + [x, tx, T], bg_ll(p, x, tx, T))
        emit("mbgnbd_loglik", p + [x, tx, T], mbg_ll(p, x, tx, T))
    for p in (P1, P2):
        emit("pareto_loglik", p + [x, tx, T], pareto_ll(p, x, tx, T))

# BG/BB (Fader, Hardie & Shang 2010), with Gamma functions
G1 = [1.204, 0.750, 0.657, 2.783]
G2 = [0.5, 2.0, 1.0, 3.0]  # gamma = 1, where the closed forms are 0/0: use the sums

def bb_L(p, x, tx, n):
    a, b, g, d = map(mp.mpf, p)
    B = mp.beta
    v = B(a + x, b + n - x) / B(a, b) * B(g, d + n) / B(g, d)
    for i in range(int(n - tx)):
        v += B(a + x, b + tx - x + i) / B(a, b) * B(g + 1, d + tx + i) / B(g, d)
    return v

def bb_expected(p, n):
    a, b, g, d = map(mp.mpf, p)
    return a / (a + b) * mp.fsum(mp.beta(g, d + t) / mp.beta(g, d) for t in range(1, int(n) + 1))

def bb_cond(p, x, tx, n, ns):
    a, b, g, d = map(mp.mpf, p)
    lead = mp.beta(a + x + 1, b + n - x) / mp.beta(a, b) / bb_L(p, x, tx, n)
    return lead * mp.fsum(mp.beta(g, d + t) / mp.beta(g, d) for t in range(int(n) + 1, int(n + ns) + 1))

def bb_palive(p, x, tx, n):
    a, b, g, d = map(mp.mpf, p)
    return mp.beta(a + x, b + n - x) / mp.beta(a, b) * mp.beta(g, d + n + 1) / mp.beta(g, d) / bb_L(p, x, tx, n)

def bb_pmf(p, n, k):
    a, b, g, d = map(mp.mpf, p)
    B = mp.beta
    v = mp.binomial(n, k) * B(a + k, b + n - k) / B(a, b) * B(g, d + n) / B(g, d)
    for i in range(k, n):
        v += mp.binomial(i, k) * B(a + k, b + i - k) / B(a, b) * B(g + 1, d + i) / B(g, d)
    return v

for p in (G1, G2):
    for n, k in [(6, 0), (6, 2), (6, 6), (30, 4)]:
        emit("bgbb_pmf", p + [n, k], bb_pmf(p, n, k))
    for n in [1, 6, 50]:
        emit("bgbb_expected", p + [n], bb_expected(p, n))
    for x, tx, n in [(0, 0, 6), (3, 5, 6), (6, 6, 6), (2, 4, 30)]:
        emit("bgbb_cond", p + [x, tx, n, 5], bb_cond(p, x, tx, n, 5))
        emit("bgbb_p_alive", p + [x, tx, n], bb_palive(p, x, tx, n))
        emit("bgbb_loglik", p + [x, tx, n], mp.log(bb_L(p, x, tx, n)))

print("/* Generated by reference_values.py (mpmath, 40 digits); do not edit. */")
print("\n".join(out))
