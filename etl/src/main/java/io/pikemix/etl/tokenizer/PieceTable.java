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
 * <p>Two-way set associative with a hit-count admission rule: a set is two adjacent slots (128 bytes), each with a
 * saturating hit count (0..{@value #MAX_HITS}). A hit raises its slot's count until it saturates, so the frequent
 * pre-tokens are read without a write (their cache lines stay clean; there is no swap on a hit). A new pre-token
 * takes an empty slot or a slot of count 0 (the second on a tie); when both slots have been hit it is not admitted,
 * and the lower count is lowered instead (aging: a pre-token that stops being used makes room after a few such
 * misses). A one-off pre-token so never evicts one in use, which matters when the distinct pre-tokens outnumber the
 * slots. No clearing and no probing: a look-up costs the same however full the table is.
 *
 * <p>Slot layout: word 0 = hash (high 32 bits) | length &lt;&lt; 16 | hits &lt;&lt; 8 | number of ids (0: empty);
 * words 1.. the bytes, little-endian, zero-padded; then the ids, two per word (low half first). Not thread-safe: one
 * per thread.
 */
final class PieceTable {
    static final int WORDS = 8; // one 64-byte slot
    /** Where a slot's hit count saturates. */
    static final int MAX_HITS = 3;

    private static final int PAYLOAD = WORDS - 1;
    private static final long HIT = 1L << 8, HITS = 0xFFL << 8;
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
        long tag = ((long) h << 32) | ((long) len << 16);
        int s = (h & setMask) * (2 * WORDS);
        long[] t = table;
        if (!matches(s, tag, first, b, start, end)) {
            s += WORDS;
            if (!matches(s, tag, first, b, start, end)) return false;
        }
        long head = t[s];
        if ((head & HITS) < MAX_HITS * HIT) t[s] = head + HIT; // saturated: no write
        int n = (int) head & 0xFF;
        int w = s + 1 + ((len + 7) >>> 3);
        for (int k = 0; k < n; k += 2, w++) {
            long v = t[w];
            out.token((int) v);
            if (k + 1 < n) out.token((int) (v >>> 32));
        }
        return true;
    }

    /**
     * Offers {@code ids} for the pre-token {@code b[start, end)}, which must {@link #fits fit} and not be cached: it
     * takes an empty slot of its set or one whose hit count is 0 (the second on a tie); else it is not kept and the
     * lower of the two counts is lowered by one. Whether it was kept.
     */
    boolean put(byte[] b, int start, int end, int[] ids) {
        int len = end - start;
        long first = word(b, start, end);
        int h = hash(first, b, start, end);
        int s = (h & setMask) * (2 * WORDS);
        long[] t = table;
        long a = t[s], c = t[s + WORDS];
        int victim = (a & 0xFF) == 0 || ((c & 0xFF) != 0 && (a & HITS) < (c & HITS)) ? s : s + WORDS;
        long v = t[victim];
        if ((v & 0xFF) != 0 && (v & HITS) != 0) {
            t[victim] = v - HIT; // both in use: age the less used one instead
            return false;
        }
        java.util.Arrays.fill(t, victim, victim + WORDS, 0L);
        t[victim] = ((long) h << 32) | ((long) len << 16) | ids.length;
        int w = victim + 1;
        for (int p = start; p < end; p += 8) t[w++] = word(b, p, end);
        for (int k = 0; k < ids.length; k += 2)
            t[w++] = (ids[k] & 0xFFFFFFFFL) | (k + 1 < ids.length ? (long) ids[k + 1] << 32 : 0L);
        return true;
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
