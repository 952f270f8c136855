package io.pikemix.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.training.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {
    @TempDir
    Path dir;

    static Path run(Path root, String name, double[][] curve, double[] finalLoss) throws IOException {
        Path r = Files.createDirectories(root.resolve(name));
        try (var val = new RunFiles.Lines(r.resolve(RunFiles.VAL))) {
            for (double[] point : curve) val.write(Map.of("step", (long) point[0], "mean", point[1]));
        }
        double mean = (finalLoss[0] + finalLoss[1]) / 2;
        RunEvaluation.write(
                r.resolve(RunEvaluation.FILE),
                new RunEvaluation.Report(
                        r.toString(),
                        name,
                        100,
                        List.of("a", "b"),
                        finalLoss,
                        new double[] {Math.exp(finalLoss[0]), Math.exp(finalLoss[1])},
                        mean,
                        Math.max(finalLoss[0], finalLoss[1]),
                        -1));
        return r;
    }

    /* Steps to reach = the first evaluation step whose mean validation loss is ≤ the first run's final mean. */
    @Test
    void stepsToReach_firstStepAtOrBelowBaselineFinalMean() throws IOException {
        Path mix = run(dir, "mix", new double[][] {{0, 9}, {50, 7}, {100, 6}}, new double[] {6.1, 5.9});
        Path pike = run(dir, "pike", new double[][] {{0, 9}, {50, 5.99}, {100, 5.5}}, new double[] {5.6, 5.4});
        Path slow = run(dir, "slow", new double[][] {{0, 9}, {50, 8}, {100, 7}}, new double[] {7.1, 6.9});
        Comparison.Result c = Comparison.compare(List.of(mix, pike, slow));
        assertEquals(6.0, c.target());
        assertEquals(100, c.rows().get(0).stepsToReach());
        assertEquals(50, c.rows().get(1).stepsToReach());
        assertEquals(-1, c.rows().get(2).stepsToReach());
        assertEquals(2.0, c.speedup(c.rows().get(1)));
        assertTrue(Double.isNaN(c.speedup(c.rows().get(2))));
        assertEquals(5.5, c.rows().get(1).report().mean(), 1e-12);
        assertEquals(5.6, c.rows().get(1).report().worst(), 1e-12);
    }
}
