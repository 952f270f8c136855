package io.pikemix.etl.tokenizer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One thread's cache of pre-token → ids laid out for the CPU caches: one 64-byte slot (eight {@code long}s) per
 * pre-token holds its hash tag, its length, its UTF-8 bytes and its ids inline, so a hit reads one slot and
 * nothing else (no key array, no id array elsewhere in the heap). Pre-tokens whose bytes and ids do not fit in a
 * slot (7 words: ⌈length / 8⌉ for the bytes and ⌈ids / 2⌉ for the ids) are not kept here ({@link PieceCache} is).
 *
 * <p>Two-way set associative with LRU replacement: a set is two adjacent slots (128 bytes), the first the more
 * recently used; a hit in the second swaps the two, and a new pre-token takes the first slot, its old entry moving to
 * the second (whose entry is dropped). No clearing and no probing: a look-up costs the same however full the table
 * is, and the frequent pre-tokens stay.
 *
 * <p>Slot layout: word 0 = hash (high 32 bits) | length &lt;&lt; 16 | number of ids (0: empty); words 1.. the bytes,
 * little-endian, zero-padded; then the ids, two per word (low half first). Not thread-safe: one per thread.
 */
final class PieceTable {
    static final int WORDS = 8; // one 64-byte slot
    private static final int PAYLOAD = WORDS - 1;
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long[] table;
    private final int setMask;

    /** @param slots the number of slots (rounded down to a power of two, at least 2) */
    PieceTable(int slots) {
        int cap = Math.max(2, Integer.highestOneBit(slots));
        table = new long[cap * WORDS];
        setMask = cap / 2 - 1;
    }

    /** Whether a pre-token of {@code len} bytes and {@code ids} ids fits in one slot. */
    static boolean fits(int len, int ids) {
        return len > 0 && ids > 0 && ((len + 7) >>> 3) + ((ids + 1) >>> 1) <= PAYLOAD;
    }

    /**
     * Emits the cached ids of the pre-token {@code b[start, end)} (non-empty, at most 48 bytes) into {@code out} and
     * returns true, or returns false (and emits nothing) when it is not cached.
     */
    boolean emit(byte[] b, int start, int end, TokenSink out) {
        int len = end - start;
        long first = word(b, start, end);
        int h = hash(first, b, start, end);
        int set = h & setMask;
        long tag = ((long) h << 32) | ((long) len << 16);
        int s = set * (2 * WORDS);
        long[] t = table;
        if (!matches(s, tag, first, b, start, end)) {
            if (!matches(s + WORDS, tag, first, b, start, end)) return false;
            swap(t, s); // the second becomes the most recently used
        }
        int n = (int) t[s] & 0xFFFF;
        int w = s + 1 + ((len + 7) >>> 3);
        for (int k = 0; k < n; k += 2, w++) {
            long v = t[w];
            out.token((int) v);
            if (k + 1 < n) out.token((int) (v >>> 32));
        }
        return true;
    }

    /** Caches {@code ids} for the pre-token {@code b[start, end)}, which must {@link #fits fit} and not be cached. */
    void put(byte[] b, int start, int end, int[] ids) {
        int len = end - start;
        long first = word(b, start, end);
        int h = hash(first, b, start, end);
        int s = (h & setMask) * (2 * WORDS);
        long[] t = table;
        System.arraycopy(t, s, t, s + WORDS, WORDS); // the first's entry moves to the second; the second's is dropped
        java.util.Arrays.fill(t, s, s + WORDS, 0L);
        t[s] = ((long) h << 32) | ((long) len << 16) | ids.length;
        int w = s + 1;
        for (int p = start; p < end; p += 8) t[w++] = word(b, p, end);
        for (int k = 0; k < ids.length; k += 2)
            t[w++] = (ids[k] & 0xFFFFFFFFL) | (k + 1 < ids.length ? (long) ids[k + 1] << 32 : 0L);
    }

    private static void swap(long[] t, int s) {
        for (int k = s; k < s + WORDS; k++) {
            long v = t[k];
            t[k] = t[k + WORDS];
            t[k + WORDS] = v;
        }
    }

    private boolean matches(int s, long tag, long first, byte[] b, int start, int end) {
        long[] t = table;
        if ((t[s] & 0xFFFFFFFFFFFF0000L) != tag || t[s + 1] != first) return false;
        for (int p = start + 8, w = s + 2; p < end; p += 8, w++) if (t[w] != word(b, p, end)) return false;
        return true;
    }

    /** Up to 8 bytes of {@code b[p, end)} from {@code p}, little-endian, zero-padded. */
    private static long word(byte[] b, int p, int end) {
        int n = end - p;
        if (n >= 8) return (long) LONG_LE.get(b, p);
        if (p + 8 <= b.length) return (long) LONG_LE.get(b, p) & (-1L >>> ((8 - n) << 3));
        long v = 0;
        for (int k = 0; k < n; k++) v |= (b[p + k] & 0xFFL) << (k << 3);
        return v;
    }

    /** The length, the first 8 bytes and (when longer) the last 8 bytes; keys are compared in full on a hit. */
    private static int hash(long first, byte[] b, int start, int end) {
        int len = end - start;
        long key = len <= 8 ? first : first * 31 + (long) LONG_LE.get(b, end - 8);
        long z = (key + len) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 29)) * 0xBF58476D1CE4E5B9L;
        return (int) (z ^ (z >>> 32));
    }
}
