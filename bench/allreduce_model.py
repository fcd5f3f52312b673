#!/usr/bin/env python3
"""Ring-allreduce cost model for data-parallel training (bench/README.md, issue 12).

Projects the step time and scaling efficiency of data-parallel SGD on p nodes from
  - the compute time of one step on one node, t_compute (measured: bench_mpi throughput), and
  - the network's latency alpha (s per message) and inverse bandwidth beta (s per byte)
    (measured on a cluster with bench_mpi allreduce, or the nominal values below).

Ring allreduce of n bytes on p nodes (reduce-scatter then allgather, 2(p-1) steps of n/p bytes):
    T_ring(p, n) = 2 (p - 1) alpha + 2 (p - 1) / p * n * beta      (+ the reduction's own flops)
With a fusion buffer of F bytes the gradients (n bytes in L tensors) travel in k = ceil(n / F)
calls instead of L, so the latency term is paid k times, not L times:
    T_comm = k * 2 (p - 1) alpha + 2 (p - 1) / p * n * beta
Without overlap the step is t_compute + T_comm; overlapping the reduction with the backward pass
(buckets reduced while earlier layers still compute) hides up to the backward time t_backward:
    T_step = t_compute + max(0, T_comm - t_backward)        (overlap)
    efficiency = t_compute / T_step  (weak scaling: the per-node batch is fixed)

Usage:
  python3 bench/allreduce_model.py                                  # nominal networks, built-in models
  python3 bench/allreduce_model.py --alpha 5e-6 --beta 8e-11 --name measured \\
      --compute seed=0.0011 --compute big=0.060
"""
import argparse
import math

# Nominal networks: one-way small-message latency through the MPI stack, and wire bandwidth.
NETWORKS = {
    "10 GbE (TCP)": (25e-6, 1 / 1.25e9),     # ~25 us, 1.25 GB/s
    "100 Gb IB (EDR, RDMA)": (1.5e-6, 1 / 12.5e9),  # ~1.5 us, 12.5 GB/s
}
# Models: parameters (float32: 4 bytes each), tensors (separate gradients), step compute seconds
# at per-node batch 128 on one node (placeholders until measured with bench_mpi throughput), and
# the backward share of that time (about 2/3 for dense layers: two GEMMs of three).
MODELS = {
    "seed": dict(params=101_770, tensors=4, compute=1.0e-3),
    "10M": dict(params=10_000_000, tensors=40, compute=60e-3),
}


def t_ring(p, nbytes, alpha, beta, calls=1):
    if p == 1:
        return 0.0
    return calls * 2 * (p - 1) * alpha + 2 * (p - 1) / p * nbytes * beta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alpha", type=float, help="measured latency, s (with --beta: replaces the nominal networks)")
    ap.add_argument("--beta", type=float, help="measured inverse bandwidth, s/B")
    ap.add_argument("--name", default="measured")
    ap.add_argument("--compute", action="append", default=[], help="MODEL=seconds per step on one node")
    ap.add_argument("--fusion", type=float, default=64 * 2**20, help="fusion buffer bytes (default 64 MiB)")
    ap.add_argument("--nodes", default="8,16,32,64,128,256")
    args = ap.parse_args()
    nets = {args.name: (args.alpha, args.beta)} if args.alpha is not None and args.beta is not None else NETWORKS
    for item in args.compute:
        k, v = item.split("=")
        MODELS[k]["compute"] = float(v)
    nodes = [int(x) for x in args.nodes.split(",")]
    print("| network | model | nodes | T_comm fused | step (no overlap) | eff. | step (overlap) | eff. | T_comm one call per tensor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for net, (alpha, beta) in nets.items():
        for name, m in MODELS.items():
            n = 4 * m["params"]
            k = math.ceil(n / args.fusion)
            tc, tb = m["compute"], 2 / 3 * m["compute"]
            for p in nodes:
                comm = t_ring(p, n, alpha, beta, k)
                unfused = t_ring(p, n, alpha, beta, m["tensors"])
                plain, over = tc + comm, tc + max(0.0, comm - tb)
                print(f"| {net} | {name} ({n / 1e6:.2f} MB) | {p} | {comm * 1e3:.3f} ms | {plain * 1e3:.3f} ms | {tc / plain:.0%} "
                      f"| {over * 1e3:.3f} ms | {tc / over:.0%} | {unfused * 1e3:.3f} ms |")


if __name__ == "__main__":
    main()
