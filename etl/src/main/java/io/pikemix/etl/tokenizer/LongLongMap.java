package io.pikemix.etl.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing hash map from long keys to long values (linear probing, no boxing). Keys are symbol
 * pairs packed by {@link #pair}. Not thread-safe for writes; concurrent reads of a map that is no longer
 * written (the merge table of a built {@link BpeTokenizer}) are safe.
 */
final class LongLongMap {
    private static final long EMPTY = Long.MIN_VALUE; // never a pair key: pair ids are non-negative

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    LongLongMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    /** The key of the adjacent symbol pair (a, b); ordering keys orders pairs lexicographically. */
    static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    static int first(long pair) {
        return (int) (pair >>> 32);
    }

    static int second(long pair) {
        return (int) pair;
    }

    int size() {
        return size;
    }

    /** The value of {@code key}, or {@code missing}. */
    long get(long key, long missing) {
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return missing;
            i = (i + 1) & mask;
        }
    }

    void put(long key, long value) {
        int i = find(key);
        if (keys[i] == EMPTY) {
            keys[i] = key;
            if (++size * 2 > keys.length) {
                values[i] = value;
                grow();
                return;
            }
        }
        values[i] = value;
    }

    /** Adds {@code delta} to the value of {@code key} (absent counts as 0); returns the new value. */
    long add(long key, long delta) {
        int i = find(key);
        if (keys[i] == EMPTY) {
            put(key, delta);
            return delta;
        }
        return values[i] += delta;
    }

    private int find(long key) {
        int i = slot(key);
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys, oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == EMPTY) continue;
            int i = find(oldKeys[j]);
            keys[i] = oldKeys[j];
            values[i] = oldValues[j];
        }
    }
}
