package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class MixedBatchTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    } // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads

    static final GptConfig C = new GptConfig(50, 8, 1, 2, 16, 1e-6);

    static StepManifest manifest(Corpus corpus, double[] weights, int batch) {
        var mixer =
                new Mixer(new MixConfig(corpus.trainRows(), batch, 3, Rounding.CARRY, 1), Strategies.fixed(weights));
        return mixer.next();
    }

    static int[][] allRows(Corpus corpus, StepManifest m) {
        var rows = new int[m.size()][corpus.context() + 1];
        for (int j = 0; j < m.size(); j++)
            corpus.train().copyRow(m.domain()[j], m.shard()[j], m.shardRow()[j], rows[j]);
        return rows;
    }

    static AdamW adam(GptConfig c) {
        var shapes = new LinkedHashMap<String, long[]>();
        var decayed = new HashSet<String>();
        for (var p : GptModel.specs(c)) {
            shapes.put(p.name(), p.shape());
            if (!p.isGain()) decayed.add(p.name());
        }
        return new AdamW(AdamW.Hyper.table6(), shapes, decayed, null, 0);
    }

    static double maxRelDiff(Map<String, INDArray> a, Map<String, INDArray> b) {
        double worst = 0;
        for (String n : a.keySet()) {
            double scale = Math.max(1e-6, b.get(n).amaxNumber().doubleValue());
            worst = Math.max(worst, a.get(n).sub(b.get(n)).amaxNumber().doubleValue() / scale);
        }
        return worst;
    }

    /* Σ_k (b_k/b)·g_k from one graph call per domain equals the gradient of the whole mixed batch at once (eq. 2),
    and so does the AdamW update made from it; float tolerance 1e-4 relative to each tensor's largest entry. */
    @Test
    void perDomainCombination_equalsWholeBatchGradientAndUpdate() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 1);
        StepManifest m = manifest(corpus, new double[] {0.5, 0.3, 0.2}, 10);
        assertArrayEquals(new int[] {5, 3, 2}, m.counts());
        try (var perDomain = GptModel.initialize(C, 5);
                var whole = GptModel.initialize(C, 5)) {
            MixedBatch.Result r = MixedBatch.compute(perDomain, corpus.train(), m, false, 2, false, 1);
            assertEquals(3, r.graphCalls());
            try (GptModel.Gradient g = whole.gradient(Batch.of(allRows(corpus, m), C.context()))) {
                assertEquals(g.loss(), r.loss(), 1e-5);
                assertTrue(
                        maxRelDiff(r.gradient(), g.gradients()) < 1e-4,
                        "gradients differ: " + maxRelDiff(r.gradient(), g.gradients()));
                adam(C).step(perDomain.parameters(), r.gradient(), 1e-3);
                adam(C).step(whole.parameters(), g.gradients(), 1e-3);
                assertTrue(maxRelDiff(perDomain.parameters(), whole.parameters()) < 1e-5);
            }
        }
    }

    @Test
    void fusedStep_equalsPerDomainStep() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 2);
        StepManifest m = manifest(corpus, new double[] {0.2, 0.2, 0.6}, 10);
        try (var model = GptModel.initialize(C, 6)) {
            MixedBatch.Result split = MixedBatch.compute(model, corpus.train(), m, false, 2, false, 1);
            MixedBatch.Result fused = MixedBatch.compute(model, corpus.train(), m, false, 2, true, 1);
            assertEquals(1, fused.graphCalls());
            assertTrue(maxRelDiff(split.gradient(), fused.gradient()) < 1e-4);
            assertArrayEquals(split.domainLoss(), fused.domainLoss(), 1e-5);
        }
    }

    /* At a statistics step each domain gives m = 2 micro-batches; a domain with b_k < 2 is topped up with rows
    that feed only the estimate, so the update is still exactly eq. 2 over the step's own rows. */
    @Test
    void statisticsStep_estimatesEveryDomainAndKeepsTheUpdate() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 3);
        StepManifest m = manifest(corpus, new double[] {0.85, 0.1, 0.05}, 10);
        assertArrayEquals(new int[] {9, 1, 0}, m.counts());
        try (var model = GptModel.initialize(C, 7)) {
            MixedBatch.Result plain = MixedBatch.compute(model, corpus.train(), m, false, 2, false, 1);
            MixedBatch.Result stats = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1);
            assertNotNull(stats.stats());
            assertArrayEquals(new int[] {2, 2, 2}, stats.stats().microBatches());
            assertArrayEquals(new long[] {8, 2, 2}, stats.stats().sequences());
            for (int k = 0; k < 3; k++) assertTrue(stats.stats().gradVar()[k] > 0, "σ² of domain " + k);
            assertTrue(maxRelDiff(plain.gradient(), stats.gradient()) < 1e-4);
            assertEquals(plain.loss(), stats.loss(), 1e-5);
            assertTrue(Double.isNaN(stats.domainLoss()[2]), "no own rows of domain 2: no logged loss");
        }
    }

    @Test
    void plan_microBatchesCoverEachOwnRowOnce() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 4);
        StepManifest m = manifest(corpus, new double[] {0.55, 0.3, 0.15}, 13);
        for (int micro = 2; micro <= 4; micro++) {
            var seen = new int[m.size()];
            for (var mb : MixedBatch.plan(m, 3, true, micro, false, 1, corpus.train()))
                if (mb.positions() != null)
                    for (int j : mb.positions()) {
                        seen[j]++;
                        assertEquals(mb.domain(), m.domain()[j]);
                    }
            for (int j = 0; j < seen.length; j++) assertEquals(1, seen[j], "row " + j + " with m = " + micro);
        }
        assertEquals(
                List.of(-1),
                MixedBatch.plan(m, 3, false, 2, true, 1, corpus.train()).stream()
                        .map(MixedBatch.Micro::domain)
                        .toList());
    }

    /*
     * robust-pike:heldout=8 on 3 domains of 40 rows: rows 32..39 of each domain are held out (min(8, 40/4) = 8). The
     * mixer sees 32 rows per domain, so 30 steps of manifests never address them; a statistics step's plan adds m = 2
     * held-out micro-batches of s_k rows per domain from that slice, outside the update. Other strategies: none.
     */
    @Test
    void heldOut_sliceIsNeverInAManifestAndFeedsOnlyTheSignal() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 5);
        assertFalse(MixedBatch.HeldOut.forStrategy("mix", corpus.trainRows()).on());
        assertFalse(MixedBatch.HeldOut.forStrategy("robust-pike", corpus.trainRows())
                .on());
        var h = MixedBatch.HeldOut.forStrategy("robust-pike:heldout=8", corpus.trainRows());
        assertArrayEquals(new long[] {32, 32, 32}, h.first());
        assertArrayEquals(new long[] {8, 8, 8}, h.rows());
        assertArrayEquals(
                new long[] {10, 10, 10},
                MixedBatch.HeldOut.forStrategy("robust-pike:heldout=100", corpus.trainRows())
                        .rows());
        var trimmed = h.trim(corpus.trainRows());
        for (var d : trimmed) assertEquals(32, d.sequences());
        var mixer = new Mixer(
                new MixConfig(trimmed, 10, 3, Rounding.CARRY, 1), Strategies.fixed(new double[] {0.6, 0.3, 0.1}));
        for (int t = 0; t < 30; t++) {
            StepManifest m = mixer.next();
            for (int j = 0; j < m.size(); j++)
                assertTrue(m.shardRow()[j] < 32, "step " + t + " reads held-out row " + m.shardRow()[j]);
            if (t != 29) continue;
            int held = 0;
            for (var mb : MixedBatch.plan(m, 3, true, 2, false, 1, corpus.train(), h)) {
                if (mb.statsIndex() != MixedBatch.HELD_OUT) {
                    if (mb.topUpRows() != null) for (long r : mb.topUpRows()) assertTrue(r < 40);
                    continue;
                }
                held++;
                assertFalse(mb.update());
                for (long r : mb.topUpRows()) assertTrue(r >= 32 && r < 40, "held-out row " + r);
            }
            assertEquals(6, held);
        }
    }

    /* By hand: t̄ = mean({a:(1,2), b:(3)}, {a:(3,0), b:(1)}) = {a:(2,1), b:(2)}, h̄ = {a:(1,1), b:(−1)}: ŝ = 2 + 1 − 2 = 1. */
    @Test
    void heldOutSignal_handWorkedOverTensors() {
        var t1 = Map.of(
                "a",
                org.nd4j.linalg.factory.Nd4j.createFromArray(1f, 2f),
                "b",
                org.nd4j.linalg.factory.Nd4j.createFromArray(3f));
        var t2 = Map.of(
                "a",
                org.nd4j.linalg.factory.Nd4j.createFromArray(3f, 0f),
                "b",
                org.nd4j.linalg.factory.Nd4j.createFromArray(1f));
        var h1 = Map.of(
                "a",
                org.nd4j.linalg.factory.Nd4j.createFromArray(1f, 1f),
                "b",
                org.nd4j.linalg.factory.Nd4j.createFromArray(-1f));
        assertEquals(1.0, MixedBatch.heldOutSignal(List.of(t1, t2), List.of(h1), List.of("a", "b")), 1e-12);
        assertEquals(
                2 * 1 + 1 * 2 + 2 * 3,
                MixedBatch.heldOutSignal(List.of(t1, t2), List.of(t1), List.of("a", "b")),
                1e-12);
        assertEquals(3.0, t1.get("a").getDouble(1) + 1, 0, "inputs are not modified");
    }

    /*
     * A statistics step with the held-out slice: the update (gradient, loss) is the same as without it, σ² too (same
     * training micro-batches); ‖∇L_k‖² is replaced by ŝ_k = ⟨t̄_k, h̄_k⟩, a different, finite number.
     */
    @Test
    void statisticsStep_withHeldOutKeepsTheUpdateAndReplacesTheSignal() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 6);
        var h = MixedBatch.HeldOut.forStrategy("robust-pike:heldout=8", corpus.trainRows());
        var mixer = new Mixer(
                new MixConfig(h.trim(corpus.trainRows()), 10, 3, Rounding.CARRY, 1),
                Strategies.fixed(new double[] {0.5, 0.3, 0.2}));
        StepManifest m = mixer.next();
        try (var model = GptModel.initialize(C, 8)) {
            MixedBatch.Result plain = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1);
            MixedBatch.Result held = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1, h);
            assertTrue(maxRelDiff(plain.gradient(), held.gradient()) < 1e-6);
            assertEquals(plain.loss(), held.loss(), 1e-9);
            assertArrayEquals(plain.stats().gradVar(), held.stats().gradVar(), 1e-9);
            for (int k = 0; k < 3; k++) {
                assertTrue(Double.isFinite(held.stats().gradNormSq()[k]));
                assertNotEquals(plain.stats().gradNormSq()[k], held.stats().gradNormSq()[k]);
            }
        }
    }
}
