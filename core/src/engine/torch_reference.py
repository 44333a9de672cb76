#!/usr/bin/env python3
"""Trains a dense MLP with PyTorch, as the peer of torch_agreement_test.cc.

Usage: torch_reference.py DIR

DIR/model.txt describes the run, one item per line:
    lr <float> / momentum <float> / weight_decay <float> / steps <int> / batch <int>
    input <int>
    layer <activation> <neurons> <fan_in>          (one line per layer, in order)
Each layer i has DIR/w<i>.bin ([neurons, fan_in]) and DIR/b<i>.bin ([neurons]); each step s has
DIR/x<s>.bin ([batch, input]) and DIR/y<s>.bin ([batch], int32). Tensors are raw little-endian
fp32 unless noted. The script trains nn.Sequential(nn.Linear, activation, ...) with
torch.optim.SGD and nn.CrossEntropyLoss, then writes DIR/out_w<i>.bin, DIR/out_b<i>.bin and
DIR/losses.txt (one loss per step, before that step's update).
"""

import os
import sys

import numpy as np
import torch


def read_config(path):
    config = {"layers": []}
    with open(path, encoding="ascii") as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "layer":
                config["layers"].append((fields[1], int(fields[2]), int(fields[3])))
            elif fields[0] in ("steps", "batch", "input"):
                config[fields[0]] = int(fields[1])
            else:
                config[fields[0]] = float(fields[1])
    return config


def read_f32(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(shape).copy())


ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "identity": torch.nn.Identity,
}


def build_model(directory, layers):
    modules = []
    for i, (activation, neurons, fan_in) in enumerate(layers):
        linear = torch.nn.Linear(fan_in, neurons)
        with torch.no_grad():
            linear.weight.copy_(read_f32(os.path.join(directory, f"w{i}.bin"), (neurons, fan_in)))
            linear.bias.copy_(read_f32(os.path.join(directory, f"b{i}.bin"), (neurons,)))
        modules.append(linear)
        if activation == "softmax":  # CrossEntropyLoss applies log-softmax to the logits
            if i != len(layers) - 1:
                raise ValueError(f"layer {i}: softmax only on the last layer")
        else:
            modules.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*modules)


def train(directory, config, model):
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"],
                                weight_decay=config["weight_decay"])
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for step in range(config["steps"]):
        x = read_f32(os.path.join(directory, f"x{step}.bin"), (config["batch"], config["input"]))
        y = np.fromfile(os.path.join(directory, f"y{step}.bin"), dtype="<i4")
        optimizer.zero_grad()
        loss = loss_fn(model(x), torch.from_numpy(y.astype(np.int64)))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    config = read_config(os.path.join(directory, "model.txt"))
    model = build_model(directory, config["layers"])
    losses = train(directory, config, model)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for i, linear in enumerate(linears):
        for name, tensor in (("w", linear.weight), ("b", linear.bias)):
            path = os.path.join(directory, f"out_{name}{i}.bin")
            tensor.detach().numpy().astype("<f4").tofile(path)
    with open(os.path.join(directory, "losses.txt"), "w", encoding="ascii") as f:
        f.write("".join(f"{loss!r}\n" for loss in losses))


if __name__ == "__main__":
    main()
