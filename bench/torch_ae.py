"""PyTorch reference for bench/native.ts: the same AE (20-100-100-100-8 and mirrored, ReLU,
linear output) and the same per-epoch loop as activities/train/trainer.ts (5 folds, batch
256, per-event weighted MSE, global-norm clipping 0.001, Adam, weight averaging after every
step, validation of each fold) on CPU. Prints one JSON line: trained events per second of
each epoch's wall time."""
import argparse
import json
import time

import torch
from torch import nn

FEATURES, LATENT, HIDDEN, BATCH, FOLDS, CLIP, LR = 20, 8, 100, 256, 5, 1e-3, 1e-5
VALIDATION_CHUNK = 8192


def autoencoder() -> nn.Sequential:
    widths = [FEATURES, HIDDEN, HIDDEN, HIDDEN, LATENT]
    layers: list[nn.Module] = []
    for stack in (widths, widths[::-1]):
        for i in range(len(stack) - 1):
            layers.append(nn.Linear(stack[i], stack[i + 1]))
            if i < len(stack) - 2:
                layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def weighted_mse_sum(model: nn.Module, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (w * ((model(x) - x) ** 2).mean(dim=1)).sum()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--rows', type=int, default=16000)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.randn(args.rows, FEATURES)
    w = torch.where(torch.arange(args.rows) % 3 == 0, 3.0, 1.0)
    w = w * args.rows / w.sum()
    model = autoencoder()
    params = list(model.parameters())
    adam = torch.optim.Adam(params, lr=LR)
    rates = []
    for _ in range(args.epochs):
        started = time.perf_counter()
        order = torch.randperm(args.rows)
        folds = torch.tensor_split(order, FOLDS)
        average = [torch.zeros_like(p) for p in params]
        steps, train_sum, val_sum = 0, torch.zeros(()), torch.zeros(())
        for k in range(FOLDS):
            train = torch.cat([f for i, f in enumerate(folds) if i != k])
            for start in range(0, len(train), BATCH):
                batch = train[start:start + BATCH]
                loss_sum = weighted_mse_sum(model, x[batch], w[batch])
                adam.zero_grad(set_to_none=True)
                (loss_sum / len(batch)).backward()
                nn.utils.clip_grad_norm_(params, CLIP)
                adam.step()
                with torch.no_grad():
                    for a, p in zip(average, params):
                        a.add_(p)
                train_sum += loss_sum.detach()
                steps += 1
            with torch.no_grad():
                for start in range(0, len(folds[k]), VALIDATION_CHUNK):
                    chunk = folds[k][start:start + VALIDATION_CHUNK]
                    val_sum += weighted_mse_sum(model, x[chunk], w[chunk])
        with torch.no_grad():
            for a, p in zip(average, params):
                p.copy_(a / steps)
        float(train_sum + val_sum)  # the epoch's losses are read back, as in the trainer
        rates.append((FOLDS - 1) * args.rows / (time.perf_counter() - started))
    print(json.dumps({'torch': torch.__version__, 'threads': args.threads, 'eventsPerSecond': rates}))


if __name__ == '__main__':
    main()
