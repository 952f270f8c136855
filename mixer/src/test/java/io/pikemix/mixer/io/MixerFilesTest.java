package io.pikemix.mixer.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pikemix.format.UserException;
import io.pikemix.mixer.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MixerFilesTest {
    @TempDir
    Path dir;

    static MixConfig config() {
        return new MixConfig(
                List.of(new DomainRows("web", new long[] {30, 12}), new DomainRows("code", new long[] {9})),
                8,
                5,
                Rounding.CARRY,
                3);
    }

    static DomainStats stats(long step) {
        return new DomainStats(new double[] {1 + step % 3, 2}, new double[] {100, 50 + step}, null);
    }

    /* State saved to disk mid-run (weights changed by PiKE) and read back resumes bit-identically. */
    @Test
    void stateFile_roundTripResumesIdentically() {
        Strategy pike = Strategies.pike(new double[] {0.5, 0.5}, new PikeParams(0.3, 10, 8, 3, 1e-6));
        var full = new Mixer(config(), pike);
        var manifests = new ArrayList<StepManifest>();
        Path state = dir.resolve("mixer-state.json");
        for (int t = 0; t < 60; t++) {
            if (t == 31) StateFile.write(state, full.state());
            manifests.add(full.next());
            if (full.wantsStatistics(t)) full.report(stats(t));
        }
        MixerState read = StateFile.read(state);
        assertEquals(31, read.step());
        var resumed = new Mixer(config(), pike, read);
        for (int t = 31; t < 60; t++) {
            assertEquals(manifests.get(t), resumed.next());
            if (resumed.wantsStatistics(t)) resumed.report(stats(t));
        }
    }

    @Test
    void manifestAndWeightHistory_areJsonLines() throws Exception {
        Strategy pike = Strategies.pike(new double[] {0.5, 0.5}, PikeParams.defaults(8));
        var mixer = new Mixer(config(), pike);
        Path manifest = dir.resolve("manifest.jsonl"), weights = dir.resolve("weights.jsonl");
        var expected = new ArrayList<StepManifest>();
        try (var mw = new ManifestWriter(manifest);
                var hw = new WeightHistoryWriter(weights)) {
            hw.write(mixer.initialChange());
            for (int t = 0; t < 7; t++) {
                StepManifest m = mixer.next();
                expected.add(m);
                mw.write(m);
                if (mixer.wantsStatistics(t)) hw.write(mixer.report(stats(t)));
            }
        }
        var mapper = new ObjectMapper();
        List<String> lines = Files.readAllLines(manifest);
        assertEquals(7, lines.size());
        for (int t = 0; t < 7; t++) {
            JsonNode n = mapper.readTree(lines.get(t));
            StepManifest m = expected.get(t);
            assertEquals(t, n.get("step").asLong());
            assertEquals(8, n.get("rows").size());
            for (int j = 0; j < 8; j++) {
                JsonNode r = n.get("rows").get(j);
                assertEquals(m.domain()[j], r.get(0).asInt());
                assertEquals(m.shard()[j], r.get(1).asInt());
                assertEquals(m.shardRow()[j], r.get(2).asLong());
            }
            assertEquals(m.counts()[1], n.get("counts").get(1).asInt());
        }
        List<String> history = Files.readAllLines(weights);
        assertEquals(1 + 3, history.size(), "initial + reports at steps 0, 3, 6");
        JsonNode first = mapper.readTree(history.get(0)), second = mapper.readTree(history.get(1));
        assertEquals("initial", first.get("cause").asText());
        assertEquals("statistics", second.get("cause").asText());
        assertEquals(1, second.get("step").asLong(), "statistics of step 0 apply from step 1");
        assertEquals(2, second.get("stats").get("grad_norm_sq").size());
        assertFalse(second.get("stats").has("loss"));
    }

    @Test
    void statsFile_readsHandMadeFile() throws Exception {
        Path f = dir.resolve("stats.json");
        Files.writeString(
                f,
                "{\"grad_norm_sq\": [1.5, 2], \"grad_var\": [300, 1e2], \"loss\": [3.0, 2.5], \"note\": \"ignored\"}");
        DomainStats s = StatsFile.read(f);
        assertArrayEquals(new double[] {1.5, 2}, s.gradNormSq());
        assertArrayEquals(new double[] {300, 100}, s.gradVar());
        assertArrayEquals(new double[] {3, 2.5}, s.loss());
        assertEquals("{\"weights\":[0.25,0.75]}", StatsFile.weightsJson(new double[] {0.25, 0.75}));
    }

    @Test
    void statsFile_rejectsMalformedWithOneLine() throws Exception {
        String[][] cases = {
            {"{\"grad_norm_sq\": [1, 2], \"grad_var\": [1, ", "is not valid JSON"},
            {"[1, 2]", "must hold one JSON object"},
            {"{\"grad_norm_sq\": [1, 2]}", "has no array 'grad_var'"},
            {"{\"grad_norm_sq\": [1, \"x\"], \"grad_var\": [1, 2]}", "grad_norm_sq[1] is \"x\", not a number"},
            {"{\"grad_norm_sq\": [1, 2], \"grad_var\": [1]}", "grad_norm_sq has 2 entries, grad_var 1"},
            {"{\"grad_norm_sq\": [1, NaN], \"grad_var\": [1, 2]}", "is not valid JSON"},
            {"", "must hold one JSON object"},
        };
        for (String[] c : cases) {
            Path f = dir.resolve("bad.json");
            Files.writeString(f, c[0]);
            var e = assertThrows(UserException.class, () -> StatsFile.read(f), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        }
        var missing = assertThrows(UserException.class, () -> StatsFile.read(dir.resolve("nope.json")));
        assertTrue(missing.getMessage().startsWith("no such statistics file"));
    }
}
