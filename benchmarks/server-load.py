#!/usr/bin/env python3
"""Load client for the zipcache REST service: requests/s and time to first token under concurrent clients.

Each client sends streamed chat completions back to back (OpenAI's SSE format) for --duration seconds; the time to
first token is measured from sending the request to the first chunk with content. Standard library only.

  benchmarks/server-load.py --url http://localhost:8080 --clients 1,4,16 --duration 30 --max-tokens 64
"""
import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse

SUBJECTS = ["a cat", "a dog", "the sun", "a little girl", "a big tree", "a boat", "the moon", "a red ball"]


def one_request(url, body, api_key):
    """Sends one streamed request; returns (time to first token, total time, completion tokens) or raises."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=600)
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer " + api_key
    start = time.perf_counter()
    connection.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=headers)
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError("HTTP %d %s" % (response.status, response.read()[:200]))
    first = None
    tokens = 0
    for raw in response:
        line = raw.decode("utf-8").strip()
        if not line.startswith("data: "):
            continue
        data = line[len("data: "):]
        if data == "[DONE]":
            break
        chunk = json.loads(data)
        if chunk.get("usage"):
            tokens = chunk["usage"]["completion_tokens"]
        for choice in chunk.get("choices", []):
            if choice.get("delta", {}).get("content") and first is None:
                first = time.perf_counter() - start
    total = time.perf_counter() - start
    connection.close()
    return first if first is not None else total, total, tokens


def run_level(args, clients):
    deadline = time.perf_counter() + args.duration
    results, errors, lock = [], [], threading.Lock()

    def client(index):
        n = 0
        while time.perf_counter() < deadline:
            body = {"model": args.model, "max_tokens": args.max_tokens, "temperature": 0.8,
                    "seed": index * 1000 + n, "stream": True, "stream_options": {"include_usage": True},
                    "messages": [{"role": "user", "content": "Tell me a story about %s." %
                                  SUBJECTS[(index + n) % len(SUBJECTS)]}]}
            if args.kv_cache:
                body["kv_cache"] = args.kv_cache
            n += 1
            try:
                outcome = one_request(args.url, body, args.api_key)
                with lock:
                    results.append(outcome)
            except Exception as failure:  # counted and reported, the client goes on
                with lock:
                    errors.append(str(failure))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ttft = sorted(r[0] for r in results)
    tokens = sum(r[2] for r in results)

    def pct(values, p):
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")

    return {"clients": clients, "requests": len(results), "errors": len(errors), "seconds": elapsed,
            "rps": len(results) / elapsed, "ttft_p50_ms": pct(ttft, 50) * 1000, "ttft_p99_ms": pct(ttft, 99) * 1000,
            "latency_mean_ms": statistics.mean(r[1] for r in results) * 1000 if results else float("nan"),
            "tokens_per_s": tokens / elapsed, "first_error": errors[0] if errors else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8080")
    parser.add_argument("--model", default=None, help="the model id (default: the served one)")
    parser.add_argument("--clients", default="1,4,16", help="comma-separated concurrency levels")
    parser.add_argument("--duration", type=float, default=30, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of warm-up before the first level")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--kv-cache", default=None, help="kv_cache spec (default: the server's)")
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args()
    if args.warmup > 0:
        run_level(argparse.Namespace(**{**vars(args), "duration": args.warmup}), 2)
    print("| clients | requests | req/s | TTFT p50 ms | TTFT p99 ms | mean latency ms | completion tok/s | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for clients in (int(c) for c in args.clients.split(",")):
        r = run_level(args, clients)
        print("| %d | %d | %.2f | %.0f | %.0f | %.0f | %.0f | %d |" % (
            r["clients"], r["requests"], r["rps"], r["ttft_p50_ms"], r["ttft_p99_ms"], r["latency_mean_ms"],
            r["tokens_per_s"], r["errors"]), flush=True)
        if r["first_error"]:
            print("  first error: " + r["first_error"])


if __name__ == "__main__":
    main()
