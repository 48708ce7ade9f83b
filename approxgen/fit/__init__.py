"""The solvers the fitting uses (:mod:`approxgen.fitting` drives them): the integer arithmetic of a
spec (shifts, bounds), the per-segment integer solve (segment, mse: closed-form least squares),
the problem a search sees, reach, the quadratic and rounding problems, interp node layouts and
values, the segment count search (auto) and the lower bound (bound).

``approxgen.fit`` itself is the Python API's function (:func:`approxgen.api.fit`); this package is
``sys.modules["approxgen.fit"]``: ``from approxgen.fit.problem import PwlProblem`` and
``from approxgen.fit import segment`` work as for any package.
"""
