package io.pikemix.etl.tokenizer;

import java.util.Arrays;

/**
 * One thread's cache of pre-token → ids, keyed by the pre-token's UTF-8 bytes and looked up by a range of the
 * document's bytes, so that a hit allocates and copies nothing. Pre-tokens of up to 8 bytes (most of them) are
 * compared as one packed {@code long}; longer ones by their bytes. Open addressing with linear probing; when half
 * full it is emptied rather than tracking recency (Zipf: the frequent pre-tokens come straight back). Not
 * thread-safe: one per thread.
 */
final class PieceCache {
    private final int[] lengths; // 0: empty slot
    private final long[] packed; // ≤ 8 bytes: the bytes, little-endian
    private final int[] hashes;
    private final byte[][] longKeys; // > 8 bytes: the bytes
    private final int[][] values;
    private final int mask;
    private final int maxSize;
    private int size;

    PieceCache(int slots) {
        int cap = Integer.highestOneBit(slots);
        lengths = new int[cap];
        packed = new long[cap];
        hashes = new int[cap];
        longKeys = new byte[cap][];
        values = new int[cap][];
        mask = cap - 1;
        maxSize = cap / 2;
    }

    /** The cached ids of the pre-token {@code b[start, end)} (non-empty), or null. */
    int[] get(byte[] b, int start, int end) {
        int len = end - start;
        if (len <= 8) {
            long key = pack(b, start, len);
            for (int i = hashShort(key, len) & mask; ; i = (i + 1) & mask) {
                int l = lengths[i];
                if (l == 0) return null;
                if (l == len && packed[i] == key) return values[i];
            }
        }
        int h = hashLong(b, start, end);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int l = lengths[i];
            if (l == 0) return null;
            if (l == len && hashes[i] == h && Arrays.equals(longKeys[i], 0, len, b, start, end)) return values[i];
        }
    }

    /** Caches {@code ids} for {@code piece} (not yet cached); {@code piece} is kept, not copied. */
    void put(byte[] piece, int[] ids) {
        if (size >= maxSize) {
            Arrays.fill(lengths, 0);
            Arrays.fill(longKeys, null);
            Arrays.fill(values, null);
            size = 0;
        }
        int len = piece.length;
        long key = len <= 8 ? pack(piece, 0, len) : 0;
        int h = len <= 8 ? hashShort(key, len) : hashLong(piece, 0, len);
        int i = h & mask;
        while (lengths[i] != 0) i = (i + 1) & mask;
        lengths[i] = len;
        packed[i] = key;
        hashes[i] = h;
        if (len > 8) longKeys[i] = piece;
        values[i] = ids;
        size++;
    }

    private static long pack(byte[] b, int start, int len) {
        long key = 0;
        for (int k = 0; k < len; k++) key |= (b[start + k] & 0xFFL) << (k << 3);
        return key;
    }

    private static int hashShort(long key, int len) {
        long z = (key + len) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 29)) * 0xBF58476D1CE4E5B9L;
        return (int) (z ^ (z >>> 32));
    }

    /** O(1) for any length: the length and the first and last 8 bytes (keys are compared in full on a hit). */
    private static int hashLong(byte[] b, int start, int end) {
        return hashShort(pack(b, start, 8) * 31 + pack(b, end - 8, 8), end - start);
    }
}
