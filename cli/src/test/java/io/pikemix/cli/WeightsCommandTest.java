package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pike weights} on hand-made statistics files; the expected weights are derived in the comments. */
class WeightsCommandTest {
    @TempDir
    Path dir;

    static MainTest.Result run(String... args) {
        return MainTest.run(args);
    }

    Path file(String json) throws Exception {
        Path f = Files.createTempFile(dir, "stats", ".json");
        Files.writeString(f, json);
        return f;
    }

    static double[] weights(MainTest.Result r) throws Exception {
        assertEquals(0, r.status(), r.err());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals(1, n.size(), "only the weights field: " + r.out());
        var w = new double[n.get("weights").size()];
        for (int k = 0; k < w.length; k++) w[k] = n.get("weights").get(k).asDouble();
        return w;
    }

    /*
     * Defaults ζ1 = 0.01, ζ2 = 10, b = 256: exponents 0.01·100 − 10/512·512 = −9 and 0.01·50 − 10/512·1024 = −19.5,
     * so w = (1, e^{−10.5}) / (1 + e^{−10.5}).
     */
    @Test
    void pike_defaultsOnHandMadeFile() throws Exception {
        Path f = file("{\"grad_norm_sq\": [100, 50], \"grad_var\": [512, 1024]}");
        double e = Math.exp(-10.5);
        assertArrayEquals(
                new double[] {1 / (1 + e), e / (1 + e)},
                weights(run("weights", "--strategy", "pike", "--weights", "0.5,0.5", "--stats", f.toString())),
                1e-12);
    }

    /*
     * τ = 1, L = (1, 1 + ln 3) ⇒ y* = (1/4, 3/4); ζ1 = 1, ζ2/(2b) = 4/4 = 1, σ² = (1, 1),
     * ‖∇L‖² = (1 + 16 ln 2, 1 + 16/9 ln 3) ⇒ exponents (y*)²·(16 ln 2, 16/9 ln 3) = (ln 2, ln 3) ⇒ w = (2, 3)/5.
     */
    @Test
    void fairPike_handDerived() throws Exception {
        Path f = file(String.format(
                java.util.Locale.ROOT,
                "{\"grad_norm_sq\": [%s, %s], \"grad_var\": [1, 1], \"loss\": [1, %s]}",
                1 + 16 * Math.log(2),
                1 + 16.0 / 9 * Math.log(3),
                1 + Math.log(3)));
        assertArrayEquals(
                new double[] {0.4, 0.6},
                weights(run(
                        "weights",
                        "--strategy",
                        "fair-pike",
                        "--weights",
                        "1,1",
                        "--stats",
                        f.toString(),
                        "--zeta1",
                        "1",
                        "--zeta2",
                        "4",
                        "--batch",
                        "2",
                        "--tau",
                        "1",
                        "--min-weight",
                        "0")),
                1e-12);
    }

    /*
     * η = L = β = γ = b = 1, ‖∇L‖² = (2, 2), σ² = (2, 4): λ = (−1, 0), κ = (2, 2);
     * (1 − μ)/2 − μ/2 = 1 ⇒ μ = −1/2 ⇒ w = (3/4, 1/4).
     */
    @Test
    void conceptualPike_handDerived() throws Exception {
        Path f = file("{\"grad_norm_sq\": [2, 2], \"grad_var\": [2, 4]}");
        assertArrayEquals(
                new double[] {0.75, 0.25},
                weights(run(
                        "weights",
                        "--strategy",
                        "conceptual-pike",
                        "--weights",
                        "0.5,0.5",
                        "--stats",
                        f.toString(),
                        "--eta",
                        "1",
                        "--L",
                        "1",
                        "--beta",
                        "1",
                        "--gamma",
                        "1",
                        "--batch",
                        "1")),
                1e-12);
    }

    /*
     * robust-pike with its defaults (ζ_g = ζ_v = 1/4, ρ = 1.2, floor 0.1/K, R* = 5, pull λ towards temperature sampling).
     * Equal token counts make the anchor uniform = the weights in force, so the pull adds nothing.
     * (1) G = (3, 1), V = (5, 5): ĝ = (3/2, 1/2), v̂ = (1, 1), x = ¼(½, −½) ⇒ w = (1, e^{−1/4}) / (1 + e^{−1/4})
     *     (ratios 1.124 and 0.876: within ρ).
     * (2) G = V = (1, 1), domain 2 in its 6th epoch: d = (1, e^{−(6−1)/5}) = (1, e^{−1}), ĝ = 2(1, e^{−1})/(1 + e^{−1}),
     *     x = ¼(ĝ − 1) = ±c with c = ¼(1 − e^{−1})/(1 + e^{−1}) ⇒ w = (1, e^{−2c}) / (1 + e^{−2c}).
     */
    @Test
    void robustPike_handDerivedWithTokensAndEpochs() throws Exception {
        Path f = file("{\"grad_norm_sq\": [3, 1], \"grad_var\": [5, 5]}");
        double e = Math.exp(-0.25);
        assertArrayEquals(
                new double[] {1 / (1 + e), e / (1 + e)},
                weights(run(
                        "weights",
                        "--strategy",
                        "robust-pike",
                        "--weights",
                        "0.5,0.5",
                        "--tokens",
                        "1000,1000",
                        "--stats",
                        f.toString())),
                1e-12);
        Path same = file("{\"grad_norm_sq\": [1, 1], \"grad_var\": [1, 1]}");
        double c = 0.25 * (1 - Math.exp(-1)) / (1 + Math.exp(-1)), d = Math.exp(-2 * c);
        assertArrayEquals(
                new double[] {1 / (1 + d), d / (1 + d)},
                weights(run(
                        "weights",
                        "--strategy",
                        "robust-pike",
                        "--weights",
                        "0.5,0.5",
                        "--tokens",
                        "7,7",
                        "--epochs",
                        "0,6",
                        "--stats",
                        same.toString())),
                1e-12);
        assertArrayEquals(
                new double[] {1 / (1 + d), d / (1 + d)},
                weights(run(
                        "weights",
                        "--strategy",
                        "robust-pike",
                        "--weights",
                        "0.5,0.5",
                        "--robust-anchor",
                        "initial",
                        "--epochs",
                        "0,6",
                        "--stats",
                        same.toString())),
                1e-12);
        assertOneLineError(
                run("weights", "--strategy", "robust-pike", "--weights", "0.5,0.5", "--stats", f.toString()),
                "needs the domains' token counts");
        assertOneLineError(
                run(
                        "weights",
                        "--strategy",
                        "pike",
                        "--weights",
                        "0.5,0.5",
                        "--epochs",
                        "1,1",
                        "--stats",
                        f.toString()),
                "--tokens and --epochs are for robust-pike only");
    }

    @Test
    void rejectsMalformedFileWithOneLine() throws Exception {
        Path truncated = file("{\"grad_norm_sq\": [1, 2], \"grad_var\": [1,");
        assertOneLineError(
                run("weights", "--strategy", "pike", "--weights", "0.5,0.5", "--stats", truncated.toString()),
                "is not valid JSON");
        Path noVar = file("{\"grad_norm_sq\": [1, 2]}");
        assertOneLineError(
                run("weights", "--strategy", "pike", "--weights", "0.5,0.5", "--stats", noVar.toString()),
                "has no array 'grad_var'");
        Path zero = file("{\"grad_norm_sq\": [1, 0], \"grad_var\": [1, 1]}");
        assertOneLineError(
                run("weights", "--strategy", "pike", "--weights", "0.5,0.5", "--stats", zero.toString()),
                "grad_norm_sq[1] = 0.0 must be finite and > 0 (domain 1)");
        Path three = file("{\"grad_norm_sq\": [1, 2, 3], \"grad_var\": [1, 1, 1]}");
        assertOneLineError(
                run("weights", "--strategy", "pike", "--weights", "0.5,0.5", "--stats", three.toString()),
                "--weights has 2 entries but");
        Path ok = file("{\"grad_norm_sq\": [1, 2], \"grad_var\": [1, 1]}");
        assertOneLineError(
                run("weights", "--strategy", "fair-pike", "--weights", "0.5,0.5", "--stats", ok.toString()),
                "needs per-domain 'loss'");
        assertOneLineError(
                run("weights", "--strategy", "mix", "--weights", "0.5,0.5", "--stats", ok.toString()),
                "--strategy must be pike, fair-pike, conceptual-pike or robust-pike");
        assertOneLineError(
                run(
                        "weights",
                        "--strategy",
                        "pike",
                        "--weights",
                        "0.5,0.5",
                        "--stats",
                        dir.resolve("none.json").toString()),
                "no such statistics file");
    }

    static void assertOneLineError(MainTest.Result r, String expected) {
        MainTest.assertOneLineError(r, expected);
        assertEquals("", r.out());
    }
}
