#!/bin/bash
# A small training loop: PyTorch (on the GPU when there is one) if it is installed,
# the same model in plain Python otherwise. Replace it with your own training code.
set -euo pipefail
python3 - <<'PY'
import random

try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed here: training the same small model in plain Python.")

random.seed(0)
data = [(x / 100, 3 * x / 100 + 1 + random.gauss(0, 0.01)) for x in range(100)]
if torch is not None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"PyTorch {torch.__version__} on {device}")
    x = torch.tensor([[a] for a, _ in data], device=device)
    y = torch.tensor([[b] for _, b in data], device=device)
    model = torch.nn.Linear(1, 1).to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    for epoch in range(1, 301):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimiser.step()
        if epoch % 100 == 0:
            print(f"epoch {epoch}: loss {loss.item():.5f}")
else:
    w, b = 0.0, 0.0
    for epoch in range(1, 301):
        gw = sum(2 * (w * a + b - t) * a for a, t in data) / len(data)
        gb = sum(2 * (w * a + b - t) for a, t in data) / len(data)
        w, b = w - 0.5 * gw, b - 0.5 * gb
        if epoch % 100 == 0:
            loss = sum((w * a + b - t) ** 2 for a, t in data) / len(data)
            print(f"epoch {epoch}: loss {loss:.5f}")
print("training done")
PY
