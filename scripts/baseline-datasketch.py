#!/usr/bin/python3
"""A faithful re-implementation of datasketch's MinHash + MinHashLSH, for timing doppel against it.

datasketch (https://github.com/ekzhu/datasketch) is not packaged in Debian and this machine
cannot reach PyPI, so this script reproduces, step for step and with the same numpy operations,
what datasketch 1.6 does for the usual near-duplicate recipe. It is NOT datasketch; it computes
the same signatures and the same LSH buckets, at the same cost, as far as one can tell by reading
datasketch's source (datasketch/minhash.py, datasketch/lsh.py, datasketch/hashfunc.py,
datasketch/storage.py):

  MinHash(num_perm=128, seed=1)
    - the permutations are drawn in the constructor, for every MinHash: numpy
      RandomState(seed), then per permutation (randint(1, 2^61-1), randint(0, 2^61-1)) as uint64;
    - hash values start at 2^32-1;
    - update_batch(values): hv = sha1_hash32(value) for each value (the first 4 bytes of SHA-1,
      little-endian), then phv = ((hv * a + b) % (2^61-1)) & (2^32-1) over an (n, 128) uint64
      array, and hashvalues = min(hashvalues, phv.min(axis=0));
  MinHashLSH(threshold=0.8, num_perm=128, weights=(0.5, 0.5))
    - (b, r) by _optimal_param: for every b in 1..128 and r in 1..128//b, the false positive
      area (integral of 1-(1-s^r)^b over [0, t]) and false negative area (integral of
      (1-s^r)^b over [t, 1]) by scipy.integrate.quad, weighted 0.5/0.5, smallest sum wins;
    - dict storage: b tables mapping a band key (bytes of hashvalues[i*r:(i+1)*r] byte-swapped,
      as _byteswap does) to a set of keys, and a keys table mapping each key to its band keys;
    - insert(key, m): refuses a key given twice (check_duplication), then adds the band keys;
    - query(m): the union of the band buckets of m.

Tokenisation (datasketch itself takes any bytes; this is the recipe its users apply, and the one
that matches doppel's default shingles "word:n=3"): the text lower-cased, words by the regular
expression \\w+ (Unicode), every run of 3 consecutive words joined by a space is a shingle, the
shingles of a document as a set, UTF-8 encoded; a document of fewer than 3 words is one shingle.

Run: insert every document, then query every document; a pair is reported when the key is not
the document itself and, as users do to drop LSH false positives, the MinHash estimate of its
Jaccard (share of equal hash values) is at least the threshold.

Usage: scripts/baseline-datasketch.py CORPUS.jsonl [--out PAIRS.tsv] [--threshold 0.8]
  CORPUS.jsonl: one {"id": ..., "text": ...} a line. Prints one line of timings to stderr.
"""
import argparse
import hashlib
import json
import re
import struct
import sys
import time
from collections import defaultdict

import numpy as np

try:
    from scipy.integrate import quad as integrate
except ImportError:  # Debian's python3-scipy missing: the same integrals by numpy
    def integrate(f, a, b):
        xs = np.linspace(a, b, 2001)
        return float(np.trapz([f(x) for x in xs], xs)), 0.0

_mersenne_prime = np.uint64((1 << 61) - 1)
_max_hash = np.uint64((1 << 32) - 1)


def sha1_hash32(data):
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


class MinHash:
    def __init__(self, num_perm=128, seed=1, hashfunc=sha1_hash32):
        self.seed = seed
        self.hashfunc = hashfunc
        self.hashvalues = np.ones(num_perm, dtype=np.uint64) * _max_hash
        gen = np.random.RandomState(self.seed)
        self.permutations = np.array(
            [(gen.randint(1, _mersenne_prime, dtype=np.uint64), gen.randint(0, _mersenne_prime, dtype=np.uint64))
             for _ in range(num_perm)],
            dtype=np.uint64,
        ).T

    def update_batch(self, b):
        hv_list = [self.hashfunc(_b) for _b in b]
        if not hv_list:
            return
        a, b = self.permutations
        hv = np.array(hv_list, dtype=np.uint64).reshape(-1, 1)
        phv = ((hv * a + b) % _mersenne_prime) & _max_hash
        self.hashvalues = np.minimum(self.hashvalues, phv.min(axis=0))

    def jaccard(self, other):
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / float(len(self))

    def __len__(self):
        return len(self.hashvalues)


def _false_positive_probability(threshold, b, r):
    return integrate(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]


def _false_negative_probability(threshold, b, r):
    return integrate(lambda s: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)[0]


def _optimal_param(threshold, num_perm, false_positive_weight, false_negative_weight):
    min_error = float("inf")
    opt = (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, int(num_perm / b) + 1):
            fp = _false_positive_probability(threshold, b, r)
            fn = _false_negative_probability(threshold, b, r)
            error = fp * false_positive_weight + fn * false_negative_weight
            if error < min_error:
                min_error = error
                opt = (b, r)
    return opt


class MinHashLSH:
    def __init__(self, threshold=0.9, num_perm=128, weights=(0.5, 0.5)):
        self.h = num_perm
        self.b, self.r = _optimal_param(threshold, num_perm, *weights)
        self.hashtables = [defaultdict(set) for _ in range(self.b)]  # DictSetStorage
        self.hashranges = [(i * self.r, (i + 1) * self.r) for i in range(self.b)]
        self.keys = defaultdict(list)  # DictListStorage

    @staticmethod
    def _H(hs):
        return bytes(hs.byteswap().data)

    def insert(self, key, minhash, check_duplication=True):
        if len(minhash) != self.h:
            raise ValueError("Expecting minhash with length %d, got %d" % (self.h, len(minhash)))
        if check_duplication and key in self.keys:
            raise ValueError("The given key already exists")
        Hs = [self._H(minhash.hashvalues[start:end]) for start, end in self.hashranges]
        self.keys[key].extend(Hs)
        for H, hashtable in zip(Hs, self.hashtables):
            hashtable[H].add(key)

    def query(self, minhash):
        candidates = set()
        for (start, end), hashtable in zip(self.hashranges, self.hashtables):
            H = self._H(minhash.hashvalues[start:end])
            for key in hashtable.get(H, ()):
                candidates.add(key)
        return list(candidates)


_WORD = re.compile(r"\w+")


def shingles(text, n=3):
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + n]).encode("utf-8") for i in range(len(words) - n + 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--out")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ids, minhashes, nbytes = [], [], 0
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            nbytes += len(rec["text"].encode("utf-8"))
            m = MinHash(num_perm=args.num_perm)
            m.update_batch(shingles(rec["text"]))
            ids.append(rec["id"])
            minhashes.append(m)
    t1 = time.perf_counter()
    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm)
    t2 = time.perf_counter()
    for key, m in zip(ids, minhashes):
        lsh.insert(key, m)
    by_id = dict(zip(ids, minhashes))
    pairs = []
    for key, m in zip(ids, minhashes):
        for other in lsh.query(m):
            if other != key and key < other:
                estimate = m.jaccard(by_id[other])
                if estimate >= args.threshold:
                    pairs.append((key, other, estimate))
    t3 = time.perf_counter()
    if args.out:
        with open(args.out, "w", encoding="utf-8", errors="surrogateescape") as f:
            for a, b, s in sorted(pairs):
                f.write(f"{a}\t{b}\t{s:.6f}\n")
    print(f"baseline-datasketch: {len(ids)} documents, {nbytes} bytes, b={lsh.b} r={lsh.r}, {len(pairs)} pairs; "
          f"tokenise+MinHash {t1 - t0:.2f} s, LSH parameters {t2 - t1:.2f} s, insert+query {t3 - t2:.2f} s, "
          f"total {t3 - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
