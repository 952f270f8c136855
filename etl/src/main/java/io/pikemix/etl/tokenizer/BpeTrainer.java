package io.pikemix.etl.tokenizer;

import io.pikemix.format.Checks;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Trains a byte-level BPE (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
 * Units", §3.1; byte-level as in GPT-2): pre-tokens are counted in parallel on the Spark executors
 * ({@link #countPreTokens}), the merges run on the driver ({@link #train(Map, int)}).
 *
 * <pre>
 *   vocab  = the 256 byte tokens (id = byte value)
 *   repeat until |vocab| = vocabSize − 1:
 *       (a, b) = the adjacent pair with the largest Σ count(word) · occurrences(a b in word);
 *                ties go to the smallest (a, b) in id order
 *       add token ab with the next id; replace every a b by ab, left to right
 *   add <|endoftext|> as the last id (vocabSize − 1)
 * </pre>
 *
 * Pair counts are kept incrementally with an index pair → words containing it and a max-queue with
 * lazily refreshed counts, so a merge costs time in the words it touches, not in the corpus.
 * If the corpus runs out of pairs first, the vocabulary is smaller than asked (its name says so).
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** Counts pre-tokens on the executors and trains on the driver; every pre-token counts (minCount 1). */
    public static BpeTokenizer train(JavaRDD<String> documents, int vocabSize) {
        return train(countPreTokens(documents, 1), vocabSize);
    }

    /**
     * Distinct {@link ByteLevel} pre-tokens of {@code documents} with their counts, dropping those seen
     * fewer than {@code minCount} times. Each partition counts into a local map; only the distinct
     * (pre-token, count) pairs are shuffled and collected to the driver.
     */
    static Map<String, Long> countPreTokens(JavaRDD<String> documents, int minCount) {
        JavaPairRDD<String, Long> counts =
                documents.mapPartitionsToPair(BpeTrainer::countPartition).reduceByKey(Long::sum);
        if (minCount > 1) counts = counts.filter(t -> t._2() >= minCount);
        return new HashMap<>(counts.collectAsMap());
    }

    private static Iterator<Tuple2<String, Long>> countPartition(Iterator<String> documents) {
        var local = new HashMap<String, long[]>();
        Consumer<String> count = piece -> local.computeIfAbsent(piece, k -> new long[1])[0]++;
        while (documents.hasNext()) {
            String doc = documents.next();
            if (doc != null) ByteLevel.forEachPiece(doc, count);
        }
        return local.entrySet().stream()
                .map(e -> new Tuple2<>(e.getKey(), e.getValue()[0]))
                .iterator();
    }

    /** Learns merges from pre-token counts (pure, driver side); see the class comment for the rule. */
    public static BpeTokenizer train(Map<String, Long> preTokenCounts, int vocabSize) {
        Checks.require(
                vocabSize >= 257,
                "BPE vocab size must be >= 257 (256 bytes + %s), got %d",
                BpeTokenizer.EOS,
                vocabSize);
        var words = new Words(preTokenCounts);
        var queue = new PriorityQueue<QueueEntry>();
        words.forEachPair((pair, count) -> queue.add(new QueueEntry(count, pair)));

        var tokenBytes = new ArrayList<byte[]>(vocabSize);
        for (int b = 0; b < 256; b++) tokenBytes.add(new byte[] {(byte) b});
        var merges = new ArrayList<int[]>();
        while (tokenBytes.size() < vocabSize - 1 && !queue.isEmpty()) {
            QueueEntry top = queue.poll();
            long current = words.pairCounts.get(top.pair, 0);
            if (current != top.count) { // stale: counts only fall, so re-queue and look again
                if (current > 0) queue.add(new QueueEntry(current, top.pair));
                continue;
            }
            int a = LongLongMap.first(top.pair), b = LongLongMap.second(top.pair), merged = tokenBytes.size();
            merges.add(new int[] {a, b, merged});
            tokenBytes.add(concat(tokenBytes.get(a), tokenBytes.get(b)));
            for (long created : words.merge(top.pair, merged)) {
                long count = words.pairCounts.get(created, 0);
                if (count > 0) queue.add(new QueueEntry(count, created));
            }
        }
        int eos = tokenBytes.size();
        tokenBytes.add(BpeTokenizer.EOS.getBytes(StandardCharsets.UTF_8));
        int[] byteToId = new int[256];
        Arrays.setAll(byteToId, b -> b);
        return new BpeTokenizer(
                tokenBytes.toArray(byte[][]::new),
                byteToId,
                merges.toArray(int[][]::new),
                Map.of(eos, BpeTokenizer.EOS),
                eos);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Max-queue order: larger count first, then the smaller pair key (lexicographic (a, b)). */
    private record QueueEntry(long count, long pair) implements Comparable<QueueEntry> {
        @Override
        public int compareTo(QueueEntry o) {
            return count != o.count ? Long.compare(o.count, count) : Long.compare(pair, o.pair);
        }
    }

    /** The distinct pre-tokens as symbol arrays, their counts, pair counts and the pair → words index. */
    private static final class Words {
        final int[][] symbols;
        final int[] lengths;
        final long[] counts;
        final LongLongMap pairCounts;
        final HashMap<Long, IntList> where = new HashMap<>();

        Words(Map<String, Long> preTokenCounts) {
            var syms = new ArrayList<int[]>();
            var cs = new ArrayList<Long>();
            for (var e : preTokenCounts.entrySet()) {
                byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
                if (bytes.length < 2 || e.getValue() <= 0) continue; // no pair to merge
                int[] s = new int[bytes.length];
                for (int i = 0; i < s.length; i++) s[i] = bytes[i] & 0xFF;
                syms.add(s);
                cs.add(e.getValue());
            }
            symbols = syms.toArray(int[][]::new);
            lengths = new int[symbols.length];
            counts = new long[symbols.length];
            pairCounts = new LongLongMap(1 << 16);
            for (int w = 0; w < symbols.length; w++) {
                lengths[w] = symbols[w].length;
                counts[w] = cs.get(w);
                for (int i = 0; i + 1 < lengths[w]; i++) {
                    long pair = LongLongMap.pair(symbols[w][i], symbols[w][i + 1]);
                    pairCounts.add(pair, counts[w]);
                    where.computeIfAbsent(pair, k -> new IntList()).addOnce(w);
                }
            }
        }

        interface PairVisitor {
            void visit(long pair, long count);
        }

        void forEachPair(PairVisitor visitor) {
            for (long pair : where.keySet()) visitor.visit(pair, pairCounts.get(pair, 0));
        }

        /** Replaces pair (a, b) by {@code merged} in every word holding it; returns the pairs it created. */
        List<Long> merge(long pair, int merged) {
            int a = LongLongMap.first(pair), b = LongLongMap.second(pair);
            var created = new ArrayList<Long>();
            IntList holders = where.remove(pair);
            for (int k = 0; k < holders.size; k++) {
                int w = holders.items[k];
                int[] s = symbols[w];
                int len = lengths[w];
                long c = counts[w];
                for (int i = 0; i + 1 < len; i++) {
                    if (s[i] != a || s[i + 1] != b) continue;
                    pairCounts.add(pair, -c);
                    if (i > 0) {
                        pairCounts.add(LongLongMap.pair(s[i - 1], a), -c);
                        link(LongLongMap.pair(s[i - 1], merged), w, c, created);
                    }
                    if (i + 2 < len) {
                        pairCounts.add(LongLongMap.pair(b, s[i + 2]), -c);
                        link(LongLongMap.pair(merged, s[i + 2]), w, c, created);
                    }
                    s[i] = merged;
                    System.arraycopy(s, i + 2, s, i + 1, len - i - 2);
                    len--;
                }
                lengths[w] = len;
            }
            return created;
        }

        private void link(long pair, int word, long count, List<Long> created) {
            pairCounts.add(pair, count);
            where.computeIfAbsent(pair, k -> {
                        created.add(k);
                        return new IntList();
                    })
                    .addOnce(word);
        }
    }

    /** Growable int list; {@link #addOnce} skips a repeat of the last item (words are visited in order). */
    private static final class IntList {
        int[] items = new int[4];
        int size;

        void addOnce(int v) {
            if (size > 0 && items[size - 1] == v) return;
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = v;
        }
    }
}
