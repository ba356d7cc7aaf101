package io.weft.core.lease;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;

/**
 * How a pool of either family is searched for a free subnet, walking its blocks from the lowest; {@code next} gives
 * the block after one, or null past the pool's last. Pools may hold more blocks than a long counts (IPv6), so every
 * walk stops at what it looks for.
 */
final class PoolWalk {
    private PoolWalk() {}

    /**
     * Picks as flannel's LocalManager.allocateSubnet (pkg/subnet/etcd/local_manager.go, and OuterLoopv6 for IPv6)
     * does: at random among the first (up to) 100 free blocks, where a block overlapping any taken subnet is not
     * free. Agents starting together then rarely race for the same key. Empty when none is free.
     */
    static <C> Optional<C> randomFree(C first, UnaryOperator<C> next, Collection<C> taken, BiPredicate<C, C> overlaps,
            RandomGenerator random) {
        List<C> held = new ArrayList<>(taken);
        List<C> candidates = new ArrayList<>();
        for (C c = first; c != null && candidates.size() < 100; c = next.apply(c)) {
            C block = c;
            if (held.stream().noneMatch(t -> overlaps.test(block, t))) candidates.add(c);
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(random.nextInt(candidates.size())));
    }

    /** The lowest block no one holds, or empty when every block is taken. */
    static <C> Optional<C> firstFree(C first, UnaryOperator<C> next, Collection<C> taken) {
        Set<C> used = new HashSet<>(taken);
        for (C c = first; c != null; c = next.apply(c)) {
            if (!used.contains(c)) return Optional.of(c);
        }
        return Optional.empty();
    }
}
