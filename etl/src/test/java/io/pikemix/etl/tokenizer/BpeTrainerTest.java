package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pikemix.format.UserException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    /**
     * Words (a = 97, b = 98): "aaab" ×2, "abab" ×1, "ba" ×1; vocab 260 = 256 bytes + 3 merges + EOS.
     *
     *   counts:  (a,a) = 2·2 = 4   (a,b) = 2 + 2·1 = 4   (b,a) = 1 + 1 = 2
     *   merge 1: tie at 4, smaller pair (97,97) < (97,98)  →  256 = "aa"
     *            aaab → [aa a b];  counts (aa,a) = 2, (a,b) = 2 + 2 = 4, (b,a) = 2
     *   merge 2: (a,b) = 4                                 →  257 = "ab"
     *            aaab → [aa ab], abab → [ab ab];  counts (aa,ab) = 2, (ab,ab) = 1, (b,a) = 1
     *   merge 3: (aa,ab) = 2                               →  258 = "aaab"
     *   EOS = 259
     */
    @Test
    void train_handWorkedMerges() {
        var bpe = BpeTrainer.train(Map.of("aaab", 2L, "abab", 1L, "ba", 1L), 260);
        assertEquals(
                List.of(List.of(97, 97, 256), List.of(97, 98, 257), List.of(256, 257, 258)), asLists(bpe.merges()));
        assertEquals(260, bpe.vocabSize());
        assertEquals(259, bpe.eosId());
        assertEquals("bpe-260", bpe.name());
        assertArrayEquals(new int[] {258}, bpe.encode("aaab"));
        assertArrayEquals(new int[] {257, 257}, bpe.encode("abab"));
        assertArrayEquals(new int[] {256, 97}, bpe.encode("aaa"));
        assertArrayEquals(new int[] {98, 97}, bpe.encode("ba"));
        assertEquals(BpeTokenizer.EOS, bpe.decode(new int[] {259}));
    }

    /**
     * Overlapping pairs: "aaaa" ×1. (a,a) occurs 3 times → 256 = "aa", and "aaaa" becomes [aa aa]
     * (left to right, not [a aa a]); then (aa,aa) → 257.
     */
    @Test
    void train_overlappingPairsMergeLeftToRight() {
        var bpe = BpeTrainer.train(Map.of("aaaa", 1L), 259);
        assertEquals(List.of(List.of(97, 97, 256), List.of(256, 256, 257)), asLists(bpe.merges()));
        assertArrayEquals(new int[] {257}, bpe.encode("aaaa"));
        assertArrayEquals(new int[] {257, 97}, bpe.encode("aaaaa"));
    }

    @Test
    void train_stopsWhenNoPairIsLeft() {
        var bpe = BpeTrainer.train(Map.of("ab", 5L), 1000);
        assertEquals(258, bpe.vocabSize()); // 256 bytes + "ab" + EOS
        assertEquals(257, bpe.eosId());
    }

    @Test
    void train_rejectsVocabBelow257() {
        var e = assertThrows(UserException.class, () -> BpeTrainer.train(Map.of("ab", 1L), 256));
        assertEquals("BPE vocab size must be >= 257 (256 bytes + <|endoftext|>), got 256", e.getMessage());
    }

    @Test
    void train_matchesNaiveRecountOnRandomCorpora() {
        var random = new SplittableRandom(7);
        for (int trial = 0; trial < 30; trial++) {
            var counts = new HashMap<String, Long>();
            for (int w = 0; w < 60; w++) {
                var sb = new StringBuilder();
                int len = random.nextInt(1, 9);
                for (int i = 0; i < len; i++) sb.append("abcä ".charAt(random.nextInt(5)));
                counts.merge(sb.toString(), (long) random.nextInt(1, 5), Long::sum);
            }
            int vocab = 256 + 1 + random.nextInt(1, 40);
            var expected = naiveMerges(counts, vocab);
            assertEquals(expected, asLists(BpeTrainer.train(counts, vocab).merges()), "corpus " + counts);
        }
    }

    @Test
    void train_fixtureIsDeterministicAndRoundTrips() {
        var counts = new HashMap<String, Long>();
        for (String doc : Fixture.documents()) ByteLevel.forEachPiece(doc, p -> counts.merge(p, 1L, Long::sum));
        long t0 = System.nanoTime();
        var bpe = BpeTrainer.train(counts, 4096);
        System.out.printf(
                "trained bpe-4096 on the fixture (%,d distinct pre-tokens) in %.2f s%n",
                counts.size(), (System.nanoTime() - t0) / 1e9);
        assertEquals(4096, bpe.vocabSize());
        assertEquals(4095, bpe.eosId());
        assertArrayEquals(
                HfTokenizerJson.toBytes(bpe), HfTokenizerJson.toBytes(BpeTrainer.train(new HashMap<>(counts), 4096)));
        for (String doc : Fixture.documents()) assertEquals(doc, bpe.decode(bpe.encode(doc)));
    }

    /** Reference trainer: recount every pair from scratch before each merge. */
    static List<List<Integer>> naiveMerges(Map<String, Long> counts, int vocabSize) {
        var words = new ArrayList<List<Integer>>();
        var wordCounts = new ArrayList<Long>();
        counts.forEach((word, count) -> {
            var syms = new ArrayList<Integer>();
            for (byte b : word.getBytes(StandardCharsets.UTF_8)) syms.add(b & 0xFF);
            words.add(syms);
            wordCounts.add(count);
        });
        var merges = new ArrayList<List<Integer>>();
        for (int next = 256; next < vocabSize - 1; next++) {
            var pairCounts = new HashMap<List<Integer>, Long>();
            for (int w = 0; w < words.size(); w++) {
                var s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++)
                    pairCounts.merge(List.of(s.get(i), s.get(i + 1)), wordCounts.get(w), Long::sum);
            }
            List<Integer> best = null;
            for (var e : pairCounts.entrySet()) {
                if (best == null
                        || e.getValue() > pairCounts.get(best)
                        || (e.getValue().equals(pairCounts.get(best)) && lexLess(e.getKey(), best))) best = e.getKey();
            }
            if (best == null) break;
            merges.add(List.of(best.get(0), best.get(1), next));
            for (var s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(best.get(0)) && s.get(i + 1).equals(best.get(1))) {
                        s.set(i, next);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    private static boolean lexLess(List<Integer> x, List<Integer> y) {
        return x.get(0) < y.get(0) || (x.get(0).equals(y.get(0)) && x.get(1) < y.get(1));
    }

    static List<List<Integer>> asLists(int[][] merges) {
        var out = new ArrayList<List<Integer>>();
        for (int[] m : merges) out.add(List.of(m[0], m[1], m[2]));
        return out;
    }
}
