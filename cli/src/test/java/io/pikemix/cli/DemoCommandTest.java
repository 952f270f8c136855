package io.pikemix.cli;

import static io.pikemix.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.cli.CompareCommand.Report.RunRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pike demo}: its one-line verdict on hand-made losses, and the whole demo on a tiny corpus. */
class DemoCommandTest {
    @TempDir
    Path dir;

    static RunRow row(String strategy, long seed, double mean) {
        return new RunRow(strategy, seed, mean, mean, new double[] {mean}, null, Double.NaN);
    }

    /*
     * mix 5.00 / 5.04 (range 0.04), temperature 4.90 / 4.92 (0.02), robust-pike 5.01 / 5.05 (0.04): spread 0.04.
     * Means: mix 5.02, temperature 4.91 (−0.11, beyond 0.04: real), robust-pike 5.03 (+0.01: within it).
     */
    @Test
    void verdict_marksOnlyDifferencesBeyondTheLargestSeedRange() {
        String v = DemoCommand.verdict(
                List.of(
                        row("mix", 1, 5.00),
                        row("mix", 2, 5.04),
                        row("temperature", 1, 4.90),
                        row("temperature", 2, 4.92),
                        row("robust-pike", 1, 5.01),
                        row("robust-pike", 2, 5.05)),
                "mix");
        assertEquals(
                "verdict: lowest mean loss temperature (4.910); vs mix: temperature -0.110 (beyond the spread), robust-pike +0.010; "
                        + "seed-to-seed spread 0.040 over 2 seeds: the differences marked exceed it (with 2 seeds a hint, not proof: "
                        + "bench/quality runs 3)",
                v);
    }

    /* Differences of 0.02 and 0.01 against a spread of 0.06 (mix 5.00 / 5.06): nothing is real, and the line says so. */
    @Test
    void verdict_saysWhenTheBudgetCannotShowADifference() {
        String v = DemoCommand.verdict(
                List.of(
                        row("mix", 1, 5.00),
                        row("mix", 2, 5.06),
                        row("temperature", 1, 5.01),
                        row("temperature", 2, 5.01),
                        row("robust-pike", 1, 5.02),
                        row("robust-pike", 2, 5.03)),
                "mix");
        assertTrue(
                v.startsWith(
                        "verdict: lowest mean loss temperature (5.010); vs mix: temperature -0.020, robust-pike -0.005; "
                                + "seed-to-seed spread 0.060 over 2 seeds: no difference exceeds it, so this budget cannot show a real difference"),
                v);
        String one = DemoCommand.verdict(List.of(row("mix", 1, 5.0), row("robust-pike", 1, 4.0)), "mix");
        assertTrue(
                one.contains("robust-pike -1.000;") && one.contains("one seed measures no seed-to-seed spread"), one);
    }

    /* The whole demo on the tiny corpus of CompareCommandTest: 3 strategies x 2 seeds, table and verdict; a rerun trains nothing. */
    @Tag("spark")
    @Test
    void demo_comparesThreeStrategiesOverTwoSeedsAndPrintsTheVerdict() throws Exception {
        Path spec = CompareCommandTest.tinyCorpus(dir.resolve("corpus"));
        String[] args = {
            "demo",
            "--spec",
            spec.toString(),
            "--dataset",
            dir.resolve("data").toString(),
            "--out",
            dir.resolve("runs").toString(),
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
            "--stats-micro-batches",
            "2",
            "--eval-every",
            "2",
            "--val-rows",
            "4",
            "--log-every",
            "2"
        };
        MainTest.Result r = run(args);
        assertEquals(0, r.status(), r.err());
        for (String s : new String[] {"mix", "temperature", "robust-pike"}) {
            assertTrue(r.out().contains("| " + s + " |"), r.out());
            for (int seed = 1; seed <= 2; seed++)
                assertTrue(Files.exists(dir.resolve("runs/" + s + "-seed" + seed + "/eval.json")));
        }
        List<String> verdicts =
                r.out().lines().filter(l -> l.startsWith("verdict: ")).toList();
        assertEquals(1, verdicts.size(), r.out());
        assertTrue(verdicts.get(0).contains("over 2 seeds"), verdicts.get(0));
        MainTest.Result again = run(args);
        assertEquals(0, again.status(), again.err());
        assertEquals(6, again.err().split("finished, skipped", -1).length - 1, again.err());
        assertEquals(
                verdicts,
                again.out().lines().filter(l -> l.startsWith("verdict: ")).toList());
    }
}
