"""approxgen: quantization-aware integer approximations of Transformer non-linearities.

The package fits integer-only approximations (piecewise-linear LUTs, exact tables) of functions
such as GELU or exp on a fixed-point input grid, and renders them as C and Verilog that match one
Python golden model bit for bit.
"""

__version__ = "0.1.0"
