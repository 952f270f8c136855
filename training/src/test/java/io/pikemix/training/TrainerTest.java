package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    } // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads

    @TempDir
    Path dir;

    /* A crash after the step-4 checkpoint: resuming reproduces the uninterrupted run's losses (float tolerance),
    the PiKE weights (1e-6: the statistics are float sums) and the manifests (identical while the rounded counts agree); the run files hold each step once. */
    @Test
    void resume_reproducesUninterruptedRun() throws IOException {
        Corpus corpus = MemoryCorpus.random(3, 60, 40, 8, 5);
        TrainConfig config = pike8();
        Path full = dir.resolve("full"), resumed = dir.resolve("resumed");
        Trainer.run(config, corpus, full, false);
        copy(full, resumed);
        deleteTree(resumed.resolve("checkpoints/step-00000008"));
        Trainer.run(config, corpus, resumed, true);
        List<JsonNode> a = RunFiles.read(full.resolve(RunFiles.METRICS)),
                b = RunFiles.read(resumed.resolve(RunFiles.METRICS));
        assertEquals(8, a.size());
        assertEquals(8, b.size());
        for (int s = 0; s < 8; s++) {
            assertEquals(s, b.get(s).get("step").asLong());
            assertEquals(a.get(s).get("loss").asDouble(), b.get(s).get("loss").asDouble(), 1e-5, "loss at step " + s);
            for (int k = 0; k < 3; k++)
                assertEquals(
                        a.get(s).get("weights").get(k).asDouble(),
                        b.get(s).get("weights").get(k).asDouble(),
                        1e-6,
                        "weights at step " + s);
        }
        List<JsonNode> ma = RunFiles.read(full.resolve(RunFiles.MANIFEST)),
                mb = RunFiles.read(resumed.resolve(RunFiles.MANIFEST));
        assertEquals(8, mb.size());
        for (int s = 0; s < 8; s++) {
            assertEquals(ma.get(s).get("rows"), mb.get(s).get("rows"), "rows of step " + s);
            assertEquals(ma.get(s).get("counts"), mb.get(s).get("counts"), "counts of step " + s);
        }
        assertEquals(
                RunFiles.read(full.resolve(RunFiles.WEIGHTS)).size(),
                RunFiles.read(resumed.resolve(RunFiles.WEIGHTS)).size());
        assertEquals(3, RunFiles.read(resumed.resolve(RunFiles.STATS)).size(), "statistics at steps 0, 3, 6");
    }

    /* The embedded corpus as bytes (vocabulary 256): a short run takes every domain's validation loss from
    ln 256 ≈ 5.55 to well below it (< 0.75·ln 256). */
    @Test
    void training_lowersEveryDomainsValidationLossWellBelowLnVocab() {
        Corpus corpus = MemoryCorpus.real(List.of("news", "books", "wiki"), 3, 32);
        var config = new TrainConfig(
                "memory",
                "pike",
                12,
                7,
                new TrainConfig.ModelShape(1, 2, 32, GptConfig.FLAX_LN_EPSILON),
                new LrSchedule(1e-4, 1e-2, 1e-4, 15, 150),
                AdamW.Hyper.table6(),
                TrainConfig.Pike.defaults(),
                new TrainConfig.Statistics(10, 2, true),
                new TrainConfig.Cadence(150, 150, 16, 1000));
        Trainer.Summary s = Trainer.run(config, corpus, dir.resolve("run"), false);
        List<JsonNode> val = RunFiles.read(dir.resolve("run").resolve(RunFiles.VAL));
        assertEquals(2, val.size(), "before and after");
        for (int k = 0; k < 3; k++) {
            assertEquals(Math.log(256), val.get(0).get("val_loss").get(k).asDouble(), 0.1, "untrained ≈ ln V");
            assertTrue(s.valLoss()[k] < 0.75 * Math.log(256), corpus.names().get(k) + ": " + s.valLoss()[k]);
        }
    }

    @Test
    void newRun_refusesAnExistingRunDirectory() {
        Corpus corpus = MemoryCorpus.random(2, 20, 30, 8, 6);
        var config = new TrainConfig(
                "memory",
                "mix",
                4,
                7,
                new TrainConfig.ModelShape(1, 2, 16, 1e-6),
                new LrSchedule(1e-4, 1e-3, 1e-4, 0, 1),
                AdamW.Hyper.table6(),
                TrainConfig.Pike.defaults(),
                new TrainConfig.Statistics(10, 2, true),
                new TrainConfig.Cadence(1, 0, 4, 1000));
        Trainer.run(config, corpus, dir.resolve("r"), false);
        var e = assertThrows(
                io.pikemix.format.UserException.class, () -> Trainer.run(config, corpus, dir.resolve("r"), false));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        assertEquals(config, Trainer.readConfig(dir.resolve("r")));
    }

    /* PiKE, 3 domains, 8 steps at batch 6, statistics at steps 0, 3, 6, checkpoints and validation every 4 steps. */
    static TrainConfig pike8() {
        return new TrainConfig(
                "memory",
                "pike",
                6,
                7,
                new TrainConfig.ModelShape(1, 2, 16, GptConfig.FLAX_LN_EPSILON),
                new LrSchedule(1e-4, 3e-3, 1e-4, 1, 8),
                new AdamW.Hyper(0.95, 0.98, 1e-8, 0.1, 1.0),
                new TrainConfig.Pike(0.01, 10, 3, 1e-6),
                new TrainConfig.Statistics(3, 2, true),
                new TrainConfig.Cadence(4, 4, 4, 1000));
    }

    /* pike8() as config.json's flat "train" object held it before the configuration was grouped into records. */
    static final String PIKE8_FLAT = """
            {"dataset": "memory", "strategy": "pike", "steps": 8, "batch": 6, "seed": 7, "layers": 1, "heads": 2, "width": 16,
             "lnEpsilon": 1.0E-6, "lrPeak": 0.003, "lrInit": 1.0E-4, "lrFinal": 1.0E-4, "warmup": 1, "beta1": 0.95,
             "beta2": 0.98, "weightDecay": 0.1, "clipNorm": 1.0, "updateInterval": 3, "statsMicroBatches": 2, "zeta1": 0.01,
             "zeta2": 10.0, "tau": 3.0, "minWeight": 1.0E-6, "fused": true, "checkpointEvery": 4, "evalEvery": 4,
             "valRows": 4, "logEvery": 1000}""";

    /* A run directory whose config.json has the old flat shape resumes as if it had been written today: same losses,
    weights and manifests as the uninterrupted run with the grouped configuration. */
    @Test
    void resume_ofARunWithTheOldFlatConfig() throws IOException {
        Corpus corpus = MemoryCorpus.random(3, 60, 40, 8, 5);
        Path full = dir.resolve("full"), old = dir.resolve("old");
        Trainer.run(pike8(), corpus, full, false);
        copy(full, old);
        deleteTree(old.resolve("checkpoints/step-00000008"));
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode)
                RunFiles.MAPPER.readTree(old.resolve(RunFiles.CONFIG).toFile());
        tree.set("train", RunFiles.MAPPER.readTree(PIKE8_FLAT));
        Files.writeString(old.resolve(RunFiles.CONFIG), RunFiles.MAPPER.writeValueAsString(tree));
        assertEquals(pike8(), Trainer.readConfig(old));
        Trainer.run(Trainer.readConfig(old), corpus, old, true);
        List<JsonNode> a = RunFiles.read(full.resolve(RunFiles.METRICS)),
                b = RunFiles.read(old.resolve(RunFiles.METRICS));
        assertEquals(8, b.size());
        for (int s = 0; s < 8; s++) {
            assertEquals(a.get(s).get("loss").asDouble(), b.get(s).get("loss").asDouble(), 1e-5, "loss at step " + s);
            for (int k = 0; k < 3; k++)
                assertEquals(
                        a.get(s).get("weights").get(k).asDouble(),
                        b.get(s).get("weights").get(k).asDouble(),
                        1e-6,
                        "weights at step " + s);
        }
        assertEquals(RunFiles.read(full.resolve(RunFiles.MANIFEST)), RunFiles.read(old.resolve(RunFiles.MANIFEST)));
    }

    /* The grouped configuration survives config.json unchanged; a flat one that lacks a field names it. */
    @Test
    void readConfig_roundTripsAndNamesAMissingOldField() throws IOException {
        Path run = dir.resolve("r");
        Files.createDirectories(run);
        Files.writeString(
                run.resolve(RunFiles.CONFIG), RunFiles.MAPPER.writeValueAsString(java.util.Map.of("train", pike8())));
        assertEquals(pike8(), Trainer.readConfig(run));
        var flat = (com.fasterxml.jackson.databind.node.ObjectNode) RunFiles.MAPPER.readTree(PIKE8_FLAT);
        flat.remove("valRows");
        Files.writeString(
                run.resolve(RunFiles.CONFIG), RunFiles.MAPPER.writeValueAsString(java.util.Map.of("train", flat)));
        var e = assertThrows(io.pikemix.format.UserException.class, () -> Trainer.readConfig(run));
        assertTrue(e.getMessage().contains("'valRows'"), e.getMessage());
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    static void deleteTree(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
