package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.RobustPikeParams;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.training.engine.GptEngine;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/*
 * robust-pike's Adam metric (mixer/ROBUST_PIKE.md, "Adam's metric"): the statistics in ⟨x, y⟩_{D⁻¹} = Σ_c x_c y_c / D_c,
 * D = √v̂ + ε from AdamW's second moments, computed as the Euclidean estimator on the gradients scaled column-wise by
 * d = D^(−1/2).
 */
class AdamMetricTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    } // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads

    static final List<String> NAMES = List.of("a", "b");

    @TempDir
    Path dir;

    static AdamW adam(Map<String, INDArray> saved, long iteration) {
        var shapes = new LinkedHashMap<String, long[]>();
        shapes.put("a", new long[] {2});
        shapes.put("b", new long[] {1});
        return new AdamW(AdamW.Hyper.table6(), shapes, Set.of("a", "b"), saved, iteration);
    }

    /*
     * From zero moments, one AdamW step with gradient g (‖g‖ = 0.458 < clip 1, so unclipped) leaves v = (1 − β2)·g², so
     * v̂ = v/(1 − β2¹) = g² and D = |g| + ε: d = 1/√(|g| + ε), flat in parameter order. Before any step: null (identity).
     */
    @Test
    void metricScale_afterOneStepIsOneOverRootOfAbsGradient() {
        AdamW opt = adam(null, 0);
        assertNull(opt.metricScale(NAMES), "no second moments before the first update");
        var params = new LinkedHashMap<String, INDArray>();
        params.put("a", Nd4j.createFromArray(1f, 1f));
        params.put("b", Nd4j.createFromArray(1f));
        var grads = new LinkedHashMap<String, INDArray>();
        grads.put("a", Nd4j.createFromArray(0.1f, -0.4f));
        grads.put("b", Nd4j.createFromArray(0.2f));
        opt.step(params, grads, 1e-3);
        try (INDArray d = opt.metricScale(NAMES)) {
            assertArrayEquals(new long[] {3}, d.shape());
            double[] want = {1 / Math.sqrt(0.1 + 1e-8), 1 / Math.sqrt(0.4 + 1e-8), 1 / Math.sqrt(0.2 + 1e-8)};
            for (int c = 0; c < 3; c++) assertEquals(want[c], d.getDouble(c), 1e-5 * want[c], "d_" + c);
        }
        assertEquals(0.02 * 0.01, opt.state().get("a").getDouble(2), 1e-9, "the moments are read, not changed");
    }

    /* Saved moments at t = 1 with v = 0.02·(1, 16, 1/16) (β2 = 0.98): v̂ = (1, 16, 1/16), D = (1, 4, 1/4) + ε. */
    static AdamW handMoments() {
        var saved = new LinkedHashMap<String, INDArray>();
        saved.put("a", Nd4j.createFromArray(new float[][] {{0.5f, 0.5f, 0.02f, 0.32f}}));
        saved.put("b", Nd4j.createFromArray(new float[][] {{0.5f, 0.02f / 16}}));
        return adam(saved, 1);
    }

    /*
     * By hand, D⁻¹ = (1, 1/4, 4) over the flat parameters (a_0, a_1, b), m = 2 micro-batches per domain:
     *   domain 0: g = (1, 2, 0), (3, 0, 2);  ḡ = (2, 1, 1);  ‖ḡ‖²_D⁻¹ = 4 + 1/4 + 4 = 8.25;
     *             deviations ±(1, −1, 1), each 1 + 1/4 + 4 = 5.25, so v = 10.5/(2 − 1) and ‖∇L‖² = 8.25 − 10.5/2 = 3;
     *             σ² = s·v = 3·10.5 = 31.5 (s = 3 sequences per micro-batch)
     *   domain 1: g = (0, 4, 1), (2, 0, 1);  ḡ = (1, 2, 1);  ‖ḡ‖²_D⁻¹ = 1 + 1 + 4 = 6; deviations ±(1, −2, 0), each 1 + 1 = 2,
     *             v = 4, ‖∇L‖² = 6 − 2 = 4, σ² = 1·4 = 4
     *   ⟨ḡ_0, ḡ_1⟩_D⁻¹ = 2·1·1 + 1·2/4 + 1·1·4 = 6.5
     * Euclidean, for contrast: domain 1's ‖∇L‖² = 6 − 10/2 = 1, the cross product 2 + 2 + 1 = 5.
     * Both layouts: separate arrays (stacked by the estimator) and the leading rows of a [G, P] matrix, which stays as it
     * was (the update is combined from it afterwards).
     */
    @Test
    void estimate_inTheAdamMetric_byHand() {
        float[][] rows = {{1, 2, 0}, {3, 0, 2}, {0, 4, 1}, {2, 0, 1}};
        int[] domainOf = {0, 0, 1, 1}, seqs = {3, 1};
        var maps = new java.util.ArrayList<Map<String, INDArray>>();
        for (float[] r : rows) maps.add(Map.of("a", Nd4j.createFromArray(r[0], r[1]), "b", Nd4j.createFromArray(r[2])));
        float[][] withExtra = {rows[0], rows[1], rows[2], rows[3], {9, 9, 9}};
        try (INDArray d = handMoments().metricScale(NAMES);
                INDArray matrix = Nd4j.createFromArray(withExtra)) {
            INDArray before = matrix.dup();
            for (INDArray m : new INDArray[] {null, matrix}) {
                GradientStats s = ArrayEstimator.estimate(maps, m, NAMES, domainOf, 2, seqs, null, d);
                assertArrayEquals(new double[] {3, 4}, s.gradNormSq(), 1e-5);
                assertArrayEquals(new double[] {8.25, 6}, s.meanGradNormSq(), 1e-5);
                assertArrayEquals(new double[] {31.5, 4}, s.gradVar(), 1e-5);
                assertEquals(6.5, s.innerProducts()[0][1], 1e-5);
                assertEquals(6.5, s.innerProducts()[1][0], 1e-5);
                GradientStats e = ArrayEstimator.estimate(maps, m, NAMES, domainOf, 2, seqs, null, null);
                assertArrayEquals(new double[] {3, 1}, e.gradNormSq(), 1e-5);
                assertEquals(5, e.innerProducts()[0][1], 1e-5);
            }
            assertEquals(before, matrix, "the model's matrix is not scaled in place");
        }
    }

    /*
     * A constant D = 1/c² (d ≡ c) multiplies every statistic by c² (exactly for c = 2, a power of two; 1e-6 relative for
     * c = 3, float rounding of the scaled entries), and robust-pike's update, scale-free, is the same from either (exactly; 1e-6): the metric matters only where D varies.
     */
    @Test
    void constantMetric_onlyRescales_andRobustPikeMovesTheSame() {
        var rnd = new java.util.SplittableRandom(5);
        int R = 6, P = 40;
        int[] domainOf = {0, 0, 1, 1, 2, 2}, seqs = {2, 2, 1};
        var maps = new java.util.ArrayList<Map<String, INDArray>>();
        for (int r = 0; r < R; r++) {
            var a = new float[P - 1];
            for (int c = 0; c < a.length; c++) a[c] = (float) (0.3 * (r / 2 + 1) + rnd.nextGaussian());
            maps.add(Map.of("a", Nd4j.createFromArray(a), "b", Nd4j.createFromArray((float) rnd.nextGaussian())));
        }
        GradientStats e = ArrayEstimator.estimate(maps, null, NAMES, domainOf, 3, seqs, null, null);
        Strategy robust = Strategies.robustPike(new double[] {1, 1, 1}, RobustPikeParams.defaults());
        double[] moved = robust.update(robust.initialWeights(), e.toDomainStats(), null);
        assertTrue(Math.abs(moved[0] - 1.0 / 3) > 1e-3, "the statistics move the weights");
        for (double c : new double[] {2, 3}) {
            double tol = c == 2 ? 0 : 1e-6;
            try (INDArray d = Nd4j.valueArrayOf(new long[] {P}, c, DataType.FLOAT)) {
                GradientStats s = ArrayEstimator.estimate(maps, null, NAMES, domainOf, 3, seqs, null, d);
                for (int k = 0; k < 3; k++) {
                    assertEquals(c * c * e.gradNormSq()[k], s.gradNormSq()[k], tol * c * c * e.meanGradNormSq()[k]);
                    assertEquals(c * c * e.gradVar()[k], s.gradVar()[k], tol * c * c * e.gradVar()[k]);
                    for (int l = 0; l < 3; l++)
                        assertEquals(
                                c * c * e.innerProducts()[k][l],
                                s.innerProducts()[k][l],
                                tol * c * c * e.meanGradNormSq()[k]);
                }
                assertArrayEquals(
                        moved, robust.update(robust.initialWeights(), s.toDomainStats(), null), c == 2 ? 0 : 1e-6);
            }
        }
    }

    /*
     * A statistics step of the engine (one pass, the estimator on the leading rows of its [G, P] matrix) with a metric:
     * the update's gradient and loss are those without it, bit for bit (the scaled rows are a scratch copy); with d ≡ 2
     * every statistic, the held-out signal included, is exactly 4× the Euclidean one; with AdamW's moments after three
     * real steps the statistics differ from the Euclidean ones and stay finite.
     */
    @Test
    void statisticsStep_inAMetric_keepsTheUpdate() {
        GptConfig c = MixedBatchTest.C;
        Corpus corpus = MemoryCorpus.random(3, 40, c.vocabSize(), c.context(), 6);
        var h = MixedBatch.HeldOut.forStrategy("robust-pike:heldout=8", corpus.trainRows());
        var mixer = new Mixer(
                new MixConfig(h.trim(corpus.trainRows()), 10, 3, Rounding.CARRY, 1),
                Strategies.fixed(new double[] {0.5, 0.3, 0.2}));
        StepManifest m = mixer.next();
        try (var model = GptEngine.initialize(c, 8)) {
            long P = 0;
            for (INDArray p : model.parameters().values()) P += p.length();
            MixedBatch.Result plain = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1, h);
            var plainGrad = copy(plain.gradient());
            GradientStats e = plain.stats();
            try (INDArray two = Nd4j.valueArrayOf(new long[] {P}, 2.0, DataType.FLOAT)) {
                MixedBatch.Result scaled = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1, h, two);
                for (String n : plainGrad.keySet())
                    assertEquals(plainGrad.get(n), scaled.gradient().get(n), "update gradient of " + n);
                assertEquals(plain.loss(), scaled.loss(), 0);
                GradientStats s = scaled.stats();
                for (int k = 0; k < 3; k++) {
                    assertEquals(4 * e.gradNormSq()[k], s.gradNormSq()[k], 1e-9 * Math.abs(e.gradNormSq()[k]));
                    assertEquals(4 * e.gradVar()[k], s.gradVar()[k], 1e-9 * e.gradVar()[k]);
                    assertEquals(
                            4 * e.innerProducts()[k][(k + 1) % 3],
                            s.innerProducts()[k][(k + 1) % 3],
                            1e-9 * e.meanGradNormSq()[k]);
                }
            }
            AdamW opt = MixedBatchTest.adam(c);
            for (int t = 0; t < 3; t++) {
                var g = MixedBatch.compute(model, corpus.train(), mixer.next(), false, 2, true, 1);
                opt.step(model.parameters(), g.gradient(), 1e-3);
            }
            try (INDArray d = opt.metricScale(model.parameterNames())) {
                assertEquals(P, d.length());
                MixedBatch.Result a = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1, h, null);
                GradientStats eu = a.stats();
                var euGrad = copy(a.gradient());
                MixedBatch.Result b = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1, h, d);
                for (String n : euGrad.keySet())
                    assertEquals(euGrad.get(n), b.gradient().get(n));
                for (int k = 0; k < 3; k++) {
                    assertTrue(Double.isFinite(b.stats().gradNormSq()[k])
                            && b.stats().gradVar()[k] > 0);
                    assertNotEquals(eu.gradVar()[k], b.stats().gradVar()[k]);
                }
            }
        }
    }

    /*
     * The trainer: robust-pike with metric=adam computes its first statistics (step 0, before AdamW has moments) in the
     * identity metric, the same numbers as the default run's, and the next ones (step 3) in Adam's, different numbers.
     */
    @Test
    void trainer_firstStatisticsInTheIdentity_laterInAdamsMetric() {
        Corpus corpus = MemoryCorpus.random(3, 30, 40, 8, 4);
        var base = TrainerTest.pike8().withSteps(6);
        List<JsonNode> sgd = statsOf(corpus, base, "robust-pike", "sgd");
        List<JsonNode> adam = statsOf(corpus, base, "robust-pike:metric=adam", "adam");
        assertEquals(2, sgd.size(), "statistics at steps 0 and 3");
        assertEquals(2, adam.size());
        for (int k = 0; k < 3; k++) {
            assertEquals(
                    sgd.get(0).get("grad_var").get(k).asDouble(),
                    adam.get(0).get("grad_var").get(k).asDouble(),
                    1e-9 * sgd.get(0).get("grad_var").get(k).asDouble(),
                    "step 0, domain " + k);
            assertNotEquals(
                    sgd.get(1).get("grad_var").get(k).asDouble(),
                    adam.get(1).get("grad_var").get(k).asDouble(),
                    "step 3, domain " + k);
        }
    }

    private List<JsonNode> statsOf(Corpus corpus, TrainConfig base, String strategy, String name) {
        var config = new TrainConfig(
                base.dataset(),
                strategy,
                base.batch(),
                base.seed(),
                base.model(),
                base.schedule(),
                base.adam(),
                base.pike(),
                base.statistics(),
                base.cadence());
        Trainer.run(config, corpus, dir.resolve(name), false);
        return RunFiles.read(dir.resolve(name).resolve(RunFiles.STATS));
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> g) {
        var out = new LinkedHashMap<String, INDArray>();
        for (var e : g.entrySet()) out.put(e.getKey(), e.getValue().dup());
        return out;
    }
}
