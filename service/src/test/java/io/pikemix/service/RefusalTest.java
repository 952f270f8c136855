package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.service.client.MixerClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed, oversized, non-finite, duplicate, late, unknown-worker and unauthorised requests: refused, state unchanged. */
class RefusalTest {
    @TempDir
    Path dir;

    private static String stats(long step, int worker, int workers, String override) {
        String base = "\"micro_batches\":[2,2,2],\"sequences\":[8,8,8],\"grad_norm_sq\":[0.5,0.4,0.3],"
                + "\"mean_grad_norm_sq\":[0.9,0.8,0.7],\"grad_var\":[3,2,1],\"loss\":[3.1,2.5,4.2]";
        return "{\"step\":" + step + ",\"worker\":" + worker + ",\"workers\":" + workers + ","
                + (override == null ? base : override) + "}";
    }

    private record Snapshot(String weights, String history, String log) {}

    private static Snapshot snapshot(MixerServer s, Path state) throws Exception {
        return new Snapshot(
                Fixtures.request(s.url() + "/v1/weights", "GET", null, null).body(),
                Fixtures.request(s.url() + "/v1/weights/history", "GET", null, null)
                        .body(),
                Files.readString(state.resolve(EventLog.FILE)));
    }

    @Test
    void badRequests_areRefusedWithClearErrors_andChangeNothing() throws Exception {
        MixConfig mix = Fixtures.mix(2);
        Path state = dir.resolve("s");
        try (var server =
                MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 2, state, Fixtures.tokenFile(dir)))) {
            var c = new MixerClient(
                    URI.create(server.url()), Fixtures.TOKEN, Duration.ofSeconds(2), Duration.ofSeconds(1));
            c.manifest(0, 0, 2);
            c.report(0, 0, 2, Fixtures.randomStats(new SplittableRandom(1))); // step 0: worker 0 of 2 in, worker 1 open
            Snapshot before = snapshot(server, state);
            String url = server.url() + "/v1/stats";
            String ok = stats(0, 1, 2, null);
            record Case(String name, String body, String token, int status, String says) {}
            var cases = List.of(
                    new Case("not JSON", "{\"step\":0,", Fixtures.TOKEN, 400, "not valid JSON"),
                    new Case("not an object", "[1,2]", Fixtures.TOKEN, 400, "one JSON object"),
                    new Case(
                            "unknown field",
                            ok.replace("\"loss\"", "\"losses\""),
                            Fixtures.TOKEN,
                            400,
                            "unknown field 'losses'"),
                    new Case(
                            "missing field",
                            ok.replace("\"grad_var\":[3,2,1],", ""),
                            Fixtures.TOKEN,
                            400,
                            "missing array 'grad_var'"),
                    new Case(
                            "string number", ok.replace("[3,2,1]", "[\"3\",2,1]"), Fixtures.TOKEN, 400, "not a number"),
                    new Case("NaN token", ok.replace("[3,2,1]", "[NaN,2,1]"), Fixtures.TOKEN, 400, "not valid JSON"),
                    new Case(
                            "overflow to infinity",
                            ok.replace("[3,2,1]", "[1e400,2,1]"),
                            Fixtures.TOKEN,
                            422,
                            "is not finite"),
                    new Case(
                            "negative variance",
                            ok.replace("[3,2,1]", "[3,-2,1]"),
                            Fixtures.TOKEN,
                            422,
                            "grad_var[1] = -2.0 must be finite and > 0"),
                    new Case(
                            "negative loss",
                            ok.replace("[3.1,2.5,4.2]", "[3.1,-1,4.2]"),
                            Fixtures.TOKEN,
                            422,
                            "loss[1] = -1.0"),
                    new Case(
                            "one micro-batch",
                            ok.replace("[2,2,2]", "[2,1,2]"),
                            Fixtures.TOKEN,
                            422,
                            "needs >= 2 micro-batches"),
                    new Case(
                            "too few domains",
                            ok.replace("[3,2,1]", "[3,2]"),
                            Fixtures.TOKEN,
                            422,
                            "'grad_var' has 2 entries but the dataset has 3 domains"),
                    new Case(
                            "inconsistent norm",
                            ok.replace("[0.5,0.4,0.3]", "[5,0.4,0.3]"),
                            Fixtures.TOKEN,
                            422,
                            "must be finite and <= mean_grad_norm_sq[0]"),
                    new Case(
                            "oversized",
                            ok.replace("\"step\"", " ".repeat(5000) + "\"step\""),
                            Fixtures.TOKEN,
                            413,
                            "limit is 4096"),
                    new Case("unknown worker", stats(0, 2, 3, null), Fixtures.TOKEN, 422, "worker 2 of 3 is unknown"),
                    new Case(
                            "worker out of range",
                            stats(0, 2, 2, null),
                            Fixtures.TOKEN,
                            422,
                            "worker 2 of 2 is unknown"),
                    new Case(
                            "duplicate", stats(0, 0, 2, null), Fixtures.TOKEN, 409, "worker 0 already reported step 0"),
                    new Case(
                            "step not served",
                            stats(2, 0, 2, null),
                            Fixtures.TOKEN,
                            409,
                            "has not been handed out yet"),
                    new Case("no token", ok, null, 401, "Authorization: Bearer"),
                    new Case("wrong token", ok, "wrong-token-0123456789", 401, "token is wrong"));
            for (Case k : cases) {
                var r = Fixtures.request(url, "POST", k.body, k.token);
                assertEquals(k.status, r.status(), k.name + ": " + r.body());
                assertTrue(r.body().contains(k.says), k.name + ": " + r.body());
                assertEquals(before, snapshot(server, state), k.name + " changed the state");
            }
            for (var pin : List.of(
                    new Case("pin without token", "{\"weights\":[1,1,1]}", null, 401, "Bearer"),
                    new Case(
                            "pin a served step",
                            "{\"from_step\":0,\"weights\":[1,1,1]}",
                            Fixtures.TOKEN,
                            409,
                            "already out"),
                    new Case("pin negative weight", "{\"weights\":[1,-1,1]}", Fixtures.TOKEN, 422, "weights[1] = -1.0"),
                    new Case("pin zero weights", "{\"weights\":[0,0,0]}", Fixtures.TOKEN, 422, "sum to 0"),
                    new Case(
                            "pin and release",
                            "{\"weights\":[1,1,1],\"release\":true}",
                            Fixtures.TOKEN,
                            400,
                            "either"))) {
                var r = Fixtures.request(server.url() + "/v1/weights", "PUT", pin.body, pin.token);
                assertEquals(pin.status, r.status(), pin.name + ": " + r.body());
                assertTrue(r.body().contains(pin.says), pin.name + ": " + r.body());
                assertEquals(before, snapshot(server, state), pin.name + " changed the state");
            }
            for (String q : List.of("", "?step=x", "?step=-1", "?step=0&worker=2&workers=2", "?step=0&wait_ms=999999"))
                assertEquals(
                        400,
                        Fixtures.request(server.url() + "/v1/manifest" + q, "GET", null, null)
                                .status(),
                        q);
            assertEquals(before, snapshot(server, state));

            // the good report closes step 0; after that the step is closed for everyone
            assertEquals(200, Fixtures.request(url, "POST", ok, Fixtures.TOKEN).status());
            c.manifest(1, 0, 2);
            var late = Fixtures.request(url, "POST", stats(0, 1, 2, null), Fixtures.TOKEN);
            assertEquals(409, late.status());
            assertTrue(late.body().contains("\"closed\""), late.body());
            var odd = Fixtures.request(url, "POST", stats(1, 0, 2, null), Fixtures.TOKEN);
            assertEquals(409, odd.status());
            assertTrue(odd.body().contains("step 1 takes no statistics"), odd.body());
        }
    }

    @Test
    void putWeights_isDisabledWithoutTokenFile_evenOnLoopback() throws Exception {
        MixConfig mix = Fixtures.mix(2);
        Path state = dir.resolve("s");
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null))) {
            var r = Fixtures.request(
                    server.url() + "/v1/weights", "PUT", "{\"weights\":[1,1,1]}", "anything-at-all-123");
            assertEquals(403, r.status());
            assertTrue(r.body().contains("--token-file"), r.body());
            assertEquals("", Files.readString(state.resolve(EventLog.FILE)));
            // without a token file, statistics need no token on loopback
            new MixerClient(URI.create(server.url()), null, Duration.ofSeconds(2), Duration.ofSeconds(1))
                    .manifest(0, 0, 1);
            GradientStats g = Fixtures.randomStats(new SplittableRandom(2));
            assertTrue(new MixerClient(URI.create(server.url()), null, Duration.ofSeconds(2), Duration.ofSeconds(1))
                    .report(0, 0, 1, g)
                    .closed());
        }
    }
}
