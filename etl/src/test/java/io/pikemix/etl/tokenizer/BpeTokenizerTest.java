package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    static BpeTokenizer bpe;

    @BeforeAll
    static void trainOnFixture() {
        var counts = new HashMap<String, Long>();
        for (String doc : Fixture.documents()) ByteLevel.forEachPiece(doc, p -> counts.merge(p, 1L, Long::sum));
        bpe = BpeTrainer.train(counts, 2048);
    }

    @Test
    void encode_decodeRoundTripsFixtureAndEdgeCases() {
        for (String doc : Fixture.documents()) assertEquals(doc, bpe.decode(bpe.encode(doc)));
        for (String doc : Fixture.edgeCases()) assertEquals(doc, bpe.decode(bpe.encode(doc)), doc);
    }

    @Test
    void encode_matchesGpt2ReferenceAlgorithm() {
        for (String doc : Fixture.documents()) assertArrayEquals(reference(bpe, doc), bpe.encode(doc));
        for (String doc : Fixture.edgeCases()) assertArrayEquals(reference(bpe, doc), bpe.encode(doc), doc);
    }

    @Test
    void encode_idsWithinVocabAndNeverEos() {
        for (String doc : Fixture.documents()) {
            for (int id : bpe.encode(doc)) assertTrue(id >= 0 && id < bpe.eosId(), "id " + id);
        }
        assertArrayEquals(
                bpe.encode("<|endoftext|>"), reference(bpe, "<|endoftext|>")); // special text is ordinary text
    }

    @Test
    void mergeWithHeap_equalsMergeByScan() {
        var random = new SplittableRandom(11);
        List<String> docs = Fixture.documents();
        for (int trial = 0; trial < 2000; trial++) {
            String doc = docs.get(random.nextInt(docs.size()));
            int start = random.nextInt(doc.length());
            String piece = doc.substring(start, Math.min(doc.length(), start + random.nextInt(1, 200)));
            byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 2) continue;
            int[] sym = new int[bytes.length];
            for (int i = 0; i < sym.length; i++) sym[i] = bytes[i] & 0xFF;
            assertArrayEquals(bpe.mergeByScan(sym.clone()), bpe.mergeWithHeap(sym.clone()), piece);
        }
    }

    @Test
    void encode_isThreadSafe() throws Exception {
        List<String> docs = Fixture.documents();
        var expected = new ArrayList<int[]>();
        for (String doc : docs) expected.add(reference(bpe, doc));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            var futures = new ArrayList<Future<?>>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < docs.size(); i++) {
                        int k = (i + offset * 37) % docs.size();
                        assertArrayEquals(expected.get(k), bpe.encode(docs.get(k)));
                    }
                }));
            }
            for (var f : futures) f.get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void decode_rejectsUnknownId() {
        var e = assertThrows(IllegalArgumentException.class, () -> bpe.decode(new int[] {5, 2048}));
        assertEquals("token id 2048 is not a token of bpe-2048 (ids are in [0, 2048))", e.getMessage());
    }

    /**
     * Independent reference: GPT-2's encoder.py {@code bpe()} — split with the regex, then repeatedly
     * merge every occurrence of the lowest-ranked bigram in one left-to-right pass.
     */
    static int[] reference(BpeTokenizer tok, String text) {
        Map<List<Integer>, Integer> rank = new HashMap<>();
        Map<List<Integer>, Integer> mergedId = new HashMap<>();
        int[][] merges = tok.merges();
        for (int r = 0; r < merges.length; r++) {
            rank.put(List.of(merges[r][0], merges[r][1]), r);
            mergedId.put(List.of(merges[r][0], merges[r][1]), merges[r][2]);
        }
        int[] byteToId = tok.byteToId();
        var out = new ArrayList<Integer>();
        var m = ByteLevel.PATTERN.matcher(text);
        while (m.find()) {
            var word = new ArrayList<Integer>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) word.add(byteToId[b & 0xFF]);
            while (word.size() > 1) {
                List<Integer> best = null;
                for (int i = 0; i + 1 < word.size(); i++) {
                    var pair = List.of(word.get(i), word.get(i + 1));
                    if (rank.containsKey(pair) && (best == null || rank.get(pair) < rank.get(best))) best = pair;
                }
                if (best == null) break;
                var next = new ArrayList<Integer>();
                for (int i = 0; i < word.size(); i++) {
                    if (i + 1 < word.size()
                            && word.get(i).equals(best.get(0))
                            && word.get(i + 1).equals(best.get(1))) {
                        next.add(mergedId.get(best));
                        i++;
                    } else {
                        next.add(word.get(i));
                    }
                }
                word = next;
            }
            out.addAll(word);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
