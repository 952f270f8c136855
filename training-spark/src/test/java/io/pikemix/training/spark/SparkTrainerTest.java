package io.pikemix.training.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.mixer.DomainRows;
import io.pikemix.training.AdamW;
import io.pikemix.training.Checkpoint;
import io.pikemix.training.Corpus;
import io.pikemix.training.GptConfig;
import io.pikemix.training.LrSchedule;
import io.pikemix.training.RowSource;
import io.pikemix.training.RunFiles;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed training on a real local[2] Spark context: two tasks per round, each with its own model, the
 * parameters broadcast and the workers' tensors summed by treeAggregate. Checked against the single-process
 * {@link Trainer} on the same corpus, config and seed.
 */
@Tag("spark")
class SparkTrainerTest {
    @TempDir
    Path dir;

    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf()
                .setMaster("local[2]")
                .setAppName("SparkTrainerTest")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
        sc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        sc.close();
    }

    /** Random tokens, 3 domains of 40 rows, vocabulary 40, context 8: deterministic from the seed, rebuilt per executor. */
    record RandomSource(long seed) implements CorpusSource {
        @Override
        public Corpus open() {
            int K = 3, rows = 40, vocab = 40, T = 8;
            var rnd = new SplittableRandom(seed);
            var names = List.of("a", "b", "c");
            var train = new ArrayList<int[][]>();
            var val = new ArrayList<int[][]>();
            var domainRows = new ArrayList<DomainRows>();
            var tokens = new long[K];
            for (int k = 0; k < K; k++) {
                // domain k draws tokens from its own third of the vocabulary half the time: domains differ
                train.add(rows(rnd, rows, vocab, T + 1, k));
                val.add(rows(rnd, 8, vocab, T + 1, k));
                domainRows.add(new DomainRows(names.get(k), new long[] {rows}));
                tokens[k] = (long) rows * T;
            }
            return new Corpus(
                    names, domainRows, tokens, null, vocab, T, new Rows(T + 1, train), new Rows(T + 1, val), null);
        }

        private static int[][] rows(SplittableRandom rnd, int n, int vocab, int length, int k) {
            var r = new int[n][length];
            for (int[] row : r)
                for (int i = 0; i < length; i++)
                    row[i] = rnd.nextBoolean() ? rnd.nextInt(vocab) : k * (vocab / 3) + rnd.nextInt(vocab / 3);
            return r;
        }
    }

    record Rows(int rowLength, List<int[][]> data) implements RowSource {
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
            System.arraycopy(data.get(domain)[(int) row], 0, into, 0, rowLength);
        }

        @Override
        public void copyRow(int domain, long globalRow, int[] into) {
            copyRow(domain, 0, globalRow, into);
        }
    }

    static TrainConfig config(String strategy, long steps, int updateInterval) {
        return new TrainConfig(
                "memory",
                strategy,
                8,
                7,
                new TrainConfig.ModelShape(1, 2, 16, GptConfig.FLAX_LN_EPSILON),
                new LrSchedule(1e-3, 1e-2, 1e-3, 1, steps),
                new AdamW.Hyper(0.9, 0.98, 1e-8, 0.1, 1.0),
                new TrainConfig.Pike(0.01, 10, 1, 1e-6),
                new TrainConfig.Statistics(updateInterval, 2, true),
                new TrainConfig.Cadence(3, 0, 8, 1));
    }

    private Path single(String name, TrainConfig c) {
        Path run = dir.resolve(name);
        Trainer.run(c, new RandomSource(3).open(), run, false);
        return run;
    }

    private Path spark(String name, TrainConfig c, int workers, int averageEvery) {
        Path run = dir.resolve(name);
        SparkTrainer.run(sc, c, new SparkTrainer.Options(workers, averageEvery), new RandomSource(3), run, false);
        return run;
    }

    private static double[] column(Path run, String file, String field) {
        return RunFiles.read(run.resolve(file)).stream()
                .filter(n -> n.has(field))
                .mapToDouble(n -> n.get(field).asDouble())
                .toArray();
    }

    private static Tensors finalParams(Path run) {
        return Tensors.of(Checkpoint.read(Checkpoint.latest(run).orElseThrow()).params());
    }

    private static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
    }

    @Test
    void gradientAveraging_twoWorkersMatchTheSingleProcessRun() {
        TrainConfig c = config("mix", 6, 10);
        Path one = single("single", c), two = spark("two", c, 2, 1);
        assertClose(column(one, RunFiles.METRICS, "loss"), column(two, RunFiles.METRICS, "loss"), 1e-5, "loss");
        assertClose(
                column(one, RunFiles.METRICS, "grad_norm"),
                column(two, RunFiles.METRICS, "grad_norm"),
                1e-4,
                "grad norm");
        double diff = finalParams(one).maxAbsDiff(finalParams(two));
        assertTrue(diff < 1e-5, "parameters after 6 steps differ by " + diff);
        // the same global manifests, step by step
        assertEquals(RunFiles.read(one.resolve(RunFiles.MANIFEST)), RunFiles.read(two.resolve(RunFiles.MANIFEST)));
        // every round: one report per worker, their shares partition the batch of 8
        List<JsonNode> reports = RunFiles.read(two.resolve(SparkTrainer.WORKERS));
        assertEquals(12, reports.size());
        for (int r = 0; r < 6; r++) {
            assertEquals(0, reports.get(2 * r).get("worker").asInt());
            assertEquals(1, reports.get(2 * r + 1).get("worker").asInt());
            assertEquals(
                    8,
                    reports.get(2 * r).get("rows").get(0).asInt()
                            + reports.get(2 * r + 1).get("rows").get(0).asInt());
        }
    }

    @Test
    void pike_oneWorkerIsTheSingleProcessRun_statisticsAndWeightsIncluded() {
        TrainConfig c = config("pike", 6, 2);
        Path one = single("single", c), spark = spark("spark1", c, 1, 1);
        assertClose(column(one, RunFiles.METRICS, "loss"), column(spark, RunFiles.METRICS, "loss"), 1e-5, "loss");
        List<JsonNode> a = RunFiles.read(one.resolve(RunFiles.WEIGHTS)),
                b = RunFiles.read(spark.resolve(RunFiles.WEIGHTS));
        assertEquals(a.size(), b.size());
        assertEquals(4, a.size(), "initial + statistics at steps 0, 2, 4");
        for (int i = 0; i < a.size(); i++)
            for (int k = 0; k < 3; k++)
                assertEquals(
                        a.get(i).get("weights").get(k).asDouble(),
                        b.get(i).get("weights").get(k).asDouble(),
                        1e-6,
                        "weights " + i);
    }

    @Test
    void pike_twoWorkersPoolTheirStatisticsAndTheWeightsMove() {
        TrainConfig c = config("pike", 4, 2);
        Path run = spark("pike2", c, 2, 1);
        List<JsonNode> stats = RunFiles.read(run.resolve(RunFiles.STATS));
        assertEquals(2, stats.size(), "statistics at steps 0 and 2");
        List<JsonNode> reports = RunFiles.read(run.resolve(SparkTrainer.WORKERS));
        for (JsonNode s : stats) {
            assertEquals(2, s.get("pooled_from_workers").asInt());
            long step = s.get("step").asLong();
            // pooled micro-batches and sequences are the sums of the two workers' own
            for (int k = 0; k < 3; k++) {
                long seqs = 0, mbs = 0;
                for (JsonNode r : reports)
                    for (JsonNode ws : r.get("stats"))
                        if (ws.get("step").asLong() == step) {
                            seqs += ws.get("sequences").get(k).asLong();
                            mbs += ws.get("micro_batches").get(k).asLong();
                        }
                assertEquals(seqs, s.get("sequences").get(k).asLong(), "sequences of domain " + k + " at step " + step);
                assertEquals(4, mbs, "2 workers x 2 micro-batches");
                assertEquals(mbs, s.get("micro_batches").get(k).asLong());
            }
        }
        List<JsonNode> weights = RunFiles.read(run.resolve(RunFiles.WEIGHTS));
        assertEquals("statistics", weights.get(1).get("cause").asText());
        double moved = 0;
        for (int k = 0; k < 3; k++)
            moved += Math.abs(weights.get(2).get("weights").get(k).asDouble() - 1.0 / 3);
        assertTrue(moved > 1e-4, "weights did not move from uniform: " + weights.get(2));
        // the pooled weights drive the next manifests
        JsonNode step3 = RunFiles.read(run.resolve(RunFiles.METRICS)).get(3);
        for (int k = 0; k < 3; k++)
            assertEquals(
                    weights.get(2).get("weights").get(k).asDouble(),
                    step3.get("weights").get(k).asDouble(),
                    1e-12);
    }

    @Test
    void parameterAveraging_oneWorkerIsLocalTraining_twoWorkersTrain() {
        TrainConfig c = config("mix", 6, 10);
        Path one = single("single", c), avg1 = spark("avg1", c, 1, 3);
        // one worker, A = 3: the worker's local AdamW steps are the single-process steps; averaging one copy is exact
        assertClose(column(one, RunFiles.METRICS, "loss"), column(avg1, RunFiles.METRICS, "loss"), 1e-5, "loss");
        assertTrue(finalParams(one).maxAbsDiff(finalParams(avg1)) < 1e-5);
        Path avg2 = spark("avg2", c, 2, 3);
        double[] loss = column(avg2, RunFiles.METRICS, "loss");
        assertEquals(6, loss.length);
        for (double l : loss) assertTrue(Double.isFinite(l));
        Checkpoint last = Checkpoint.read(Checkpoint.latest(avg2).orElseThrow());
        assertEquals(6, last.step());
        assertEquals(6, last.adamIteration(), "the iteration advances by A per round");
        assertEquals(4, RunFiles.read(avg2.resolve(SparkTrainer.WORKERS)).size(), "2 rounds x 2 workers");
        // parameter averaging is not gradient averaging: the runs differ, but stay near each other
        double diff = finalParams(one).maxAbsDiff(finalParams(avg2));
        assertTrue(diff > 1e-7 && diff < 0.1, "A = 3 with 2 workers vs single process: max |Δθ| = " + diff);
    }

    @Test
    void resume_continuesTheDistributedRunExactly() throws Exception {
        TrainConfig c = config("pike", 6, 2);
        Path full = spark("full", c, 2, 1);
        Path part = dir.resolve("part");
        SparkTrainer.run(sc, c.withSteps(6), new SparkTrainer.Options(2, 1), new RandomSource(3), part, false);
        // drop the newest checkpoint (step 6): resume from step 3 and redo 3..5
        try (var walk = Files.walk(Checkpoint.latest(part).orElseThrow())) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
        assertEquals(3, Checkpoint.read(Checkpoint.latest(part).orElseThrow()).step());
        SparkTrainer.run(sc, c, new SparkTrainer.Options(2, 1), new RandomSource(3), part, true);
        assertClose(column(full, RunFiles.METRICS, "loss"), column(part, RunFiles.METRICS, "loss"), 1e-6, "loss");
        assertEquals(
                RunFiles.read(full.resolve(RunFiles.WEIGHTS)).size(),
                RunFiles.read(part.resolve(RunFiles.WEIGHTS)).size());
        assertEquals(12, RunFiles.read(part.resolve(SparkTrainer.WORKERS)).size());
    }
}
