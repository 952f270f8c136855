package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.MixConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "The weights of step t + 1 are final once step t's reports are in": a pin can no longer change them. */
class FinalWeightsTest {
    @TempDir
    Path dir;

    @Test
    void pin_atStepWhoseStatisticsAreIn_isRefusedAsFinal_andChangesNothing() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Path state = dir.resolve("s");
        try (var server =
                MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 1, state, Fixtures.tokenFile(dir)))) {
            var c = ServiceTest.client(server, Fixtures.TOKEN);
            c.manifest(0, 0, 1);
            assertTrue(c.report(0, 0, 1, Fixtures.randomStats(new SplittableRandom(4)))
                    .closed());
            String log = Files.readString(state.resolve(EventLog.FILE));
            var refused = Fixtures.request(
                    server.url() + "/v1/weights", "PUT", "{\"from_step\":1,\"weights\":[1,1,1]}", Fixtures.TOKEN);
            assertEquals(409, refused.status(), refused.body());
            assertTrue(refused.body().contains("\"final\""), refused.body());
            assertTrue(refused.body().contains("the earliest step that can change is 2"), refused.body());
            assertEquals(log, Files.readString(state.resolve(EventLog.FILE)), "a refused pin is not logged");
            var next = Fixtures.request(server.url() + "/v1/weights", "PUT", "{\"weights\":[1,1,2]}", Fixtures.TOKEN);
            assertEquals(200, next.status(), next.body());
            assertTrue(
                    next.body().contains("\"from_step\":2"),
                    "without from_step: the first step that can change; " + next.body());
            assertArrayEquals(
                    new double[] {0.25, 0.25, 0.5},
                    c.manifest(2, 0, 1).manifest().weights(),
                    0);
        }
    }
}
