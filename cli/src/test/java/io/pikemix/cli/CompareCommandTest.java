package io.pikemix.cli;

import static io.pikemix.cli.MainTest.assertOneLineError;
import static io.pikemix.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pikemix.training.RunFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pike compare} end to end on a tiny two-domain corpus (ETL on local Spark with a 300-token BPE and context
 * 16, a 1-layer 16-wide GPT, 4 steps at batch 4): report.json has exactly the shape of issue 13 and its numbers
 * follow from the runs' eval.json and val.jsonl; a second invocation skips the finished runs, and a run cut
 * short (its final checkpoint and eval.json removed) is resumed from its step-2 checkpoint.
 */
@Tag("spark")
class CompareCommandTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void compare_writesReportJsonInTheIssueShapeAndResumes() throws Exception {
        Path spec = tinyCorpus(dir.resolve("corpus"));
        Path out = dir.resolve("cmp");
        String[] args = {
            "compare",
            "--spec",
            spec.toString(),
            "--out",
            out.toString(),
            "--tokenizer",
            "bpe:300",
            "--context",
            "16",
            "--strategies",
            "mix,robust-pike",
            "--seeds",
            "1,2",
            "--steps",
            "4",
            "--batch",
            "4",
            "--layers",
            "1",
            "--heads",
            "2",
            "--width",
            "16",
            "--update-interval",
            "2",
            "--eval-every",
            "2",
            "--val-rows",
            "4",
            "--checkpoint-every",
            "2",
            "--log-every",
            "1"
        };
        MainTest.Result first = run(args);
        assertEquals(0, first.status(), first.err());
        assertTrue(first.err().contains("run 1 of 4") && first.err().contains("run 4 of 4"), first.err());
        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertShape(report);
        assertNumbersFollowFromRuns(report, out);
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| robust-pike |"));
        // the validation cloze accuracy column (issue 14): a fraction in [0, 1] for every strategy's row
        assertTrue(md.contains("| cloze acc (chance 0.25) |"), md);
        for (String line :
                md.lines().filter(l -> l.startsWith("| ") && l.contains(" ± ")).toList()) {
            String[] cells = line.split("\\|");
            double cloze = Double.parseDouble(cells[cells.length - 3].trim());
            assertTrue(cloze >= 0 && cloze <= 1, line);
        }

        MainTest.Result again = run(args); // everything finished: nothing is trained again
        assertEquals(0, again.status(), again.err());
        assertEquals(4, again.err().split("finished, skipped", -1).length - 1, again.err());
        assertEquals(report, JSON.readTree(out.resolve("report.json").toFile()));

        Path cut = out.resolve("runs/robust-pike-seed2"); // as if killed between the step-2 and step-4 checkpoints
        Files.delete(cut.resolve("eval.json"));
        List<Path> checkpoints;
        try (var list = Files.list(cut.resolve("checkpoints"))) {
            checkpoints = list.sorted(Comparator.reverseOrder()).toList();
        }
        assertEquals(2, checkpoints.size(), checkpoints.toString());
        deleteTree(checkpoints.get(0));
        MainTest.Result resumed = run(args);
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.err().contains("run 4 of 4: robust-pike seed 2, resuming at step 2 of 4"), resumed.err());
        assertEquals(3, resumed.err().split("finished, skipped", -1).length - 1, resumed.err());
        JsonNode after = JSON.readTree(out.resolve("report.json").toFile());
        assertShape(after);
        assertNumbersFollowFromRuns(after, out);
    }

    @Test
    void compare_rejectsUnknownStrategyBeforeAnyWork() {
        assertOneLineError(
                run("compare", "--out", dir.resolve("x").toString(), "--strategies", "mix,best"),
                "unknown strategy 'best'");
        assertFalse(Files.exists(dir.resolve("x")));
    }

    /* Non-default --robust-* flags reach the trainer in the strategy name that config.json records; other strategies keep theirs. */
    @Test
    void robustFlags_travelInTheRecordedStrategyName() {
        var cmd = new CompareCommand();
        new picocli.CommandLine(cmd)
                .parseArgs("--out", dir.toString(), "--robust-max-ratio", "1.5", "--robust-repeat-epochs", "Infinity");
        Path data = dir.resolve("d");
        assertEquals(
                "robust-pike:ratio=1.5,repeat=Infinity",
                cmd.config(data, new CompareCommand.Run("robust-pike", 1, dir)).strategy());
        assertEquals(
                "mix", cmd.config(data, new CompareCommand.Run("mix", 1, dir)).strategy());
        var defaults = new CompareCommand();
        new picocli.CommandLine(defaults).parseArgs("--out", dir.toString());
        assertEquals(
                "robust-pike",
                defaults.config(data, new CompareCommand.Run("robust-pike", 1, dir))
                        .strategy());
    }

    /* A robust-pike spec is one entry of --strategies although its key=value pairs are comma-separated; it reaches
     * config.json as given, and a bad key in it is a one-line usage error before any work. */
    @Test
    void strategies_acceptRobustPikeSpecsWithTheirCommas() {
        var cmd = new CompareCommand();
        new picocli.CommandLine(cmd)
                .parseArgs(
                        "--out",
                        dir.toString(),
                        "--strategies",
                        "mix,robust-pike:shrink=0.5,anchor=initial,temperature,robust-pike");
        assertEquals(
                List.of("mix", "robust-pike:shrink=0.5,anchor=initial", "temperature", "robust-pike"), cmd.strategies);
        assertEquals(
                "robust-pike:shrink=0.5,anchor=initial",
                cmd.config(dir.resolve("d"), new CompareCommand.Run(cmd.strategies.get(1), 1, dir))
                        .strategy());
        assertOneLineError(
                run("compare", "--out", dir.resolve("y").toString(), "--strategies", "mix,robust-pike:shrnk=0.5"),
                "unknown key 'shrnk'");
        assertFalse(Files.exists(dir.resolve("y")));
    }

    /* {"runs": [{strategy, seed, mean_val_loss, worst_val_loss, domains: {NAME: X}, steps_to_reference}], "summary": [{strategy, mean, std, worst}]} */
    static void assertShape(JsonNode report) {
        assertEquals(List.of("runs", "summary"), fields(report));
        assertEquals(4, report.get("runs").size());
        for (JsonNode r : report.get("runs")) {
            assertEquals(
                    List.of("strategy", "seed", "mean_val_loss", "worst_val_loss", "domains", "steps_to_reference"),
                    fields(r));
            assertTrue(r.get("strategy").isTextual() && r.get("seed").isIntegralNumber());
            assertTrue(
                    r.get("mean_val_loss").isDouble() && r.get("worst_val_loss").isDouble());
            assertEquals(List.of("alpha", "beta"), fields(r.get("domains")));
            assertTrue(r.get("steps_to_reference").isNull()
                    || r.get("steps_to_reference").isIntegralNumber());
        }
        assertEquals(2, report.get("summary").size());
        for (JsonNode s : report.get("summary")) assertEquals(List.of("strategy", "mean", "std", "worst"), fields(s));
        assertEquals("mix", report.get("summary").get(0).get("strategy").asText());
        assertEquals("robust-pike", report.get("summary").get(1).get("strategy").asText());
    }

    /*
     * By hand from the run files: mean = (alpha + beta)/2 and worst = max of the two (eval.json); steps_to_reference =
     * first val.jsonl step at or below mix's last val.jsonl mean for the same seed (mix reaches its own, at the latest
     * at step 4); summary mean = average of the 2 seeds, std = |a − b|/√2 (sample std of two values), worst = the
     * larger of the seed-averaged domain losses.
     */
    static void assertNumbersFollowFromRuns(JsonNode report, Path out) throws Exception {
        var bySeedMix = new java.util.HashMap<Long, Double>();
        for (long seed : new long[] {1, 2}) {
            List<JsonNode> curve =
                    RunFiles.read(out.resolve("runs/mix-seed" + seed).resolve(RunFiles.VAL));
            assertEquals(
                    List.of(0L, 2L, 4L),
                    curve.stream().map(n -> n.get("step").asLong()).toList());
            bySeedMix.put(seed, curve.get(curve.size() - 1).get("mean").asDouble());
        }
        for (JsonNode r : report.get("runs")) {
            double a = r.get("domains").get("alpha").asDouble(),
                    b = r.get("domains").get("beta").asDouble();
            assertEquals((a + b) / 2, r.get("mean_val_loss").asDouble(), 1e-12);
            assertEquals(Math.max(a, b), r.get("worst_val_loss").asDouble(), 1e-12);
            assertTrue(a > 0 && a < 20 && b > 0 && b < 20, "losses in nats: " + a + ", " + b);
            Path run = out.resolve("runs/" + r.get("strategy").asText() + "-seed"
                    + r.get("seed").asLong());
            JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
            assertEquals(4, eval.get("step").asLong());
            assertEquals(eval.get("val_loss").get(0).asDouble(), a, 0);
            Long expected = null;
            for (JsonNode n : RunFiles.read(run.resolve(RunFiles.VAL)))
                if (n.get("mean").asDouble() <= bySeedMix.get(r.get("seed").asLong()) + 1e-9) {
                    expected = n.get("step").asLong();
                    break;
                }
            assertEquals(
                    expected,
                    r.get("steps_to_reference").isNull()
                            ? null
                            : r.get("steps_to_reference").asLong());
            if (r.get("strategy").asText().equals("mix")) assertNotNull(expected);
        }
        for (int s = 0; s < 2; s++) {
            JsonNode sum = report.get("summary").get(s);
            var mine = new ArrayList<JsonNode>();
            report.get("runs").forEach(r -> {
                if (r.get("strategy").asText().equals(sum.get("strategy").asText())) mine.add(r);
            });
            assertEquals(2, mine.size());
            double m1 = mine.get(0).get("mean_val_loss").asDouble(),
                    m2 = mine.get(1).get("mean_val_loss").asDouble();
            assertEquals((m1 + m2) / 2, sum.get("mean").asDouble(), 1e-12);
            assertEquals(Math.abs(m1 - m2) / Math.sqrt(2), sum.get("std").asDouble(), 1e-12);
            double alpha = (mine.get(0).get("domains").get("alpha").asDouble()
                            + mine.get(1).get("domains").get("alpha").asDouble())
                    / 2;
            double beta = (mine.get(0).get("domains").get("beta").asDouble()
                            + mine.get(1).get("domains").get("beta").asDouble())
                    / 2;
            assertEquals(Math.max(alpha, beta), sum.get("worst").asDouble(), 1e-12);
        }
    }

    static List<String> fields(JsonNode n) {
        var names = new ArrayList<String>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Two domains of 60 pseudo-random documents each, over different word lists (so their losses differ). */
    static Path tinyCorpus(Path root) throws Exception {
        String[][] words = {
            {"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "birds"},
            {"ein", "Hund", "lief", "durch", "den", "Park", "und", "bellte", "laut", "heute"}
        };
        String[] names = {"alpha", "beta"};
        var rnd = new SplittableRandom(42);
        for (int k = 0; k < 2; k++) {
            Files.createDirectories(root.resolve(names[k]));
            var sb = new StringBuilder();
            for (int doc = 0; doc < 60; doc++) {
                var text = new StringBuilder();
                for (int w = 0; w < 60; w++)
                    text.append(words[k][rnd.nextInt(words[k].length)]).append(w % 12 == 11 ? ". " : " ");
                sb.append(JSON.writeValueAsString(
                                java.util.Map.of("text", text.toString().strip())))
                        .append('\n');
            }
            Files.writeString(root.resolve(names[k]).resolve("docs.jsonl"), sb.toString());
        }
        Path spec = root.resolve("tiny.yaml");
        Files.writeString(spec, """
                tokenizer: bpe:300
                context: 16
                val_fraction: 0.2
                domains:
                  - {name: alpha, format: jsonl, paths: [alpha/*.jsonl]}
                  - {name: beta, format: jsonl, paths: [beta/*.jsonl]}
                """);
        return spec;
    }

    static void deleteTree(Path p) throws Exception {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
