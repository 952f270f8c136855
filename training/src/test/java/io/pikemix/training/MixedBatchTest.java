package io.pikemix.training;

import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MixedBatchTest {
    static { io.pikemix.training.engine.NativeBackend.select(); }   // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads
    static final GptConfig C = new GptConfig(50, 8, 1, 2, 16, 1e-6);

    static StepManifest manifest(Corpus corpus, double[] weights, int batch) {
        var mixer = new Mixer(new MixConfig(corpus.trainRows(), batch, 3, Rounding.CARRY, 1), Strategies.fixed(weights));
        return mixer.next();
    }

    static int[][] allRows(Corpus corpus, StepManifest m) {
        var rows = new int[m.size()][corpus.context() + 1];
        for (int j = 0; j < m.size(); j++) corpus.train().copyRow(m.domain()[j], m.shard()[j], m.shardRow()[j], rows[j]);
        return rows;
    }

    static AdamW adam(GptConfig c) {
        var shapes = new LinkedHashMap<String, long[]>();
        var decayed = new HashSet<String>();
        for (var p : GptModel.specs(c)) { shapes.put(p.name(), p.shape()); if (!p.isGain()) decayed.add(p.name()); }
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
    @Test void perDomainCombination_equalsWholeBatchGradientAndUpdate() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 1);
        StepManifest m = manifest(corpus, new double[]{0.5, 0.3, 0.2}, 10);
        assertArrayEquals(new int[]{5, 3, 2}, m.counts());
        try (var perDomain = GptModel.initialize(C, 5); var whole = GptModel.initialize(C, 5)) {
            MixedBatch.Result r = MixedBatch.compute(perDomain, corpus.train(), m, false, 2, false, 1);
            assertEquals(3, r.graphCalls());
            try (GptModel.Gradient g = whole.gradient(Batch.of(allRows(corpus, m), C.context()))) {
                assertEquals(g.loss(), r.loss(), 1e-5);
                assertTrue(maxRelDiff(r.gradient(), g.gradients()) < 1e-4, "gradients differ: " + maxRelDiff(r.gradient(), g.gradients()));
                adam(C).step(perDomain.parameters(), r.gradient(), 1e-3);
                adam(C).step(whole.parameters(), g.gradients(), 1e-3);
                assertTrue(maxRelDiff(perDomain.parameters(), whole.parameters()) < 1e-5);
            }
        }
    }

    @Test void fusedStep_equalsPerDomainStep() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 2);
        StepManifest m = manifest(corpus, new double[]{0.2, 0.2, 0.6}, 10);
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
    @Test void statisticsStep_estimatesEveryDomainAndKeepsTheUpdate() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 3);
        StepManifest m = manifest(corpus, new double[]{0.85, 0.1, 0.05}, 10);
        assertArrayEquals(new int[]{9, 1, 0}, m.counts());
        try (var model = GptModel.initialize(C, 7)) {
            MixedBatch.Result plain = MixedBatch.compute(model, corpus.train(), m, false, 2, false, 1);
            MixedBatch.Result stats = MixedBatch.compute(model, corpus.train(), m, true, 2, false, 1);
            assertNotNull(stats.stats());
            assertArrayEquals(new int[]{2, 2, 2}, stats.stats().microBatches());
            assertArrayEquals(new long[]{8, 2, 2}, stats.stats().sequences());
            for (int k = 0; k < 3; k++) assertTrue(stats.stats().gradVar()[k] > 0, "σ² of domain " + k);
            assertTrue(maxRelDiff(plain.gradient(), stats.gradient()) < 1e-4);
            assertEquals(plain.loss(), stats.loss(), 1e-5);
            assertTrue(Double.isNaN(stats.domainLoss()[2]), "no own rows of domain 2: no logged loss");
        }
    }

    @Test void plan_microBatchesCoverEachOwnRowOnce() {
        Corpus corpus = MemoryCorpus.random(3, 40, C.vocabSize(), C.context(), 4);
        StepManifest m = manifest(corpus, new double[]{0.55, 0.3, 0.15}, 13);
        for (int micro = 2; micro <= 4; micro++) {
            var seen = new int[m.size()];
            for (var mb : MixedBatch.plan(m, 3, true, micro, false, 1, corpus.train()))
                if (mb.positions() != null) for (int j : mb.positions()) { seen[j]++; assertEquals(mb.domain(), m.domain()[j]); }
            for (int j = 0; j < seen.length; j++) assertEquals(1, seen[j], "row " + j + " with m = " + micro);
        }
        assertEquals(List.of(-1), MixedBatch.plan(m, 3, false, 2, true, 1, corpus.train()).stream().map(MixedBatch.Micro::domain).toList());
    }
}
