package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link PieceTable}: what fits, exact hits only, and the hit-count admission within a two-slot set. */
class PieceTableTest {
    /** Collects emitted ids. */
    static final class Ids implements TokenSink {
        final List<Integer> ids = new ArrayList<>();

        @Override
        public void token(int id) {
            ids.add(id);
        }

        int[] toArray() {
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    static int[] emit(PieceTable t, byte[] b, int start, int end) {
        var out = new Ids();
        if (!t.emit(b, start, end, out)) {
            assertTrue(out.ids.isEmpty(), "a miss emits nothing");
            return null;
        }
        return out.toArray();
    }

    @Test
    void fits_countsBytesAndIdsInSevenWords() {
        assertTrue(PieceTable.fits(8, 12)); // 1 word of bytes + 6 of ids
        assertFalse(PieceTable.fits(8, 13));
        assertTrue(PieceTable.fits(48, 2)); // 6 + 1
        assertFalse(PieceTable.fits(49, 1));
        assertTrue(PieceTable.fits(10, 10)); // 2 + 5: a pre-token of ≤ 10 bytes always fits
        assertFalse(PieceTable.fits(11, 11));
        assertFalse(PieceTable.fits(0, 1));
    }

    @Test
    void largeTable_returnsExactlyWhatWasPut_andMissesTheRest() {
        var rnd = new Random(7);
        var t = new PieceTable(1 << 12);
        List<byte[]> keys = new ArrayList<>();
        List<int[]> values = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            int len = 1 + rnd.nextInt(48);
            byte[] k = new byte[len];
            rnd.nextBytes(k);
            int n = 1 + rnd.nextInt(Math.min(len, 12));
            while (!PieceTable.fits(len, n)) n--;
            int[] ids = rnd.ints(n, 0, 1 << 20).toArray();
            // the key sits inside a larger buffer, at its very end for some: no read past the range matters
            byte[] buf = new byte[len + 3];
            boolean atEnd = i % 2 == 0;
            System.arraycopy(k, 0, buf, atEnd ? 3 : 0, len);
            if (emit(t, buf, atEnd ? 3 : 0, atEnd ? 3 + len : len) != null) continue; // a random duplicate
            t.put(buf, atEnd ? 3 : 0, atEnd ? 3 + len : len, ids);
            keys.add(k);
            values.add(ids);
        }
        int found = 0;
        for (int i = 0; i < keys.size(); i++) {
            int[] got = emit(t, keys.get(i), 0, keys.get(i).length);
            if (got != null) {
                assertArrayEquals(values.get(i), got);
                found++;
            }
            // a prefix or an extension is another key: a miss
            byte[] longer = Arrays.copyOf(keys.get(i), keys.get(i).length + 1);
            assertNull(emit(t, longer, 0, longer.length));
        }
        assertTrue(found > keys.size() * 9 / 10, found + " of " + keys.size()); // 500 keys in 2,048 sets
    }

    @Test
    void oneSet_aOneOffDoesNotEvictAPreTokenInUse_untilAged() {
        var t = new PieceTable(2); // one set of two slots: every key collides
        byte[] a = "a".getBytes(StandardCharsets.UTF_8),
                b = " the".getBytes(StandardCharsets.UTF_8),
                c = "ing".getBytes(StandardCharsets.UTF_8),
                d = " harbour-accounts".getBytes(StandardCharsets.UTF_8);
        assertTrue(t.put(a, 0, 1, new int[] {1})); // empty slots: admitted
        assertTrue(t.put(b, 0, 4, new int[] {2, 3}));
        // a hit twice (count 2), b not hit (count 0): c takes b's slot
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1));
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1));
        assertTrue(t.put(c, 0, 3, new int[] {4}));
        assertNull(emit(t, b, 0, 4));
        assertArrayEquals(new int[] {4}, emit(t, c, 0, 3)); // c: count 1, a: count 2
        // d finds both in use: not admitted, and c (the lower count) is aged 1 -> 0
        assertFalse(t.put(d, 0, d.length, new int[] {5, 6, 7}));
        assertNull(emit(t, d, 0, d.length));
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1)); // a: count 3
        // now c has count 0: d takes its slot; a, in use, stays
        assertTrue(t.put(d, 0, d.length, new int[] {5, 6, 7}));
        assertArrayEquals(new int[] {5, 6, 7}, emit(t, d, 0, d.length));
        assertNull(emit(t, c, 0, 3));
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1));
    }

    @Test
    void oneSet_hitCountsSaturate_andAgingFreesASlotAfterThatManyMisses() {
        var t = new PieceTable(2);
        byte[] a = "a".getBytes(StandardCharsets.UTF_8),
                b = "bb".getBytes(StandardCharsets.UTF_8),
                x = "xyz".getBytes(StandardCharsets.UTF_8);
        t.put(a, 0, 1, new int[] {1});
        t.put(b, 0, 2, new int[] {2});
        for (int i = 0; i < 10; i++) emit(t, a, 0, 1); // a saturates at MAX_HITS
        for (int i = 0; i < 10; i++) emit(t, b, 0, 2);
        // both saturated: each refusal ages the second (the tie, then the lower count) until it reaches 0
        int refused = 0;
        while (!t.put(x, 0, 3, new int[] {9})) refused++;
        assertEquals(PieceTable.MAX_HITS, refused);
        assertArrayEquals(new int[] {9}, emit(t, x, 0, 3));
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1));
        assertNull(emit(t, b, 0, 2));
    }
}
