package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bad input to training (issue 16, docs/reliability.md): a planted bad batch whose loss or gradient is NaN or
 * infinite (the step is rejected, logged, and the run goes on or stops by --max-bad-steps), a checkpoint truncated
 * or from another model shape, and a configuration that does not fit the memory it was given. The bad batch is
 * planted by {@link Poisoned}, which hands the real engine's gradients through and spoils one step's.
 */
class TrainingBadInputTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    }

    @TempDir
    Path dir;

    enum Fault {
        LOSS_NAN,
        LOSS_INFINITE,
        GRADIENT_NAN,
        GRADIENT_INFINITE
    }

    /** The real engine's model with one fault planted in every gradient it returns while {@link #on}. */
    static final class Poisoned implements GradientModel {
        final GradientModel inner;
        final Fault fault;
        boolean on;

        Poisoned(GradientModel inner, Fault fault) {
            this.inner = inner;
            this.fault = fault;
        }

        private GptModel.Gradient spoil(GptModel.Gradient g) {
            if (!on) return g;
            double loss = g.loss();
            switch (fault) {
                case LOSS_NAN -> loss = Double.NaN;
                case LOSS_INFINITE -> loss = Double.POSITIVE_INFINITY;
                case GRADIENT_NAN -> g.gradients().values().iterator().next().putScalar(0, Double.NaN);
                case GRADIENT_INFINITE ->
                    g.gradients().values().iterator().next().putScalar(0, Double.POSITIVE_INFINITY);
            }
            return new GptModel.Gradient(g.rows(), loss, g.tokenLosses(), g.gradients());
        }

        @Override
        public GptConfig config() {
            return inner.config();
        }

        @Override
        public Map<String, INDArray> parameters() {
            return inner.parameters();
        }

        @Override
        public List<String> parameterNames() {
            return inner.parameterNames();
        }

        @Override
        public GptModel.Gradient gradient(Batch batch) {
            return spoil(inner.gradient(batch));
        }

        @Override
        public List<GptModel.Gradient> groupGradients(Batch batch, int[] bounds) {
            var out = new ArrayList<GptModel.Gradient>();
            for (GptModel.Gradient g : inner.groupGradients(batch, bounds)) out.add(spoil(g));
            return out;
        }

        @Override
        public INDArray groupGradientMatrix() {
            return inner.groupGradientMatrix();
        }

        @Override
        public Map<String, INDArray> combineGroupGradients(double[] weights) {
            Map<String, INDArray> c = inner.combineGroupGradients(weights);
            if (c != null && on && (fault == Fault.GRADIENT_NAN || fault == Fault.GRADIENT_INFINITE))
                c.values()
                        .iterator()
                        .next()
                        .putScalar(0, fault == Fault.GRADIENT_NAN ? Double.NaN : Double.POSITIVE_INFINITY);
            return c;
        }

        @Override
        public float[] tokenLosses(Batch batch) {
            return inner.tokenLosses(batch);
        }

        @Override
        public INDArray logits(Batch batch) {
            return inner.logits(batch);
        }

        @Override
        public boolean reusesGradientBuffers() {
            return inner.reusesGradientBuffers();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** The local engine, with the fault planted in the steps listed. */
    record Planting(StepEngine inner, Fault fault, List<Long> steps) implements StepEngine {
        @Override
        public Result run(GradientModel model, AdamW adam, List<Planned> planned) {
            var p = new Poisoned(model, fault);
            p.on = steps.contains(planned.get(0).step());
            return inner.run(p, adam, planned);
        }
    }

    static final Corpus CORPUS = MemoryCorpus.random(3, 40, 30, 8, 11);

    static TrainConfig config(String strategy, long steps, long checkpointEvery, int maxBadSteps) {
        return new TrainConfig(
                "memory",
                strategy,
                6,
                7,
                new TrainConfig.ModelShape(1, 2, 16, GptConfig.FLAX_LN_EPSILON),
                new LrSchedule(1e-4, 3e-3, 1e-4, 1, steps),
                AdamW.Hyper.table6(),
                TrainConfig.Pike.defaults(),
                new TrainConfig.Statistics(2, 2, true),
                new TrainConfig.Cadence(checkpointEvery, 0, 4, 1000, maxBadSteps));
    }

    static Trainer.Summary train(TrainConfig c, Path run, Fault fault, Long... bad) {
        var engine = new Planting(
                new LocalEngine(CORPUS.train(), c.statistics(), c.seed(), MixedBatch.HeldOut.NONE),
                fault,
                List.of(bad));
        return Trainer.run(c, CORPUS, run, false, ModelKind.ENGINE, engine);
    }

    static void assertSameTensors(Map<String, INDArray> a, Map<String, INDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertEquals(a.get(k), b.get(k), k);
    }

    /*
     * --max-bad-steps 1: the bad last step (5 of 0..5) is rejected: the checkpoint after it holds the same
     * parameters, AdamW moments and iteration as the one before it; metrics.jsonl marks it, the run ends normally.
     */
    @ParameterizedTest
    @EnumSource(Fault.class)
    void badBatch_isRejectedWithoutAnUpdate_andTheRunGoesOn(Fault fault) {
        Path run = dir.resolve("r");
        Trainer.Summary s = train(config("mix", 6, 1, 1), run, fault, 5L);
        assertTrue(Double.isFinite(s.lastLoss()));
        Checkpoint before = Checkpoint.read(run.resolve("checkpoints/step-00000005"));
        Checkpoint after = Checkpoint.read(run.resolve("checkpoints/step-00000006"));
        assertSameTensors(before.params(), after.params());
        assertSameTensors(before.adam(), after.adam());
        assertEquals(5, before.adamIteration());
        assertEquals(5, after.adamIteration(), "the rejected step is no optimiser iteration");
        List<JsonNode> m = RunFiles.read(run.resolve(RunFiles.METRICS));
        assertEquals(6, m.size());
        assertTrue(m.get(5).get("rejected").asBoolean(), m.get(5).toString());
        assertTrue(m.get(5).get("loss").isNull());
        assertFalse(m.get(4).has("rejected"));
        assertEquals(6, RunFiles.read(run.resolve(RunFiles.MANIFEST)).size());
    }

    /* PiKE with statistics every 2 steps: a rejected statistics step (2) is forgone, the next one (4) is reported. */
    @Test
    void rejectedStatisticsStep_isForgone_andTheNextIsReported() {
        Path run = dir.resolve("r");
        train(config("pike", 6, 6, 1), run, Fault.GRADIENT_NAN, 2L);
        List<JsonNode> stats = RunFiles.read(run.resolve(RunFiles.STATS));
        assertEquals(
                List.of(0L, 4L), stats.stream().map(n -> n.get("step").asLong()).toList());
        List<JsonNode> m = RunFiles.read(run.resolve(RunFiles.METRICS));
        assertTrue(m.get(2).get("rejected").asBoolean());
        for (int s : new int[] {3, 4, 5})
            assertTrue(Double.isFinite(m.get(s).get("loss").asDouble()), "step " + s);
    }

    /* The default policy (0): the first bad step stops the run with a user error; the checkpoint before it is intact. */
    @Test
    void badBatch_byDefault_stopsTheRun_checkpointIntact() {
        Path run = dir.resolve("r");
        var e = assertThrows(UserException.class, () -> train(config("mix", 6, 2, 0), run, Fault.LOSS_NAN, 3L));
        assertTrue(e.getMessage().startsWith("step 3: loss NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("1 bad steps exceed --max-bad-steps 0"), e.getMessage());
        assertEquals(
                run.resolve("checkpoints/step-00000002"), Checkpoint.latest(run).orElseThrow());
        assertEquals(2, Checkpoint.read(Checkpoint.latest(run).orElseThrow()).step());
        assertFalse(Files.exists(run.resolve("checkpoints/step-00000004.tmp")));
    }

    /* --max-bad-steps 1 and two bad steps: the second stops the run. */
    @Test
    void moreBadStepsThanAllowed_stopTheRun() {
        var e = assertThrows(
                UserException.class,
                () -> train(config("mix", 6, 2, 1), dir.resolve("r"), Fault.GRADIENT_INFINITE, 1L, 3L));
        assertTrue(e.getMessage().startsWith("step 3: loss "), e.getMessage());
        assertTrue(e.getMessage().contains("gradient norm Infinity"), e.getMessage());
        assertTrue(e.getMessage().contains("2 bad steps exceed --max-bad-steps 1"), e.getMessage());
    }

    @Test
    void negativeMaxBadSteps_isRefused() {
        var e = assertThrows(UserException.class, () -> new TrainConfig.Cadence(1, 0, 4, 1, -1));
        assertTrue(e.getMessage().contains("--max-bad-steps must be >= 0, got -1"));
    }

    /* The policy is part of config.json, and a config.json from before it (no maxBadSteps) reads as 0. */
    @Test
    void maxBadSteps_roundTripsThroughConfigJson() throws IOException {
        Path run = dir.resolve("r");
        TrainConfig c = config("mix", 2, 2, 3);
        train(c, run, Fault.LOSS_NAN);
        assertEquals(c, Trainer.readConfig(run));
        Path f = run.resolve(RunFiles.CONFIG);
        Files.writeString(f, Files.readString(f).replaceAll(",\\s*\"maxBadSteps\" : 3", ""));
        assertEquals(config("mix", 2, 2, 0), Trainer.readConfig(run));
    }

    // ---- checkpoints ------------------------------------------------------------------------------------------

    private Path trainedRun() {
        Path run = dir.resolve("r");
        train(config("mix", 4, 2, 0), run, Fault.LOSS_NAN);
        return run;
    }

    private static void truncate(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"params.bin", "adam.bin", "mixer.json", "trainer.json"})
    void truncatedCheckpoint_isAUserErrorNamingIt(String file) throws IOException {
        Path run = trainedRun();
        Path latest = run.resolve("checkpoints/step-00000004");
        truncate(latest.resolve(file));
        TrainConfig c = Trainer.readConfig(run);
        var e = assertThrows(UserException.class, () -> Trainer.run(c, CORPUS, run, true));
        assertTrue(e.getMessage().contains(latest.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("unreadable") || e.getMessage().contains("not valid"), e.getMessage());
    }

    /* A checkpoint of a 16-wide model resumed as a 32-wide one: refused, naming the tensor and both shapes. */
    @Test
    void checkpointOfAnotherModelShape_isAUserError() throws IOException {
        Path run = trainedRun();
        Path f = run.resolve(RunFiles.CONFIG);
        Files.writeString(f, Files.readString(f).replace("\"width\" : 16", "\"width\" : 32"));
        TrainConfig c = Trainer.readConfig(run);
        assertEquals(32, c.model().width());
        var e = assertThrows(UserException.class, () -> Trainer.run(c, CORPUS, run, true));
        assertTrue(e.getMessage().contains("another model shape"), e.getMessage());
        assertTrue(e.getMessage().contains("[30, 16]") && e.getMessage().contains("[30, 32]"), e.getMessage());
    }

    /*
     * A run trained on token ids of one tokenizer, resumed on a dataset whose tokenizer hash differs (rebuilt at the
     * same path with another --tokenizer): refused before the checkpoint is read, naming both hashes; on the same
     * tokenizer the resume goes on.
     */
    @Test
    void resumeOnADatasetOfAnotherTokenizer_isAUserError() throws IOException {
        Corpus before = withTokenizer("1111111111111111aaaa"), after = withTokenizer("2222222222222222bbbb");
        TrainConfig c = config("mix", 4, 2, 0);
        Path run = dir.resolve("tok");
        Trainer.run(config("mix", 2, 2, 0), before, run, false);
        assertTrue(Files.readString(run.resolve(RunFiles.CONFIG))
                .contains("\"tokenizer_sha256\" : \"1111111111111111aaaa\""));
        var e = assertThrows(UserException.class, () -> Trainer.run(c, after, run, true));
        assertTrue(
                e.getMessage().contains("sha256:111111111111") && e.getMessage().contains("sha256:222222222222"),
                e.getMessage());
        assertTrue(e.getMessage().contains("resume it on the dataset it was trained on"), e.getMessage());
        assertEquals(4, Trainer.run(c, before, run, true).steps());
    }

    private static Corpus withTokenizer(String hash) {
        return new Corpus(
                CORPUS.names(),
                CORPUS.trainRows(),
                CORPUS.tokens(),
                CORPUS.prior(),
                CORPUS.vocabSize(),
                CORPUS.context(),
                CORPUS.train(),
                CORPUS.val(),
                hash);
    }

    // ---- memory guard (issue 16 part 5) ----------------------------------------------------------------------

    /*
     * V = 10, T = 4, 1 layer, 1 head, d = 8: P = V·d + (2d + 2·d/h + 4d² + 8d²) + d = 80 + 800 + 8 = 888;
     * 4 arrays of P floats = 16·888 = 14,208 bytes; 2 rows × 4 tokens × (V + 12d + h·T = 10 + 96 + 4) floats
     * = 8 × 110 × 4 = 3,520 bytes; 17,728 in all.
     */
    @Test
    void memoryNeed_handDerived() {
        var g = new GptConfig(10, 4, 1, 1, 8, 1e-6);
        Memory.Need n = Memory.need(g, 2);
        assertEquals(888, n.parameters());
        assertEquals(14_208, n.stateBytes());
        assertEquals(3_520, n.activationBytes());
        Memory.requireFits(g, 2, 17_728);
        assertThrows(UserException.class, () -> Memory.requireFits(g, 2, 17_727));
    }

    /* 8 layers × 4096 wide: ≈ 1.6 G parameters, 25 GB of state, beyond this JVM's budget: refused before anything is written. */
    @Test
    void modelBeyondTheBudget_isRefusedNamingTheNumbers_andWritesNothing() {
        var c = new TrainConfig(
                "memory",
                "mix",
                6,
                7,
                new TrainConfig.ModelShape(8, 32, 4096, GptConfig.FLAX_LN_EPSILON),
                new LrSchedule(1e-4, 3e-3, 1e-4, 1, 4),
                AdamW.Hyper.table6(),
                TrainConfig.Pike.defaults(),
                new TrainConfig.Statistics(2, 2, true),
                new TrainConfig.Cadence(2, 0, 4, 1000));
        Path run = dir.resolve("big");
        var e = assertThrows(UserException.class, () -> Trainer.run(c, CORPUS, run, false));
        long p = c.model(30, 8).parameterCount();
        String msg = e.getMessage();
        assertTrue(msg.startsWith("the model does not fit in the memory it was given"), msg);
        assertTrue(
                msg.contains(String.format(java.util.Locale.ROOT, "%,d parameters need %,d MB", p, 16 * p >> 20)), msg);
        assertTrue(
                msg.contains(String.format(java.util.Locale.ROOT, "the budget is %,d MB", Memory.budgetBytes() >> 20)),
                msg);
        assertTrue(msg.contains("a batch of 6 rows x 8 tokens"), msg);
        assertFalse(Files.exists(run), "no run directory is left behind");
    }
}
