"""A typed formula trains in the app as PyTorch trains it: loss curve and final weights.

For formulas with no built-in twin, the app's engine trains the network (the formula's
exact symbolic derivative, through app.core.formula.activation) and PyTorch trains the
same network — same data, same initial weights copied from the engine into
torch.nn.Linear, same optimiser — with the "Copy as PyTorch" module of the same formula
as the activation, differentiated by autograd. The training loss at every epoch must
agree to 1e-9 relative, and every final weight and bias to 1e-9 (relative to the largest
weight of its layer).

    pip install torch==2.13.0      # optional: the script says so and exits 0 without it
    python3 bench/formula_train_torch.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.datasets import DatasetSpec, make_dataset  # noqa: E402
from app.core.formula.activation import formula_activation  # noqa: E402
from app.core.network import Architecture, Layout, Variant  # noqa: E402
from app.core.training import ADAM_BETAS, ADAM_EPS, TrainConfig, train  # noqa: E402

TOLERANCE = 1e-9
EPOCHS = 300

# (formula, declared ranges, values, optimiser settings): none of them is in the catalogue
CASES = [
    ("x*sigmoid(b*x) + c*sin(x)", {"c": {"min": -1, "max": 1, "default": 0.2}}, {"b": 1.5, "c": 0.2}, {"optimizer": "adam", "learning_rate": 0.01}),
    ("sqrt(x^2 + a) - sqrt(a) + 0.1*x", {"a": {"min": 0.01, "max": 4, "default": 1}}, {"a": 0.5}, {"optimizer": "sgd", "learning_rate": 0.1, "momentum": 0.9}),
    ("where(x > 0, x, a*tanh(x))", {"a": {"min": 0, "max": 2, "default": 0.5}}, {"a": 0.5}, {"optimizer": "adam", "learning_rate": 0.02}),
    ("x*erf(x/2) + log1p(exp(-abs(x)))", None, {}, {"optimizer": "adam", "learning_rate": 0.01}),
]


def module_from(source: str, params: dict):
    """The snippet's torch.nn.Module (our generated text: executing it is what a user does with it)."""
    namespace: dict = {}
    exec(compile(source, "<formula snippet>", "exec"), namespace)
    return namespace["MyActivation"](**params)


def torch_run(config: TrainConfig, theta0: np.ndarray, activation, torch) -> tuple[np.ndarray, dict]:
    """The same training in PyTorch eager: the loss at epochs 0..E and the final weights."""
    data = make_dataset(config.data)
    x = torch.tensor(data.x_train)
    y = torch.tensor(data.y_train, dtype=torch.float64).reshape(-1, 1)
    weights = Layout(config.arch, ()).unpack(theta0)  # W: fan_in × fan_out
    linears = []
    layers: list = []
    for i, (W, b) in enumerate(zip(weights["W"], weights["b"])):
        lin = torch.nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W.T))
            lin.bias.copy_(torch.tensor(b))
        linears.append(lin)
        layers.append(lin)
        if i < config.arch.depth:
            layers.append(activation)
    net = torch.nn.Sequential(*layers)
    if config.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=config.learning_rate, betas=ADAM_BETAS, eps=ADAM_EPS)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=config.learning_rate, momentum=config.momentum)
    lossf = torch.nn.BCEWithLogitsLoss()
    losses = []
    for epoch in range(config.epochs + 1):
        opt.zero_grad()
        loss = lossf(net(x), y)
        losses.append(loss.item())
        if epoch == config.epochs:
            break
        loss.backward()
        opt.step()
    final = {"W": [lin.weight.detach().numpy().T for lin in linears], "b": [lin.bias.detach().numpy() for lin in linears]}
    return np.array(losses), final


def main() -> int:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed (pip install torch==2.13.0): nothing to compare.")
        return 0
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__}, float64, CPU; {EPOCHS} epochs, moons (192 training points), 2-8-8-8-1")
    print(f"{'formula':40s} {'optimiser':>18s} {'loss rel diff':>14s} {'weights rel diff':>17s} {'final loss':>11s}")
    ok = True
    for text, ranges, values, opt in CASES:
        act = formula_activation(text, ranges)
        config = TrainConfig(
            data=DatasetSpec("moons", 256, 0.1, 0.25, 0), arch=Architecture(3, 8), variants=(Variant(act, values),),
            epochs=EPOCHS, frames=EPOCHS + 1, boundary_frames=0, histograms=False, include_weights=True, **opt,
        )
        trace = train(config)
        theta0 = trace.theta_initial[0]
        mine = Layout(config.arch, ()).unpack(trace.theta_final[0])
        module = module_from(act.formula.torch_source("MyActivation", **values), values)
        losses, final = torch_run(dataclasses.replace(config), theta0, module, torch)
        loss_diff = float(np.max(np.abs(trace.loss_train[0] - losses) / np.maximum(np.abs(losses), 1e-300)))
        w_diff = max(
            float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))
            for key in ("W", "b") for a, b in zip(mine[key], final[key])
        )
        agree = loss_diff <= TOLERANCE and w_diff <= TOLERANCE
        ok &= agree
        name = opt["optimizer"] + (f" m={opt['momentum']}" if "momentum" in opt else "") + f" lr={opt['learning_rate']}"
        print(f"{text[:40]:40s} {name:>18s} {loss_diff:14.1e} {w_diff:17.1e} {losses[-1]:11.4g}{'' if agree else '  MISMATCH'}")
    print(f"target: loss curves and final weights agree to {TOLERANCE:g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
