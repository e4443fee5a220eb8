"""PyTorch reference for bench/train.ts: AE, VAE and DVAE of activities/train/network.ts
(20-100-100-100-latent, [mu | logVar] for VAE/DVAE, mirrored decoder, ReLU, linear output;
the DVAE decodes softmax(z)) in the loop of activities/train/trainer.ts: 5 folds, batch 256,
per-event weighted MSE + beta * KL to N(0, 1) (VAE) or to the Laplace approximation of the
Dirichlet(0.9, ..., 0.9, 0.1) prior (DVAE), global-norm clipping 0.001, Adam, weight
averaging after every step, validation of each fold with sampled z. Prints one JSON line:
trained events per second of each epoch's wall time and per second of this process's CPU
time."""
import argparse
import json
import math
import time

import torch
from torch import nn

FEATURES, HIDDEN, BATCH, FOLDS, CLIP, LR = 20, 100, 256, 5, 1e-3, 1e-5
VALIDATION_CHUNK = 8192
KL_WEIGHT = {'AE': 0.0, 'VAE': 0.1, 'DVAE': 0.01}


def stack(widths: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def prior(arch: str, latent: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Mean, inverse variance and sum(log v - 1) of the latent prior (activities/train/prior.ts)."""
    if arch == 'VAE':
        return torch.zeros(latent), torch.ones(latent), -float(latent)
    alpha = [0.9] * (latent - 1) + [0.1]
    mean_log = sum(math.log(a) for a in alpha) / latent
    sum_inverse = sum(1 / a for a in alpha)
    mean = [math.log(a) - mean_log for a in alpha]
    var = [(1 / a) * (1 - 2 / latent) + sum_inverse / latent**2 for a in alpha]
    return torch.tensor(mean), torch.tensor([1 / v for v in var]), sum(math.log(v) - 1 for v in var)


class Model(nn.Module):
    def __init__(self, arch: str, latent: int):
        super().__init__()
        self.arch, self.latent = arch, latent
        out = latent if arch == 'AE' else 2 * latent
        self.encoder = stack([FEATURES, HIDDEN, HIDDEN, HIDDEN, out])
        self.decoder = stack([latent, HIDDEN, HIDDEN, HIDDEN, FEATURES])
        if arch != 'AE':
            m, iv, c = prior(arch, latent)
            self.register_buffer('prior_mean', m)
            self.register_buffer('prior_inv_var', iv)
            self.prior_constant = c

    def weighted_sums(self, x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """sum w*mse and sum w*kl of a batch, with a sampled z."""
        encoded = self.encoder(x)
        if self.arch == 'AE':
            z, kl = encoded, None
        else:
            mu, log_var = encoded[:, :self.latent], encoded[:, self.latent:]
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            spread = torch.exp(log_var) + (mu - self.prior_mean) ** 2
            kl = 0.5 * ((spread * self.prior_inv_var - log_var).sum(dim=1) + self.prior_constant)
        if self.arch == 'DVAE':
            z = torch.softmax(z, dim=1)
        mse = ((self.decoder(z) - x) ** 2).mean(dim=1)
        return (w * mse).sum(), (w * kl).sum() if kl is not None else torch.zeros(())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--arch', choices=['AE', 'VAE', 'DVAE'], default='AE')
    parser.add_argument('--latent', type=int, default=8)
    parser.add_argument('--rows', type=int, default=16000)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.randn(args.rows, FEATURES)
    w = torch.where(torch.arange(args.rows) % 3 == 0, 3.0, 1.0)
    w = w * args.rows / w.sum()
    model = Model(args.arch, args.latent)
    params = list(model.parameters())
    adam = torch.optim.Adam(params, lr=LR)
    beta = KL_WEIGHT[args.arch]
    rates, cpu_rates = [], []
    for _ in range(args.epochs):
        started, cpu_started = time.perf_counter(), time.process_time()
        order = torch.randperm(args.rows)
        folds = torch.tensor_split(order, FOLDS)
        average = [torch.zeros_like(p) for p in params]
        steps, train_sum, val_sum = 0, torch.zeros(()), torch.zeros(())
        for k in range(FOLDS):
            train = torch.cat([f for i, f in enumerate(folds) if i != k])
            for start in range(0, len(train), BATCH):
                batch = train[start:start + BATCH]
                mse_sum, kl_sum = model.weighted_sums(x[batch], w[batch])
                loss_sum = mse_sum + beta * kl_sum
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
                    mse_sum, kl_sum = model.weighted_sums(x[chunk], w[chunk])
                    val_sum += mse_sum + beta * kl_sum
        with torch.no_grad():
            for a, p in zip(average, params):
                p.copy_(a / steps)
        float(train_sum + val_sum)  # the epoch's losses are read back, as in the trainer
        trained = (FOLDS - 1) * args.rows
        rates.append(trained / (time.perf_counter() - started))
        cpu_rates.append(trained / (time.process_time() - cpu_started))
    print(json.dumps({'torch': torch.__version__, 'arch': args.arch, 'threads': args.threads,
                      'eventsPerSecond': rates, 'eventsPerCpuSecond': cpu_rates}))


if __name__ == '__main__':
    main()
