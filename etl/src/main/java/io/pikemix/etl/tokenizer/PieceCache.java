package io.pikemix.etl.tokenizer;

import java.util.Arrays;

/**
 * One thread's cache of pre-token → ids, looked up by a range of the text so that a hit allocates
 * nothing (no substring). Open addressing with linear probing; when half full it is emptied rather than
 * tracking recency (Zipf: the frequent pre-tokens come straight back). Not thread-safe: one per thread.
 */
final class PieceCache {
    private final String[] keys;
    private final int[] hashes;
    private final int[][] values;
    private final int mask;
    private final int maxSize;
    private int size;

    PieceCache(int slots) {
        int cap = Integer.highestOneBit(slots);
        keys = new String[cap];
        hashes = new int[cap];
        values = new int[cap][];
        mask = cap - 1;
        maxSize = cap / 2;
    }

    /** The cached ids of {@code text[start, end)}, or null. */
    int[] get(String text, int start, int end, int hash) {
        int len = end - start;
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            String k = keys[i];
            if (k == null) return null;
            if (hashes[i] == hash && k.length() == len && text.regionMatches(start, k, 0, len)) return values[i];
        }
    }

    void put(String piece, int hash, int[] ids) {
        if (size >= maxSize) {
            Arrays.fill(keys, null);
            Arrays.fill(values, null);
            size = 0;
        }
        int i = hash & mask;
        while (keys[i] != null) i = (i + 1) & mask;
        keys[i] = piece;
        hashes[i] = hash;
        values[i] = ids;
        size++;
    }

    /** Hash of {@code text[start, end)}, spread so that the low bits (the slot) depend on every char. */
    static int hash(String text, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) h = 31 * h + text.charAt(i);
        return h ^ (h >>> 16) ^ (h >>> 7);
    }
}
