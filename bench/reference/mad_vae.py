#!/usr/bin/env python3
"""MAD-VAE-28 and its training loop in PyTorch: the peer madbench is timed against.

The network, loss, optimiser and batching are madbench's (docs/design.md, "The
reference model"; src/model/model.c, src/model/train.c):

  encoder  conv3x3 s2 p1 (C->32) ReLU, conv3x3 s2 p1 (32->64) ReLU, flatten,
           linear 3136 -> 2d (mu | log-variance per row), d = 16
  latent   z = mu + exp(logvar / 2) * eps
  decoder  linear d -> 3136 ReLU, reshape [64, 7, 7],
           ConvTranspose2d 3x3 s2 p1 op1 (64->32) ReLU,
           ConvTranspose2d 3x3 s2 p1 op1 (32->C)   (sigmoid folded into the loss)
  loss     BCE-with-logits summed over pixels + beta * KL, averaged over the batch
  optimiser Adam lr 1e-3 (betas 0.9 / 0.999, eps 1e-8), batch 128, reshuffled every
           epoch, the last partial batch kept

The images are the ones `madbench train --n N --seed S` trains on: the same IDX
files, the same seeded subset and the same per-epoch batch order (madbench's
Philox4x32-10 permutations, re-implemented below with numpy). Only the parameter
initialisation and the VAE noise come from PyTorch's own generator.

--compile (PyTorch 2.x): torch.compile (inductor; on the CPU it generates C++/OpenMP
kernels) of the loss's forward and backward and of Adam's step, as PyTorch's
tutorials show; static shapes, so the full batch and the last partial batch each
compile once, in the warm-up.

Timing: --warmup-batches K untimed steps first (thread pools, allocator, oneDNN
primitives, compilation: one of them has the size of the last partial batch),
then --epochs timed epochs; the timed span covers what madbench's
`trained:` line covers (shuffle, batch gather, forward, backward, Adam, the loss
read once per epoch). On CUDA the span ends with a synchronisation.

Output: progress on stderr; on stdout a human line and one machine-readable line
  RESULT {"bench": "pytorch_train", "images_per_s": ..., ...}   (JSON)

Runs with Debian's python3-torch on a CPU and with CUDA PyTorch (--device cuda);
needs only torch and numpy.
"""
import argparse
import gzip
import json
import os
import platform
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

M64 = (1 << 64) - 1


# ---- madbench's counter-based generator (include/mb_philox.h), vectorised ----
def philox4x32(ctr, seed):
    """Philox4x32-10 of counters ctr (uint64 array) under key seed (int)."""
    ctr = np.asarray(ctr, dtype=np.uint64)
    mask = np.uint64(0xFFFFFFFF)
    c0 = ctr & mask
    c1 = ctr >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & mask
        hi1, lo1 = p1 >> np.uint64(32), p1 & mask
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
        k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
        k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return c0, c1, c2, c3


def uniform_at(seed, index):
    """mb_uniform_at: uniform doubles in (0, 1] for counters index."""
    r0, r1, _, _ = philox4x32(index, seed)
    bits = ((r0 << np.uint64(21)) ^ r1) & np.uint64((1 << 53) - 1)
    return (bits.astype(np.float64) + 1.0) * (1.0 / 9007199254740992.0)


def fisher_yates(n, seed, first_counter):
    """The seeded Fisher-Yates shuffle of src/data/util.c and src/model/train.c: draw i
    uses counter first_counter + i."""
    u = uniform_at(seed, np.arange(n, dtype=np.uint64) + np.uint64(first_counter))
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = min(int(u[i] * (i + 1)), i)
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


def data_stream(seed, purpose):
    """mb_data_stream: splitmix64 finaliser of (seed, purpose)."""
    z = (seed + 0x9E3779B97F4A7C15 * (purpose + 1)) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


# ---- data ----
def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 2051:
        sys.exit(f"{path}: magic {magic} (expected 2051, an IDX image file)")
    pixels = np.frombuffer(raw, dtype=np.uint8, count=n * rows * cols, offset=16)
    # madbench: pixel * (1.0f / 255.0f) in float
    images = pixels.astype(np.float32) * np.float32(1.0 / 255.0)
    return images.reshape(n, 1, rows, cols)


def load_subset(data_dir, n, seed):
    """The images `madbench train --n n --seed seed` uses (src/data/subset.c)."""
    images = read_idx_images(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    if n <= 0 or n >= len(images):
        return images
    order = fisher_yates(len(images), data_stream(seed, 1), 0)  # STREAM_SHUFFLE = 1
    return np.ascontiguousarray(images[order[:n]])


# ---- the network ----
class MadVae(nn.Module):
    def __init__(self, channels=1, size=28, c1=32, c2=64, latent=16):
        super().__init__()
        self.c2, self.side = c2, size // 4
        flat = c2 * self.side * self.side
        self.conv1 = nn.Conv2d(channels, c1, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.stats = nn.Linear(flat, 2 * latent)
        self.expand = nn.Linear(latent, flat)
        self.deconv1 = nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1)
        self.deconv2 = nn.ConvTranspose2d(c1, channels, 3, stride=2, padding=1,
                                          output_padding=1)
        self.latent = latent

    def encode(self, x):
        h = F.relu(self.conv1(x))
        h = F.relu(self.conv2(h))
        stats = self.stats(h.flatten(1))
        return stats[:, :self.latent], stats[:, self.latent:]

    def decode_logits(self, z):
        h = F.relu(self.expand(z)).view(-1, self.c2, self.side, self.side)
        h = F.relu(self.deconv1(h))
        return self.deconv2(h)

    def loss(self, x, beta):
        """(recon + beta * KL, recon, beta * KL), each averaged over the batch."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(logvar / 2) * torch.randn_like(mu)
        logits = self.decode_logits(z)
        rows = x.shape[0]
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / rows
        kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar)) / rows
        return recon + beta * kl, recon, beta * kl


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=os.environ.get("MADBENCH_FASHION_MNIST",
                                                        "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--n", type=int, default=10000, help="images (0: all 60,000)")
    p.add_argument("--epochs", type=int, default=1, help="timed epochs")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--warmup-batches", type=int, default=5, help="untimed steps first")
    p.add_argument("--seed", type=int, default=1, help="subset, batch order, init, noise")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the loss (forward + backward) and Adam's step")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()

    threads = a.threads if a.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set
    torch.manual_seed(a.seed)
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: this PyTorch sees no CUDA device")
    dev = torch.device(a.device)
    if a.device == "cuda":
        torch.backends.cudnn.benchmark = True
        device_name = torch.cuda.get_device_name(0)
    else:
        device_name = cpu_model()

    t_load = time.perf_counter()
    images = load_subset(a.data_dir, a.n, a.seed)
    n = len(images)
    data = torch.from_numpy(images).to(dev)
    batch_orders = [torch.from_numpy(fisher_yates(n, a.seed, e * n)).to(dev)
                    for e in range(a.epochs)]
    if not a.quiet:
        print(f"pytorch: {n} images ({time.perf_counter() - t_load:.1f} s to load), "
              f"torch {torch.__version__}, {a.device} ({device_name}), {threads} threads",
              file=sys.stderr)

    model = MadVae().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)

    loss_fn, opt_step = model.loss, opt.step
    if a.compile:
        if not hasattr(torch, "compile"):
            sys.exit(f"--compile needs PyTorch 2.x (this is {torch.__version__})")
        loss_fn = torch.compile(model.loss, dynamic=False)

        @torch.compile(dynamic=False)
        def opt_step():  # the compiled-optimizer recipe of PyTorch's tutorials
            opt.step()

    def step(x):
        opt.zero_grad(set_to_none=True)
        loss, recon, kl = loss_fn(x, a.beta)
        loss.backward()
        opt_step()
        return loss.detach()

    # warm-up: random batches, not part of the timed epochs; the last one has the
    # size of an epoch's last partial batch, so that nothing compiles while timed
    g = torch.Generator().manual_seed(a.seed + 12345)
    sizes = [min(a.batch, n)] * a.warmup_batches
    if a.warmup_batches and n % a.batch:
        sizes[-1] = n % a.batch
    t_warm = time.perf_counter()
    for size in sizes:
        idx = torch.randint(0, n, (size,), generator=g).to(dev)
        step(data.index_select(0, idx))
    if a.device == "cuda":
        torch.cuda.synchronize()
    warmup_seconds = time.perf_counter() - t_warm

    n_batches = (n + a.batch - 1) // a.batch
    epoch_loss = []
    t0 = time.perf_counter()
    for e in range(a.epochs):
        order = batch_orders[e]
        total = torch.zeros((), device=dev)
        for b in range(n_batches):
            x = data.index_select(0, order[b * a.batch:(b + 1) * a.batch])
            total += step(x)
        epoch_loss.append(total.item() / n_batches)  # one read per epoch, as madbench
        if not a.quiet:
            print(f"epoch {e + 1}/{a.epochs}  loss {epoch_loss[-1]:.4f}  "
                  f"{time.perf_counter() - t0:.2f} s", file=sys.stderr)
    if a.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    rate = a.epochs * n / seconds

    print(f"pytorch trained: {a.epochs} epochs of {n} images in {seconds:.3f} s "
          f"({rate:.1f} img/s)")
    print("RESULT " + json.dumps({
        "bench": "pytorch_train", "images_per_s": round(rate, 2), "seconds": round(seconds, 4),
        "images": n, "epochs": a.epochs, "batch": a.batch, "threads": threads,
        "warmup_batches": a.warmup_batches, "warmup_seconds": round(warmup_seconds, 2),
        "compile": a.compile, "device": a.device, "device_name": device_name,
        "torch": torch.__version__, "loss": [round(v, 4) for v in epoch_loss]}))


if __name__ == "__main__":
    main()
