package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.service.client.MixerClient;
import io.pikemix.service.client.MixerClientException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad mixer statistics through the Java client and raw HTTP (issue 16, docs/reliability.md), beyond
 * {@link RefusalTest}'s: each is refused with a 4xx and a one-line message, and the event log is unchanged. The
 * server has 2 workers; worker 0 has reported step 0, worker 1's report is the one spoiled.
 */
class StatsBadInputTest {
    @TempDir
    Path dir;

    MixerServer server;
    MixerClient client;
    Path state;
    GradientStats good;

    @BeforeEach
    void start() throws Exception {
        MixConfig mix = Fixtures.mix(2);
        state = dir.resolve("s");
        server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 2, state, Fixtures.tokenFile(dir)));
        client =
                new MixerClient(URI.create(server.url()), Fixtures.TOKEN, Duration.ofSeconds(2), Duration.ofSeconds(1));
        client.manifest(0, 0, 2);
        good = Fixtures.randomStats(new SplittableRandom(1));
        client.report(0, 0, 2, good);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String log() throws Exception {
        return Files.readString(state.resolve(EventLog.FILE));
    }

    // ---- through the Java client ----------------------------------------------------------------------------

    static GradientStats with(GradientStats g, UnaryOperator<double[]> var, UnaryOperator<double[]> loss) {
        return new GradientStats(
                g.microBatches(),
                g.sequences(),
                g.gradNormSq(),
                g.meanGradNormSq(),
                var.apply(g.gradVar().clone()),
                g.innerProducts(),
                g.cosine(),
                loss.apply(g.loss().clone()));
    }

    static UnaryOperator<double[]> set(int k, double v) {
        return a -> {
            a[k] = v;
            return a;
        };
    }

    static Arguments clientCase(String name, UnaryOperator<GradientStats> spoil, int status, String says) {
        return Arguments.of(Named.of(name, spoil), status, says);
    }

    static Stream<Arguments> clientCases() {
        UnaryOperator<double[]> same = a -> a;
        return Stream.of(
                clientCase("variance NaN", g -> with(g, set(1, Double.NaN), same), 400, "grad_var[1] is \"NaN\""),
                clientCase(
                        "variance +Infinity",
                        g -> with(g, set(1, Double.POSITIVE_INFINITY), same),
                        400,
                        "grad_var[1] is \"Infinity\""),
                clientCase(
                        "variance -Infinity",
                        g -> with(g, set(0, Double.NEGATIVE_INFINITY), same),
                        400,
                        "grad_var[0] is \"-Infinity\""),
                clientCase("variance negative", g -> with(g, set(2, -0.5), same), 422, "grad_var[2] = -0.5"),
                clientCase("variance zero", g -> with(g, set(2, 0), same), 422, "grad_var[2] = 0.0"),
                clientCase("loss NaN", g -> with(g, same, set(0, Double.NaN)), 400, "loss[0] is \"NaN\""),
                clientCase(
                        "loss +Infinity",
                        g -> with(g, same, set(0, Double.POSITIVE_INFINITY)),
                        400,
                        "loss[0] is \"Infinity\""),
                clientCase(
                        "too few domains",
                        g -> with(g, a -> java.util.Arrays.copyOf(a, 2), same),
                        422,
                        "'grad_var' has 2 entries but the dataset has 3 domains"),
                clientCase(
                        "too many domains",
                        g -> with(g, a -> java.util.Arrays.copyOf(a, 4), same),
                        422,
                        "'grad_var' has 4 entries but the dataset has 3 domains"));
    }

    @ParameterizedTest(name = "client: {0}")
    @MethodSource("clientCases")
    void client_badStatistics_areRefused_stateUnchanged(UnaryOperator<GradientStats> spoil, int status, String says)
            throws Exception {
        String before = log();
        var e = assertThrows(MixerClientException.class, () -> client.report(0, 1, 2, spoil.apply(good)));
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertEquals(before, log());
    }

    record Step(long step, int worker, int status, String says) {}

    static Stream<Arguments> clientSteps() {
        return Stream.of(
                Arguments.of(Named.of(
                        "duplicate report of one worker", new Step(0, 0, 409, "worker 0 already reported step 0"))),
                Arguments.of(Named.of(
                        "a step far in the future", new Step(1_000_000_000L, 1, 409, "has not been handed out yet"))),
                Arguments.of(Named.of("a negative step", new Step(-1, 1, 422, "step must be >= 0, got -1"))),
                Arguments.of(Named.of("a worker out of range", new Step(0, 5, 422, "worker 5 of 2 is unknown"))));
    }

    @ParameterizedTest(name = "client: {0}")
    @MethodSource("clientSteps")
    void client_wrongStepOrWorker_isRefused_stateUnchanged(Step s) throws Exception {
        String before = log();
        var e = assertThrows(MixerClientException.class, () -> client.report(s.step(), s.worker(), 2, good));
        assertEquals(s.status(), e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(s.says()), e.getMessage());
        assertEquals(before, log());
    }

    /* A step in the past: once step 0 closed, a report for it is refused as closed. */
    @org.junit.jupiter.api.Test
    void client_stepInThePast_isRefused() throws Exception {
        assertTrue(client.report(0, 1, 2, good).closed());
        client.manifest(1, 0, 2);
        String before = log();
        var e = assertThrows(MixerClientException.class, () -> client.report(0, 1, 2, good));
        assertEquals(409, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(before, log());
    }

    // ---- raw HTTP ---------------------------------------------------------------------------------------------

    static final String OK = "{\"step\":0,\"worker\":1,\"workers\":2,\"micro_batches\":[2,2,2],\"sequences\":[8,8,8],"
            + "\"grad_norm_sq\":[0.5,0.4,0.3],\"mean_grad_norm_sq\":[0.9,0.8,0.7],\"grad_var\":[3,2,1],"
            + "\"loss\":[3.1,2.5,4.2]}";

    static Arguments http(String name, String body, int status, String says) {
        return Arguments.of(Named.of(name, body), status, says);
    }

    static Stream<Arguments> httpCases() {
        return Stream.of(
                http("-Infinity by overflow", OK.replace("[3,2,1]", "[3,-1e400,1]"), 422, "is not finite"),
                http("Infinity token", OK.replace("[3,2,1]", "[Infinity,2,1]"), 400, "not valid JSON"),
                http("-Infinity token", OK.replace("[3,2,1]", "[3,-Infinity,1]"), 400, "not valid JSON"),
                http("NaN as a string", OK.replace("[3.1,2.5,4.2]", "[3.1,\"NaN\",4.2]"), 400, "not a number"),
                http("null in an array", OK.replace("[3,2,1]", "[3,null,1]"), 400, "not a number"),
                http("nested array", OK.replace("[3,2,1]", "[[3],2,1]"), 400, "not a number"),
                http("empty array", OK.replace("[3,2,1]", "[]"), 422, "has 0 entries but the dataset has 3"),
                http("array too long", OK.replace("[3,2,1]", "[3,2,1,1]"), 422, "has 4 entries but the dataset has 3"),
                http("loss too short", OK.replace("[3.1,2.5,4.2]", "[3.1]"), 422, "has 1 entries"),
                http("negative sequences", OK.replace("[8,8,8]", "[8,-8,8]"), 422, "sequences[1] = -8"),
                http("negative micro-batches", OK.replace("[2,2,2]", "[2,-2,2]"), 422, "micro_batches[1] = -2"),
                http("negative mean norm", OK.replace("[0.9,0.8,0.7]", "[0.9,-0.8,0.7]"), 422, "mean_grad_norm_sq[1]"),
                http("step not an integer", OK.replace("\"step\":0", "\"step\":0.5"), 400, "'step' must be an integer"),
                http("step beyond a long", OK.replace("\"step\":0", "\"step\":1e30"), 400, "'step' must be an integer"),
                http(
                        "step far in the future",
                        OK.replace("\"step\":0", "\"step\":9000000000000000000"),
                        409,
                        "has not been handed out yet"),
                http("step negative", OK.replace("\"step\":0", "\"step\":-1"), 422, "step must be >= 0, got -1"),
                http("worker negative", OK.replace("\"worker\":1", "\"worker\":-1"), 422, "is unknown"),
                http(
                        "worker 2^32 + 1 (was read as worker 1)",
                        OK.replace("\"worker\":1", "\"worker\":4294967297"),
                        422,
                        "worker 4294967297 of 2 is unknown"),
                http(
                        "workers 2^32 + 2 (was read as 2)",
                        OK.replace("\"workers\":2", "\"workers\":4294967298"),
                        422,
                        "is unknown"),
                http("workers zero", OK.replace("\"workers\":2", "\"workers\":0"), 422, "is unknown"),
                http("an empty body", "", 400, "the body is empty"));
    }

    @ParameterizedTest(name = "HTTP: {0}")
    @MethodSource("httpCases")
    void http_badStatistics_areRefused_stateUnchanged(String body, int status, String says) throws Exception {
        String before = log();
        var r = Fixtures.request(server.url() + "/v1/stats", "POST", body, Fixtures.TOKEN);
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().contains(says), r.body());
        assertFalse(r.body().contains("\tat "), r.body());
        assertEquals(before, log());
        // the good report is still accepted afterwards: nothing was half-applied
        assertEquals(
                200,
                Fixtures.request(server.url() + "/v1/stats", "POST", OK, Fixtures.TOKEN)
                        .status());
    }
}
