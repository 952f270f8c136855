package io.pikemix.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.training.AdamW;
import io.pikemix.training.Batch;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.engine.GptEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The scorer on a tiny GPT (V 24, T 12, 1 layer, width 16) that has memorised one 13-token sequence in 120 AdamW
 * steps: a memorised continuation wins over random ones; each candidate's score is Σ log softmax(logits) of its
 * tokens, checked against the SameDiff reference model's logits; contexts longer than T are cut from the left.
 */
class MultipleChoiceTest {
    static final int V = 24, T = 12;
    static final int[] MEMORISED = {3, 17, 5, 9, 21, 1, 14, 7, 19, 2, 11, 23, 6}; // T + 1 tokens, all distinct
    static GptEngine model;

    @BeforeAll
    static void memorise() {
        var config = new GptConfig(V, T, 1, 2, 16, GptConfig.FLAX_LN_EPSILON);
        model = GptEngine.initialize(config, 7);
        var adam = AdamW.forModel(new AdamW.Hyper(0.9, 0.98, 1e-8, 0.0, 1.0), config, null, 0);
        var batch = Batch.of(new int[][] {MEMORISED, MEMORISED}, T);
        double loss = Double.NaN;
        for (int step = 0; step < 120; step++) {
            var g = model.gradient(batch);
            loss = g.loss();
            adam.step(model.parameters(), g.gradients(), 1e-2);
        }
        assertTrue(loss < 0.05, "memorised: final loss " + loss);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] slice(int[] a, int from, int to) {
        return Arrays.copyOfRange(a, from, to);
    }

    /* Context = the memorised prefix; the memorised continuation beats three random ones, by average and by sum. */
    @Test
    void memorisedContinuation_winsByAverageAndSum() {
        var rnd = new SplittableRandom(3);
        var items = new ArrayList<MultipleChoice.Item>();
        for (int cut = 2; cut <= 9; cut++) {
            int m = Math.min(4, MEMORISED.length - cut);
            var candidates = new ArrayList<int[]>();
            int label = rnd.nextInt(4);
            for (int j = 0; j < 4; j++) {
                if (j == label) {
                    candidates.add(slice(MEMORISED, cut, cut + m));
                    continue;
                }
                var c = new int[m];
                for (int i = 0; i < m; i++) c[i] = rnd.nextInt(V);
                candidates.add(c);
            }
            items.add(new MultipleChoice.Item(slice(MEMORISED, 0, cut), candidates, label));
        }
        MultipleChoice.Result r = MultipleChoice.evaluate(model, items, 5); // 32 rows: 7 batches, the last padded
        assertEquals(items.size(), r.items());
        assertEquals(items.size(), r.correctByAverage());
        assertEquals(items.size(), r.correctBySum());
        assertEquals(1.0, r.accuracy());
    }

    /* sum = Σ_j log softmax(logits at the position before c_j)[c_j], from the SameDiff reference's logits of the same parameters. */
    @Test
    void score_isSumOfLogSoftmaxOfTheCandidateTokens() {
        int[] context = {3, 17, 5, 9}, candidate = {21, 1, 4};
        var item = new MultipleChoice.Item(context, List.of(candidate, new int[] {8}), 0);
        MultipleChoice.Scores s = MultipleChoice.score(model, List.of(item), 4).get(0);
        int[] row = new int[T + 1];
        System.arraycopy(context, 0, row, 0, 4);
        System.arraycopy(candidate, 0, row, 4, 3);
        try (var ref = new GptModel(model.config(), copy(model))) {
            INDArray logits = ref.logits(Batch.of(new int[][] {row}, T)); // [T, V]
            double expected = 0;
            for (int j = 0; j < 3; j++)
                expected += logSoftmax(logits.getRow(3 + j).toDoubleVector(), candidate[j]);
            assertEquals(expected, s.sum()[0], 1e-4);
            assertEquals(3, s.tokens()[0]);
            assertEquals(logSoftmax(logits.getRow(3).toDoubleVector(), 8), s.sum()[1], 1e-4);
            assertEquals(s.sum()[0] / 3, s.average(0), 1e-12);
        }
    }

    /* A context longer than T: the row keeps its last T + 1 − m tokens, so the score equals that of the cut context. */
    @Test
    void longContext_isCutFromTheLeft() {
        int[] longContext = new int[30];
        for (int i = 0; i < 30; i++) longContext[i] = (i * 7) % V;
        int[] candidate = {5, 9, 21};
        var full = MultipleChoice.score(
                model, List.of(new MultipleChoice.Item(longContext, List.of(candidate, candidate), 0)), 2);
        int[] cut = slice(longContext, 30 - (T + 1 - 3), 30);
        var byHand =
                MultipleChoice.score(model, List.of(new MultipleChoice.Item(cut, List.of(candidate, candidate), 0)), 2);
        assertEquals(byHand.get(0).sum()[0], full.get(0).sum()[0], 1e-6);
        MultipleChoice.Row r = MultipleChoice.row(longContext, candidate, T);
        assertArrayEquals(concat(cut, candidate), r.tokens());
        assertEquals(T + 1 - 3 - 1, r.first());
        assertEquals(3, r.count());
    }

    /* A short row is padded with 0 after the candidate; a candidate longer than T keeps its first T tokens after one context token. */
    @Test
    void row_padsRightAndClipsLongCandidates() {
        MultipleChoice.Row r = MultipleChoice.row(new int[] {4, 5}, new int[] {6}, 5);
        assertArrayEquals(new int[] {4, 5, 6, 0, 0, 0}, r.tokens());
        assertEquals(1, r.first());
        assertEquals(1, r.count());
        MultipleChoice.Row c = MultipleChoice.row(new int[] {1, 2, 3}, new int[] {9, 8, 7, 6, 5, 4, 3}, 5);
        assertArrayEquals(new int[] {3, 9, 8, 7, 6, 5}, c.tokens());
        assertEquals(0, c.first());
        assertEquals(5, c.count());
    }

    /*
     * By hand: candidate 0 has 3 tokens summing to −3.0 (average −1.0), candidate 1 one token of −2.0 (average −2.0):
     * the average picks 0, the sum picks 1. Equal lengths: both rules agree. Ties go to the lower index.
     */
    @Test
    void averageAndSum_differWhereLengthsDiffer() {
        var s = new MultipleChoice.Scores(new double[] {-3.0, -2.0}, new int[] {3, 1});
        assertEquals(0, s.byAverage());
        assertEquals(1, s.bySum());
        var equal = new MultipleChoice.Scores(new double[] {-3.0, -2.0, -2.5}, new int[] {2, 2, 2});
        assertEquals(1, equal.byAverage());
        assertEquals(1, equal.bySum());
        assertEquals(0, new MultipleChoice.Scores(new double[] {-1, -1}, new int[] {1, 1}).bySum());
    }

    /*
     * On the model: A = the memorised 3 tokens then 6 random ones (≈ 0 each, then low), B = one wrong token where the
     * memorised one belongs (very low). The average favours A (the low tail is diluted by the 3 near-certain tokens),
     * the sum favours B (one low term instead of six): the two rules pick differently, as their definitions say.
     */
    @Test
    void averageAndSum_onTheModel_disagreeWhenLengthsDiffer() {
        var rnd = new SplittableRandom(11);
        int[] a = new int[9];
        System.arraycopy(MEMORISED, 3, a, 0, 3);
        for (int i = 3; i < 9; i++) a[i] = rnd.nextInt(V);
        var item = new MultipleChoice.Item(slice(MEMORISED, 0, 3), List.of(a, new int[] {MEMORISED[9]}), 0);
        MultipleChoice.Scores s = MultipleChoice.score(model, List.of(item), 2).get(0);
        assertTrue(s.average(0) > s.average(1) && s.sum()[0] < s.sum()[1], "sums " + Arrays.toString(s.sum()));
        assertEquals(0, s.byAverage());
        assertEquals(1, s.bySum());
        var r = MultipleChoice.evaluate(model, List.of(item), 2);
        assertEquals(1, r.correctByAverage());
        assertEquals(0, r.correctBySum());
    }

    @Test
    void item_refusesEmptyContextAndBadLabel() {
        var e = assertThrows(
                io.pikemix.format.UserException.class,
                () -> new MultipleChoice.Item(new int[0], List.of(new int[] {1}, new int[] {2}), 0));
        assertTrue(e.getMessage().contains("context"), e.getMessage());
        e = assertThrows(
                io.pikemix.format.UserException.class,
                () -> new MultipleChoice.Item(new int[] {1}, List.of(new int[] {1}, new int[] {2}), 2));
        assertTrue(e.getMessage().contains("label 2"), e.getMessage());
    }

    static double logSoftmax(double[] logits, int token) {
        double max = Arrays.stream(logits).max().orElseThrow(), z = 0;
        for (double l : logits) z += Math.exp(l - max);
        return logits[token] - max - Math.log(z);
    }

    static java.util.Map<String, INDArray> copy(GptEngine m) {
        var out = new java.util.LinkedHashMap<String, INDArray>();
        m.parameters().forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
