"""Grouping a run's items into themes: average-linkage clustering on cosine similarity.

The items' unit vectors are merged bottom-up, always the two groups with the highest average pairwise
similarity (average linkage). Of the partitions into 2..``max_themes`` groups, the one with the best mean
silhouette (cosine distance) is kept: no fixed similarity cut-off, so the grouping does not depend on the
embedding model's similarity scale. Groups smaller than ``min_size`` are not themes.

Quadratic memory and cubic time in the number of items: the worker clusters at most ``MAX_ITEMS`` (the newest).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

MAX_ITEMS = 400


class Theme(NamedTuple):
    members: list[int]  # indexes into the clustered vectors, most central first
    centroid: np.ndarray  # unit vector
    cohesion: float  # mean cosine of the members to the centroid
    silhouette: float  # mean silhouette of the members (-1..1)


def _silhouettes(distance: np.ndarray, labels: np.ndarray) -> np.ndarray:
    groups = np.unique(labels)
    scores = np.zeros(len(labels))
    for i in range(len(labels)):
        own = labels == labels[i]
        if own.sum() <= 1:
            continue
        a = distance[i, own].sum() / (own.sum() - 1)
        b = min(distance[i, labels == g].mean() for g in groups if g != labels[i])
        scores[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return scores


def _partitions(similarity: np.ndarray, max_groups: int) -> dict[int, np.ndarray]:
    """Labels of the average-linkage partition into k groups, for k in 1..max_groups."""
    n = len(similarity)
    link = similarity.astype(np.float64).copy()
    np.fill_diagonal(link, -np.inf)
    sizes = np.ones(n)
    labels = np.arange(n)
    alive = np.ones(n, dtype=bool)
    out: dict[int, np.ndarray] = {}
    groups = n
    if groups <= max_groups:
        out[groups] = labels.copy()
    while groups > 1:
        masked = np.where(alive[:, None] & alive[None, :], link, -np.inf)
        a, b = np.unravel_index(int(np.argmax(masked)), masked.shape)
        merged = (sizes[a] * link[a] + sizes[b] * link[b]) / (sizes[a] + sizes[b])
        link[a, :] = merged
        link[:, a] = merged
        link[a, a] = -np.inf
        sizes[a] += sizes[b]
        alive[b] = False
        labels[labels == b] = a
        groups -= 1
        if groups <= max_groups:
            out[groups] = labels.copy()
    return out


def themes(vectors: np.ndarray, max_themes: int = 6, min_size: int = 2) -> list[Theme]:
    """Themes of ``vectors`` (rows are unit vectors), largest first."""
    n = len(vectors)
    if n < min_size:
        return []
    similarity = np.clip(vectors @ vectors.T, -1.0, 1.0)
    distance = 1.0 - similarity
    partitions = _partitions(similarity, max_themes)
    best, best_score = partitions[1], -np.inf
    for k, labels in partitions.items():
        if 2 <= k < n:
            score = float(_silhouettes(distance, labels).mean())
            if score > best_score:
                best, best_score = labels, score
    silhouettes = _silhouettes(distance, best) if len(np.unique(best)) > 1 else np.zeros(n)
    found = []
    for label in np.unique(best):
        members = np.flatnonzero(best == label)
        if len(members) < min_size:
            continue
        centroid = vectors[members].mean(axis=0)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        closeness = vectors[members] @ centroid
        order = members[np.argsort(-closeness)]
        found.append(Theme(members=[int(i) for i in order], centroid=centroid,
                           cohesion=float(closeness.mean()), silhouette=float(silhouettes[members].mean())))
    found.sort(key=lambda t: (-len(t.members), -t.cohesion))
    return found
