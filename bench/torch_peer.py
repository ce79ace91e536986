#!/usr/bin/python3
"""PyTorch peer of `siren bench kernels`.

Trains the same models (LeNet-5, Kim's CNN-rand text CNN, hashed logistic regression) on
random data of the same shapes and batch sizes, on one thread, with the same scheme as the C
side: one validation step (finite loss), warm-up steps, then `reps` timed repetitions of
`steps` SGD steps each; prints one JSON object with min/median/max training samples/s per
(model, batch). Run by bench_kernels.c when /usr/bin/python3 can import torch.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    """conv 6@5x5 pad 2, pool 2, conv 16@5x5, pool 2, fc 400-120-84-10, ReLU."""

    def __init__(self, classes):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.flatten(1)
        x = F.relu(self.f1(x))
        x = F.relu(self.f2(x))
        return self.f3(x)


class TextCNN(nn.Module):
    """Kim (2014) CNN-rand: embedding, widths 3/4/5 x 100 maps, ReLU, max over time,
    dropout 0.5, fc 300 -> 2."""

    def __init__(self, vocab, dim, maps, sparse):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0, sparse=sparse)
        self.convs = nn.ModuleList([nn.Conv1d(dim, maps, w) for w in (3, 4, 5)])
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(3 * maps, 2)

    def forward(self, tok):
        e = self.emb(tok).transpose(1, 2)  # (B, D, L)
        h = [F.relu(c(e)).max(dim=2).values for c in self.convs]
        return self.fc(self.drop(torch.cat(h, 1)))


class HashedLR(nn.Module):
    """Logistic regression on 2^k hashed features: a sparse bag sum plus a bias."""

    def __init__(self, n_weights):
        super().__init__()
        self.w = nn.EmbeddingBag(n_weights, 1, mode="sum", sparse=True)
        nn.init.zeros_(self.w.weight)
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, cols, offsets, vals):
        return self.w(cols, offsets, per_sample_weights=vals).squeeze(1) + self.b


def make(model, batch, args, gen):
    """Returns (module, step function) for one model at one batch size."""
    if model == "lenet5":
        net = LeNet5(10)
        x = torch.rand(batch, 1, 28, 28, generator=gen)
        y = torch.randint(0, 10, (batch,), generator=gen)

        def loss_fn():
            return F.cross_entropy(net(x), y)
    elif model == "textcnn":
        net = TextCNN(args.vocab, args.embed_dim, 100, bool(args.sparse_embedding))
        x = torch.randint(1, args.vocab, (batch, args.seq_len), generator=gen)
        y = torch.randint(0, 2, (batch,), generator=gen)

        def loss_fn():
            return F.cross_entropy(net(x), y)
    elif model == "lr":
        net = HashedLR(1 << args.lr_log2)
        nnz = args.lr_nnz
        cols = torch.randint(0, 1 << args.lr_log2, (batch * nnz,), generator=gen)
        offs = torch.arange(0, batch * nnz, nnz)
        vals = torch.ones(batch * nnz)
        y = torch.randint(0, 2, (batch,), generator=gen).float()

        def loss_fn():
            return F.binary_cross_entropy_with_logits(net(cols, offs, vals), y)
    else:
        raise ValueError(model)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return float(loss)

    return net, step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="lenet5,textcnn,lr")
    p.add_argument("--batches", default="64,256")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per repetition")
    p.add_argument("--vocab", type=int, default=20000)
    p.add_argument("--seq-len", type=int, default=56)
    p.add_argument("--embed-dim", type=int, default=128)
    p.add_argument("--lr-log2", type=int, default=20)
    p.add_argument("--lr-nnz", type=int, default=39)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--sparse-embedding", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "results": []}
    for model in args.models.split(","):
        for batch in [int(b) for b in args.batches.split(",")]:
            net, step = make(model, batch, args, gen)
            net.train()
            first = step()  # validation: the step runs and its loss is finite
            if first != first or first in (float("inf"), float("-inf")):
                print(f"torch_peer: {model} batch {batch}: loss is not finite", file=sys.stderr)
                return 1
            for _ in range(args.warmup):
                step()
            # Steps per repetition so that one repetition lasts about min_time seconds.
            t0 = time.perf_counter()
            step()
            one = max(time.perf_counter() - t0, 1e-6)
            steps = max(1, int(args.min_time / one))
            rates = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                for _ in range(steps):
                    step()
                dt = time.perf_counter() - t0
                rates.append(steps * batch / dt)
            out["results"].append({
                "model": model, "batch": batch, "steps_per_rep": steps,
                "samples_per_s_min": min(rates),
                "samples_per_s_median": statistics.median(rates),
                "samples_per_s_max": max(rates),
            })
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
