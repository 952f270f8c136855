package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.GradientStatsAccumulator;
import io.pikemix.mixer.MixConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** clients/python against the Java side: same estimator on a fixed file, and the client driving a real server. */
class PythonClientTest {
    static final Path PYTHON_DIR =
            Path.of("..", "clients", "python").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    static String python(String... args) throws Exception {
        var cmd = new ArrayList<>(List.of("python3"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd)
                    .directory(PYTHON_DIR.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (java.io.IOException e) {
            Assumptions.abort("python3 is not installed: " + e.getMessage());
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void pythonEstimator_equalsGradientStatsAccumulator_onFixedFile() throws Exception {
        Path file = PYTHON_DIR.resolve("tests/estimator_case.json");
        JsonNode c = Json.MAPPER.readTree(file.toFile());
        var grads = Json.MAPPER.treeToValue(c.get("grads"), double[][][].class);
        var seqs = Json.MAPPER.treeToValue(c.get("seqs_per_micro_batch"), int[].class);
        var loss = Json.MAPPER.treeToValue(c.get("loss"), double[].class);
        GradientStats java = GradientStatsAccumulator.estimate(grads, seqs, loss);
        JsonNode py = Json.MAPPER.readTree(python("pike_client.py", "estimate", file.toString()));
        StatsReport parsed = StatsReport.parse(((com.fasterxml.jackson.databind.node.ObjectNode) py).put("step", 0), 3);
        assertArrayEquals(java.microBatches(), parsed.microBatches());
        assertArrayEquals(java.sequences(), parsed.sequences());
        assertArrayEquals(java.loss(), parsed.loss());
        for (int k = 0; k < 3; k++) {
            assertEquals(
                    java.gradNormSq()[k],
                    parsed.gradNormSq()[k],
                    1e-12 * java.meanGradNormSq()[k],
                    "grad_norm_sq " + k);
            assertEquals(
                    java.meanGradNormSq()[k],
                    parsed.meanGradNormSq()[k],
                    1e-12 * java.meanGradNormSq()[k],
                    "mean_grad_norm_sq " + k);
            assertEquals(java.gradVar()[k], parsed.gradVar()[k], 1e-12 * java.gradVar()[k], "grad_var " + k);
        }
    }

    @Test
    void pythonClient_drivesTheServer_andTheWeightsMove() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, dir.resolve("s"), null))) {
            JsonNode out = Json.MAPPER.readTree(python("tests/smoke.py", server.url(), "6"));
            assertEquals(6, out.get("weights").size());
            assertNotEquals(out.get("weights").get(0), out.get("final"), "PiKE moved the weights");
            // the report closing step t freezes step t + 1 in the same fsync (service/README.md), so step 5's
            // report puts step 6's weights in the history too
            assertEquals(
                    7,
                    ServiceTest.client(server, null).history().size(),
                    "initial + one change per reported step 0..5");
        }
    }
}
