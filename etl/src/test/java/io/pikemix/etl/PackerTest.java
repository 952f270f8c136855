package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PackerTest {
    static final int EOS = 99;

    /** A row's little-endian int32 bytes as ids. */
    static int[] ids(byte[] row) {
        assertEquals(0, row.length % 4);
        int[] ids = new int[row.length / 4];
        java.nio.ByteBuffer.wrap(row)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asIntBuffer()
                .get(ids);
        return ids;
    }

    @Test
    void pack_handWorkedExample() {
        // docs [1 2 3], [4], [5 6 7 8 9] with EOS=99 give the stream 1 2 3 99 4 99 5 6 7 8 9 99 (12 tokens);
        // rows of 5: [1 2 3 99 4] [99 5 6 7 8], tail 2 (9 99).
        var rows = new ArrayList<int[]>();
        var p = new Packer(5, EOS, r -> rows.add(ids(r)));
        p.add(new int[] {1, 2, 3});
        p.add(new int[] {4});
        p.add(new int[] {5, 6, 7, 8, 9});
        assertEquals(2, rows.size());
        assertArrayEquals(new int[] {1, 2, 3, 99, 4}, rows.get(0));
        assertArrayEquals(new int[] {99, 5, 6, 7, 8}, rows.get(1));
        assertEquals(2, p.tail());
        assertEquals(12, p.tokensIn());
        assertEquals(3, p.documents());
    }

    @Test
    void pack_everyRowFullAndTokensConserved() {
        var rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            int rowLength = 1 + rnd.nextInt(40);
            List<int[]> rows = new ArrayList<>();
            var p = new Packer(rowLength, EOS, r -> rows.add(ids(r)));
            var stream = new ArrayList<Integer>();
            int docs = rnd.nextInt(30);
            for (int d = 0; d < docs; d++) {
                int[] doc = rnd.ints(rnd.nextInt(100), 0, 50).toArray();
                p.add(doc);
                Arrays.stream(doc).forEach(stream::add);
                stream.add(EOS);
            }
            assertEquals(stream.size(), p.tokensIn());
            assertEquals(p.tokensIn(), p.rows() * rowLength + p.tail(), "tokens = rows·L + tail");
            assertTrue(p.tail() < rowLength);
            int i = 0;
            for (int[] r : rows) {
                assertEquals(rowLength, r.length);
                for (int t : r) assertEquals(stream.get(i++), t, "rows are the stream, in order");
            }
        }
    }
}
