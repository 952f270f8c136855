package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link PieceTable}: what fits, exact hits only, and the replacement within a two-slot set. */
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
    void oneSet_keepsTheTwoMostRecentlyUsed() {
        var t = new PieceTable(2); // one set of two slots: every key collides
        byte[] a = "a".getBytes(StandardCharsets.UTF_8),
                b = " the".getBytes(StandardCharsets.UTF_8),
                c = "ing".getBytes(StandardCharsets.UTF_8);
        t.put(a, 0, 1, new int[] {1});
        t.put(b, 0, 4, new int[] {2});
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1)); // a is used again: b is now the least recent
        t.put(c, 0, 3, new int[] {3});
        assertNull(emit(t, b, 0, 4));
        assertArrayEquals(new int[] {1}, emit(t, a, 0, 1));
        assertArrayEquals(new int[] {3}, emit(t, c, 0, 3));
    }

    @Test
    void oneSet_keepsTheTwoNewest() {
        var t = new PieceTable(2); // one set of two slots: every key collides
        byte[][] k = {
            "a".getBytes(StandardCharsets.UTF_8),
            " the".getBytes(StandardCharsets.UTF_8),
            "ing".getBytes(StandardCharsets.UTF_8),
            " harbour-accounts".getBytes(StandardCharsets.UTF_8)
        };
        for (int i = 0; i < k.length; i++) {
            t.put(k[i], 0, k[i].length, new int[] {i, 100 + i, 200 + i});
            if (i >= 1) assertArrayEquals(new int[] {i - 1, 99 + i, 199 + i}, emit(t, k[i - 1], 0, k[i - 1].length));
            assertArrayEquals(new int[] {i, 100 + i, 200 + i}, emit(t, k[i], 0, k[i].length)); // the newest again
            if (i >= 2) assertNull(emit(t, k[i - 2], 0, k[i - 2].length));
        }
    }
}
