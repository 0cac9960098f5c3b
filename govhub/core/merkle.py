"""The Merkle tree of the audit log, as Certificate Transparency defines it (RFC 9162, section 2.1).

Leaves are the audit entries in sequence order; a leaf's hash is ``SHA-256(0x00 || data)`` and an
inner node's is ``SHA-256(0x01 || left || right)``, so a leaf can never pass for a node. The tree over
``n`` leaves splits at the largest power of two smaller than ``n``. From it come:

- the root (the Merkle Tree Hash, MTH) that a signed checkpoint commits to;
- an inclusion proof: the audit path that shows one entry is in the tree of a checkpoint;
- a consistency proof: the nodes that show the tree of size ``m`` is a prefix of the tree of size
  ``n``, so whoever saw checkpoint ``m`` can confirm the log only grew.

The verifiers follow the RFC's algorithms (2.1.3.2 and 2.1.4.2) step by step and need nothing but
hashes: an auditor checks an exported evidence pack offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF, NODE = b"\x00", b"\x01"


class ProofError(ValueError):
    """A proof that does not verify; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """A tree over leaf hashes, with every subtree hash computed once (levels of complete subtrees)."""

    def __init__(self, leaves: Sequence[bytes]):
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end)."""
        n = end - start
        if n == 1:
            return self.levels[0][start]
        if n & (n - 1) == 0 and start % n == 0:  # a complete, aligned subtree: already computed
            return self.levels[n.bit_length() - 1][start // n]
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all by default); the empty tree's hash is SHA-256('')."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return hashlib.sha256(b"").digest() if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]): the sibling hashes from the leaf up to the root."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")

        def path(m: int, start: int, end: int) -> list[bytes]:
            n = end - start
            if n == 1:
                return []
            k = _split(n)
            if m < k:
                return [*path(m, start, start + k), self._subtree(start + k, end)]
            return [*path(m - k, start + k, end), self._subtree(start, start + k)]

        return path(index, 0, size)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """PROOF(old, D[0:new]): the nodes that prove the first ``old`` leaves are a prefix."""
        new = self.size if new is None else new
        if not 0 < old <= new <= self.size:
            raise ValueError(f"no consistency proof from {old} to {new} in a tree of {self.size}")

        def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
            n = end - start
            if m == n:
                return [] if whole else [self._subtree(start, end)]
            k = _split(n)
            if m <= k:
                return [*subproof(m, start, start + k, whole), self._subtree(start + k, end)]
            return [*subproof(m - k, start + k, end, False), self._subtree(start, start + k)]

        return subproof(old, 0, new, True)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 2.1.3.2; raises :class:`ProofError` when the leaf is not at ``index`` of that tree."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion proof leads to another root: the entry is not in this tree")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2; raises :class:`ProofError` unless the tree of ``old`` is a prefix of ``new``."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency between sizes {old} and {new}")
    if old == new:
        if proof:
            raise ProofError("trees of one size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError("two checkpoints of one size have different roots: the log forked")
        return
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    if not path:
        raise ProofError("the consistency proof is empty")
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than it can be")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than it must be")
    if fr != old_root:
        raise ProofError("the proof does not lead to the old checkpoint's root: the old log was rewritten")
    if sr != new_root:
        raise ProofError("the proof does not lead to the new checkpoint's root: the log did not only grow")


class CompactRange:
    """The roots of the perfect subtrees that make up a tree of ``size`` leaves, largest first (one per
    set bit of ``size``): enough to extend the tree and compute its root without the earlier leaves.
    The hub signs a checkpoint after each request from the previous checkpoint's range and the new
    entries only, so signing costs O(new entries + log n), not a read of the whole log."""

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()):
        if len(nodes) != bin(size).count("1"):
            raise ValueError(f"a compact range of {size} leaves has {bin(size).count('1')} nodes, not {len(nodes)}")
        self.size, self.nodes = size, list(nodes)

    def append(self, leaf: bytes) -> None:
        self.nodes.append(leaf)
        self.size += 1
        merged = self.size
        while merged & 1 == 0:  # like a binary counter's carry: equal-sized neighbours merge
            right, left = self.nodes.pop(), self.nodes.pop()
            self.nodes.append(node_hash(left, right))
            merged >>= 1

    def root(self) -> bytes:
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        r = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            r = node_hash(node, r)
        return r
