"""What the semantic signal costs per question: p50/p95 of embedding one query text with
all-MiniLM-L6-v2 (`peerlearn[semantic]`) on the CPU, by thread count and token limit.

Query texts are the test questions of a reference site (title + body, and title only), embedded
one at a time as the matcher does.

    python -m bench.embedding_latency [--site history] [--n 200]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from adapters.search.embedding import MiniLMEmbedder
from bench.matching import load, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", default="history")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    test = split(load(args.site), 0.8).test[: args.n]
    texts = {
        "title + body": [f"{r['title']}\n{r['body']}" for r in test],
        "title only": [r["title"] for r in test],
    }
    print(f"load average {os.getloadavg()[0]:.1f}; {len(test)} {args.site} test questions")
    for threads, max_tokens in ((1, 64), (1, 128), (2, 64)):
        embedder = MiniLMEmbedder(max_tokens=max_tokens, threads=threads)
        embedder.embed(["warm up"])
        for label, batch in texts.items():
            times = []
            for text in batch:
                started = time.perf_counter()
                embedder.embed([text])
                times.append((time.perf_counter() - started) * 1000)
            t = np.array(times)
            print(
                f"threads {threads}, {max_tokens:3} tokens, {label:12}: "
                f"p50 {np.percentile(t, 50):5.1f} ms  p95 {np.percentile(t, 95):5.1f} ms",
                flush=True,
            )
    # thread vectors at import: batches of 32, one thread
    embedder = MiniLMEmbedder()
    started = time.perf_counter()
    embedder.embed([f"{r['title']}. {r['body']}" for r in test])
    seconds = time.perf_counter() - started
    print(f"import: {len(test)} threads in batches, {1000 * seconds / len(test):.1f} ms per thread")


if __name__ == "__main__":
    main()
