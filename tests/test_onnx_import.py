"""``approxgen import``: specs from QDQ ONNX graphs built here with onnx.helper, checked with
onnxruntime; nonzero zero points are refused naming the node."""


import numpy as np

import approxgen
from conftest import require_module, run_cli as run


onnx = require_module("onnx", "approxgen[onnx]")
from onnx import TensorProto, helper  # noqa: E402


def qdq_model(path, zero=0):
    """x -> Q/DQ -> [Sigmoid | x*Sigmoid(x) | erf GELU] -> Q/DQ, three outputs."""
    init = [helper.make_tensor("s_in", TensorProto.FLOAT, [], [1 / 16]),
            helper.make_tensor("z", TensorProto.INT8, [], [zero]),
            helper.make_tensor("s_out", TensorProto.FLOAT, [], [1 / 32]),
            helper.make_tensor("zo", TensorProto.INT8, [], [0]),
            helper.make_tensor("sqrt2", TensorProto.FLOAT, [], [2 ** 0.5]),
            helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_in", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s_in", "z"], ["xd"]),
             helper.make_node("Sigmoid", ["xd"], ["sg"], name="head.sigmoid"),
             helper.make_node("Sigmoid", ["xd"], ["sg2"], name="gate_sig"),
             helper.make_node("Mul", ["xd", "sg2"], ["si"], name="mlp.silu"),
             helper.make_node("Div", ["xd", "sqrt2"], ["d"]),
             helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["a"]),
             helper.make_node("Mul", ["xd", "a"], ["m"]),
             helper.make_node("Mul", ["m", "half"], ["ge"], name="ffn/gelu")]
    outputs = []
    for t in ("sg", "si", "ge"):
        nodes += [helper.make_node("QuantizeLinear", [t, "s_out", "zo"], [t + "_q"]),
                  helper.make_node("DequantizeLinear", [t + "_q", "s_out", "zo"], [t + "_y"])]
        outputs.append(helper.make_tensor_value_info(t + "_q", TensorProto.INT8, None))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                         [256])], outputs, init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))


def test_import_writes_a_spec_per_activation_that_onnxruntime_agrees_with(tmp_path):
    qdq_model(tmp_path / "m.onnx")
    result = run("import", "m.onnx", "--out", "specs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(p.stem for p in (tmp_path / "specs").iterdir())
    assert names == ["ffn_gelu", "head_sigmoid", "mlp_silu"]
    fits = {n: approxgen.fit(tmp_path / "specs" / f"{n}.yaml") for n in names}
    assert fits["mlp_silu"].spec.function.name == "silu"
    assert fits["ffn_gelu"].spec.input.scale == 1 / 16 and fits["ffn_gelu"].spec.output.scale == 1 / 32
    ort = require_module("onnxruntime", "onnxruntime")
    codes = np.arange(-128, 128)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = dict(zip(["head_sigmoid", "mlp_silu", "ffn_gelu"],
                   session.run(None, {"x": (codes / 16).astype(np.float32)})))
    for name, fit in fits.items():  # ONNX Runtime rounds f in float: within one output code
        assert np.abs(fit.evaluate(codes) - got[name].astype(np.int64)).max() <= 1, name


def test_a_nonzero_zero_point_is_refused_naming_the_node(tmp_path):
    qdq_model(tmp_path / "m.onnx", zero=3)
    result = run("import", "m.onnx", "--out", "specs", cwd=tmp_path)
    assert result.returncode == 2 and not (tmp_path / "specs").exists()
    assert "node head.sigmoid" in result.stderr and "zero point is 3" in result.stderr
    assert result.stderr.count("\n") == 1
