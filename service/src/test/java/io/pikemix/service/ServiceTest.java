package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.WeightChange;
import io.pikemix.service.client.MixerClient;
import io.pikemix.service.client.MixerClientException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service against the in-process {@link Mixer}: same manifests and weights, across restarts and with n workers. */
class ServiceTest {
    @TempDir
    Path dir;

    static MixerClient client(MixerServer s, String token) {
        return new MixerClient(URI.create(s.url()), token, Duration.ofSeconds(5), Duration.ofSeconds(2));
    }

    @Test
    void manifestsAndWeights_overHttpEqualInProcessMixer() {
        for (int workers : new int[] {1, 3}) {
            MixConfig mix = Fixtures.mix(2);
            Strategy pike = Fixtures.pike(mix);
            var local = new Mixer(mix, pike);
            var localHistory = new ArrayList<WeightChange>(List.of(local.initialChange()));
            var rnd = new SplittableRandom(workers);
            try (var server =
                    MixerServer.start(Fixtures.service(mix, pike, workers, dir.resolve("s" + workers), null))) {
                var c = client(server, null);
                for (long t = 0; t < 12; t++) {
                    StepManifest expected = local.next();
                    var parts = new ArrayList<GradientStats>();
                    for (int w = 0; w < workers; w++) {
                        MixerClient.Step got = c.manifest(t, w, workers);
                        assertEquals(expected.share(w, workers), got.manifest(), "step " + t + " worker " + w);
                        assertEquals(local.wantsStatistics(t), got.wantsStatistics());
                    }
                    if (workers > 1) assertEquals(expected, c.manifest(t, 0, 1).manifest());
                    if (!local.wantsStatistics(t)) continue;
                    for (int w = 0; w < workers; w++) {
                        GradientStats g = Fixtures.randomStats(rnd);
                        parts.add(g);
                        assertEquals(
                                w == workers - 1, c.report(t, w, workers, g).closed());
                    }
                    localHistory.add(local.report(t, parts));
                    if (workers == 1)
                        assertEquals(
                                parts.get(0).toDomainStats(),
                                localHistory.get(localHistory.size() - 1).stats(),
                                "one worker: the service passes exactly GradientStats.toDomainStats()");
                }
                c.manifest(12, 0, 1); // freezes step 12, whose weights step 10's statistics set
                assertEquals(localHistory, c.history());
                assertArrayEquals(local.weights(), c.weights().weights());
                assertFalse(Arrays.equals(pike.initialWeights(), c.weights().weights()), "the weights moved");
            }
        }
    }

    @Test
    void restartBetweenSteps_changesNothing() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Strategy pike = Fixtures.pike(mix);
        Path token = Fixtures.tokenFile(dir);
        List<Object> straight = run(mix, pike, dir.resolve("a"), token, false);
        List<Object> restarted = run(mix, pike, dir.resolve("b"), token, true);
        assertEquals(straight, restarted);
        assertEquals(
                Files.readString(dir.resolve("a").resolve(EventLog.FILE)),
                Files.readString(dir.resolve("b").resolve(EventLog.FILE)));
    }

    /** 10 steps with 2 workers, a pin at step 4 and a release at step 7; restarts the server after every request if asked. */
    private List<Object> run(MixConfig mix, Strategy strategy, Path state, Path token, boolean restart) {
        var seen = new ArrayList<Object>();
        var rnd = new SplittableRandom(7);
        MixerServer server = MixerServer.start(Fixtures.service(mix, strategy, 2, state, token));
        try {
            for (long t = 0; t < 10; t++) {
                for (int w = 0; w < 2; w++) {
                    seen.add(client(server, Fixtures.TOKEN).manifest(t, w, 2));
                    if (restart) server = restart(server, mix, strategy, state, token);
                }
                if (t == 2) client(server, Fixtures.TOKEN).pin(4, new double[] {0.2, 0.2, 0.6});
                if (t == 5) client(server, Fixtures.TOKEN).release(-1);
                MixerClient.Step s = client(server, Fixtures.TOKEN).manifest(t, 0, 1);
                if (!s.wantsStatistics()) continue;
                for (int w = 0; w < 2; w++) {
                    client(server, Fixtures.TOKEN).report(t, w, 2, Fixtures.randomStats(rnd));
                    if (restart) server = restart(server, mix, strategy, state, token);
                }
            }
            seen.add(client(server, null).manifest(10, 0, 1));
            seen.add(client(server, null).history());
            seen.add(Arrays.toString(client(server, null).weights().weights()));
        } finally {
            server.close();
        }
        return seen;
    }

    private static MixerServer restart(MixerServer s, MixConfig mix, Strategy strategy, Path state, Path token) {
        s.close();
        return MixerServer.start(Fixtures.service(mix, strategy, 2, state, token));
    }

    @Test
    void tornLastLine_isCutOnRestart_andStateIsUnchanged() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Strategy pike = Fixtures.pike(mix);
        Path state = dir.resolve("s");
        List<WeightChange> before;
        StepManifest m3;
        try (var server = MixerServer.start(Fixtures.service(mix, pike, 1, state, null))) {
            var c = client(server, null);
            var rnd = new SplittableRandom(3);
            for (long t = 0; t < 3; t++) {
                c.manifest(t, 0, 1);
                c.report(t, 0, 1, Fixtures.randomStats(rnd));
            }
            m3 = c.manifest(3, 0, 1).manifest();
            before = c.history();
        }
        Files.writeString(
                state.resolve(EventLog.FILE),
                "{\"type\":\"stats\",\"step\":3,\"wor",
                java.nio.file.StandardOpenOption.APPEND);
        try (var server = MixerServer.start(Fixtures.service(mix, pike, 1, state, null))) {
            var c = client(server, null);
            assertEquals(before, c.history());
            assertEquals(m3, c.manifest(3, 0, 1).manifest());
            assertTrue(Files.readString(state.resolve(EventLog.FILE)).endsWith("}\n"));
        }
    }

    @Test
    void damagedMiddleLine_refusesToStart() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Path state = dir.resolve("s");
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null))) {
            var c = client(server, null);
            c.manifest(0, 0, 1);
            c.report(0, 0, 1, Fixtures.randomStats(new SplittableRandom(1)));
            c.manifest(1, 0, 1);
        }
        Path log = state.resolve(EventLog.FILE);
        Files.writeString(log, "garbage\n" + Files.readString(log));
        var e = assertThrows(
                UserException.class,
                () -> MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null)));
        assertTrue(e.getMessage().contains("line 1 is damaged"), e.getMessage());
    }

    @Test
    void restartWithOtherSettings_isRefused() {
        MixConfig mix = Fixtures.mix(1);
        Path state = dir.resolve("s");
        MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null))
                .close();
        var e = assertThrows(
                UserException.class,
                () -> MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 2, state, null)));
        assertTrue(e.getMessage().contains("workers"), e.getMessage());
    }

    @Test
    void secondServerOnSameState_isRefused() {
        MixConfig mix = Fixtures.mix(1);
        Path state = dir.resolve("s");
        try (var ignored = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null))) {
            var e = assertThrows(
                    UserException.class,
                    () -> MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null)));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
    }

    @Test
    void manifest_notReadyUntilAllWorkersReported_thenLongPollReturns() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 2, dir.resolve("s"), null))) {
            var c = client(server, null);
            c.manifest(0, 0, 2);
            c.report(0, 0, 2, Fixtures.randomStats(new SplittableRandom(1)));
            var r = Fixtures.request(server.url() + "/v1/manifest?step=1", "GET", null, null);
            assertEquals(425, r.status(), r.body());
            assertTrue(r.body().contains("1 of 2 workers have reported (missing: [1])"), r.body());
            var late = new Thread(() -> c.report(0, 1, 2, Fixtures.randomStats(new SplittableRandom(2))));
            long t0 = System.nanoTime();
            late.start();
            var polled = Fixtures.request(server.url() + "/v1/manifest?step=1&wait_ms=5000", "GET", null, null);
            late.join();
            assertEquals(200, polled.status(), polled.body());
            assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "answered when the report arrived, not at the timeout");
        }
    }

    @Test
    void nonLoopbackBind_requiresTokenFile() {
        MixConfig mix = Fixtures.mix(1);
        var e = assertThrows(
                UserException.class,
                () -> new ServiceConfig(mix, Fixtures.pike(mix), "", 1, dir, null, "0.0.0.0", 0, null, 4096, 1 << 20));
        assertTrue(e.getMessage().contains("requires --token-file"), e.getMessage());
    }

    @Test
    void healthzMetricsAndOpenapi_areServed() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, dir.resolve("s"), null))) {
            client(server, null).manifest(0, 0, 1);
            assertEquals(
                    200,
                    Fixtures.request(server.url() + "/healthz", "GET", null, null)
                            .status());
            String metrics = Fixtures.request(server.url() + "/metrics", "GET", null, null)
                    .body();
            assertTrue(
                    metrics.contains("pike_requests_total{method=\"GET\",route=\"/v1/manifest\",status=\"200\"} 1"),
                    metrics);
            assertTrue(
                    metrics.contains("pike_request_duration_seconds_count{method=\"GET\",route=\"/v1/manifest\"} 1"),
                    metrics);
            var spec = Json.MAPPER.readTree(Fixtures.request(server.url() + "/openapi.json", "GET", null, null)
                    .body());
            for (String p : List.of(
                    "/v1/manifest",
                    "/v1/batch",
                    "/v1/stats",
                    "/v1/weights",
                    "/v1/weights/history",
                    "/healthz",
                    "/metrics")) assertTrue(spec.get("paths").has(p), p);
            var missing = Fixtures.request(server.url() + "/v1/nothing", "GET", null, null);
            assertEquals(404, missing.status());
            assertTrue(missing.body().contains("not_found"), missing.body());
        }
    }

    @Test
    void clientRetriesWhileServerRestarts() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Path state = dir.resolve("s");
        var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, null));
        int port = server.port();
        StepManifest m0 = client(server, null).manifest(0, 0, 1).manifest();
        server.close();
        var c = new MixerClient(
                URI.create("http://127.0.0.1:" + port), null, Duration.ofSeconds(5), Duration.ofSeconds(10));
        var restarted = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
            }
            MixerServer.start(new ServiceConfig(
                    mix,
                    Fixtures.pike(mix),
                    "zeta1=0.5 zeta2=0.5",
                    1,
                    state,
                    null,
                    "127.0.0.1",
                    port,
                    null,
                    4096,
                    1 << 20));
        });
        restarted.start();
        assertEquals(m0, c.manifest(0, 0, 1).manifest());
        restarted.join();
        var e = assertThrows(MixerClientException.class, () -> c.manifest(0, 5, 2));
        assertEquals(400, e.status());
    }
}
