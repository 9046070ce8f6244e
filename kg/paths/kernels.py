"""The compiled loops of :mod:`kg.paths.compiled` (numba, machine code kept in ``__pycache__``).

Channel c of a thing v: relations ``off_c[v] .. off_c[v + 1] - 1``, to ``dst_c[e]`` at ``cost_c[e]`` (0: along the
relations, 1: against them), along predicate ``pred_c[e]``, followed only where ``allowed[pred_c[e]]`` and to a
thing that ``passes`` (the question's node test); ``first`` and ``count`` say which channels a search follows.
Call them through :mod:`kg.paths.compiled`, which documents what they find.

>>> import numpy as np
>>> off, dst, cost = np.array([0, 1, 1], np.int32), np.array([1], np.int32), np.ones(1)
>>> pred, allowed = np.zeros(1, np.int32), np.ones(1, np.uint8)
>>> estimate, toward, radius = backward(1, 1, 1, off, dst, cost, pred, np.array([0, 0, 1], np.int32),
...                                     np.array([0], np.int32), cost, pred, allowed, np.ones(2, np.uint8),
...                                     np.zeros(2), 10.0, 100)
>>> estimate.tolist(), toward.tolist(), radius
([1.0, 0.0], [1, -1], 10.0)
"""

import heapq
import math

import numpy as np
from numba import njit


@njit(cache=True)
def backward(t, first, count, off0, dst0, cost0, pred0, off1, dst1, cost1, pred1, allowed, passes, pen, until,
             most):
    """Dijkstra from t against the channels: (estimate, toward, radius) as kg.paths.backward.to_target gives."""
    n = len(pen)
    dist = np.full(n, math.inf)
    toward = np.full(n, -1, np.int32)
    settled = np.zeros(n, np.uint8)
    order = np.empty(n, np.int64)
    nsettled = 0
    dist[t] = 0.0
    heap = [(0.0, np.int64(t))]
    while len(heap) > 0 and heap[0][0] < until and nsettled < most:
        cost, v = heapq.heappop(heap)
        if settled[v]:
            continue
        settled[v] = 1
        order[nsettled] = v
        nsettled += 1
        through = cost + (pen[v] if v != t else 0.0)
        if through + 1.0 >= until:
            continue
        for c in range(first, first + count):
            off, dst, hop, pred = (off0, dst0, cost0, pred0) if c == 0 else (off1, dst1, cost1, pred1)
            for e in range(off[v], off[v + 1]):
                w = dst[e]
                if settled[w] or not allowed[pred[e]] or not passes[w]:
                    continue
                new = through + hop[e]
                if new < until and new < dist[w]:
                    dist[w] = new
                    toward[w] = v
                    heapq.heappush(heap, (new, np.int64(w)))
    radius = min(heap[0][0], until) if len(heap) > 0 else until
    estimate = np.full(n, radius)
    for i in range(nsettled):
        estimate[order[i]] = dist[order[i]]
    for v in range(n):
        if not settled[v]:
            toward[v] = -1
    return estimate, toward, radius


@njit(cache=True)
def _banned_edge(v, w, banned_from, banned_to):
    for j in range(len(banned_from)):  # noqa: SIM110 (a loop numba compiles)
        if banned_from[j] == v and banned_to[j] == w:
            return True
    return False


@njit(cache=True)
def astar(s, t, first, count, off0, dst0, cost0, pred0, off1, dst1, cost1, pred1, allowed, passes, pen, estimate,
          radius, toward, into_t, banned, banned_from, banned_to, bound, ordered, g, parent, closed, touched):
    """A* from s to t as kg.paths.kbest.astar; the path (empty if none cheaper than bound). Leaves the scratch
    arrays (g, parent, closed) as it found them."""
    ntouched = 0
    g[s] = 0.0
    touched[ntouched] = s
    ntouched += 1
    heap = [(0.0, 0.0, np.int64(s))]
    best_t = math.inf
    end = -1  # t, or a thing whose open way to t ends the search
    while len(heap) > 0:
        f, cost, v = heapq.heappop(heap)
        if f >= bound:
            break
        if v == t:
            end = t
            break
        if closed[v]:
            continue
        closed[v] = 1
        if estimate[v] < radius:  # v's cheapest way to t is known: if the bans leave it open, nothing costs less
            x, open_way = v, True
            while x != t:
                y = toward[x]
                if y < 0 or closed[y] or banned[y] or _banned_edge(x, y, banned_from, banned_to):
                    open_way = False
                    break
                x = y
            if open_way:
                end = v
                break
        check_edges = False
        for j in range(len(banned_from)):
            if banned_from[j] == v:
                check_edges = True
        hop = into_t[v]
        if hop < math.inf and cost + hop < best_t and not (check_edges and _banned_edge(v, t, banned_from, banned_to)):
            best_t = cost + hop
            if g[t] == math.inf:
                touched[ntouched] = t
                ntouched += 1
            g[t] = best_t
            parent[t] = v
            heapq.heappush(heap, (best_t, best_t, np.int64(t)))
        limit = min(bound, best_t)
        room = limit - cost - 1.0  # a neighbour whose penalty reaches this is too dear
        for c in range(first, first + count):
            off, dst, hops, pred = (off0, dst0, cost0, pred0) if c == 0 else (off1, dst1, cost1, pred1)
            for e in range(off[v], off[v + 1]):
                w = dst[e]
                if pen[w] >= room:
                    if ordered:
                        break  # neighbours come least connected first: the rest cost at least as much
                    continue
                if w == t or closed[w] or banned[w] or not allowed[pred[e]] or not passes[w]:
                    continue
                if check_edges and _banned_edge(v, w, banned_from, banned_to):
                    continue
                new = cost + hops[e] + pen[w]
                if new < g[w]:
                    f = new + estimate[w]
                    if f >= limit:
                        continue  # popped only after t (or the bound) is reached: never on the answer
                    if g[w] == math.inf:
                        touched[ntouched] = w
                        ntouched += 1
                    g[w] = new
                    parent[w] = v
                    heapq.heappush(heap, (f, new, np.int64(w)))
    path = np.empty(0, np.int64)
    if end >= 0:
        head, x = 0, end
        while x >= 0:
            head += 1
            x = parent[x]
        tail, x = 0, end
        while x != t:
            tail += 1
            x = toward[x]
        path = np.empty(head + tail, np.int64)
        x = end
        for i in range(head - 1, -1, -1):
            path[i] = x
            x = parent[x]
        x = end
        for i in range(tail):
            x = toward[x]
            path[head + i] = x
    for i in range(ntouched):
        w = touched[i]
        g[w] = math.inf
        parent[w] = -1
        closed[w] = 0
    return path


@njit(cache=True)
def walled_off(s, t, first, count, off0, dst0, pred0, off1, dst1, pred1, allowed, passes, banned, banned_from,
               banned_to, most):
    """Whether the bans wall t off from s, as kg.paths.kbest.cut_off says (walking back from t along the
    channels, which here are the ones against the search's direction)."""
    seen = [np.int64(t)]
    todo = [np.int64(t)]
    while len(todo) > 0:
        v = todo.pop()
        for c in range(first, first + count):
            off, dst, pred = (off0, dst0, pred0) if c == 0 else (off1, dst1, pred1)
            for e in range(off[v], off[v + 1]):
                w = dst[e]
                if not allowed[pred[e]]:
                    continue
                if w == s:
                    if not _banned_edge(s, v, banned_from, banned_to):
                        return False
                    continue
                if banned[w] or _banned_edge(w, v, banned_from, banned_to) or not passes[w]:
                    continue
                known = False
                for x in seen:
                    if x == w:
                        known = True
                        break
                if known:
                    continue
                seen.append(np.int64(w))
                if len(seen) >= most:
                    return False
                todo.append(np.int64(w))
    return True


@njit(cache=True)
def bidijkstra(s, t, first, count, back_first, back_count, off0, dst0, cost0, pred0, off1, dst1, cost1, pred1,
               allowed, passes, half, ordered):
    """The cheapest path from s to t, with no bans, as kg.paths.kbest.bidijkstra finds it (empty if none):
    side 0 follows the channels from ``first``, side 1 those from ``back_first``."""
    n = len(half)
    dist = np.full((2, n), math.inf)
    parent = np.full((2, n), -1, np.int64)
    done = np.zeros((2, n), np.uint8)
    dist[0, s] = 0.0
    dist[1, t] = 0.0
    heap0 = [(0.0, np.int64(s))]
    heap1 = [(0.0, np.int64(t))]
    best, meet = math.inf, -1
    while len(heap0) > 0 and len(heap1) > 0:
        if heap0[0][0] + heap1[0][0] >= best:
            break
        side = 0 if heap0[0][0] <= heap1[0][0] else 1
        heap, other_heap = (heap0, heap1) if side == 0 else (heap1, heap0)
        cost, v = heapq.heappop(heap)
        if done[side, v]:
            continue
        done[side, v] = 1
        base = cost + (0.0 if v in (s, t) else half[v])
        top_other = other_heap[0][0] if len(other_heap) > 0 else math.inf
        if base + 1.0 + top_other >= best:
            continue  # no hop from v (a hub, often) can lead to a cheaper path
        room = best - base - 1.0 - top_other
        c0, nc = (first, count) if side == 0 else (back_first, back_count)
        for c in range(c0, c0 + nc):
            off, dst, hops, pred = (off0, dst0, cost0, pred0) if c == 0 else (off1, dst1, cost1, pred1)
            for e in range(off[v], off[v + 1]):
                w = dst[e]
                if half[w] >= room:
                    if ordered:
                        break  # neighbours come least connected first: the rest cost at least as much
                    continue
                if done[side, w] or not allowed[pred[e]] or not passes[w]:
                    continue
                new = base + hops[e] + (0.0 if w in (s, t) else half[w])
                there = dist[1 - side, w]
                if there == math.inf and new + top_other >= best:
                    continue
                if new < dist[side, w]:
                    dist[side, w] = new
                    parent[side, w] = v
                    heapq.heappush(heap, (new, np.int64(w)))
                    if there < math.inf and new + there < best:
                        best, meet = new + there, w
    if meet < 0:
        return np.empty(0, np.int64)
    head, x = 0, meet
    while x >= 0:
        head += 1
        x = parent[0, x]
    tail, x = 0, parent[1, meet]
    while x >= 0:
        tail += 1
        x = parent[1, x]
    path = np.empty(head + tail, np.int64)
    x = meet
    for i in range(head - 1, -1, -1):
        path[i] = x
        x = parent[0, x]
    x = parent[1, meet]
    for i in range(tail):
        path[head + i] = x
        x = parent[1, x]
    return path
