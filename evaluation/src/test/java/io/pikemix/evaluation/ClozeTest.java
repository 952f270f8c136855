package io.pikemix.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.training.RowSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The validation cloze task on packed in-memory rows whose documents are recognisable by their tokens: document d of
 * domain k uses ids 1 + 100·(10k + d) + [0, 100), EOS is 0, and the training split uses ids ≥ 50,000 (never seen in
 * an item). Rows are cut from the stream "doc, EOS, doc, EOS, …" exactly as the ETL's packer does.
 */
class ClozeTest {
    static final int EOS = 0, T = 32, L = T + 1;

    record Rows(List<int[][]> data) implements RowSource {
        @Override
        public int rowLength() {
            return L;
        }

        @Override
        public int domains() {
            return data.size();
        }

        @Override
        public long rows(int domain) {
            return data.get(domain).length;
        }

        @Override
        public void copyRow(int domain, int shard, long row, int[] into) {
            System.arraycopy(data.get(domain)[(int) row], 0, into, 0, L);
        }

        @Override
        public void copyRow(int domain, long row, int[] into) {
            copyRow(domain, 0, row, into);
        }
    }

    /** Packs documents of the given lengths, document d of domain k drawing its ids from 1 + 100·(10k + d) + [0, 100). */
    static int[][] pack(int k, int[] lengths, SplittableRandom rnd) {
        var stream = new ArrayList<Integer>();
        for (int d = 0; d < lengths.length; d++) {
            for (int i = 0; i < lengths[d]; i++) stream.add(1 + 100 * (10 * k + d) + rnd.nextInt(100));
            stream.add(EOS);
        }
        var rows = new int[stream.size() / L][L];
        for (int r = 0; r < rows.length; r++) for (int i = 0; i < L; i++) rows[r][i] = stream.get(r * L + i);
        return rows;
    }

    static Rows validation() {
        var rnd = new SplittableRandom(9);
        return new Rows(List.of(
                pack(0, new int[] {150, 20, 90, 300, 45, 70}, rnd), pack(1, new int[] {400, 200, 5, 5, 120}, rnd)));
    }

    static int doc(int token) {
        return (token - 1) / 100;
    } // 10k + d

    static final Cloze.Config CONFIG = new Cloze.Config(12, 4, 8, 4096, 77);

    @Test
    void items_sameForSameSeedAndDifferForAnother() {
        var a = Cloze.items(validation(), EOS, CONFIG);
        var b = Cloze.items(validation(), EOS, CONFIG);
        assertEquals(render(a), render(b));
        var c = Cloze.items(validation(), EOS, new Cloze.Config(12, 4, 8, 4096, 78));
        assertNotEquals(render(a), render(c));
    }

    /*
     * Every item: context ≥ minContext tokens and truth = m tokens, together one EOS-free span of one validation document
     * that occurs contiguously in the rows; three distractors of m tokens, each inside one other validation document of
     * the same domain, all four distinct; the label points at the truth; no token of the training range.
     */
    @Test
    void items_areRealValidationTextWithDistractorsFromOtherDocuments() {
        Rows val = validation();
        var items = Cloze.items(val, EOS, CONFIG);
        var labels = new HashSet<Integer>();
        for (int k = 0; k < 2; k++) {
            assertEquals(12, items.get(k).size(), "domain " + k);
            for (MultipleChoice.Item it : items.get(k)) {
                assertTrue(it.context().length >= 8 && it.context().length + 4 <= L, "context " + it.context().length);
                int[] truth = it.candidates().get(it.label());
                int[] span = MultipleChoiceTest.concat(it.context(), truth);
                int d = doc(span[0]);
                for (int t : span) {
                    assertNotEquals(EOS, t);
                    assertEquals(d, doc(t), "one document: " + Arrays.toString(span));
                    assertTrue(t < 50_000, "validation ids only");
                }
                assertEquals(k, d / 10);
                assertTrue(occursInARow(val.data().get(k), span), "the span is real text of a row");
                var distinct = new HashSet<String>();
                for (int j = 0; j < 4; j++) {
                    int[] c = it.candidates().get(j);
                    assertEquals(4, c.length);
                    assertTrue(distinct.add(Arrays.toString(c)));
                    if (j == it.label()) continue;
                    int dd = doc(c[0]);
                    assertNotEquals(d, dd, "a distractor from another document");
                    assertEquals(k, dd / 10, "of the same domain");
                    for (int t : c) assertEquals(dd, doc(t));
                    assertTrue(occursInARow(val.data().get(k), c));
                }
                labels.add(it.label());
            }
        }
        assertEquals(4, labels.size(), "the truth's position varies");
    }

    /* A domain whose rows hold one document has no distractor source: no items (accuracy NaN, not a fake number). */
    @Test
    void singleDocumentDomain_hasNoItems() {
        var rnd = new SplittableRandom(1);
        var val = new Rows(List.of(pack(0, new int[] {500}, rnd), pack(1, new int[] {100, 100, 100}, rnd)));
        var items = Cloze.items(val, EOS, CONFIG);
        assertTrue(items.get(0).isEmpty());
        assertFalse(items.get(1).isEmpty());
    }

    /* The defaults at the demo's T = 128 and at a test's T = 16. */
    @Test
    void defaults_scaleWithContext() {
        var d = Cloze.Config.defaults(128, 5);
        assertEquals(16, d.continuation());
        assertEquals(32, d.minContext());
        var s = Cloze.Config.defaults(16, 5);
        assertEquals(2, s.continuation());
        assertEquals(4, s.minContext());
    }

    static boolean occursInARow(int[][] rows, int[] span) {
        for (int[] row : rows)
            for (int s = 0; s + span.length <= row.length; s++)
                if (Arrays.equals(Arrays.copyOfRange(row, s, s + span.length), span)) return true;
        return false;
    }

    static String render(List<List<MultipleChoice.Item>> items) {
        var sb = new StringBuilder();
        for (var domain : items)
            for (var it : domain) {
                sb.append(Arrays.toString(it.context())).append(it.label());
                for (int[] c : it.candidates()) sb.append(Arrays.toString(c));
                sb.append('\n');
            }
        return sb.toString();
    }
}
