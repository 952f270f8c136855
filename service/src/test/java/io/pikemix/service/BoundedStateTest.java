package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.WeightChange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core's memory does not grow with the steps served: 6,000 steps of PiKE with T = 1 and 2 workers (every step
 * frozen by its reports), straight against {@link MixerCore} (no HTTP, no fsync per request), with a pin and a
 * release on the way. What the core holds per step ({@link MixerCore#retained()}) stays under fixed bounds the whole
 * time, and old steps, long evicted from the manifest cache, are recomputed identical to what was served and to an
 * in-process {@link Mixer} fed the same statistics — before and after a restart on the same log.
 */
class BoundedStateTest {
    @TempDir
    Path dir;

    static final int STEPS = 6000, WORKERS = 2;

    @Test
    void thousandsOfSteps_retainABoundedNumberOfEntries_andOldManifestsAreRecomputedIdentically() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Strategy pike = Fixtures.pike(mix);
        var local = new Mixer(mix, pike);
        var localManifests = new ArrayList<StepManifest>(); // of a few steps, for the comparison below
        var served = new HashMap<Long, StepManifest>();
        var rnd = new SplittableRandom(11);
        Path state = dir.resolve("s");
        int maxTotal = 0;
        try (var log = new EventLog(state)) {
            var core = new MixerCore(mix, pike, WORKERS, log, state);
            for (long t = 0; t < STEPS; t++) {
                StepManifest expected = local.next();
                StepManifest m = core.manifest(t, 0).manifest();
                assertEquals(expected, m, "step " + t);
                if (t % 97 == 3) {
                    served.put(t, m);
                    localManifests.add(expected);
                }
                if (t == 1500) { // steps 1509..1519 take no statistics
                    core.control(1510, new double[] {0.2, 0.3, 0.5});
                    local.pin(1510, new double[] {0.2, 0.3, 0.5});
                    core.control(1520, null);
                    local.release(1520);
                }
                if (!local.wantsStatistics(t)) continue;
                var parts = new ArrayList<GradientStats>();
                for (int w = 0; w < WORKERS; w++) {
                    GradientStats g = Fixtures.randomStats(rnd);
                    parts.add(g);
                    var r = Fixtures.report(g);
                    core.report(new StatsReport(
                            t,
                            w,
                            WORKERS,
                            r.microBatches(),
                            r.sequences(),
                            r.gradNormSq(),
                            r.meanGradNormSq(),
                            r.gradVar(),
                            r.loss()));
                }
                local.report(t, parts);
                if (t % 250 == 0) {
                    log.sync(); // as the server does before answering; lets the durable views and freezes go
                    core.view();
                    MixerCore.Retained r = core.retained();
                    assertTrue(r.manifests() <= MixerCore.CACHED_MANIFESTS, "step " + t + ": " + r);
                    assertTrue(r.openSteps() <= 1, "step " + t + ": " + r);
                    assertTrue(r.freezes() <= 4, "step " + t + ": " + r);
                    assertTrue(r.views() <= MixerCore.PENDING_VIEWS + 1, "step " + t + ": " + r);
                    assertTrue(r.changesAhead() <= 2 && r.mixerHistory() <= 2, "step " + t + ": " + r);
                    maxTotal = Math.max(maxTotal, r.total());
                }
            }
            assertEquals(STEPS + 1, core.frozenSteps(), "the last report froze the step after it");
            assertTrue(maxTotal <= MixerCore.CACHED_MANIFESTS + MixerCore.PENDING_VIEWS + 8, "total " + maxTotal);

            // steps evicted from the cache long ago: recomputed from their states, identical
            for (StepManifest expected : localManifests) {
                long t = expected.step();
                assertEquals(served.get(t), core.manifest(t, 0).manifest(), "step " + t + " recomputed");
                assertEquals(expected, core.manifest(t, 0).manifest(), "step " + t + " against the local mixer");
            }
            assertEquals(local.history(), history(core), "the weight history, from the history file");
            core.close();
        }
        // a restart replays the log: the same old manifests and the same history
        try (var log = new EventLog(state)) {
            var core = new MixerCore(mix, pike, WORKERS, log, state);
            assertEquals(STEPS + 1, core.frozenSteps());
            for (StepManifest expected : localManifests)
                assertEquals(expected, core.manifest(expected.step(), 0).manifest(), "after restart: " + expected);
            assertEquals(local.history(), history(core), "the weight history after the restart");
            assertTrue(core.retained().total() <= MixerCore.CACHED_MANIFESTS + MixerCore.PENDING_VIEWS + 8);
            core.close();
        }
    }

    /** The history file read back as weight changes (causes, steps, weights and statistics). */
    private static List<WeightChange> history(MixerCore core) throws Exception {
        long length = core.historyLength();
        String entries;
        try (var in = core.history(length)) {
            entries = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        var out = new ArrayList<WeightChange>();
        for (JsonNode c : Json.MAPPER.readTree("[" + entries + "]")) {
            JsonNode s = c.get("stats");
            out.add(new WeightChange(
                    c.get("step").asLong(),
                    c.get("strategy").asText(),
                    c.get("cause").asText(),
                    doubles(c.get("weights")),
                    s == null
                            ? null
                            : new io.pikemix.mixer.DomainStats(
                                    doubles(s.get("grad_norm_sq")),
                                    doubles(s.get("grad_var")),
                                    s.has("loss") ? doubles(s.get("loss")) : null)));
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        var out = new double[a.size()];
        for (int i = 0; i < a.size(); i++) out[i] = a.get(i).doubleValue();
        return out;
    }
}
